"""Optimizers with no weight decay on norm and bias parameters (timm's grouping), optional faster head."""

from __future__ import annotations

import math

import torch
from timm.optim import param_groups_weight_decay

from kaggle_kit.training.schedule import make_scheduler


def param_groups(model: torch.nn.Module, lr: float, weight_decay: float,
                 head: torch.nn.Module | None = None, *, head_lr_mult: float = 1.0) -> list[dict]:
    if head is None:
        groups = param_groups_weight_decay(model, weight_decay)
        return [dict(g, lr=lr) for g in groups]
    head_ids = {id(p) for p in head.parameters()}
    body = torch.nn.Module()
    body.params = torch.nn.ParameterList([p for p in model.parameters() if id(p) not in head_ids])
    return ([dict(g, lr=lr) for g in param_groups_weight_decay(body, weight_decay)]
            + [dict(g, lr=lr * head_lr_mult) for g in param_groups_weight_decay(head, weight_decay)])


def build_optimizer(groups: list[dict], name: str, lr: float, momentum: float = 0.9) -> torch.optim.Optimizer:
    if name == "adamw":
        return torch.optim.AdamW(groups, lr=lr)
    if name == "adam":
        return torch.optim.Adam(groups, lr=lr)
    if name == "sgd":
        return torch.optim.SGD(groups, lr=lr, momentum=momentum, nesterov=momentum > 0)
    raise ValueError(f"unknown optimizer {name!r}")


def optimizer_with_schedule(groups: list[dict], cfg, steps_per_epoch: int) -> dict:
    """Lightning's configure_optimizers answer: the configured optimizer, and warmup then cosine (or constant)
    stepped once per batch."""
    opt = build_optimizer(groups, cfg.optimizer, cfg.lr, cfg.momentum)
    warmup = math.ceil(cfg.warmup_epochs * steps_per_epoch)
    sched = make_scheduler(opt, cfg.epochs * steps_per_epoch, warmup, cfg.min_lr_ratio, kind=cfg.schedule)
    return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}
