"""Exact replay of any epoch, so a fold resumed from its last.ckpt ends as if it had never stopped.

Every random choice of an epoch derives from (seed, fold, epoch): the data order from the sampler (seeded
per epoch, see kaggle_kit.samplers and loaders), each sample's augmentation from a seed the sampler hands out
with its index (`SampleSeeds`, so loader workers need no state of their own), and the model's randomness
(dropout, mixup, cutmix) from the global generators, reseeded at every epoch start (`seed_epoch`)."""

from __future__ import annotations

import random

import numpy as np
import torch

from kaggle_kit.training.seeding import derive_seed


class SampleSeeds(torch.utils.data.Sampler):
    """Wraps an epoch-seeded sampler: yields (index, seed) pairs, the seed a function of (seed, epoch, position).
    set_epoch passes through, so Lightning (and its DistributedSamplerWrapper) drive it like the sampler."""

    def __init__(self, sampler, seed: int):
        self.sampler, self.seed, self.epoch = sampler, seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch
        if hasattr(self.sampler, "set_epoch"):
            self.sampler.set_epoch(epoch)

    def __len__(self) -> int:
        return len(self.sampler)

    def __iter__(self):
        base = derive_seed(self.seed, self.epoch)
        for position, i in enumerate(self.sampler):
            yield int(i), derive_seed(base, position)


def seeded_index(item, transform) -> int:
    """The dataset index of a sampler item; an (index, seed) pair first seeds the albumentations transform:
    one generator shared by all its transforms (set_random_seed would give each child its own generator with
    the same seed, so every p=0.5 transform would fire together)."""
    if isinstance(item, tuple):
        i, seed = item
        transform.set_random_state(np.random.default_rng(seed), random.Random(seed))
        return int(i)
    return int(item)


def loader_generator(seed: int) -> torch.Generator:
    """A DataLoader's own generator: the workers' base seed is drawn from it, not from torch's global
    generator, whose stream (dropout) would otherwise shift by one draw in the epoch a resumed run starts."""
    return torch.Generator().manual_seed(derive_seed(seed, 0x10AD))


def seed_epoch(seed: int, epoch: int) -> None:
    """Python's, NumPy's and torch's global generators, from (seed, epoch)."""
    s = derive_seed(seed, epoch)
    random.seed(s)
    np.random.seed(s)
    seed_torch(s)


def seed_torch(seed: int) -> None:
    """torch.manual_seed(seed), without the work it only queues. Where the machine has no accelerator,
    torch.manual_seed still queues each accelerator's seeding for its first use, formatting the caller's stack
    for each (CUDA, XPU, MTIA): 0.7 ms an epoch inside a Lightning fit, where the CPU generator's seeding takes
    1.4 us (docs/BENCHMARKS.md, house-profile). There only the CPU generator is seeded; with an accelerator,
    every generator is (torch.manual_seed). The same draws either way on the CPU."""
    if accelerator_present():
        torch.manual_seed(seed)
    else:
        torch.default_generator.manual_seed(seed)


def accelerator_present() -> bool:
    """Whether torch sees an accelerator (CUDA, XPU, MPS, MTIA or a custom backend): torch.accelerator's answer."""
    return torch.accelerator.is_available()
