"""Mini-batches of in-memory tensors: the loader for tabular data, with no per-row collate cost."""

from __future__ import annotations

import torch

from kaggle_kit.training.seeding import derive_seed


class TensorBatches:
    """Yields tuples of row slices; shuffled by a generator seeded from (seed, epoch): call set_epoch.
    `in_memory`: a fold validates on it without Lightning's validation loop (callbacks.InMemoryValidation)."""

    in_memory = True

    def __init__(self, *tensors: torch.Tensor, batch_size: int, shuffle: bool = False, seed: int = 0,
                 drop_last: bool = False):
        self.tensors, self.batch_size, self.shuffle, self.seed = tensors, batch_size, shuffle, seed
        self.drop_last, self.epoch, self.n = drop_last, 0, len(tensors[0])
        self.rank, self.world = 0, 1

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def shard(self, rank: int, world: int) -> TensorBatches:
        """Distributed training: this rank's share of every epoch's order, every rank the same number of rows
        (the order wraps around to fill the last share), so all ranks take the same number of steps."""
        self.rank, self.world = rank, world
        return self

    def _rows(self) -> int:
        return -(-self.n // self.world)

    def __len__(self) -> int:
        n = self._rows()
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self):
        if self.shuffle:
            gen = torch.Generator().manual_seed(derive_seed(self.seed, self.epoch))
            order = torch.randperm(self.n, generator=gen)
        else:
            order = None if self.world == 1 else torch.arange(self.n)
        if self.world > 1:
            order = torch.cat([order, order[:self._rows() * self.world - self.n]])[self.rank::self.world]
        n = self._rows()
        for b in range(len(self)):
            lo, hi = b * self.batch_size, min(n, (b + 1) * self.batch_size)
            if order is None:
                yield tuple(t[lo:hi] for t in self.tensors)
            else:
                idx = order[lo:hi]
                yield tuple(t[idx] for t in self.tensors)


class BatchGroups:
    """A training loader's mini-batches handed to Lightning `size` at a time, one list per training_step, which
    runs each of them as its own optimizer step: the same steps in the same order, while Lightning's per-step
    hooks, logging and batch transfer run once per group. A tabular step takes about a millisecond; those hooks
    otherwise cost a few tenths of that on each. set_epoch and shard reach the wrapped loader; `steps` is the
    number of optimizer steps per epoch, which the schedule counts."""

    def __init__(self, loader, size: int):
        self.loader, self.size = loader, max(1, size)

    def set_epoch(self, epoch: int) -> None:
        self.loader.set_epoch(epoch)

    def shard(self, rank: int, world: int) -> BatchGroups:
        self.loader = self.loader.shard(rank, world)
        return self

    @property
    def steps(self) -> int:
        return len(self.loader)

    def __len__(self) -> int:
        return -(-len(self.loader) // self.size)

    def __iter__(self):
        group = []
        for batch in self.loader:
            group.append(batch)
            if len(group) == self.size:
                yield group
                group = []
        if group:
            yield group
