"""Detection TTA (ttach has none): predict the image and its transformed views, map every view's boxes back to
the original image, fuse the views with weighted boxes fusion.

Views are (flip, scale) pairs. A flipped view's box [x1, y1, x2, y2] maps back to [W - x2, y1, W - x1, y2]. A
scale view runs the detector at scale * image_size: torchvision's detectors resize every input to their
transform's size and map boxes back to the input's pixels themselves, so scale views only change that size."""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import torch

from kaggle_kit.detection.box_fusion import fuse_image
from kaggle_kit.detection.config import TTA_MODES


def tta_views(mode: str, scales: list[float] = ()) -> list[tuple[bool, float]]:
    """(flip, scale) of every view; the plain image first."""
    if mode == "none":
        return [(False, 1.0)]
    if mode == "hflip":
        return [(False, 1.0), (True, 1.0)]
    if mode == "hflip_scales":
        return [(flip, s) for s in (1.0, *(s for s in scales if s != 1.0)) for flip in (False, True)]
    raise ValueError(f"unknown detection tta {mode!r}; one of {TTA_MODES}")


def unflip(boxes: torch.Tensor, width: float) -> torch.Tensor:
    """xyxy boxes of a horizontally flipped image of this width, in the original image."""
    return torch.stack([width - boxes[:, 2], boxes[:, 1], width - boxes[:, 0], boxes[:, 3]], dim=1)


@contextmanager
def detector_size(detector: torch.nn.Module, size: int):
    """Run a torchvision detector (min_size = max_size) at another input size for a while."""
    t = detector.transform
    saved = t.min_size, t.max_size
    t.min_size, t.max_size = (size,), size
    try:
        yield
    finally:
        t.min_size, t.max_size = saved


@torch.no_grad()
def predict_views(detector: torch.nn.Module, images: list[torch.Tensor], views: list[tuple[bool, float]],
                  image_size: int) -> list[list[dict]]:
    """Outputs of every view (outer list) for every image (inner list), boxes in the input images' pixels."""
    per_view = []
    for flip, scale in views:
        with detector_size(detector, max(32, round(image_size * scale))):
            outs = detector([im.flip(-1) for im in images] if flip else images)
        if flip:
            outs = [{**o, "boxes": unflip(o["boxes"], im.shape[-1])} for o, im in zip(outs, images, strict=True)]
        per_view.append(outs)
    return per_view


def fuse_views(per_view: list[list[dict]], images: list[torch.Tensor], iou_thr: float, skip_box_thr: float,
               *, max_boxes: int) -> list[dict]:
    """One output per image: the views' boxes fused by WBF (the only view's, untouched, without TTA), at most
    max_boxes of the highest scores."""
    if len(per_view) == 1:
        return per_view[0]
    fused = []
    for i, im in enumerate(images):
        sets = [np.column_stack([o[i]["boxes"].float().cpu().numpy(), o[i]["scores"].float().cpu().numpy(),
                                 o[i]["labels"].cpu().numpy()]) if len(o[i]["boxes"]) else np.zeros((0, 6))
                for o in per_view]
        out = fuse_image(sets, im.shape[-1], im.shape[-2], weights=None, iou_thr=iou_thr, skip_box_thr=skip_box_thr)
        out = out[np.argsort(-out[:, 4], kind="stable")[:max_boxes]]
        fused.append({"boxes": torch.from_numpy(out[:, :4]).float(), "scores": torch.from_numpy(out[:, 4]).float(),
                      "labels": torch.from_numpy(out[:, 5]).long()})
    return fused
