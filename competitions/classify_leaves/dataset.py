"""Images read from disk per item (never all held in memory), through an albumentations pipeline."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from competitions.classify_leaves.data import jpeg_cut_short
from kaggle_kit.errors import UserError

COLOR_RGB = getattr(cv2, "IMREAD_COLOR_RGB", None)       # OpenCV >= 4.11 decodes straight to RGB


def read_rgb(path: Path) -> np.ndarray:
    """RGB uint8 (H, W, 3); a UserError naming the file if it is corrupt or truncated."""
    buf = np.fromfile(path, np.uint8)
    image = None
    if buf.size and not jpeg_cut_short(buf[:2].tobytes(), buf[-64:].tobytes()):
        image = cv2.imdecode(buf, COLOR_RGB if COLOR_RGB is not None else cv2.IMREAD_COLOR)
    if image is None:
        raise UserError(f"image {path} is corrupt or truncated; download it again")
    return image if COLOR_RGB is not None else cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


class ImageDataset(Dataset):
    def __init__(self, root: Path, names: list[str], labels: np.ndarray | None, transform):
        self.root, self.names, self.labels, self.transform = Path(root), names, labels, transform

    def __len__(self) -> int:
        return len(self.names)

    def __getitem__(self, i: int):
        x = self.transform(image=read_rgb(self.root / self.names[i]))["image"]
        y = -1 if self.labels is None else int(self.labels[i])
        return x, torch.tensor(y)
