"""One detection fold: a torchvision detector trained by DetectorModule, then its validation images and every
image to answer predicted, boxes in original pixels, low-score tail kept for mAP."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch

from kaggle_kit.detection.config import DetectionConfig
from kaggle_kit.detection.dataset import DetectionDataset, collate, make_transform
from kaggle_kit.detection.detector_module import DetectorModule, detections_array, to_float
from kaggle_kit.detection.detectors import build_detector, label_offset
from kaggle_kit.detection.predictions import DetectionPredictions
from kaggle_kit.detection.tta import fuse_views, predict_views, tta_views
from kaggle_kit.errors import UserError
from kaggle_kit.task import FoldContext, FoldOutput
from kaggle_kit.training.devices import inference_device
from kaggle_kit.training.fold_net import load_best, save_best, seed_fold, train_in_fold, without_download
from kaggle_kit.training.replay import SampleSeeds
from kaggle_kit.training.samplers import ClassAwareSampler, EpochShuffleSampler, RepeatFactorSampler
from kaggle_kit.vision.image_loader import image_loader
from kaggle_kit.vision.models import check_weights_file, create_named


def create_detector(cfg: DetectionConfig, num_classes: int, class_weights: list[float] | None = None):
    check_weights_file(cfg.pretrained_path)
    return create_named(lambda: build_detector(
        cfg.detector, cfg.backbone, num_classes, cfg.image_size, fpn_channels=cfg.fpn_channels,
        head_convs=cfg.head_convs, anchor_size=cfg.anchor_size, pretrained=cfg.pretrained,
        pretrained_path=cfg.pretrained_path, score_thresh=cfg.score_thresh, detections_per_img=cfg.detections_per_img,
        class_weights=class_weights), "backbone", cfg.backbone)


def identity(cfg: DetectionConfig) -> dict:
    """What best.ckpt must hold to be read back with this config."""
    return {"detector": cfg.detector, "backbone": cfg.backbone}


def image_classes(images, idx) -> list[set[int]]:
    """The category ids each image holds."""
    return [{b[4] for b in images.boxes[i]} for i in idx]


def class_weights(cfg: DetectionConfig, categories: dict[int, str], classes: list[set[int]]) -> list[float] | None:
    """(f_max / f(c)) ** class_weight_power per category (in categories order), f(c) the fraction of the
    training images holding c; None when off."""
    if not cfg.class_weight_power:
        return None
    freq = np.array([max(sum(c in s for s in classes), 1) for c in categories], dtype=float) / len(classes)
    return ((freq.max() / freq) ** cfg.class_weight_power).round(4).tolist()


def train_sampler(cfg: DetectionConfig, classes: list[set[int]], seed: int):
    if cfg.sampler == "repeat_factor":
        return RepeatFactorSampler(classes, cfg.repeat_threshold, seed)
    if cfg.sampler == "class_aware":
        if not any(classes):
            raise UserError("sampler=class_aware needs training images with boxes; this fold has none")
        return ClassAwareSampler(classes, seed)
    return EpochShuffleSampler(len(classes), seed)


def label_map(cfg: DetectionConfig, categories: dict[int, str]) -> dict[int, int]:
    return {c: i + label_offset(cfg.detector) for i, c in enumerate(categories)}


def loader(data, images, idx, cfg: DetectionConfig, *, augment: str, with_boxes: bool, sampler=None):
    idx = list(idx)
    ds = DetectionDataset(data.images_dir, [images.files[i] for i in idx], idx,
                          [images.boxes[i] for i in idx] if with_boxes else None, label_of=label_map(cfg, data.categories),
                          transform=make_transform(cfg.image_size, augment))
    return image_loader(ds, cfg, sampler=sampler, collate_fn=collate,
                        drop_last=sampler is not None and len(idx) > cfg.batch_size)


@torch.no_grad()
def predict_frame(cfg: DetectionConfig, detector: torch.nn.Module, data, images, *, idx) -> pd.DataFrame:
    """Detections of images[idx] as a frame of DetectionPredictions columns, original ids and pixels."""
    device = inference_device(cfg)
    detector = detector.to(device).eval()
    views = tta_views(cfg.tta, cfg.tta_scales)
    parts = []
    for batch, targets, rows in loader(data, images, idx, cfg, augment="none", with_boxes=False):
        inputs = [im.to(device) for im in to_float(batch)]
        outputs = fuse_views(predict_views(detector, inputs, views, cfg.image_size), inputs, cfg.tta_wbf_iou,
                             cfg.score_thresh, max_boxes=cfg.detections_per_img)
        parts.append(detections_array(outputs, rows, [t["scale"] for t in targets], label_offset(cfg.detector),
                                      categories=list(data.categories)))
    dets = np.concatenate(parts) if parts else np.zeros((0, 7))
    ids = np.asarray([str(i) for i in images.ids], dtype=object)
    return pd.DataFrame({"image_id": ids[dets[:, 0].astype(int)], "category_id": dets[:, 6].astype(int),
                         "x": dets[:, 1], "y": dets[:, 2], "w": dets[:, 3], "h": dets[:, 4], "score": dets[:, 5]},
                        columns=DetectionPredictions.columns)


def predict_sets(cfg: DetectionConfig, detector: torch.nn.Module, data, val_idx: np.ndarray):
    """Detections of the fold's validation images and of every image to answer, with the configured TTA."""
    return (predict_frame(cfg, detector, data, data.train, idx=val_idx),
            predict_frame(cfg, detector, data, data.test, idx=range(len(data.test.ids))))


