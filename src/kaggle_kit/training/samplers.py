"""Training samplers against class imbalance, for images that hold several classes (detection).

Both draw a fixed number of indices per epoch from a generator seeded by (seed, epoch), like
`EpochShuffleSampler`: every process that calls `set_epoch(e)` gets the same list, which is what Lightning's
DistributedSamplerWrapper needs to give each rank its own share under DDP.

- Repeat-factor sampling (LVIS, Gupta et al. 2019): class c in a fraction f(c) of the training images gets
  r(c) = max(1, sqrt(t / f(c))); an image repeats r(i) = max over its classes of r(c) times per epoch (an
  image without boxes: once), the fractional part by a coin flip each epoch.
- Class-aware sampling (Shen et al. 2016): each draw picks a class uniformly, then an image holding it."""

from __future__ import annotations

import numpy as np
import torch

from kaggle_kit.training.seeding import derive_seed


def repeat_factors(image_classes: list[set], threshold: float) -> np.ndarray:
    """r(i) = max(1, max over c in image i of sqrt(threshold / f(c))); 1 for an image without classes."""
    n = len(image_classes)
    counts: dict = {}
    for classes in image_classes:
        for c in classes:
            counts[c] = counts.get(c, 0) + 1
    class_factor = {c: max(1.0, float(np.sqrt(threshold / (k / n)))) for c, k in counts.items()}
    return np.array([max((class_factor[c] for c in classes), default=1.0) for classes in image_classes])


class EpochShuffleSampler(torch.utils.data.Sampler):
    """A fresh permutation per epoch from (seed, epoch); Lightning calls set_epoch before each epoch."""

    def __init__(self, n: int, seed: int):
        self.n, self.seed, self.epoch = n, seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.n

    def __iter__(self):
        gen = torch.Generator().manual_seed(derive_seed(self.seed, self.epoch))
        return iter(torch.randperm(self.n, generator=gen).tolist())


class _EpochSampler(torch.utils.data.Sampler):
    def __init__(self, seed: int):
        self.seed, self.epoch = seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def _rng(self) -> np.random.Generator:
        return np.random.default_rng(derive_seed(self.seed, self.epoch))


class RepeatFactorSampler(_EpochSampler):
    """Each image floor(r) times plus once more with probability r - floor(r), shuffled; the epoch holds
    round(sum r) indices (trimmed, or topped up by draws in proportion to r), so its length is fixed."""

    def __init__(self, image_classes: list[set], threshold: float, seed: int):
        super().__init__(seed)
        self.factors = repeat_factors(image_classes, threshold)
        self.length = int(round(self.factors.sum()))

    def __len__(self) -> int:
        return self.length

    def __iter__(self):
        rng = self._rng()
        whole = np.floor(self.factors)
        counts = (whole + (rng.random(len(self.factors)) < self.factors - whole)).astype(int)
        idx = rng.permutation(np.repeat(np.arange(len(self.factors)), counts))[:self.length]
        if len(idx) < self.length:
            extra = rng.choice(len(self.factors), self.length - len(idx), p=self.factors / self.factors.sum())
            idx = rng.permutation(np.concatenate([idx, extra]))
        return iter(idx.tolist())


class ClassAwareSampler(_EpochSampler):
    """`length` draws per epoch (default: the number of images): a class uniformly among those present, then
    uniformly an image holding it. Images without any class are never drawn."""

    def __init__(self, image_classes: list[set], seed: int, length: int | None = None):
        super().__init__(seed)
        holders: dict = {}
        for i, classes in enumerate(image_classes):
            for c in classes:
                holders.setdefault(c, []).append(i)
        if not holders:
            raise ValueError("class-aware sampling needs at least one image with a class")
        self.holders = [np.array(holders[c]) for c in sorted(holders, key=str)]
        self.length = len(image_classes) if length is None else length

    def __len__(self) -> int:
        return self.length

    def __iter__(self):
        rng = self._rng()
        classes = rng.integers(0, len(self.holders), self.length)
        return iter([int(self.holders[c][rng.integers(len(self.holders[c]))]) for c in classes])
