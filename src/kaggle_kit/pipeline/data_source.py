"""Where the competition files come from: DATA, else data/<slug>/, else the synthetic sample."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from kaggle_kit.errors import UserError
from kaggle_kit.task import Task


def resolve_data_dir(task: Task, data_arg: str | None, root: Path) -> tuple[Path, bool]:
    """(folder, using_sample): DATA, else the download the spec recorded (make new), else data/<slug>/, else the
    drawn sample. Writes nothing: a sample that must be built is built by ensure_sample."""
    slug = task.kaggle_slug()
    how = (f"`{task.make('download')}` fetches it, or unpack `kaggle competitions download -c {slug}` into "
           f"it (e.g. unzip {slug}.zip -d data/{task.slug})" if slug else "unpack the competition's download there")
    if data_arg:
        path = Path(data_arg)
        if not path.is_dir():
            raise UserError(f"DATA={data_arg} is not a folder; {how}")
        return path, False
    recorded = task.recorded_data(root)
    if recorded is not None and recorded.is_dir():
        return recorded, False
    default = root / "data" / task.slug
    if default.is_dir():
        return default, False
    if recorded is not None:
        raise UserError(f"{task.name} was made from {recorded}, which is gone; pass DATA=<the unpacked download> "
                        f"(or unpack it into {default}/)")
    if not task.has_sample:
        raise UserError(f"no data for {task.name} in {default}/; {how}, or pass DATA=<folder>")
    return root / "data" / "samples" / task.slug, True


def ensure_sample(task: Task, path: Path) -> None:
    """Use the sample (built once if missing), saying so."""
    print(f"*** No Kaggle data in data/{task.slug}/: using the synthetic sample in {path}/.\n"
          f"*** For the real competition: {task.make('download')} (or kaggle competitions download -c "
          f"{task.slug} && unzip {task.slug}.zip -d data/{task.slug})", file=sys.stderr)
    if not (path / ".complete").is_file():
        build_sample(task, path)


def build_sample(task: Task, path: Path) -> None:
    """Build into a staging folder renamed into place when complete: never a half-built sample."""
    if path.exists() and any(path.iterdir()) and not (path / ".complete").is_file():
        raise UserError(f"{path} exists and is not a sample built here; choose another folder")
    stage = path.with_name(path.name + ".partial")
    shutil.rmtree(stage, ignore_errors=True)
    task.build_sample(stage)
    (stage / ".complete").write_text("built by kaggle_kit\n")
    shutil.rmtree(path, ignore_errors=True)
    stage.rename(path)
