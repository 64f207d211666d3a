"""Blending detection experiments: weighted boxes fusion of their saved detections, image by image, with the
members' weights and the fusion IoU tuned on out-of-fold AP. A rule picks (weights, iou) from OOF rows; the
same fusion then applies to the members' test detections (each already the WBF of its folds).

Fusing does not depend on which rows are scored, so every (weights, iou) tried is fused once over all OOF
images and remembered; nested scoring (each fold's rows fused with the setting picked on the other folds)
costs only evaluations."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from kaggle_kit.detection.box_fusion import by_row, fuse_sets

DEFAULT_IOU = 0.55                       # ensemble-boxes' default, as for folds
IOUS = (0.5, 0.55, 0.6, 0.7)             # fusion IoU thresholds tried by the weighted rule
WEIGHTS = (0.5, 1.0, 2.0)                # a member's weight, the others held, tried in each sweep
SWEEPS = 2                               # (one suffices for two members: only their ratio matters)
CONF_TYPES = ("avg", "max")              # a fused box's score: weighted mean over members (a box only one member
#                                          found loses score) or the best member's score
SKIP = 0.001


class Fused:
    """Members' OOF detections fused under any setting, remembered per setting."""

    def __init__(self, members: list[np.ndarray], sizes: list[tuple[int, int]]):
        self.sets = [by_row(m) for m in members]
        self.sizes = sizes
        self._memo: dict[tuple, np.ndarray] = {}

    def __call__(self, weights: tuple[float, ...], iou: float, conf: str = "avg") -> np.ndarray:
        key = (tuple(np.round(np.asarray(weights) / max(weights), 6)), round(iou, 6), conf)
        if key not in self._memo:
            self._memo[key] = fuse_sets(self.sets, self.sizes, weights=list(key[0]), iou_thr=iou, skip_box_thr=SKIP,
                                        conf_type=conf)
        return self._memo[key]

    def setting(self, setting: dict) -> np.ndarray:
        return self(tuple(setting["weights"]), setting["iou"], setting["conf"])


Score = Callable[[np.ndarray, np.ndarray], float]     # score(rows, dets): OOF AP over those image rows


def rule_mean(fused: Fused, rows: np.ndarray, score: Score, m: int) -> dict:
    return {"weights": [1.0] * m, "iou": DEFAULT_IOU, "conf": "avg"}


def rule_weighted(fused: Fused, rows: np.ndarray, score: Score, m: int) -> dict:
    """Coordinate ascent on OOF AP of `rows`: the IoU with equal weights, then each member's weight in turn
    (up to SWEEPS times), then the IoU again and the score rule under the chosen weights. Ties keep the
    earlier (simpler) setting."""
    def ap(w, iou, conf="avg"):
        return score(rows, fused(tuple(w), iou, conf))

    w = [1.0] * m
    iou = max(IOUS, key=lambda t: (ap(w, t), t == DEFAULT_IOU))
    best = ap(w, iou)
    for _ in range(SWEEPS if m > 2 else 1):
        changed = False
        for j in range(m):
            for v in WEIGHTS:
                trial = [*w[:j], v, *w[j + 1:]]
                s = ap(trial, iou)
                if s > best + 1e-9:
                    best, w, changed = s, trial, True
        if not changed:
            break
    iou = max(IOUS, key=lambda t: (ap(w, t), t == iou))
    conf = max(CONF_TYPES, key=lambda c: (ap(w, iou, c), c == "avg"))
    top = max(w)
    return {"weights": [round(x / top, 4) for x in w], "iou": iou, "conf": conf}


RULES = {"mean": rule_mean, "weighted": rule_weighted}


def nested(rule, fused: Fused, fold: np.ndarray, score: Score, *, m: int) -> np.ndarray:
    """Every fold's images fused with the setting the rule picks on the other folds' images."""
    rows = np.arange(len(fold))
    parts = []
    for k in np.unique(fold):
        dets = fused.setting(rule(fused, rows[fold != k], score, m))
        parts.append(dets[np.isin(dets[:, 0].astype(int), rows[fold == k])])
    return np.concatenate(parts) if parts else np.zeros((0, 7))


def apply(setting: dict, members: list[np.ndarray], sizes: list[tuple[int, int]]) -> np.ndarray:
    """Fuse the members' detections (test images) with a rule's setting."""
    return fuse_sets([by_row(m) for m in members], sizes, weights=setting["weights"], iou_thr=setting["iou"],
                     skip_box_thr=SKIP, conf_type=setting["conf"])
