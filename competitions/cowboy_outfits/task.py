"""cowboyoutfits adapter: 5-class detection, COCO mAP, answer.json in a zip for valid.csv or test.csv."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

from competitions.cowboy_outfits.config import CowboyConfig
from competitions.cowboy_outfits.data import CATEGORIES, SLUG, read_download
from competitions.cowboy_outfits.sample import build_sample
from kaggle_kit.detection.box_fusion import by_row, fuse_sets
from kaggle_kit.detection.coco_eval import coco_ground_truth, evaluate
from kaggle_kit.detection.predictions import DetectionPredictions, to_coco_results
from kaggle_kit.errors import UserError
from kaggle_kit.io import atomic
from kaggle_kit.task import FoldOutput, Task, TrainData


class CowboyTask(Task):
    name = "cowboy"
    slug = SLUG
    config_class = CowboyConfig
    id_column = "image_id"
    metric = "AP"
    higher_is_better = True
    fold_kind = "multilabel"
    submission_ext = "zip"
    blend_kind = "detection"
    preds = DetectionPredictions()
    splits: ClassVar[tuple[str, ...]] = ("valid", "test")
    split = "valid"                      # which csv the submission answers (SPLIT=test for test.csv)
    prediction_key = "tta"               # one prediction set per TTA setting (fold<k>/tta-<name>/)

    def default_config(self, using_sample: bool) -> str:
        return "cowboy-cpu" if using_sample else "cowboy"

    def build_sample(self, dest: Path) -> None:
        build_sample(dest)

    def load(self, data_dir: Path) -> TrainData:
        train, splits, test, fingerprint = read_download(data_dir)
        present = np.zeros((len(train.ids), len(CATEGORIES)), dtype=int)
        column = {c: k for k, c in enumerate(CATEGORIES)}
        for i, boxes in enumerate(train.boxes):
            for b in boxes:
                present[i, column[b[4]]] = 1
        return TrainData(ids=[str(i) for i in train.ids], test_ids=[str(i) for i in test.ids],
                         fingerprint=fingerprint, stratify=present,
                         extra={"root": data_dir, "train": train, "test": test,
                                "split_ids": {s: {str(i) for i in splits[s].ids} for s in self.splits},
                                "gt": coco_ground_truth(train.sizes, train.boxes, CATEGORIES)})

    def fit_fold(self, cfg: CowboyConfig, data: TrainData, fold: int, train_idx: np.ndarray,
                 val_idx: np.ndarray, out_dir: Path) -> FoldOutput:
        from competitions.cowboy_outfits.fit import fit_cowboy_fold  # torch, torchvision load only now

        return fit_cowboy_fold(cfg, data, fold, train_idx, val_idx, out_dir)

    def prediction_value(self, cfg: CowboyConfig) -> str:
        return cfg.tta_name()

    def predict_fold(self, cfg: CowboyConfig, data: TrainData, fold: int, val_idx: np.ndarray,
                     fold_dir: Path) -> FoldOutput:
        from competitions.cowboy_outfits.fit import predict_cowboy_fold

        return predict_cowboy_fold(cfg, data, fold, val_idx, fold_dir)

    def target(self, data: TrainData) -> np.ndarray:
        return data.stratify

    def score(self, data: TrainData, rows: np.ndarray, pred: np.ndarray) -> float:
        return self._evaluate(data, rows, pred)["AP"]

    def extra_scores(self, data: TrainData, rows: np.ndarray, pred: np.ndarray) -> dict:
        result = self._evaluate(data, rows, pred)
        return {key: result[key] for key in ("AP50", "per_class", "per_class_AP50")}

    def _evaluate(self, data: TrainData, rows: np.ndarray, pred: np.ndarray) -> dict:
        """COCOeval, remembered for the last input: score and extra_scores ask about the same predictions."""
        key = (hashlib.sha1(np.ascontiguousarray(rows).tobytes()).hexdigest(),
               hashlib.sha1(np.ascontiguousarray(pred).tobytes()).hexdigest())
        if getattr(self, "_last", (None,))[0] != key:
            self._last = (key, evaluate(data.extra["gt"], rows, pred, CATEGORIES))
        return self._last[1]

    def plot_oof(self, cfg: CowboyConfig, data: TrainData, oof: pd.DataFrame, out: Path) -> list[Path]:
        """Per-class AP bars, and validation images (one per class, rarest class first) with the true boxes
        (green) and the out-of-fold detections scoring at least 0.3 (red)."""
        from kaggle_kit.reporting import plots
        from kaggle_kit.vision.images import read_rgb

        rows = np.arange(len(data.ids))
        dets = self.preds.values(self, data, oof, "train")
        scores = self.extra_scores(data, rows, dets)
        written = [plots.class_bars({"AP50": scores["per_class_AP50"], "AP": scores["per_class"]},
                                    out / "per_class_ap.png", f"out-of-fold AP per class (AP50 {scores['AP50']:.3f}, "
                                    f"AP {self.score(data, rows, dets):.3f})")]
        train, present = data.extra["train"], data.stratify
        panels, shown = [], set()
        for c in np.argsort(present.sum(0), kind="stable"):
            holding = [i for i in np.flatnonzero(present[:, c]) if i not in shown]
            if not holding:
                continue
            i = holding[0]
            shown.add(i)
            mine = dets[(dets[:, 0] == i) & (dets[:, 5] >= 0.3)]
            mine = mine[np.argsort(-mine[:, 5])][:20]
            boxes = [(x1, y1, x2, y2, "limegreen", CATEGORIES[int(k)]) for x1, y1, x2, y2, k in train.boxes[i]]
            boxes += [(x, y, x + w, y + h, "red", f"{CATEGORIES[int(k)]} {s:.2f}") for _, x, y, w, h, s, k in mine]
            panels.append({"image": read_rgb(Path(data.extra["root"]) / "images" / train.files[i]), "boxes": boxes,
                           "title": f"image {data.ids[i]} (holds {CATEGORIES[list(CATEGORIES)[c]]})"})
        if panels:
            written.append(plots.image_grid(panels, out / "validation_images.png",
                                            "out-of-fold detections (red, score >= 0.3) and true boxes (green)"))
        return written

    def fold_ensemble(self, cfg: CowboyConfig, preds: list[np.ndarray], data: TrainData | None = None) -> np.ndarray:
        """Weighted boxes fusion of the folds' detections, image by image (rows of data.test_ids)."""
        return fuse_sets([by_row(p) for p in preds], data.extra["test"].sizes, cfg.fold_weights, cfg.wbf_iou,
                         cfg.wbf_skip)

    def submission_frame(self, data: TrainData, pred: np.ndarray) -> pd.DataFrame:
        ids = np.asarray(data.test_ids, dtype=object)
        frame = pd.DataFrame({"image_id": ids[pred[:, 0].astype(int)], "category_id": pred[:, 6].astype(int),
                              "x": pred[:, 1], "y": pred[:, 2], "w": pred[:, 3], "h": pred[:, 4],
                              "score": pred[:, 5]}, columns=DetectionPredictions.columns)
        return frame[frame["image_id"].isin(data.extra["split_ids"][self.split])].reset_index(drop=True)

    def check_submission(self, frame: pd.DataFrame, data: TrainData) -> None:
        check_answer(frame, data, self.split)

    def write_submission(self, frame: pd.DataFrame, path: Path) -> None:
        def write_zip(tmp: Path) -> None:
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
                z.writestr("answer.json", json.dumps(to_coco_results(frame)))
        atomic.write_with(path, write_zip)

    def submission_stem(self, exp: str) -> str:
        return exp if self.split == "valid" else f"{exp}-{self.split}"


