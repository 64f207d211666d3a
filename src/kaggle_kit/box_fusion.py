"""Weighted boxes fusion (ensemble-boxes) of several detection sets of the same images: folds, TTA views or
experiments. ensemble-boxes wants boxes per image normalised to [0, 1] in x1, y1, x2, y2 order."""

from __future__ import annotations

import numpy as np
from ensemble_boxes import weighted_boxes_fusion


def fuse_image(sets: list[np.ndarray], width: float, height: float, weights: list[float] | None = None,
               iou_thr: float = 0.55, skip_box_thr: float = 0.0, conf_type: str = "avg") -> np.ndarray:
    """Fuse one image's detection sets, each (n, 6) [x1, y1, x2, y2, score, label], into one (m, 6) array in
    pixels. An empty set still counts as a voter (its weight lowers the fused scores)."""
    scale = np.array([width, height, width, height], dtype=float)
    boxes, scores, labels = [], [], []
    for s in sets:
        b = np.clip(s[:, :4] / scale, 0, 1) if len(s) else np.zeros((0, 4))
        keep = ((b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])).astype(np.float32) > 0    # WBF drops zero-area boxes
        boxes.append(b[keep])
        scores.append(s[keep, 4] if len(s) else np.zeros(0))
        labels.append(s[keep, 5] if len(s) else np.zeros(0))
    if not any(len(s) for s in sets):
        return np.zeros((0, 6))
    b, sc, lab = weighted_boxes_fusion(boxes, scores, labels, weights=weights, iou_thr=iou_thr,
                                       skip_box_thr=skip_box_thr, conf_type=conf_type)
    return np.column_stack([b * scale, sc, lab]) if len(b) else np.zeros((0, 6))
