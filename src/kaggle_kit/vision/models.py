"""Creating timm models: the one place that turns a model name and its weights setting into a network, and an
unknown name or a missing weights file into one line naming the config key."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from kaggle_kit.errors import UserError

T = TypeVar("T")


def check_weights_file(pretrained_path: str | None) -> None:
    if pretrained_path and not Path(pretrained_path).is_file():
        raise UserError(f"pretrained_path {pretrained_path} does not exist")


def create_named(build: Callable[[], T], key: str, name: str) -> T:
    """build(), with timm's "Unknown model" error said as one line naming the config key that holds `name`."""
    try:
        return build()
    except RuntimeError as e:
        if "Unknown model" in str(e):
            raise UserError(f"{key}={name} is not a timm model; see timm.list_models()") from None
        raise


def weights_kwargs(pretrained: bool, pretrained_path: str | None) -> dict:
    """timm.create_model's weights arguments: timm's hub (`pretrained`, online) or a local file (offline)."""
    check_weights_file(pretrained_path)
    kwargs = {"pretrained": bool(pretrained or pretrained_path)}
    if pretrained_path:
        kwargs["pretrained_cfg_overlay"] = {"file": str(pretrained_path)}
    return kwargs
