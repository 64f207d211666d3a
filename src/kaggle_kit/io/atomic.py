"""Atomic writes: every artefact goes to a temporary file in the same folder, then is renamed over the target,
so an interrupted or failed command never leaves a half-written file or clobbers a good one."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from kaggle_kit.errors import UserError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


UMASK = _umask()


@contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary path beside `path`; rename it onto `path` only if the block succeeds. In a
    distributed run only global rank zero writes: the other processes write into a scratch file, discarded."""
    path = Path(path)
    from kaggle_kit.training.distributed import is_rank_zero

    if not is_rank_zero():
        with tempfile.TemporaryDirectory() as scratch:
            yield Path(scratch) / path.name
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
    except OSError as e:
        raise UserError(f"cannot write {path}: {e.strerror}; check that the folder is writable") from e
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~UMASK)      # mkstemp makes 0600 files; artefacts get the usual permissions
        os.replace(tmp, path)
    except OSError as e:
        raise UserError(f"writing {path} failed ({e.strerror}); nothing was changed, free space or fix "
                        "permissions and rerun") from e
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_with(path: str | Path, writer: Callable[[Path], None]) -> Path:
    """Run writer(tmp_path) and move the result onto path atomically."""
    with atomic_path(path) as tmp:
        writer(tmp)
    return Path(path)


def write_text(path: str | Path, text: str) -> Path:
    return write_with(path, lambda p: p.write_text(text))


def write_json(path: str | Path, obj) -> Path:
    return write_text(path, json.dumps(obj, indent=2, sort_keys=False) + "\n")


def write_csv(path: str | Path, frame, **kwargs) -> Path:
    kwargs.setdefault("index", False)
    return write_with(path, lambda p: frame.to_csv(p, **kwargs))


def torch_save(path: str | Path, obj) -> Path:
    import torch

    return write_with(path, lambda p: torch.save(obj, p))
