"""Detection LightningModule around a torchvision detector: the detector's summed losses in training;
in validation its detections, scored with COCO AP against the fold's ground truth once per epoch (logs
val_map and val_ap50). Batches are (images: list of uint8 CHW tensors, targets: list of dicts, rows)."""

from __future__ import annotations

import math

import lightning as L
import numpy as np
import torch

from kaggle_kit.config import TrainConfig
from kaggle_kit.detection.coco_eval import evaluate
from kaggle_kit.training.optim import optimizer_with_schedule, param_groups


def to_float(images: list[torch.Tensor]) -> list[torch.Tensor]:
    return [im.float().div_(255) for im in images]


def detections_array(outputs: list[dict], rows, scales, offset: int, *, categories: list[int]) -> np.ndarray:
    """Detector outputs -> (n, 7) [row, x, y, w, h, score, category id] in original-image pixels."""
    parts = []
    for out, row, scale in zip(outputs, rows, scales, strict=True):
        b = out["boxes"].detach().float().cpu().numpy() * float(scale)
        if not len(b):
            continue
        cats = np.asarray(categories)[out["labels"].cpu().numpy() - offset]
        parts.append(np.column_stack([np.full(len(b), row), b[:, 0], b[:, 1], b[:, 2] - b[:, 0],
                                      b[:, 3] - b[:, 1], out["scores"].detach().float().cpu().numpy(), cats]))
    return np.concatenate(parts) if parts else np.zeros((0, 7))


class DetectorModule(L.LightningModule):
    def __init__(self, detector: torch.nn.Module, cfg: TrainConfig, steps_per_epoch: int, *, label_offset: int,
                 categories: dict[int, str], ground_truth=None):
        super().__init__()
        self.detector, self.cfg, self.steps_per_epoch = detector, cfg, steps_per_epoch
        self.offset, self.categories = label_offset, categories
        self.category_ids = list(categories)
        self.ground_truth = ground_truth           # pycocotools COCO of every training image (row indices)
        self._val: list[np.ndarray] = []
        self._val_rows: list[int] = []
        self._loss = [0.0, 0]

    def training_step(self, batch, batch_idx):
        images, targets, _ = batch
        losses = self.detector(to_float(images), targets)
        loss = sum(losses.values())
        if not torch.isfinite(loss):
            raise FloatingPointError(f"the detection loss became {loss.item()} at step {self.global_step}; lower "
                                     "lr or raise grad_clip")
        self._loss[0] += float(loss.detach()) * len(images)
        self._loss[1] += len(images)
        return loss

    def on_train_epoch_end(self) -> None:
        total, n = self._loss
        if n:
            self.log("train_loss", total / n)
        self._loss = [0.0, 0]

    def validation_step(self, batch, batch_idx):
        images, targets, rows = batch
        outputs = self.detector(to_float(images))
        scales = [t["scale"] for t in targets]
        self._val.append(detections_array(outputs, rows, scales, self.offset, categories=self.category_ids))
        self._val_rows += [int(r) for r in rows]

    def on_validation_epoch_end(self) -> None:
        dets = np.concatenate(self._val) if self._val else np.zeros((0, 7))
        result = evaluate(self.ground_truth, np.asarray(self._val_rows), dets, self.categories)
        self._val, self._val_rows = [], []
        ap, ap50 = result["AP"], result["AP50"]
        self.log_dict({"val_map": 0.0 if math.isnan(ap) else ap, "val_ap50": 0.0 if math.isnan(ap50) else ap50})

    def configure_optimizers(self):
        groups = param_groups(self.detector, self.cfg.lr, self.cfg.weight_decay)
        return optimizer_with_schedule(groups, self.cfg, self.steps_per_epoch)
