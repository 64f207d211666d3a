"""One cowboyoutfits fold: a torchvision detector trained by the core's DetectorModule, then its validation
images and the valid/test images predicted, boxes in original pixels, low-score tail kept for mAP."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader

from competitions.cowboy_outfits.config import CowboyConfig
from competitions.cowboy_outfits.data import CATEGORIES, Images
from competitions.cowboy_outfits.dataset import DetectionDataset, collate, make_transform
from kaggle_kit.detection.detector_module import DetectorModule, detections_array, to_float
from kaggle_kit.detection.detectors import build_detector, label_offset
from kaggle_kit.detection.predictions import DetectionPredictions
from kaggle_kit.detection.tta import fuse_views, predict_views, tta_views
from kaggle_kit.errors import UserError
from kaggle_kit.io import atomic
from kaggle_kit.task import FoldOutput, TrainData
from kaggle_kit.training.checkpoints import read_fold_checkpoint
from kaggle_kit.training.replay import SampleSeeds, loader_generator
from kaggle_kit.training.samplers import ClassAwareSampler, EpochShuffleSampler, RepeatFactorSampler
from kaggle_kit.training.seeding import derive_seed
from kaggle_kit.training.trainer import fit_fold


def create_detector(cfg: CowboyConfig, class_weights: list[float] | None = None) -> torch.nn.Module:
    if cfg.pretrained_path and not Path(cfg.pretrained_path).is_file():
        raise UserError(f"pretrained_path {cfg.pretrained_path} does not exist")
    try:
        return build_detector(cfg.detector, cfg.backbone, len(CATEGORIES), cfg.image_size, cfg.fpn_channels,
                              cfg.head_convs, cfg.anchor_size, cfg.pretrained, cfg.pretrained_path,
                              cfg.score_thresh, cfg.detections_per_img, class_weights)
    except RuntimeError as e:
        if "Unknown model" in str(e):
            raise UserError(f"backbone={cfg.backbone} is not a timm model; see timm.list_models()") from None
        raise


def image_classes(images: Images, idx) -> list[set[int]]:
    """The category ids each image holds."""
    return [{b[4] for b in images.boxes[i]} for i in idx]


def class_weights(cfg: CowboyConfig, classes: list[set[int]]) -> list[float] | None:
    """(f_max / f(c)) ** class_weight_power per category (in CATEGORIES order), f(c) the fraction of the
    training images holding c; None when off."""
    if not cfg.class_weight_power:
        return None
    freq = np.array([max(sum(c in s for s in classes), 1) for c in CATEGORIES], dtype=float) / len(classes)
    return ((freq.max() / freq) ** cfg.class_weight_power).round(4).tolist()


def train_sampler(cfg: CowboyConfig, classes: list[set[int]], seed: int):
    if cfg.sampler == "repeat_factor":
        return RepeatFactorSampler(classes, cfg.repeat_threshold, seed)
    if cfg.sampler == "class_aware":
        if not any(classes):
            raise UserError("sampler=class_aware needs training images with boxes; this fold has none")
        return ClassAwareSampler(classes, seed)
    return EpochShuffleSampler(len(classes), seed)


def label_map(cfg: CowboyConfig) -> dict[int, int]:
    return {c: i + label_offset(cfg.detector) for i, c in enumerate(CATEGORIES)}


def loader(data: TrainData, images: Images, idx, cfg: CowboyConfig, augment: str, with_boxes: bool,
           sampler=None) -> DataLoader:
    idx = list(idx)
    ds = DetectionDataset(data.extra["root"], [images.files[i] for i in idx], idx,
                          [images.boxes[i] for i in idx] if with_boxes else None, label_map(cfg),
                          make_transform(cfg.image_size, augment))
    return DataLoader(ds, batch_size=cfg.batch_size, sampler=sampler, collate_fn=collate,
                      num_workers=cfg.num_workers, persistent_workers=cfg.num_workers > 0,
                      generator=loader_generator(cfg.seed), drop_last=sampler is not None and len(idx) > cfg.batch_size)


@torch.no_grad()
def predict_frame(cfg: CowboyConfig, detector: torch.nn.Module, data: TrainData, images: Images, idx) -> pd.DataFrame:
    """Detections of images[idx] as a frame of DetectionPredictions columns, original ids and pixels."""
    device = "cuda" if torch.cuda.is_available() and cfg.accelerator != "cpu" else "cpu"
    detector = detector.to(device).eval()
    views = tta_views(cfg.tta, cfg.tta_scales)
    parts = []
    for batch, targets, rows in loader(data, images, idx, cfg, "none", False):
        inputs = [im.to(device) for im in to_float(batch)]
        outputs = fuse_views(predict_views(detector, inputs, views, cfg.image_size), inputs, cfg.tta_wbf_iou,
                             cfg.score_thresh, cfg.detections_per_img)
        parts.append(detections_array(outputs, rows, [t["scale"] for t in targets], label_offset(cfg.detector),
                                      list(CATEGORIES)))
    dets = np.concatenate(parts) if parts else np.zeros((0, 7))
    ids = np.asarray([str(i) for i in images.ids], dtype=object)
    return pd.DataFrame({"image_id": ids[dets[:, 0].astype(int)], "category_id": dets[:, 6].astype(int),
                         "x": dets[:, 1], "y": dets[:, 2], "w": dets[:, 3], "h": dets[:, 4], "score": dets[:, 5]},
                        columns=DetectionPredictions.columns)


def predict_sets(cfg: CowboyConfig, detector: torch.nn.Module, data: TrainData, val_idx: np.ndarray):
    """Detections of the fold's validation images and of every valid/test image, with the configured TTA."""
    test: Images = data.extra["test"]
    return (predict_frame(cfg, detector, data, data.extra["train"], val_idx),
            predict_frame(cfg, detector, data, test, range(len(test.ids))))


