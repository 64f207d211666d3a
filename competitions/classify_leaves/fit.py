"""One classify-leaves fold: a timm model fine-tuned by the core's ClassifierModule, then the fold's own
validation rows and the test set predicted with the configured TTA (probabilities averaged over views)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import timm
import torch
from torch.utils.data import DataLoader

from competitions.classify_leaves.config import LeavesConfig
from competitions.classify_leaves.dataset import ImageDataset
from competitions.classify_leaves.transforms import eval_transform, train_transform
from kaggle_kit import atomic
from kaggle_kit.errors import UserError
from kaggle_kit.lightning_fit import fit_fold
from kaggle_kit.loaders import EpochShuffleSampler
from kaggle_kit.modules.classifier import ClassifierModule
from kaggle_kit.seeding import derive_seed
from kaggle_kit.task import FoldOutput, TrainData
from kaggle_kit.tta import crops, predict_probs


def create_model(cfg: LeavesConfig, num_classes: int) -> torch.nn.Module:
    """timm model by name; weights from timm's hub (`pretrained`) or a local file (`pretrained_path`)."""
    kwargs = {}
    if cfg.pretrained_path:
        if not Path(cfg.pretrained_path).is_file():
            raise UserError(f"pretrained_path {cfg.pretrained_path} does not exist")
        kwargs["pretrained_cfg_overlay"] = {"file": str(cfg.pretrained_path)}
    try:
        return timm.create_model(cfg.model, pretrained=bool(cfg.pretrained or cfg.pretrained_path),
                                 num_classes=num_classes, **kwargs)
    except RuntimeError as e:
        if "Unknown model" in str(e):
            raise UserError(f"model={cfg.model} is not a timm model; see timm.list_models()") from None
        raise


def loader(data: TrainData, names, labels, transform, cfg: LeavesConfig, sampler=None, drop_last=False):
    gpu = cfg.accelerator in ("gpu", "cuda") or (cfg.accelerator == "auto" and torch.cuda.is_available())
    return DataLoader(ImageDataset(data.extra["root"], names, labels, transform), batch_size=cfg.batch_size,
                      sampler=sampler, drop_last=drop_last, num_workers=cfg.num_workers, pin_memory=gpu,
                      persistent_workers=cfg.num_workers > 0)


def fit_leaves_fold(cfg: LeavesConfig, data: TrainData, fold: int, train_idx: np.ndarray, val_idx: np.ndarray,
                    out_dir: Path) -> FoldOutput:
    names, y, labels = data.extra["images"], data.extra["y"], data.extra["labels"]
    seed = derive_seed(cfg.seed, fold)
    torch.manual_seed(seed)
    net = create_model(cfg, len(labels))
    train_names = [names[i] for i in train_idx]
    mixing = bool(cfg.mixup or cfg.cutmix)
    train_loader = loader(data, train_names, y[train_idx], train_transform(cfg), cfg,
                          EpochShuffleSampler(len(train_idx), seed), drop_last=mixing)
    val_names = [names[i] for i in val_idx]
    val_loader = loader(data, val_names, y[val_idx], eval_transform(cfg, False), cfg)
    module = ClassifierModule(net, cfg, len(train_loader), len(labels), cfg.label_smoothing, cfg.mixup,
                              cfg.cutmix, cfg.mix_prob, cfg.head_lr_mult, cfg.freeze_epochs)
    if cfg.channels_last and torch.cuda.is_available() and cfg.accelerator != "cpu":
        net.to(memory_format=torch.channels_last)
    fit = fit_fold(module, train_loader, val_loader, cfg, out_dir, "val_acc", "max", seed, f"fold {fold}")
    atomic.torch_save(out_dir / "best.ckpt", {
        "state_dict": {k: v.cpu() for k, v in net.state_dict().items()}, "model": cfg.model,
        "labels": list(labels), "image_size": cfg.image_size, "epoch": fit.epoch, "val_acc": fit.score})
    device = "cuda" if torch.cuda.is_available() and cfg.accelerator != "cpu" else "cpu"
    room = crops(cfg.tta)
    val_probs = predict_probs(net, loader(data, val_names, None, eval_transform(cfg, room), cfg), cfg.tta,
                              cfg.image_size, device).numpy()
    test_probs = predict_probs(net, loader(data, data.extra["test_images"], None, eval_transform(cfg, room), cfg),
                               cfg.tta, cfg.image_size, device).numpy()
    return FoldOutput(
        val=pd.concat([pd.DataFrame({"image": val_names}), pd.DataFrame(val_probs, columns=labels)], axis=1),
        test=pd.concat([pd.DataFrame({"image": data.extra["test_images"]}),
                        pd.DataFrame(test_probs, columns=labels)], axis=1),
        metrics={"epoch": fit.epoch, "seconds": round(fit.seconds, 3), "val_acc_no_tta": fit.score,
                 "tta": cfg.tta})
