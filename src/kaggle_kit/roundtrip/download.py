"""`make <comp>-download`: the competition's files from Kaggle into data/<slug>/, whole or not at all.

The zip is fetched by the kaggle CLI into a temporary folder under data/, unpacked beside it, read by the
competition's own loader (the same checks as every command), and only then renamed to data/<slug>/. An
interrupted download, a zip of another layout or a loader error leaves data/ as it was. A folder already there
is kept, unless FORCE=1 (it is then replaced only once the new one is whole)."""

from __future__ import annotations

import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

from kaggle_kit.errors import UserError
from kaggle_kit.roundtrip.kaggle_cli import kaggle, slug_of


def not_on_kaggle(task) -> str | None:
    """The line for a competition scored elsewhere (its spec's `hosted_on`), else None."""
    host = getattr(getattr(task, "spec", None), "hosted_on", "kaggle") or "kaggle"
    if host.lower() == "kaggle":
        return None
    url = getattr(task.spec, "data_url", None)
    where = f"from {url}" if url else f"from the competition's {host} page"
    return (f"{task.name} is scored on {host}, not Kaggle: download its files {where} and unpack them into "
            f"data/{task.slug}/ (make {task.name}-train DATA=<folder> reads any other folder)")


def file_counts(folder: Path) -> str:
    """'train.csv, test.csv, images/ (5000 files)': what the top level holds."""
    parts = []
    for p in sorted(folder.iterdir()):
        if p.is_dir():
            parts.append(f"{p.name}/ ({sum(1 for f in p.rglob('*') if f.is_file())} files)")
        else:
            parts.append(p.name)
    return ", ".join(parts)


def unpack(zips: list[Path], dest: Path) -> None:
    for z in zips:
        try:
            with zipfile.ZipFile(z) as archive:
                archive.extractall(dest)
        except zipfile.BadZipFile:
            raise UserError(f"the download {z.name} is not a whole zip (interrupted?); rerun the download") from None
    inner = [p for p in dest.iterdir()]
    if len(inner) == 1 and inner[0].is_dir() and not any(dest.glob("*.csv")):   # a zip holding one top folder
        for p in inner[0].iterdir():
            p.rename(dest / p.name)
        inner[0].rmdir()


def download(task, root: Path, *, force: bool) -> Path:
    """data/<slug>/ of the work root, downloaded and checked; its path."""
    line = not_on_kaggle(task)
    if line:
        raise UserError(line)
    slug = slug_of(task)
    final = root / "data" / task.slug
    if final.exists() and not force:
        print(f"{final} is already there ({file_counts(final)}); FORCE=1 downloads it again", file=sys.stderr)
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{task.slug}.download-", dir=final.parent))
    try:
        fetched, unpacked = work / "zip", work / "files"
        fetched.mkdir()
        unpacked.mkdir()
        print(f"downloading {slug} with the kaggle CLI ...", file=sys.stderr, flush=True)
        kaggle(["competitions", "download", "-c", slug, "-p", str(fetched)], slug=slug)
        zips = sorted(fetched.glob("*.zip"))
        if not zips:
            raise UserError(f"the kaggle CLI downloaded no zip for {slug}; rerun the download")
        unpack(zips, unpacked)
        try:
            task.load(unpacked)
        except UserError as e:
            raise UserError(f"the download of {slug} is not the layout the kit reads ({e}); nothing was "
                            "written to data/") from None
        if final.exists():                          # FORCE: swap only once the new folder is whole
            old = work / "old"
            final.rename(old)
        unpacked.rename(final)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"wrote {final}: {file_counts(final)}", file=sys.stderr)
    return final
