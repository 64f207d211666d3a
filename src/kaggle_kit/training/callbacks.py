"""The Lightning callbacks of one fold's Trainer: the kept weights, the per-epoch reseeding, last.ckpt, and the
progress bars. One class per job; anything a resumed fold needs back is in state_dict."""

from __future__ import annotations

import os
import time
from pathlib import Path

import torch
from lightning.fabric.utilities.apply_func import move_data_to_device
from lightning.pytorch.callbacks import Callback, TQDMProgressBar
from lightning.pytorch.callbacks.progress.tqdm_progress import Tqdm

from kaggle_kit.training.replay import seed_epoch

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


class InMemoryValidation(Callback):
    """Validation over in-memory tensor batches (a loader with `in_memory`) at the end of every `every`-th
    training epoch, in place of Lightning's validation loop, which costs about 4 ms an epoch in set-up and hooks
    where a table's validation forward pass takes a few tenths of one (docs/BENCHMARKS.md, house-profile). It runs
    the module's validation_step on each batch and its on_validation_epoch_end, in eval mode without gradients,
    then the on_validation_end of `then` (the kept weights). Placed before SaveLast, so the epoch's last.ckpt holds
    what it chose."""

    def __init__(self, loader, every: int, then: tuple[Callback, ...]):
        self.loader, self.every, self.then = loader, max(1, every), then

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        if (trainer.current_epoch + 1) % self.every:
            return
        pl_module.eval()
        with torch.no_grad():
            for i, batch in enumerate(self.loader):
                pl_module.validation_step(move_data_to_device(batch, pl_module.device), i)
            pl_module.on_validation_epoch_end()
        pl_module.train()
        for callback in self.then:
            callback.on_validation_end(trainer, pl_module)


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
    """last.ckpt after an epoch's validation: after the first epoch, and after any other that ends at least
    `every_s` seconds after the previous write (0: every epoch), the last one included. A resumed fold replays
    the epochs since (kaggle_kit.training.replay), so it ends the same, and a kill costs at most `every_s` of a
    fit's training; short epochs no longer pay a full training-state write each, nor a fit of a few seconds a
    second one at its end. Written beside at the epoch's end and renamed over last.ckpt only once Lightning has written the
    epoch's row to the CSV log (the next epoch's start, or the end of training). A kill at any moment leaves a
    whole last.ckpt whose epochs are all in the log; a kill between the two steps resumes from the write
    before (the same run, replayed)."""

    def __init__(self, path: Path, every_s: float = 0.0):
        self.path, self.every_s = Path(path), every_s
        self.tmp = self.path.with_name(f".{self.path.name}.tmp")
        self.written = -float("inf")

    def on_fit_start(self, trainer, pl_module) -> None:
        if trainer.is_global_zero:            # a killed run's unpublished (perhaps half-written) epoch
            self.tmp.unlink(missing_ok=True)
        self.written = -float("inf")

    def due(self, trainer) -> bool:
        return self.written == -float("inf") or time.monotonic() - self.written >= self.every_s

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        if not trainer.strategy.broadcast(self.due(trainer), src=0):   # every rank takes rank zero's decision
            return
        trainer.save_checkpoint(self.tmp)     # every rank calls it; Lightning writes on global rank zero only
        self.written = time.monotonic()

    def _publish(self, trainer) -> None:
        if trainer.is_global_zero and self.tmp.is_file():
            os.replace(self.tmp, self.path)

    def on_train_epoch_start(self, trainer, pl_module) -> None:
        self._publish(trainer)

    def on_train_end(self, trainer, pl_module) -> None:
        self._publish(trainer)


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
