"""Wheels for an offline install: the kit's own, built from its source, and the installed distributions a
Kaggle image lacks, repacked from the files pip installed (the exact versions the run was trained with; pip
has no command that turns an installed distribution back into a wheel, hence this)."""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata as md
import subprocess
import sys
import zipfile
from pathlib import Path

from kaggle_kit.errors import UserError
from kaggle_kit.paths import PROJECT_DIR


def kit_wheel(dest: Path) -> Path:
    """The kit (kaggle_kit and competitions) as a wheel, built from the project's source without an index."""
    before = set(dest.glob("*.whl"))
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                           "--quiet", "-w", str(dest), str(PROJECT_DIR)], capture_output=True, text=True)
    made = sorted(set(dest.glob("*.whl")) - before)
    if proc.returncode or not made:
        raise UserError(f"building the kit's wheel failed ({(proc.stderr.strip().splitlines() or ['?'])[-1][:160]}); "
                        "run make setup, then make bundle again")
    return made[0]


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def repack(name: str, dest: Path) -> Path:
    """The installed distribution `name` as a wheel in dest: its files as installed, its own METADATA and WHEEL
    tags, a fresh RECORD."""
    try:
        dist = md.distribution(name)
    except md.PackageNotFoundError:
        raise UserError(f"{name} is not installed; run make setup, then make bundle again") from None
    wheel_meta = dist.read_text("WHEEL") or ""
    tags = [line.split(":", 1)[1].strip() for line in wheel_meta.splitlines() if line.startswith("Tag:")]
    if not tags:
        raise UserError(f"{name} was not installed from a wheel; it cannot be repacked for the bundle")
    py, abi, plat = (".".join(sorted({t.split("-")[i] for t in tags})) for i in range(3))
    norm = dist.metadata["Name"].replace("-", "_")
    path = dest / f"{norm}-{dist.version}-{py}-{abi}-{plat}.whl"
    records = []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        record_name = None
        for f in dist.files or []:
            rel = str(f)
            if rel.endswith(".pyc") or "__pycache__" in rel or rel.startswith(".."):
                continue                                     # compiled on install; scripts outside the tree
            if rel.endswith(".dist-info/RECORD"):
                record_name = rel
                continue
            if rel.endswith(("INSTALLER", "REQUESTED", "direct_url.json")):
                continue                                     # written by the installer, not part of a wheel
            data = Path(f.locate()).read_bytes()
            z.writestr(rel, data)
            records.append(_record_line(rel, data))
        record_name = record_name or f"{norm}-{dist.version}.dist-info/RECORD"
        z.writestr(record_name, "\n".join([*records, f"{record_name},,"]) + "\n")
    return path