def check_answer(frame: pd.DataFrame, data: TrainData, split: str) -> None:
    """answer.json rules: ids of the split's csv, the five category ids, boxes inside their image."""
    want = data.extra["split_ids"][split]
    stray = set(frame["image_id"]) - want
    if stray:
        raise UserError(f"the submission has image ids that are not in {split}.csv: {sorted(stray)[:2]}")
    bad_cat = set(frame["category_id"]) - set(CATEGORIES)
    if bad_cat:
        raise UserError(f"the submission has category ids {sorted(bad_cat)}; allowed: {sorted(CATEGORIES)}")
    size = dict(zip([str(i) for i in data.extra["test"].ids], data.extra["test"].sizes, strict=True))
    w_h = np.array([size[i] for i in frame["image_id"]]).reshape(-1, 2)
    x, y, w, h, s = (frame[c].to_numpy(float) for c in ("x", "y", "w", "h", "score"))
    bad = (w <= 0) | (h <= 0) | (x < -0.01) | (y < -0.01) | (x + w > w_h[:, 0] + 0.01) | (y + h > w_h[:, 1] + 0.01)
    bad |= ~np.isfinite(s) | (s < 0) | (s > 1)
    if bad.any():
        r = frame[bad].iloc[0]
        raise UserError(f"the submission has a box outside image {r.image_id} or a bad score: "
                        f"{[r.x, r.y, r.w, r.h]}, score {r.score}")


def read_answer(path: Path) -> list[dict]:
    """The answer.json inside a submission zip, ids as exact Python ints."""
    with zipfile.ZipFile(path) as z:
        return json.load(io.TextIOWrapper(z.open("answer.json"), encoding="utf-8"))
