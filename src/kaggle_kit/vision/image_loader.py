"""The DataLoader of every image kind (classification, detection): training.loaders.data_loader with pinned
memory on GPUs and loader workers set up for decoding images beside the training threads."""

from __future__ import annotations

import os
from functools import partial

import cv2
from torch.utils.data import DataLoader, Dataset

from kaggle_kit.training.devices import uses_gpu
from kaggle_kit.training.loaders import data_loader
from kaggle_kit.vision.config import ImageTrainConfig


def init_worker(worker_id: int, nice: int = 0) -> None:
    """Loader workers already run side by side: OpenCV's own thread pool in each would oversubscribe the CPUs.
    A lower priority lets them fill the CPUs' idle moments instead of preempting the training threads."""
    cv2.setNumThreads(1)
    if nice:
        os.nice(nice)


def worker_setup(cfg: ImageTrainConfig, *, nice: bool = True):
    """The loader's worker_init_fn: None without workers; `nice` False for loaders outside training."""
    if cfg.num_workers == 0:
        return None
    return partial(init_worker, nice=cfg.worker_nice) if nice else init_worker


def image_loader(dataset: Dataset, cfg: ImageTrainConfig, *, sampler=None, drop_last: bool = False,
                 collate_fn=None, workers: bool = True) -> DataLoader:
    """`workers` False: in the main process (items read ready-made from a cache cost less than passing them)."""
    return data_loader(dataset, cfg, sampler=sampler, drop_last=drop_last, collate_fn=collate_fn,
                       pin_memory=uses_gpu(cfg), worker_init_fn=worker_setup(cfg) if workers else None,
                       num_workers=None if workers else 0)
