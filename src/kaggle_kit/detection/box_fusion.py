"""Weighted boxes fusion (ensemble-boxes) of several detection sets of the same images: folds, TTA views or
experiments. ensemble-boxes wants boxes per image normalised to [0, 1] in x1, y1, x2, y2 order.

Detection arrays elsewhere are (n, 7) [row, x, y, w, h, score, category] (kaggle_kit.detection.predictions)."""

from __future__ import annotations

import numpy as np
from ensemble_boxes import weighted_boxes_fusion


def fuse_image(sets: list[np.ndarray], width: float, height: float, *, weights: list[float] | None = None,
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


def xyxy(dets: np.ndarray) -> np.ndarray:
    """(n, 7) [row, x, y, w, h, score, category] -> (n, 6) [x1, y1, x2, y2, score, category]."""
    return np.column_stack([dets[:, 1], dets[:, 2], dets[:, 1] + dets[:, 3], dets[:, 2] + dets[:, 4], dets[:, 5],
                            dets[:, 6]]) if len(dets) else np.zeros((0, 6))


def by_row(dets: np.ndarray) -> dict[int, np.ndarray]:
    """A set's detections per image row, as (n, 6) xyxy arrays."""
    if not len(dets):
        return {}
    order = np.argsort(dets[:, 0], kind="stable")
    dets = dets[order]
    rows, starts = np.unique(dets[:, 0].astype(int), return_index=True)
    return {int(r): xyxy(part) for r, part in zip(rows, np.split(dets, starts[1:]), strict=True)}


def fuse_sets(sets: list[dict[int, np.ndarray]], sizes: list[tuple[int, int]], *, weights: list[float] | None,
              iou_thr: float, skip_box_thr: float, rows=None, conf_type: str = "avg") -> np.ndarray:
    """Fuse detection sets (from by_row) image by image into one (n, 7) array; `rows` limits the images (default:
    every row any set has); sizes[row] is the image's (width, height)."""
    empty = np.zeros((0, 6))
    fused = []
    for row in sorted(set().union(*sets)) if rows is None else rows:
        w, h = sizes[row]
        out = fuse_image([s.get(row, empty) for s in sets], w, h, weights=weights, iou_thr=iou_thr,
                         skip_box_thr=skip_box_thr, conf_type=conf_type)
        fused.append(np.column_stack([np.full(len(out), row), out[:, 0], out[:, 1], out[:, 2] - out[:, 0],
                                      out[:, 3] - out[:, 1], out[:, 4], out[:, 5]]))
    return np.concatenate(fused) if fused else np.zeros((0, 7))
