"""Evaluation images decoded once: a list of images through a deterministic eval transform becomes one uint8
array (N, C, H, W) in a .npy file, read back memory-mapped. The test set is predicted by every fold (and again
for each TTA setting): without the cache each of those passes decodes and resizes every image again, on the
same CPUs as the forward passes (on a GPU machine, loading is what bounds inference).

The file name carries a hash of the image files (path, size, modification time) and of the transform, so a
change of any of them builds a new file; it is written to a temporary name and renamed, so a crash never leaves half a cache."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset
from tqdm.auto import tqdm


def cache_key(files: list[Path], transform_spec: dict) -> str:
    """Hash of the files (path, size, modification time) and of the transform that made the images."""
    h = hashlib.sha256(json.dumps(transform_spec, sort_keys=True, default=str).encode())
    for f in files:
        st = os.stat(f)
        h.update(f"{f}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def cached_images(path: Path, dataset: Dataset, batch_size: int, num_workers: int = 0, worker_init_fn=None,
                  desc: str = "decoding images once") -> np.ndarray:
    """The dataset's images (item[0] of each item, equal-sized uint8 tensors) as a read-only memmap, built on
    first use with the given loader settings."""
    n = len(dataset)
    if path.is_file():
        stored = np.load(path, mmap_mode="r")
        if stored.shape[0] == n and stored.dtype == np.uint8:
            return stored
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    loader = DataLoader(dataset, batch_size=batch_size, num_workers=num_workers, worker_init_fn=worker_init_fn)
    out, at = None, 0
    try:
        for x, *_ in tqdm(loader, desc=desc, unit="batch", leave=False, mininterval=2):
            if x.dtype != torch.uint8:
                raise TypeError(f"cached_images stores uint8 images, the transform gave {x.dtype}")
            if out is None:
                out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8, shape=(n, *x.shape[1:]))
            out[at:at + len(x)] = x.numpy()
            at += len(x)
        if out is None:
            raise ValueError("cached_images needs at least one image")
        out.flush()
        del out
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return np.load(path, mmap_mode="r")


def batches(images: np.ndarray, rows: np.ndarray | None, batch_size: int) -> Iterator[tuple[torch.Tensor]]:
    """Batches (x,) of the cached images at `rows` (all rows if None), in that order."""
    n = len(images) if rows is None else len(rows)
    for s in range(0, n, batch_size):
        part = images[s:s + batch_size] if rows is None else images[rows[s:s + batch_size]]
        yield (torch.from_numpy(np.array(part)),)     # a copy: the memmap is read-only
