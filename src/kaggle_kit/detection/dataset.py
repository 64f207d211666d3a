"""Detection samples read from disk per item: resized so the longer side is image_size, augmented with
albumentations (boxes follow through bbox_params), returned as uint8 tensors with their boxes."""

from __future__ import annotations

from pathlib import Path

import albumentations as A
import numpy as np
import torch
from torch.utils.data import Dataset

from kaggle_kit.training.replay import seeded_index
from kaggle_kit.vision.images import read_rgb

AUGMENTS = {
    "none": [],
    "light": [A.HorizontalFlip(p=0.5), A.ColorJitter(0.2, 0.2, 0.2, 0.02, p=0.5)],
    "strong": [A.HorizontalFlip(p=0.5), A.Affine(scale=(0.75, 1.25), translate_percent=(-0.1, 0.1), p=0.7),
               A.ColorJitter(0.3, 0.3, 0.3, 0.05, p=0.8)],
}


def make_transform(image_size: int, augment: str) -> A.Compose:
    return A.Compose([A.LongestMaxSize(max_size=image_size), *AUGMENTS[augment]],
                     bbox_params=A.BboxParams(format="pascal_voc", label_fields=["labels"], min_visibility=0.3))


class DetectionDataset(Dataset):
    """Item: (uint8 CHW image, {"boxes", "labels", "scale"}, row); scale maps boxes back to original pixels."""

    def __init__(self, images_dir: Path, files: list[str], rows: list[int], boxes: list[list] | None,
                 *, label_of: dict[int, int], transform: A.Compose):
        self.images_dir, self.files, self.rows, self.boxes = Path(images_dir), files, rows, boxes
        self.label_of, self.transform = label_of, transform

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int | tuple[int, int]):
        i = seeded_index(i, self.transform)      # (index, seed) from a training sampler: replayable augmentation
        image = read_rgb(self.images_dir / self.files[i])
        gt = self.boxes[i] if self.boxes is not None else []
        out = self.transform(image=image, bboxes=np.asarray([b[:4] for b in gt], dtype=np.float32).reshape(-1, 4),
                             labels=[self.label_of[b[4]] for b in gt])
        resized = out["image"]
        boxes = torch.as_tensor(np.asarray(out["bboxes"], dtype=np.float32).reshape(-1, 4))
        target = {"boxes": boxes, "labels": torch.as_tensor(np.asarray(out["labels"], dtype=np.int64)),
                  "scale": max(image.shape[:2]) / max(resized.shape[:2])}
        return torch.from_numpy(np.ascontiguousarray(resized.transpose(2, 0, 1))), target, self.rows[i]


def collate(batch):
    images, targets, rows = zip(*batch, strict=True)
    return list(images), list(targets), list(rows)
