"""Reading a fold's saved checkpoint back, with one clear line (naming the fold to retrain) when it is missing
or damaged."""

from __future__ import annotations

from pathlib import Path

import torch

from kaggle_kit.errors import UserError
from kaggle_kit.paths import BEST_CKPT


def read_fold_checkpoint(fold_dir: Path, fold: int) -> dict:
    """fold_dir/best.ckpt, loaded with weights_only=True on the CPU."""
    try:
        return torch.load(fold_dir / BEST_CKPT, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise UserError(f"{fold_dir}/best.ckpt is missing; retrain fold {fold} with FORCE=1") from None
    except Exception as e:  # noqa: BLE001 (a damaged file: pickle, zip and EOF errors all mean the same)
        raise UserError(f"{fold_dir}/best.ckpt cannot be read ({type(e).__name__}); retrain fold {fold} "
                        "with FORCE=1") from None


def check_identity(ckpt: dict, fold_dir: Path, fold: int, expected: dict, *, describe) -> None:
    """The checkpoint holds what the config says (expected: {"model": ...} or {"detector": ..., "backbone": ...});
    else an error naming what it holds (describe(held): "a resnet18 model") and the fold to retrain."""
    held = {k: ckpt.get(k) for k in expected}
    if held != expected:
        wanted = " ".join(f"{k}={v}" for k, v in expected.items())
        raise UserError(f"{fold_dir}/best.ckpt holds {describe(held)}, but the config says {wanted}; retrain "
                        f"fold {fold} with FORCE=1")


def load_weights(net: torch.nn.Module, ckpt: dict, fold_dir: Path, fold: int, *, what: str) -> torch.nn.Module:
    """The checkpoint's state_dict loaded into `net` (described as `what` in the error when it does not fit)."""
    try:
        net.load_state_dict(ckpt["state_dict"])
    except (RuntimeError, KeyError) as e:
        first = str(e).strip().splitlines()[0][:160]
        raise UserError(f"{fold_dir}/best.ckpt does not fit {what} ({first}); retrain fold {fold} with "
                        "FORCE=1") from None
    return net
