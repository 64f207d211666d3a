"""One classify-leaves fold: a timm model fine-tuned by the core's ClassifierModule, then the fold's own
validation rows and the test set predicted with the configured TTA (probabilities averaged over views)."""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path

import albumentations as A
import cv2
import numpy as np
import pandas as pd
import timm
import torch
from torch.utils.data import DataLoader

from competitions.classify_leaves.config import LeavesConfig
from competitions.classify_leaves.dataset import ImageDataset
from competitions.classify_leaves.transforms import eval_transform, train_transform
from kaggle_kit.errors import UserError
from kaggle_kit.io import atomic
from kaggle_kit.task import FoldOutput, TrainData
from kaggle_kit.training.checkpoints import read_fold_checkpoint
from kaggle_kit.training.distributed import is_rank_zero
from kaggle_kit.training.replay import SampleSeeds, loader_generator
from kaggle_kit.training.samplers import EpochShuffleSampler
from kaggle_kit.training.seeding import derive_seed
from kaggle_kit.training.trainer import fit_fold
from kaggle_kit.vision import image_cache
from kaggle_kit.vision.classifier_module import ClassifierModule
from kaggle_kit.vision.normalize import ImageNormalize
from kaggle_kit.vision.tta import crops, predict_probs


def create_model(cfg: LeavesConfig, num_classes: int) -> torch.nn.Module:
    """timm model by name; weights from timm's hub (`pretrained`) or a local file (`pretrained_path`); NHWC
    weights with `channels_last`."""
    kwargs = {}
    if cfg.pretrained_path:
        if not Path(cfg.pretrained_path).is_file():
            raise UserError(f"pretrained_path {cfg.pretrained_path} does not exist")
        kwargs["pretrained_cfg_overlay"] = {"file": str(cfg.pretrained_path)}
    try:
        net = timm.create_model(cfg.model, pretrained=bool(cfg.pretrained or cfg.pretrained_path),
                                num_classes=num_classes, **kwargs)
        return net.to(memory_format=torch.channels_last) if cfg.channels_last else net
    except RuntimeError as e:
        if "Unknown model" in str(e):
            raise UserError(f"model={cfg.model} is not a timm model; see timm.list_models()") from None
        raise


def init_worker(worker_id: int, nice: int = 0) -> None:
    """Loader workers already run side by side: OpenCV's own thread pool in each would oversubscribe the CPUs.
    A lower priority lets them fill the CPUs' idle moments instead of preempting the training threads."""
    cv2.setNumThreads(1)
    if nice:
        os.nice(nice)


def loader(data: TrainData, names, labels, transform, cfg: LeavesConfig, sampler=None, drop_last=False):
    gpu = cfg.accelerator in ("gpu", "cuda") or (cfg.accelerator == "auto" and torch.cuda.is_available())
    return DataLoader(ImageDataset(data.extra["root"], names, labels, transform), batch_size=cfg.batch_size,
                      sampler=sampler, drop_last=drop_last, num_workers=cfg.num_workers, pin_memory=gpu,
                      persistent_workers=cfg.num_workers > 0, generator=loader_generator(cfg.seed),
                      worker_init_fn=partial(init_worker, nice=cfg.worker_nice) if cfg.num_workers > 0 else None)


def build_module(cfg: LeavesConfig, net: torch.nn.Module, steps_per_epoch: int, num_classes: int):
    return ClassifierModule(net, cfg, steps_per_epoch, num_classes, cfg.label_smoothing, cfg.mixup, cfg.cutmix,
                            cfg.mix_prob, cfg.head_lr_mult, cfg.freeze_epochs, cfg.ema_decay,
                            ImageNormalize.for_model(net))


