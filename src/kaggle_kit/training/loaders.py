"""The one DataLoader factory of every image learner: batch size and workers from the config, the loader's own
seeded generator (kaggle_kit.training.replay), persistent workers when there are any."""

from __future__ import annotations

from torch.utils.data import DataLoader, Dataset

from kaggle_kit.config import TrainConfig
from kaggle_kit.training.replay import loader_generator


def data_loader(dataset: Dataset, cfg: TrainConfig, *, sampler=None, drop_last: bool = False, collate_fn=None,
                worker_init_fn=None, pin_memory: bool = False, num_workers: int | None = None) -> DataLoader:
    """num_workers: None takes the config's."""
    workers = cfg.num_workers if num_workers is None else num_workers
    return DataLoader(dataset, batch_size=cfg.batch_size, sampler=sampler, drop_last=drop_last,
                      collate_fn=collate_fn, num_workers=workers, pin_memory=pin_memory,
                      persistent_workers=workers > 0, generator=loader_generator(cfg.seed),
                      worker_init_fn=worker_init_fn)
