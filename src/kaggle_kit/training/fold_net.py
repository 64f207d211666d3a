"""The steps every network fold takes, shared by the image kinds (classification, detection): a seed per fold,
training with the fold's resume flag, the kept weights saved as best.ckpt beside what identifies them, and
best.ckpt read back only into a network the config and the data say it fits.

best.ckpt holds `state_dict` (CPU tensors), the identity keys (e.g. {"model": ...} or {"detector": ...,
"backbone": ...}) that are checked on reading, and any extra facts (labels, epoch, score)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import lightning as L
import torch

from kaggle_kit.config import TrainConfig
from kaggle_kit.io import atomic
from kaggle_kit.paths import BEST_CKPT
from kaggle_kit.task import FoldContext
from kaggle_kit.training.checkpoints import check_identity, load_weights, read_fold_checkpoint
from kaggle_kit.training.seeding import derive_seed
from kaggle_kit.training.trainer import FitResult, fit_fold


def seed_fold(cfg: TrainConfig, fold: int) -> int:
    """The fold's seed (derived from cfg.seed), with torch's generator set to it before the network is built."""
    seed = derive_seed(cfg.seed, fold)
    torch.manual_seed(seed)
    return seed


def train_in_fold(module: L.LightningModule, train_loader, val_loader, cfg: TrainConfig, ctx: FoldContext, *,
                  monitor: str, mode: str, seed: int) -> FitResult:
    """fit_fold in the fold's folder, resuming where the k-fold loop allows it."""
    return fit_fold(module, train_loader, val_loader, cfg, fold_dir=ctx.dir, monitor=monitor, mode=mode, seed=seed,
                    resume=ctx.resume, name=f"fold {ctx.fold}")


def save_best(fold_dir: Path, net: torch.nn.Module, identity: dict, **facts) -> Path:
    """fold_dir/best.ckpt, written atomically: the weights, the identity keys, and `facts`."""
    return atomic.torch_save(Path(fold_dir) / BEST_CKPT, {
        "state_dict": {k: v.cpu() for k, v in net.state_dict().items()}, **identity, **facts})


def without_download(cfg: TrainConfig) -> TrainConfig:
    """The config for a network whose weights come from a checkpoint: no hub download, no weights file."""
    return cfg.model_copy(update={"pretrained": False, "pretrained_path": None})


def load_best(fold_dir: Path, fold: int, identity: dict, *, describe: Callable[[dict], str],
              build: Callable[[], torch.nn.Module], what: str,
              check: Callable[[dict], None] | None = None) -> torch.nn.Module:
    """The fold's saved weights in build()'s network. One line naming the fold to retrain when best.ckpt is
    missing or damaged, holds another identity (describe(held): "a resnet18 model"), fails `check` (the
    kind's own test against the data), or does not fit the network (`what`)."""
    ckpt = read_fold_checkpoint(fold_dir, fold)
    check_identity(ckpt, fold_dir, fold, identity, describe=describe)
    if check is not None:
        check(ckpt)
    return load_weights(build(), ckpt, fold_dir, fold, what=what)
