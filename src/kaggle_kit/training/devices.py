"""The one place that decides devices: whether a config runs on a GPU, where inference runs, and whether
torch's deterministic algorithms are on. torch loads only when a question needs it."""

from __future__ import annotations

from kaggle_kit.config import TrainConfig
from kaggle_kit.errors import UserError


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
