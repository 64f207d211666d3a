"""Classification TTA with ttach: the softmax sits inside the wrapped model, so views average probabilities."""

from __future__ import annotations

import torch
import ttach
from torch import nn

from kaggle_kit.vision.config import TTA_MODES


def tta_transforms(mode: str, crop: int) -> ttach.Compose | None:
    if mode == "none":
        return None
    if mode == "hflip":
        return ttach.aliases.hflip_transform()
    if mode == "flips":
        return ttach.aliases.flip_transform()
    if mode == "five_crop":
        return ttach.aliases.five_crop_transform(crop, crop)
    if mode == "ten_crop":
        return ttach.aliases.ten_crop_transform(crop, crop)
    raise ValueError(f"unknown tta {mode!r}; one of {TTA_MODES}")


def crops(mode: str) -> bool:
    """Crop modes take the whole resized eval image and cut `crop`-sized views out of it."""
    return mode in ("five_crop", "ten_crop")


def n_views(mode: str, crop: int = 1) -> int:
    t = tta_transforms(mode, crop)
    return 1 if t is None else len(t)


def probability_model(model: nn.Module, mode: str, crop: int, normalize: nn.Module | None = None) -> nn.Module:
    """model(x) -> logits becomes x -> class probabilities averaged over the TTA views (views are cut from the
    raw batch; `normalize`, if given, runs on each view before the model)."""
    soft = nn.Sequential(normalize or nn.Identity(), model, nn.Softmax(dim=1))
    transforms = tta_transforms(mode, crop)
    return soft if transforms is None else ttach.ClassificationTTAWrapper(soft, transforms, merge_mode="mean")


@torch.no_grad()
def predict_probs(model: nn.Module, loader, mode: str, crop: int, *, device: torch.device | str = "cpu",
                  normalize: nn.Module | None = None) -> torch.Tensor:
    wrapped = probability_model(model, mode, crop, normalize).to(device).eval()
    return torch.cat([wrapped(batch[0].to(device)).float().cpu() for batch in loader])