def fit_leaves_fold(cfg: LeavesConfig, data: TrainData, fold: int, train_idx: np.ndarray, val_idx: np.ndarray,
                    out_dir: Path) -> FoldOutput:
    names, y, labels = data.extra["images"], data.extra["y"], data.extra["labels"]
    seed = derive_seed(cfg.seed, fold)
    torch.manual_seed(seed)
    net = create_model(cfg, len(labels))
    train_names = [names[i] for i in train_idx]
    mixing = bool(cfg.mixup or cfg.cutmix)
    train_loader = loader(data, train_names, y[train_idx], train_transform(cfg), cfg,
                          SampleSeeds(EpochShuffleSampler(len(train_idx), seed), seed), drop_last=mixing)
    val_names = [names[i] for i in val_idx]
    val_loader = loader(data, val_names, y[val_idx], eval_transform(cfg, False), cfg)
    module = build_module(cfg, net, len(train_loader), len(labels))
    fit = fit_fold(module, train_loader, val_loader, cfg, out_dir, "val_acc", "max", seed, f"fold {fold}")
    net = module.eval_net
    atomic.torch_save(out_dir / "best.ckpt", {
        "state_dict": {k: v.cpu() for k, v in net.state_dict().items()}, "model": cfg.model,
        "labels": list(labels), "image_size": cfg.image_size, "epoch": fit.epoch, "val_acc": fit.score})
    val, test = predict_sets(cfg, data, net, val_idx)
    return FoldOutput(val=val, test=test, metrics={"epoch": fit.epoch, "seconds": round(fit.seconds, 3),
                                                   "val_acc_no_tta": fit.score, "tta": cfg.tta})


def predict_sets(cfg: LeavesConfig, data: TrainData, net: torch.nn.Module, val_idx: np.ndarray):
    """Class probabilities of the fold's validation rows and of the test set, with the same TTA."""
    names, labels = data.extra["images"], data.extra["labels"]
    device = "cuda" if torch.cuda.is_available() and cfg.accelerator != "cpu" else "cpu"
    transform = eval_transform(cfg, crops(cfg.tta))
    val_names, test_names = [names[i] for i in val_idx], data.extra["test_images"]
    frames = []
    for ids, batches in ((val_names, loader(data, val_names, None, transform, cfg)),
                         (test_names, test_batches(cfg, data, transform))):
        probs = predict_probs(net, batches, cfg.tta, cfg.image_size, device, ImageNormalize.for_model(net))
        frames.append(pd.concat([pd.DataFrame({"image": ids}), pd.DataFrame(probs.numpy(), columns=labels)], axis=1))
    return frames[0], frames[1]


def test_batches(cfg: LeavesConfig, data: TrainData, transform):
    """Batches of the test images through the eval transform: from the decoded-once cache
    (runs/leaves/cache/test-<key>.npy) every fold and TTA setting shares, or from the files."""
    names = data.extra["test_images"]
    if not (cfg.cache_test_images and data.cache_dir and is_rank_zero()):   # other DDP ranks: no shared file
        return loader(data, names, None, transform, cfg)
    key = image_cache.cache_key([Path(data.extra["root"]) / n for n in names], A.to_dict(transform))
    images = image_cache.cached_images(
        data.cache_dir / f"test-{key}.npy", ImageDataset(data.extra["root"], names, None, transform), cfg.batch_size,
        cfg.num_workers, init_worker if cfg.num_workers > 0 else None, "decoding the test images once")
    return image_cache.batches(images, cfg.batch_size)


def load_fold_model(cfg: LeavesConfig, data: TrainData, fold: int, fold_dir: Path) -> torch.nn.Module:
    """The fold's saved weights in a fresh model; an error if they belong to another model or label set."""
    labels = data.extra["labels"]
    ckpt = read_fold_checkpoint(fold_dir, fold)
    if ckpt.get("model") != cfg.model:
        raise UserError(f"{fold_dir}/best.ckpt holds a {ckpt.get('model')} model, but the config says "
                        f"model={cfg.model}; retrain fold {fold} with FORCE=1")
    saved = list(ckpt.get("labels", []))
    if saved != labels:
        unknown = sorted(set(labels) - set(saved))
        what = (f"the data has labels outside its saved label order ({', '.join(unknown[:3])})" if unknown
                else f"it was trained on {len(saved)} classes in another order, the data has {len(labels)}")
        raise UserError(f"{fold_dir}/best.ckpt does not fit this data: {what}; retrain fold {fold} with FORCE=1")
    net = create_model(cfg.model_copy(update={"pretrained": False, "pretrained_path": None}), len(labels))
    try:
        net.load_state_dict(ckpt["state_dict"])
    except (RuntimeError, KeyError) as e:
        first = str(e).strip().splitlines()[0][:160]
        raise UserError(f"{fold_dir}/best.ckpt does not fit model={cfg.model} with {len(labels)} classes "
                        f"({first}); retrain fold {fold} with FORCE=1") from None
    return net


def predict_leaves_fold(cfg: LeavesConfig, data: TrainData, fold: int, val_idx: np.ndarray,
                        fold_dir: Path) -> FoldOutput:
    val, test = predict_sets(cfg, data, load_fold_model(cfg, data, fold, fold_dir), val_idx)
    return FoldOutput(val=val, test=test)
