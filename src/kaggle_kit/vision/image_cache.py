"""Evaluation images decoded once: a list of images through a deterministic eval transform becomes one uint8
array (N, C, H, W) in a .npy file, read back memory-mapped. The test set is predicted by every fold (and again
for each TTA setting): without the cache each of those passes decodes and resizes every image again, on the
same CPUs as the forward passes (on a GPU machine, loading is what bounds inference).

The file name carries a hash of the image files (path, size, modification time), of the transform and of the
decoding code's versions, so a change of any of them builds a new file; it is written to a temporary name and
renamed, so a crash never leaves half a cache. Old files are not removed (one per image set and eval size):
delete runs/<comp>/cache/ to reclaim the space."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset
from tqdm.auto import tqdm

from kaggle_kit.errors import UserError
from kaggle_kit.io import atomic

CACHE_VERSION = 1      # bump when decoding changes the pixels


def cache_key(files: list[Path], transform_spec: dict) -> str:
    """Hash of the files (path, size, modification time), the transform that made the images, and the
    decoding code's versions (OpenCV, albumentations, this module's CACHE_VERSION)."""
    import albumentations
    import cv2

    h = hashlib.sha256(json.dumps([CACHE_VERSION, cv2.__version__, albumentations.__version__, transform_spec],
                                  sort_keys=True, default=str).encode())
    for f in files:
        st = os.stat(f)
        h.update(f"{f}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def _load(path: Path, n: int) -> np.ndarray | None:
    """The cached array if the file is whole and holds n uint8 images; None to rebuild it."""
    try:
        stored = np.load(path, mmap_mode="r")
    except (OSError, ValueError, EOFError):      # missing, cut short, or not an .npy file at all
        return None
    return stored if stored.shape[0] == n and stored.dtype == np.uint8 and stored.ndim == 4 else None


def cached_images(path: Path, dataset: Dataset, batch_size: int, *, num_workers: int = 0, worker_init_fn=None,
                  desc: str = "decoding images once", off_switch: str = "") -> np.ndarray:
    """The dataset's images (item[0] of each item, equal-sized uint8 tensors) as a read-only memmap, built on
    first use with the given loader settings (a damaged file is built again). `off_switch` is the caller's
    setting that does without the cache (e.g. "cache_test_images=false"), named in the errors."""
    hint = f", or set {off_switch}" if off_switch else ""
    n = len(dataset)
    stored = _load(path, n)
    if stored is not None:
        return stored
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for stale in path.parent.glob(f".{path.name}.*.tmp"):     # left by a build that was killed
            stale.unlink(missing_ok=True)
    except OSError as e:
        raise UserError(f"cannot write the image cache in {path.parent}: {e.strerror}; check that the folder is "
                        f"writable{hint}") from None
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    loader = DataLoader(dataset, batch_size=batch_size, num_workers=num_workers, worker_init_fn=worker_init_fn)
    out, at = None, 0
    try:
        for x, *_ in tqdm(loader, desc=desc, unit="batch", leave=False, mininterval=2):
            if x.dtype != torch.uint8:
                raise TypeError(f"cached_images stores uint8 images, the transform gave {x.dtype}")
            if out is None:
                out = _allocate(tmp, (n, *x.shape[1:]), hint)
            out[at:at + len(x)] = x.numpy()
            at += len(x)
        if out is None:
            raise ValueError("cached_images needs at least one image")
        out.flush()
        del out
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~atomic.UMASK)
        os.replace(tmp, path)
    except OSError as e:
        raise UserError(f"building the image cache {path} failed ({e.strerror or e}); free space{hint}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return np.load(path, mmap_mode="r")


def _allocate(tmp: Path, shape: tuple[int, ...], hint: str) -> np.ndarray:
    """A writable .npy memmap with its disk space reserved up front: a memmap that runs out of space while
    being filled kills the process (SIGBUS) instead of raising."""
    need = int(np.prod(shape))
    free = shutil.disk_usage(tmp.parent).free
    if need > free:
        raise UserError(f"the image cache needs {need / 2**30:.1f} GiB in {tmp.parent}, {free / 2**30:.1f} GiB "
                        f"are free; free space{hint}")
    out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8, shape=shape)
    if hasattr(os, "posix_fallocate"):
        with open(tmp, "rb+") as f:
            os.posix_fallocate(f.fileno(), 0, os.fstat(f.fileno()).st_size)
    return out


def batches(images: np.ndarray, batch_size: int) -> Iterator[tuple[torch.Tensor]]:
    """Batches (x,) of the cached images, in order."""
    for s in range(0, len(images), batch_size):
        yield (torch.from_numpy(np.array(images[s:s + batch_size])),)     # a copy: the memmap is read-only
