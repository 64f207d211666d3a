"""Images read per item (never all held in memory) through an albumentations pipeline: from their files, or
from a decoded-once cache of them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from kaggle_kit.training.replay import seeded_index
from kaggle_kit.vision.images import read_rgb


class ImageDataset(Dataset):
    def __init__(self, root: Path, names: list[str], labels: np.ndarray | None, transform):
        self.root, self.names, self.labels, self.transform = Path(root), names, labels, transform

    def __len__(self) -> int:
        return len(self.names)

    def __getitem__(self, i: int | tuple[int, int]):
        i = seeded_index(i, self.transform)      # (index, seed) from a training sampler: replayable augmentation
        x = self.transform(image=read_rgb(self.root / self.names[i]))["image"]
        y = -1 if self.labels is None else int(self.labels[i])
        return x, torch.tensor(y)


class CachedImages(Dataset):
    """Rows of a decoded-once image cache (kaggle_kit.vision.image_cache, an (N, ...) uint8 .npy), through
    `transform` when the cache holds decoded images, as they are when it holds transformed ones. The file is
    opened (memory-mapped) in the process that reads it, so loader workers share the pages instead of a copy."""

    def __init__(self, path: Path, rows: np.ndarray, labels: np.ndarray | None, transform=None):
        self.path, self.rows, self.labels, self.transform = Path(path), np.asarray(rows), labels, transform
        self._images = None

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int | tuple[int, int]):
        if self.transform is not None:
            i = seeded_index(i, self.transform)
        elif isinstance(i, tuple):
            i = int(i[0])
        if self._images is None:
            self._images = np.load(self.path, mmap_mode="r")
        image = np.array(self._images[self.rows[i]])          # a copy: the memmap is read-only
        x = torch.from_numpy(image) if self.transform is None else self.transform(image=image)["image"]
        y = -1 if self.labels is None else int(self.labels[i])
        return x, torch.tensor(y)
