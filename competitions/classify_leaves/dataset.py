"""Images read from disk per item (never all held in memory), through an albumentations pipeline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from kaggle_kit.errors import UserError


class ImageDataset(Dataset):
    def __init__(self, root: Path, names: list[str], labels: np.ndarray | None, transform):
        self.root, self.names, self.labels, self.transform = Path(root), names, labels, transform

    def __len__(self) -> int:
        return len(self.names)

    def __getitem__(self, i: int):
        path = self.root / self.names[i]
        try:
            with Image.open(path) as im:
                image = np.asarray(im.convert("RGB"))
        except OSError as e:
            raise UserError(f"image {path} is corrupt or truncated ({e}); download it again") from None
        x = self.transform(image=image)["image"]
        y = -1 if self.labels is None else int(self.labels[i])
        return x, torch.tensor(y)
