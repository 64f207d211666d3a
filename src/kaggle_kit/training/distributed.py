"""Which process of a distributed run this is, and what only one of them does.

Under Lightning's DDP every process runs the same command: Lightning starts the other local processes when
the first fold's training starts (or SLURM / torchrun start them all). Each process trains every fold in
step with the others; only global rank zero writes artefacts (kaggle_kit.io.atomic writes nothing elsewhere),
and every process waits for it after each fold, so they read the same state before the next one."""

from __future__ import annotations

import os
import sys


def _group():
    """torch.distributed once a process group can exist: torch imported (a command that never imports torch,
    such as a submit from saved predictions, has none and need not pay for the import)."""
    torch = sys.modules.get("torch")
    dist = getattr(torch, "distributed", None) if torch is not None else None
    return dist if dist is not None and dist.is_available() and dist.is_initialized() else None


def global_rank() -> int:
    """This process's global rank: from the process group once it exists, else from the launcher's
    environment (torchrun RANK, SLURM_PROCID, Lightning's NODE_RANK and LOCAL_RANK); 0 when not distributed."""
    dist = _group()
    if dist is not None:
        return dist.get_rank()
    if "RANK" in os.environ:
        return int(os.environ["RANK"])
    if int(os.environ.get("SLURM_NTASKS", "1")) > 1 and "SLURM_PROCID" in os.environ:
        return int(os.environ["SLURM_PROCID"])
    return int(os.environ.get("NODE_RANK", 0)) + int(os.environ.get("LOCAL_RANK", 0))   # 0 only on rank zero


def world_size() -> int:
    dist = _group()
    return dist.get_world_size() if dist is not None else 1


def planned_world_size(cfg) -> int:
    """The number of training processes the config asks for (devices x num_nodes), known before any start."""
    import torch

    devices = cfg.devices
    if devices == "auto":
        devices = max(1, torch.cuda.device_count()) if cfg.accelerator in ("auto", "gpu", "cuda") else 1
    n = len(devices) if isinstance(devices, list) else int(devices)
    return n * cfg.num_nodes if n > 0 else max(1, torch.cuda.device_count()) * cfg.num_nodes


def is_rank_zero() -> bool:
    return global_rank() == 0


def barrier() -> None:
    """Wait for every process of the run (no-op when not distributed)."""
    dist = _group()
    if dist is not None and dist.get_world_size() > 1:
        dist.barrier()


def distribute_training_loader(loader, rank: int, world_size: int):
    """The training loader of one rank: a DataLoader rebuilt around Lightning's DistributedSamplerWrapper of
    its own (epoch-seeded) sampler, so every rank draws the same epoch list and takes its share; a loader of
    our own (TensorBatches) shards its rows. Validation loaders are left whole: every rank validates every
    row once, so no padded duplicate reaches a metric."""
    if world_size <= 1:
        return loader
    if hasattr(loader, "shard"):
        return loader.shard(rank, world_size)
    from lightning.fabric.utilities.distributed import DistributedSamplerWrapper
    from torch.utils.data import DataLoader, SequentialSampler

    sampler = loader.sampler if not isinstance(loader.sampler, SequentialSampler) else None
    if sampler is None:
        raise ValueError("a distributed training loader needs an epoch-seeded sampler")
    wrapped = DistributedSamplerWrapper(sampler, num_replicas=world_size, rank=rank, shuffle=False)
    return DataLoader(loader.dataset, batch_size=loader.batch_size, sampler=wrapped, num_workers=loader.num_workers,
                      collate_fn=loader.collate_fn, pin_memory=loader.pin_memory, drop_last=loader.drop_last,
                      persistent_workers=loader.persistent_workers, worker_init_fn=loader.worker_init_fn,
                      generator=loader.generator)