def fit_cowboy_fold(cfg: CowboyConfig, data: TrainData, fold: int, train_idx: np.ndarray, val_idx: np.ndarray,
                    out_dir: Path) -> FoldOutput:
    train: Images = data.extra["train"]
    seed = derive_seed(cfg.seed, fold)
    torch.manual_seed(seed)
    classes = image_classes(train, train_idx)
    weights = class_weights(cfg, classes)
    detector = create_detector(cfg, weights)
    train_loader = loader(data, train, train_idx, cfg, cfg.augment, True,
                          SampleSeeds(train_sampler(cfg, classes, seed), seed))
    val_loader = loader(data, train, val_idx, cfg, "none", True)
    module = DetectorModule(detector, cfg, len(train_loader), label_offset(cfg.detector), CATEGORIES,
                            data.extra["gt"])
    fit = fit_fold(module, train_loader, val_loader, cfg, out_dir, "val_ap50", "max", seed, f"fold {fold}")
    atomic.torch_save(out_dir / "best.ckpt", {
        "state_dict": {k: v.cpu() for k, v in detector.state_dict().items()}, "detector": cfg.detector,
        "backbone": cfg.backbone, "image_size": cfg.image_size, "categories": list(CATEGORIES),
        "epoch": fit.epoch})
    return FoldOutput(*predict_sets(cfg, detector, data, val_idx),
                      metrics={"epoch": fit.epoch, "seconds": round(fit.seconds, 3), "val_ap50_last": fit.score,
                               "tta": cfg.tta_name(), "sampler": cfg.sampler,
                               "images_per_epoch": len(train_loader.sampler), "class_weights": weights})


def load_fold_detector(cfg: CowboyConfig, fold: int, fold_dir: Path) -> torch.nn.Module:
    """The fold's saved detector; an error naming the fold if the checkpoint is missing, damaged or of another
    detector or backbone."""
    ckpt = read_fold_checkpoint(fold_dir, fold)
    if (ckpt.get("detector"), ckpt.get("backbone")) != (cfg.detector, cfg.backbone):
        raise UserError(f"{fold_dir}/best.ckpt holds {ckpt.get('detector')} on {ckpt.get('backbone')}, the config "
                        f"says {cfg.detector} on {cfg.backbone}; retrain fold {fold} with FORCE=1")
    detector = create_detector(cfg.model_copy(update={"pretrained": False, "pretrained_path": None}))
    try:
        detector.load_state_dict(ckpt["state_dict"])
    except (RuntimeError, KeyError) as e:
        first = str(e).strip().splitlines()[0][:160]
        raise UserError(f"{fold_dir}/best.ckpt does not fit this detector ({first}); retrain fold {fold} with "
                        "FORCE=1") from None
    return detector


def predict_cowboy_fold(cfg: CowboyConfig, data: TrainData, fold: int, val_idx: np.ndarray,
                        fold_dir: Path) -> FoldOutput:
    return FoldOutput(*predict_sets(cfg, load_fold_detector(cfg, fold, fold_dir), data, val_idx))
