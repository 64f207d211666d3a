"""Reading a fold's saved checkpoint back, with one clear line (naming the fold to retrain) when it is missing
or damaged."""

from __future__ import annotations

from pathlib import Path

import torch

from kaggle_kit.errors import UserError


def read_fold_checkpoint(fold_dir: Path, fold: int) -> dict:
    """fold_dir/best.ckpt, loaded with weights_only=True on the CPU."""
    try:
        return torch.load(fold_dir / "best.ckpt", map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise UserError(f"{fold_dir}/best.ckpt is missing; retrain fold {fold} with FORCE=1") from None
    except Exception as e:  # noqa: BLE001 (a damaged file: pickle, zip and EOF errors all mean the same)
        raise UserError(f"{fold_dir}/best.ckpt cannot be read ({type(e).__name__}); retrain fold {fold} "
                        "with FORCE=1") from None
