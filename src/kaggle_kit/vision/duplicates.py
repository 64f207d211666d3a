"""Exact and near-duplicate images, found by a 64-bit perceptual hash (imagehash's pHash), grouped so that
k-fold keeps every copy of an image in the same fold (copies split across folds flatter the CV)."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from tqdm.auto import tqdm

from kaggle_kit.io import atomic


def phash(path: str) -> int:
    import imagehash
    from PIL import Image

    with Image.open(path) as im:
        im.draft("L", (64, 64))            # JPEG: decode at a reduced scale, enough for a 32x32 DCT
        bits = imagehash.phash(im).hash.ravel()
    return int(np.packbits(bits).view(">u8")[0])


def perceptual_hashes(paths: list[Path], workers: int = 0, desc: str = "hashing images") -> np.ndarray:
    """pHash of every image as uint64, in order."""
    names = [str(p) for p in paths]
    bar = dict(total=len(names), desc=desc, unit="img", leave=False, mininterval=1.0)
    if workers > 1 and len(names) > 256:
        with ProcessPoolExecutor(workers) as pool:
            values = list(tqdm(pool.map(phash, names, chunksize=64), **bar))
    else:
        values = [phash(n) for n in tqdm(names, **bar)]
    return np.asarray(values, dtype=np.uint64)


def cached_hashes(cache: Path, root: Path, names: list[str], workers: int = 0) -> np.ndarray:
    """Hashes of root/<name> for every name, computed once and kept in `cache` (a CSV name,hash)."""
    if cache.is_file():
        stored = pd.read_csv(cache, dtype={"image": str, "phash": str})
        if stored["image"].tolist() == list(names):
            return np.array([int(h, 16) for h in stored["phash"]], dtype=np.uint64)
    hashes = perceptual_hashes([root / n for n in names], workers)
    atomic.write_csv(cache, pd.DataFrame({"image": names, "phash": [f"{int(h):016x}" for h in hashes]}))
    return hashes


def hamming(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Bit distance between every hash of a (rows) and of b (columns)."""
    return np.bitwise_count(a[:, None] ^ b[None, :])


def duplicate_groups(hashes: np.ndarray, max_distance: int = 0, chunk: int = 2048) -> np.ndarray:
    """Group number of every image: images within max_distance bits of each other (transitively) share one."""
    hashes = np.asarray(hashes, dtype=np.uint64)
    n = len(hashes)
    rows, cols = [], []
    for start in range(0, n, chunk):
        block = hamming(hashes[start:start + chunk], hashes)
        i, j = np.nonzero(block <= max_distance)
        keep = i + start < j                       # each pair once, no self-pairs
        rows.append(i[keep] + start)
        cols.append(j[keep])
    r, c = np.concatenate(rows), np.concatenate(cols)
    graph = coo_matrix((np.ones(len(r), dtype=np.int8), (r, c)), shape=(n, n))
    return connected_components(graph, directed=False)[1]
