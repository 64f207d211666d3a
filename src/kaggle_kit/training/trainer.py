"""Fit one fold with a fresh Lightning Trainer and fresh callbacks; return the chosen weights.

Each epoch ends by writing last.ckpt (weights, optimizer, scheduler, epoch, the best weights so far) in the
fold's folder; a fold started again with that file resumes from it. Every epoch's randomness derives from
(seed, epoch) (kaggle_kit.replay), so the resumed fold ends with the same weights as an uninterrupted one
(with `deterministic` on, the default on the CPU)."""

from __future__ import annotations

import logging
import os
import time
import warnings
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback, TQDMProgressBar
from lightning.pytorch.callbacks.progress.tqdm_progress import Tqdm
from lightning.pytorch.loggers import CSVLogger

from kaggle_kit.config import TrainConfig
from kaggle_kit.errors import UserError
from kaggle_kit.training.distributed import distribute_training_loader, is_rank_zero
from kaggle_kit.training.replay import seed_epoch

for _name in ("lightning.pytorch", "lightning.fabric", "lightning"):
    logging.getLogger(_name).setLevel(logging.WARNING)
warnings.filterwarnings("ignore", message=".*does not have many workers.*")
warnings.filterwarnings("ignore", message=".*number of training batches.*smaller than the logging interval.*")
warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\)` is deprecated.*")
warnings.filterwarnings("ignore", message=r".*module\(s\) in eval mode at the start of training.*")  # an EMA copy
warnings.filterwarnings("ignore", message=r".*Experiment logs directory .* exists and is not empty.*")  # resumed


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

    def state_dict(self) -> dict:           # saved in last.ckpt: a resumed fold keeps its best-so-far
        return {"score": self.score, "epoch": self.epoch, "state": self.state}

    def load_state_dict(self, state: dict) -> None:
        self.score, self.epoch, self.state = state["score"], state["epoch"], state["state"]


class SetEpoch(Callback):
    """At every epoch start: the loader's shuffling (loaders that are not DataLoaders; Lightning sets a
    DataLoader's sampler itself) and the global generators reseeded from (seed, epoch)."""

    def __init__(self, loader, seed: int):
        self.loader, self.seed = loader, seed

    def on_train_epoch_start(self, trainer, pl_module) -> None:
        if hasattr(self.loader, "set_epoch"):
            self.loader.set_epoch(trainer.current_epoch)
        seed_epoch(self.seed, trainer.current_epoch)


class SaveLast(Callback):
    """last.ckpt at the end of every epoch, after its validation: written beside and renamed over, so a kill
    at any moment leaves the previous epoch's file whole."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        trainer.save_checkpoint(tmp)          # every rank calls it; Lightning writes on global rank zero only
        if trainer.is_global_zero:
            os.replace(tmp, self.path)


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


_MAY_RESUME: ContextVar[bool] = ContextVar("may_resume", default=True)


@contextmanager
def may_resume(allowed: bool):
    """Whether fit_fold may resume from a last checkpoint in its folder: the k-fold loop decides it once per
    fold (kfold.prepare_stage), so every DDP process decides alike whatever another has done to the folder."""
    token = _MAY_RESUME.set(allowed)
    try:
        yield
    finally:
        _MAY_RESUME.reset(token)


def resumable(path: Path) -> bool:
    """True if last.ckpt is there and readable; a damaged one is an error naming the fix."""
    if not (_MAY_RESUME.get() and path.is_file()):
        return False
    try:
        torch.load(path, map_location="cpu", weights_only=False, mmap=True)
    except Exception as e:                  # torch raises several types for a cut or foreign file
        raise UserError(f"{path} (the interrupted fold's last epoch) cannot be read ({type(e).__name__}); rerun "
                        "with FORCE=1 to train the fold from the start") from None
    return True


def keep_earlier_logs(log_dir: Path) -> None:
    """Lightning's CSVLogger deletes the metrics.csv it finds; a resumed fold keeps it as metrics-<n>.csv."""
    if (log_dir / "metrics.csv").is_file():
        n = len(list(log_dir.glob("metrics-*.csv")))
        os.replace(log_dir / "metrics.csv", log_dir / f"metrics-{n}.csv")


def deterministic(cfg: TrainConfig) -> bool:
    if cfg.deterministic is not None:
        return cfg.deterministic
    return not (cfg.accelerator in ("gpu", "cuda") or (cfg.accelerator == "auto" and torch.cuda.is_available()))


def fit_fold(module: L.LightningModule, train_loader, val_loader, cfg: TrainConfig, fold_dir: Path,
             monitor: str, mode: str, seed: int, name: str = "", log_version: str = "",
             extra_callbacks: tuple[Callback, ...] = ()) -> FitResult:
    """Train `module` in place and load the selected (best or last) weights into it; resume from the fold's
    last checkpoint (last.ckpt, or last-<log_version>.ckpt) where an earlier run left one."""
    L.seed_everything(seed, workers=True, verbose=False)
    last = Path(fold_dir) / (f"last-{log_version}.ckpt" if log_version else "last.ckpt")
    resume = resumable(last)
    if resume and is_rank_zero():
        keep_earlier_logs(Path(fold_dir) / "logs" / log_version)
    keep = KeepWeights(monitor, mode, cfg.checkpoint)
    callbacks: list[Callback] = [keep, SetEpoch(train_loader, seed), SaveLast(last), *extra_callbacks]
    step_bar = cfg.progress_bar and len(train_loader) >= STEP_BAR_MIN_BATCHES
    if step_bar:
        callbacks.append(ProgressBar(refresh_rate=20))
    elif cfg.progress_bar:
        callbacks.append(EpochBar(name))
    trainer = L.Trainer(
        max_epochs=cfg.epochs, accelerator=cfg.accelerator, devices=cfg.devices, precision=cfg.precision,
        logger=CSVLogger(fold_dir, name="logs", version=log_version, flush_logs_every_n_steps=1),
        callbacks=callbacks, deterministic=deterministic(cfg), num_nodes=cfg.num_nodes, strategy=cfg.strategy,
        use_distributed_sampler=False,        # training samplers are distributed below; validation stays whole
        enable_checkpointing=False, enable_progress_bar=step_bar, enable_model_summary=False,
        num_sanity_val_steps=0, log_every_n_steps=max(1, len(train_loader)), default_root_dir=fold_dir,
        check_val_every_n_epoch=cfg.val_every,
        gradient_clip_val=cfg.grad_clip if module.automatic_optimization else None)  # manual ones clip themselves
    if trainer.world_size > 1:
        train_loader = distribute_training_loader(train_loader, trainer.global_rank, trainer.world_size)
        module.steps_per_epoch = len(train_loader)     # the schedule counts this rank's steps
    start = time.perf_counter()
    trainer.fit(module, train_loader, val_loader, ckpt_path=last if resume else None)
    seconds = time.perf_counter() - start
    if keep.state is None and cfg.checkpoint == "last" and resume:
        # resumed from the final epoch's last.ckpt: Lightning returns at once, without on_train_end
        keep.on_train_end(trainer, module)
    if keep.state is None:
        raise RuntimeError(f"no validation metric '{monitor}' was logged; the module must log it each epoch")
    module.load_state_dict(keep.state)
    return FitResult(score=keep.score, epoch=keep.epoch, seconds=seconds)


@torch.no_grad()
def predict_batches(net: torch.nn.Module, loader) -> torch.Tensor:
    net.eval()
    device = next(net.parameters()).device
    return torch.cat([net(batch[0].to(device)).float().cpu() for batch in loader])
