"""Fit one fold with a fresh Lightning Trainer and fresh callbacks; return the chosen weights.

The first epoch, and then one at most every last_ckpt_every_s, ends by writing last.ckpt (weights, optimizer,
scheduler, epoch, the best weights so far) in the fold's folder (callbacks.SaveLast); a fold started again with
that file resumes from it. Every epoch's randomness derives from
(seed, epoch) (kaggle_kit.replay), so the resumed fold ends with the same weights as an uninterrupted one
(with `deterministic` on, the default on the CPU). A validation loader of in-memory tensors (`in_memory`, such as
TensorBatches) is validated by callbacks.InMemoryValidation instead of Lightning's validation loop."""

from __future__ import annotations

import logging
import os
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback
from lightning.pytorch.loggers import CSVLogger

from kaggle_kit.config import TrainConfig
from kaggle_kit.errors import UserError
from kaggle_kit.training import devices
from kaggle_kit.training.callbacks import (
    STEP_BAR_MIN_BATCHES,
    EpochBar,
    InMemoryValidation,
    KeepWeights,
    ProgressBar,
    SaveLast,
    SetEpoch,
)
from kaggle_kit.training.distributed import distribute_training_loader, is_rank_zero

for _name in ("lightning.pytorch", "lightning.fabric", "lightning"):
    logging.getLogger(_name).setLevel(logging.WARNING)
warnings.filterwarnings("ignore", message=".*does not have many workers.*")
warnings.filterwarnings("ignore", message=".*number of training batches.*smaller than the logging interval.*")
warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\)` is deprecated.*")
warnings.filterwarnings("ignore", message=r".*module\(s\) in eval mode at the start of training.*")  # an EMA copy
warnings.filterwarnings("ignore", message=r".*Experiment logs directory .* exists and is not empty.*")  # resumed
warnings.filterwarnings("ignore", message=r".*`validation_step` but have no `val_dataloader`.*")  # InMemoryValidation



@dataclass
class FitResult:
    score: float
    epoch: int
    seconds: float


def resumable(path: Path, allowed: bool) -> bool:
    """True if the k-fold loop allows resuming this fold (FoldContext.resume) and last.ckpt is there and
    readable; a damaged one is an error naming the fix."""
    if not (allowed and path.is_file()):
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


def fit_fold(module: L.LightningModule, train_loader, val_loader, cfg: TrainConfig, *, fold_dir: Path,
             monitor: str, mode: str, seed: int, resume: bool = False, name: str = "", log_version: str = "",
             extra_callbacks: tuple[Callback, ...] = ()) -> FitResult:
    """Train `module` in place and load the selected (best or last) weights into it; with `resume`, continue
    from the fold's last checkpoint (last.ckpt, or last-<log_version>.ckpt) where an earlier run left one."""
    devices.drop_futile_nvml_check()
    L.seed_everything(seed, workers=True, verbose=False)
    last = Path(fold_dir) / (f"last-{log_version}.ckpt" if log_version else "last.ckpt")
    resume = resumable(last, resume)
    if resume and is_rank_zero():
        keep_earlier_logs(Path(fold_dir) / "logs" / log_version)
    keep = KeepWeights(monitor, mode, cfg.checkpoint)
    in_memory = getattr(val_loader, "in_memory", False)       # tensors: validated without Lightning's loop
    callbacks: list[Callback] = [*([InMemoryValidation(val_loader, cfg.val_every, (keep,))] if in_memory else []),
                                 keep, SetEpoch(train_loader, seed), SaveLast(last, cfg.last_ckpt_every_s),
                                 *extra_callbacks]
    step_bar = cfg.progress_bar and len(train_loader) >= STEP_BAR_MIN_BATCHES
    if step_bar:
        callbacks.append(ProgressBar(refresh_rate=20))
    elif cfg.progress_bar:
        callbacks.append(EpochBar(name))
    trainer = L.Trainer(
        max_epochs=cfg.epochs, accelerator=cfg.accelerator, devices=cfg.devices, precision=cfg.precision,
        logger=CSVLogger(fold_dir, name="logs", version=log_version, flush_logs_every_n_steps=1),
        callbacks=callbacks, deterministic=devices.deterministic(cfg), num_nodes=cfg.num_nodes, strategy=cfg.strategy,
        use_distributed_sampler=False,        # training samplers are distributed below; validation stays whole
        enable_checkpointing=False, enable_progress_bar=step_bar, enable_model_summary=False,
        num_sanity_val_steps=0, log_every_n_steps=max(1, len(train_loader)), default_root_dir=fold_dir,
        check_val_every_n_epoch=cfg.val_every,
        gradient_clip_val=cfg.grad_clip if module.automatic_optimization else None)  # manual ones clip themselves
    if trainer.world_size > 1:
        train_loader = distribute_training_loader(train_loader, trainer.global_rank, trainer.world_size)
        module.steps_per_epoch = getattr(train_loader, "steps", len(train_loader))  # the schedule counts this
        #                                                                               rank's optimizer steps
    start = time.perf_counter()
    trainer.fit(module, train_loader, None if in_memory else val_loader, ckpt_path=last if resume else None)
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
