"""The tabular MLP's LightningModule: MSE on the (already transformed) target, or cross-entropy on class
logits; per-epoch metrics, warmup+cosine."""

from __future__ import annotations

import lightning as L
import torch
import torch.nn.functional as F

from kaggle_kit.config import TrainConfig
from kaggle_kit.training.optim import optimizer_with_schedule, param_groups


class RegressionModule(L.LightningModule):
    """Logs train_loss, val_loss (MSE or cross-entropy) and, for MSE, val_rmse once per epoch; accumulates on
    device to avoid syncs.

    Optimizes manually (Lightning's documented manual optimization: `manual_backward`, the LightningOptimizer's
    `step`): tabular steps take about a millisecond, and Lightning's automatic-optimization closure and hooks
    would otherwise cost about as much as the step itself; for the same reason a training batch may be a group
    of mini-batches (kaggle_kit.tabular.batches.BatchGroups), each its own step.

    On one process the epoch's metrics go straight to trainer.callback_metrics (what KeepWeights and any
    monitoring callback read) and to the loggers, as one row an epoch at the step Lightning would give it:
    `self.log` registers a new result metric for every key every epoch, about 1 ms a call, 3 calls an epoch
    (docs/BENCHMARKS.md, house-profile). Across processes they go through `self.log`, which syncs them. The same
    values, rows and steps either way (tests/test_lightning_fit.py)."""

    def __init__(self, net: torch.nn.Module, cfg: TrainConfig, steps_per_epoch: int, loss: str = "mse"):
        super().__init__()
        self.net, self.cfg, self.steps_per_epoch = net, cfg, steps_per_epoch
        self.loss = {"mse": F.mse_loss, "cross_entropy": F.cross_entropy}[loss]
        self.is_mse = loss == "mse"
        self._sums: dict[str, tuple[torch.Tensor, int]] = {}
        self.automatic_optimization = False
        self._direct_log = False
        self._row: dict[str, torch.Tensor] = {}

    def on_fit_start(self) -> None:
        self._direct_log = self.trainer.world_size == 1
        self._row = {}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)

    def _add(self, key: str, value: torch.Tensor, count: int) -> None:
        """Sum value * count on the device (no sync) and count in Python: two tensor ops a step, where a stacked
        (sum, count) pair took six and about 0.2 ms (a quarter of an Ames step)."""
        weighted = value.detach().float() * count
        s = self._sums.get(key)
        self._sums[key] = (weighted, count) if s is None else (s[0] + weighted, s[1] + count)

    def _mean(self, key: str) -> torch.Tensor:
        total, count = self._sums.pop(key)
        return total / float(count)

    def training_step(self, batch, batch_idx):
        """One optimizer step per mini-batch: `batch` is one (x, y), or a list of them (BatchGroups)."""
        opt, sched = self.optimizers(), self.lr_schedulers()
        for x, y in batch if isinstance(batch, list) else [batch]:
            loss = self.loss(self(x), y)
            opt.zero_grad(set_to_none=True)
            self.manual_backward(loss)
            if self.cfg.grad_clip:
                self.clip_gradients(opt, gradient_clip_val=self.cfg.grad_clip, gradient_clip_algorithm="norm")
            opt.step()
            sched.step()
            self._add("train", loss, len(y))

    def _log_epoch(self, metrics: dict[str, torch.Tensor]) -> None:
        if not self._direct_log:
            self.log_dict(metrics, sync_dist=True)
            return
        self.trainer.callback_metrics.update(metrics)
        self._row.update(metrics)

    def _write_row(self) -> None:
        """The epoch's row, as Lightning's logger connector writes it after on_train_epoch_end: scalars, the
        epoch, and the step of the epoch's last training batch (every epoch has the same batches)."""
        row = {k: v.item() for k, v in self._row.items()}
        row["epoch"] = self.trainer.current_epoch
        step = (self.trainer.current_epoch + 1) * self.trainer.num_training_batches - 1
        for logger in self.trainer.loggers:
            logger.log_metrics(row, step=step)
            logger.save()
        self._row = {}

    def on_train_epoch_end(self) -> None:
        if "train" in self._sums:
            self._log_epoch({"train_loss": self._mean("train")})
        if self._direct_log and self._row:
            self._write_row()

    def validation_step(self, batch, batch_idx):
        x, y = batch
        self._add("val", self.loss(self(x), y), len(y))

    def on_validation_epoch_end(self) -> None:
        if "val" in self._sums:
            loss = self._mean("val")
            self._log_epoch({"val_loss": loss, **({"val_rmse": loss.sqrt()} if self.is_mse else {})})

    def configure_optimizers(self):
        groups = param_groups(self.net, self.cfg.lr, self.cfg.weight_decay)
        return optimizer_with_schedule(groups, self.cfg, self.steps_per_epoch)
