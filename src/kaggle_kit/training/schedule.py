"""Learning-rate factor per optimizer step: linear warmup, then cosine decay (or constant) to min_ratio."""

import math


def lr_factor(step: int, total_steps: int, warmup_steps: int = 0, min_ratio: float = 0.0,
              *, kind: str = "cosine") -> float:
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    if kind == "constant":
        return 1.0
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    return min_ratio + (1.0 - min_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))


def make_scheduler(optimizer, total_steps: int, warmup_steps: int, min_ratio: float, *, kind: str):
    from torch.optim.lr_scheduler import LambdaLR

    return LambdaLR(optimizer, lambda s: lr_factor(s, total_steps, warmup_steps, min_ratio, kind=kind))
