"""Fit one fold with a fresh Lightning Trainer and fresh callbacks; return the chosen weights."""

from __future__ import annotations

import logging
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback, TQDMProgressBar
from lightning.pytorch.callbacks.progress.tqdm_progress import Tqdm
from lightning.pytorch.loggers import CSVLogger

from kaggle_kit.config import TrainConfig

for _name in ("lightning.pytorch", "lightning.fabric", "lightning"):
    logging.getLogger(_name).setLevel(logging.WARNING)
warnings.filterwarnings("ignore", message=".*does not have many workers.*")
warnings.filterwarnings("ignore", message=".*number of training batches.*smaller than the logging interval.*")
warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\)` is deprecated.*")
warnings.filterwarnings("ignore", message=r".*module\(s\) in eval mode at the start of training.*")  # an EMA copy


STEP_BAR_MIN_BATCHES = 50   # shorter epochs get one bar per fold counting epochs


class KeepWeights(Callback):
    """Keeps the weights of the best epoch by `monitor` (or the last epoch) in memory: no disk I/O per epoch."""

    def __init__(self, monitor: str, mode: str = "min", which: str = "best"):
        self.monitor, self.mode, self.which = monitor, mode, which
        self.score: float | None = None
        self.epoch = -1
        self.state: dict | None = None

    def _better(self, value: float) -> bool:
        if self.which == "last" or self.score is None:
            return True
        return value < self.score if self.mode == "min" else value > self.score

    def on_validation_end(self, trainer, pl_module) -> None:
        if trainer.sanity_checking or self.which == "last" or self.monitor not in trainer.callback_metrics:
            return
        value = float(trainer.callback_metrics[self.monitor])
        if self._better(value):
            self.score, self.epoch = value, trainer.current_epoch
            self.state = {k: v.detach().clone() for k, v in pl_module.state_dict().items()}

    def on_train_end(self, trainer, pl_module) -> None:
        if self.which == "last":      # the final weights, copied once, whether or not the last epoch validated
            value = trainer.callback_metrics.get(self.monitor)
            self.score = float(value) if value is not None else float("nan")
            self.epoch = trainer.current_epoch - 1 if trainer.current_epoch >= trainer.max_epochs else \
                trainer.current_epoch
            self.state = {k: v.detach().clone() for k, v in pl_module.state_dict().items()}


class SetEpoch(Callback):
    """Lets loaders reseed their shuffling from the epoch number (so a resumed epoch replays exactly)."""

    def __init__(self, loader):
        self.loader = loader

    def on_train_epoch_start(self, trainer, pl_module) -> None:
        if hasattr(self.loader, "set_epoch"):
            self.loader.set_epoch(trainer.current_epoch)


class ProgressBar(TQDMProgressBar):
    """Lightning's bar without the per-epoch validation bar, which floods logs for short epochs."""

    def init_validation_tqdm(self):
        return Tqdm(disable=True)


class EpochBar(Callback):
    """One bar per fold counting epochs, for tasks whose epochs take a moment (tabular data)."""

    def __init__(self, desc: str):
        self.desc, self.bar = desc, None

    def on_train_start(self, trainer, pl_module) -> None:
        self.bar = Tqdm(total=trainer.max_epochs, desc=self.desc, unit="epoch", dynamic_ncols=True,
                        initial=trainer.current_epoch)

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        metrics = {k: f"{float(v):.4f}" for k, v in trainer.callback_metrics.items() if k.endswith("loss")}
        self.bar.set_postfix(metrics, refresh=False)
        self.bar.update(1)

    def on_train_end(self, trainer, pl_module) -> None:
        self.bar.close()


@dataclass
class FitResult:
    score: float
    epoch: int
    seconds: float


def fit_fold(module: L.LightningModule, train_loader, val_loader, cfg: TrainConfig, fold_dir: Path,
             monitor: str, mode: str, seed: int, name: str = "", log_version: str = "",
             extra_callbacks: tuple[Callback, ...] = ()) -> FitResult:
    """Train `module` in place and load the selected (best or last) weights into it."""
    L.seed_everything(seed, workers=True, verbose=False)
    keep = KeepWeights(monitor, mode, cfg.checkpoint)
    callbacks: list[Callback] = [keep, SetEpoch(train_loader), *extra_callbacks]
    step_bar = cfg.progress_bar and len(train_loader) >= STEP_BAR_MIN_BATCHES
    if step_bar:
        callbacks.append(ProgressBar(refresh_rate=20))
    elif cfg.progress_bar:
        callbacks.append(EpochBar(name))
    trainer = L.Trainer(
        max_epochs=cfg.epochs, accelerator=cfg.accelerator, devices=cfg.devices, precision=cfg.precision,
        logger=CSVLogger(fold_dir, name="logs", version=log_version), callbacks=callbacks,
        enable_checkpointing=False, enable_progress_bar=step_bar, enable_model_summary=False,
        num_sanity_val_steps=0, log_every_n_steps=max(1, len(train_loader)), default_root_dir=fold_dir,
        check_val_every_n_epoch=cfg.val_every,
        gradient_clip_val=cfg.grad_clip if module.automatic_optimization else None)  # manual ones clip themselves
    start = time.perf_counter()
    trainer.fit(module, train_loader, val_loader)
    seconds = time.perf_counter() - start
    if keep.state is None:
        raise RuntimeError(f"no validation metric '{monitor}' was logged; the module must log it each epoch")
    module.load_state_dict(keep.state)
    return FitResult(score=keep.score, epoch=keep.epoch, seconds=seconds)


@torch.no_grad()
def predict_batches(net: torch.nn.Module, loader) -> torch.Tensor:
    net.eval()
    device = next(net.parameters()).device
    return torch.cat([net(batch[0].to(device)).float().cpu() for batch in loader])
