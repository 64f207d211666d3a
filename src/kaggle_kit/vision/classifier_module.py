"""Image-classification LightningModule for fine-tuning: cross-entropy with label smoothing or timm's
Mixup/CutMix, the classifier head at head_lr_mult times the base rate, an optionally frozen backbone for the
first epochs, warmup+cosine per step, an optional EMA of the weights; logs train_loss, val_loss and val_acc once per epoch."""

from __future__ import annotations

import lightning as L
import torch
import torch.nn.functional as F
from timm.data import Mixup
from timm.loss import SoftTargetCrossEntropy
from timm.utils import ModelEmaV3

from kaggle_kit.config import TrainConfig
from kaggle_kit.training.optim import optimizer_with_schedule, param_groups


class ClassifierModule(L.LightningModule):
    def __init__(self, net: torch.nn.Module, cfg: TrainConfig, steps_per_epoch: int, *, num_classes: int,
                 label_smoothing: float = 0.0, mixup: float = 0.0, cutmix: float = 0.0, mix_prob: float = 1.0,
                 head_lr_mult: float = 1.0, freeze_epochs: int = 0, ema_decay: float | None = None,
                 normalize: torch.nn.Module | None = None):
        super().__init__()
        self.net, self.cfg, self.steps_per_epoch = net, cfg, steps_per_epoch
        self.normalize = normalize or torch.nn.Identity()     # uint8 batches -> model input (ImageNormalize)
        # timm's EMA of the weights (warmed up over the first steps); validation and the kept weights use it
        self.ema = ModelEmaV3(net, decay=ema_decay, use_warmup=True) if ema_decay else None
        self.head = net.get_classifier() if hasattr(net, "get_classifier") else None
        self.head_lr_mult, self.freeze_epochs = head_lr_mult, freeze_epochs
        self.mixup = None
        if mixup > 0 or cutmix > 0:   # timm's Mixup pairs each sample with the reversed batch: even batches only
            self.mixup = Mixup(mixup_alpha=mixup, cutmix_alpha=cutmix, prob=mix_prob,
                               label_smoothing=label_smoothing, num_classes=num_classes)
            self.soft_ce = SoftTargetCrossEntropy()
        self.label_smoothing = label_smoothing
        self._sums: dict[str, torch.Tensor] = {}
        self.collect_val_probs = False           # keep the last validation's class probabilities (val_probs)
        self.val_probs: list[torch.Tensor] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(self.normalize(x))

    @property
    def eval_net(self) -> torch.nn.Module:
        """The weights that are validated and kept: the EMA when it is on."""
        return self.net if self.ema is None else self.ema.module

    def _add(self, key: str, *values: torch.Tensor) -> None:
        v = torch.stack([t.detach().float() for t in values])
        self._sums[key] = v if key not in self._sums else self._sums[key] + v

    def on_train_epoch_start(self) -> None:
        if self.head is None or not self.freeze_epochs:
            return
        frozen = self.current_epoch < self.freeze_epochs
        head = {id(p) for p in self.head.parameters()}
        for p in self.net.parameters():
            if id(p) not in head:
                p.requires_grad_(not frozen)

    def training_step(self, batch, batch_idx):
        x, y = batch
        x = self.normalize(x)
        if self.mixup is not None and self.training:
            if len(x) % 2:
                raise ValueError("Mixup/CutMix need even batches: use an even batch_size and drop_last")
            x, soft = self.mixup(x, y)
            loss = self.soft_ce(self.net(x), soft)
        else:
            loss = F.cross_entropy(self.net(x), y, label_smoothing=self.label_smoothing)
        self._add("train", loss * len(y), torch.tensor(float(len(y)), device=loss.device))
        return loss

    def on_train_batch_end(self, outputs, batch, batch_idx) -> None:
        if self.ema is not None:
            self.ema.update(self.net, step=self.global_step)

    def on_train_epoch_end(self) -> None:
        if "train" in self._sums:
            total, n = self._sums.pop("train")
            self.log("train_loss", total / n, sync_dist=True)

    def on_validation_epoch_start(self) -> None:
        self.val_probs = []

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self.eval_net(self.normalize(x))
        if self.collect_val_probs:
            self.val_probs.append(torch.softmax(logits, dim=1).float().cpu())
        loss = F.cross_entropy(logits.float(), y, reduction="sum")
        correct = (logits.argmax(1) == y).sum()
        self._add("val", loss, correct.float(), torch.tensor(float(len(y)), device=loss.device))

    def on_validation_epoch_end(self) -> None:
        if "val" in self._sums:
            loss, correct, n = self._sums.pop("val")
            self.log_dict({"val_loss": loss / n, "val_acc": correct / n}, sync_dist=True)

    def configure_optimizers(self):
        groups = param_groups(self.net, self.cfg.lr, self.cfg.weight_decay, self.head, head_lr_mult=self.head_lr_mult)
        return optimizer_with_schedule(groups, self.cfg, self.steps_per_epoch)
