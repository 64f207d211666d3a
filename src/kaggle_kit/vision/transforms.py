"""albumentations pipelines: `augment` presets for training, resize + centre crop (or room for TTA crops)
for evaluation. They end in uint8 tensors: normalisation runs on the batch in the model
(kaggle_kit.vision.normalize), not per image in the workers."""

from __future__ import annotations

import albumentations as A
from albumentations.pytorch import ToTensorV2

from kaggle_kit.vision.config import ImageClassifierConfig

PRESETS = {
    "none": dict(crop_scale_min=None, hflip=0.0, vflip=0.0, rotate=0.0, color_jitter=0.0),
    "light": dict(crop_scale_min=0.7, hflip=0.5, vflip=0.0, rotate=15.0, color_jitter=0.1),
    "strong": dict(crop_scale_min=0.4, hflip=0.5, vflip=0.5, rotate=30.0, color_jitter=0.3),
}


def augment_settings(cfg: ImageClassifierConfig) -> dict:
    settings = dict(PRESETS[cfg.augment])
    settings.update({k: v for k, v in cfg.aug.model_dump().items() if v is not None})
    return settings


def train_transform(cfg: ImageClassifierConfig) -> A.Compose:
    s, a = cfg.image_size, augment_settings(cfg)
    steps = [A.RandomResizedCrop(size=(s, s), scale=(a["crop_scale_min"], 1.0)) if a["crop_scale_min"]
             else A.Resize(s, s)]
    if a["hflip"]:
        steps.append(A.HorizontalFlip(p=a["hflip"]))
    if a["vflip"]:
        steps.append(A.VerticalFlip(p=a["vflip"]))
    if a["rotate"]:
        steps.append(A.Affine(rotate=(-a["rotate"], a["rotate"]), p=0.5))
    if a["color_jitter"]:
        j = a["color_jitter"]
        steps.append(A.ColorJitter(brightness=j, contrast=j, saturation=j, hue=j / 4, p=0.8))
    return A.Compose([*steps, ToTensorV2()])


def eval_transform(cfg: ImageClassifierConfig, keep_room_for_crops: bool) -> A.Compose:
    s = cfg.image_size
    big = max(s, round(s * cfg.eval_scale))
    steps = [A.Resize(big, big)] + ([] if keep_room_for_crops else [A.CenterCrop(s, s)])
    return A.Compose([*steps, ToTensorV2()])
