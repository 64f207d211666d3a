"""The one place that decides devices: whether a config runs on a GPU, where inference runs, and whether
torch's deterministic algorithms are on. torch loads only when a question needs it."""

from __future__ import annotations

import ctypes
import os

from kaggle_kit.config import TrainConfig
from kaggle_kit.errors import UserError

NVML_CHECK = "PYTORCH_NVML_BASED_CUDA_CHECK"


def uses_gpu(cfg: TrainConfig) -> bool:
    """accelerator gpu/cuda, or auto with a CUDA GPU visible."""
    import torch

    return cfg.accelerator in ("gpu", "cuda") or (cfg.accelerator == "auto" and torch.cuda.is_available())


def inference_device(cfg: TrainConfig) -> str:
    """Where a fold's predictions run: the GPU when there is one, unless the config says cpu."""
    import torch

    return "cuda" if torch.cuda.is_available() and cfg.accelerator != "cpu" else "cpu"


def deterministic(cfg: TrainConfig) -> bool:
    """The config's `deterministic`, else on for the CPU (exact replays) and off on a GPU (speed)."""
    if cfg.deterministic is not None:
        return cfg.deterministic
    return not uses_gpu(cfg)


def check_accelerator(cfg: TrainConfig) -> None:
    """An error before any work when the config asks for a GPU this machine does not have."""
    if cfg.accelerator in ("gpu", "cuda"):
        import torch

        if not torch.cuda.is_available():
            raise UserError(f"accelerator={cfg.accelerator} but no CUDA GPU is visible here; use "
                            "ARGS=\"accelerator=cpu\" (or auto)")


def drop_futile_nvml_check() -> None:
    """Before a fit (never at import): torch's documented PYTORCH_NVML_BASED_CUDA_CHECK switch, turned off where
    it can only cost. Lightning sets PYTORCH_NVML_BASED_CUDA_CHECK=1 on import, so that torch's CUDA checks ask NVML instead of
    initialising CUDA before a fork. Where NVML cannot be loaded (no NVIDIA driver), torch falls back to the CUDA
    runtime's count anyway, so the setting changes no answer and costs a failed library load at every check: at
    every Adam step (torch's graph-capture health check): 0.14 ms of a 0.74 ms house MLP step. Dropped there only."""
    if os.environ.get(NVML_CHECK) != "1":
        return
    try:
        ctypes.CDLL("libnvidia-ml.so.1")
    except OSError:
        del os.environ[NVML_CHECK]
