"""Image normalisation on the batch instead of per image in the loader workers: workers ship uint8 tensors (a
quarter of the bytes, no per-image float work on the CPUs that also train), and the model's own mean and std
(timm's pretrained config) are applied once per batch, on the GPU when there is one."""

from __future__ import annotations

import torch
from torch import nn


class ImageNormalize(nn.Module):
    """uint8 images (N, C, H, W) in 0..255 -> float (x / 255 - mean) / std, per channel."""

    def __init__(self, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225)):
        super().__init__()
        mean, std = torch.tensor(mean).view(1, -1, 1, 1), torch.tensor(std).view(1, -1, 1, 1)
        self.register_buffer("scale", 1.0 / (255.0 * std), persistent=False)
        self.register_buffer("shift", -mean / std, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dtype != torch.uint8:
            raise TypeError(f"ImageNormalize expects uint8 images, got {x.dtype}")
        return torch.addcmul(self.shift, x.float(), self.scale)

    @classmethod
    def for_model(cls, model: nn.Module) -> ImageNormalize:
        """The mean and std a timm model was (or would be) pretrained with."""
        cfg = getattr(model, "pretrained_cfg", None) or {}
        return cls(cfg.get("mean", (0.485, 0.456, 0.406)), cfg.get("std", (0.229, 0.224, 0.225)))