def fit_detector_fold(cfg: DetectionConfig, data, ctx: FoldContext) -> FoldOutput:
    train, train_idx, val_idx = data.train, ctx.train_idx, ctx.val_idx
    seed = seed_fold(cfg, ctx.fold)
    classes = image_classes(train, train_idx)
    weights = class_weights(cfg, data.categories, classes)
    detector = create_detector(cfg, len(data.categories), weights)
    train_loader = loader(data, train, train_idx, cfg, augment=cfg.augment, with_boxes=True,
                          sampler=SampleSeeds(train_sampler(cfg, classes, seed), seed))
    val_loader = loader(data, train, val_idx, cfg, augment="none", with_boxes=True)
    module = DetectorModule(detector, cfg, len(train_loader), label_offset=label_offset(cfg.detector),
                            categories=data.categories, ground_truth=data.gt)
    fit = train_in_fold(module, train_loader, val_loader, cfg, ctx, monitor="val_ap50", mode="max", seed=seed)
    save_best(ctx.dir, detector, identity(cfg), image_size=cfg.image_size, categories=list(data.categories),
              epoch=fit.epoch)
    return FoldOutput(*predict_sets(cfg, detector, data, val_idx),
                      metrics={"epoch": fit.epoch, "seconds": round(fit.seconds, 3), "val_ap50_last": fit.score,
                               "tta": cfg.tta_name(), "sampler": cfg.sampler,
                               "images_per_epoch": len(train_loader.sampler), "class_weights": weights})


def load_fold_detector(cfg: DetectionConfig, data, fold: int, fold_dir: Path) -> torch.nn.Module:
    """The fold's saved detector; an error naming the fold if the checkpoint is missing, damaged or of another
    detector or backbone."""
    return load_best(fold_dir, fold, identity(cfg), describe=lambda held: f"{held['detector']} on {held['backbone']}",
                     build=lambda: create_detector(without_download(cfg), len(data.categories)), what="this detector")


def predict_detector_fold(cfg: DetectionConfig, data, ctx: FoldContext) -> FoldOutput:
    return FoldOutput(*predict_sets(cfg, load_fold_detector(cfg, data, ctx.fold, ctx.dir), data, ctx.val_idx))
