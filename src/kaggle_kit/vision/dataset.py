"""Images read from disk per item (never all held in memory), through an albumentations pipeline."""

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
