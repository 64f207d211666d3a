"""The detection kind: what every competition of boxes on images shares. A competition of the kind reads its
own files into DetectionData; the kind trains a torchvision detector per fold, scores COCO AP (AP50 and per
class beside it), fuses folds by weighted boxes fusion, plots per-class AP and example images, and answers
with a COCO result list (answer.json in a zip) for the test set a command selects."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from kaggle_kit.detection.box_fusion import by_row, fuse_sets
from kaggle_kit.detection.coco_eval import evaluate
from kaggle_kit.detection.config import DetectionConfig
from kaggle_kit.detection.predictions import DetectionPredictions, to_coco_results
from kaggle_kit.errors import UserError
from kaggle_kit.io import atomic
from kaggle_kit.pipeline.submission_checks import check_table
from kaggle_kit.task import Evaluation, FoldContext, FoldOutput, Task, TrainData


@dataclass
class Images:
    ids: list[int]                       # original ids, exact
    files: list[str]
    sizes: list[tuple[int, int]]         # (width, height); 0 where the csv does not say (read from the file)
    boxes: list[list] = field(default_factory=list)      # per image: [x1, y1, x2, y2, category_id]


@dataclass(kw_only=True)
class DetectionData(TrainData):
    images_dir: Path                     # where the image files are
    categories: dict[int, str]           # category id -> name, in the order of every per-class list
    train: Images                        # the training images with their boxes, in file order
    test: Images                         # every image any test set asks about, each once
    split_ids: dict[str, set[str]]       # the ids each test set (split) asks about
    gt: Any                              # pycocotools COCO of the training boxes, on row indices


class DetectionTask(Task):
    id_column = "image_id"
    metric = "AP"
    higher_is_better = True
    fold_kind = "multilabel"
    submission_ext = "zip"
    blend_kind = "detection"
    preds = DetectionPredictions()
    prediction_key = "tta"               # one prediction set per TTA setting (fold<k>/tta-<name>/)
    predicts_offline = True
    config_class: ClassVar[type[DetectionConfig]] = DetectionConfig
    secondary_scores = {"AP50": "AP50"}
    breakdowns = (("per_class", "AP"), ("per_class_AP50", "AP50"))

    submission_form: ClassVar[str] = "coco_zip"    # coco_zip: answer.json in a zip; prediction_string: a CSV
    answer_column: ClassVar[str] = "PredictionString"

    @property
    def answering(self) -> str:
        """The test set this command answers: the selected split, else the first (or the one)."""
        return self.split or (self.splits[0] if self.splits else "test")

    def fit_fold(self, cfg: DetectionConfig, data: DetectionData, ctx: FoldContext) -> FoldOutput:
        from kaggle_kit.detection.detection_fold import fit_detector_fold  # torch, torchvision load only now

        return fit_detector_fold(cfg, data, ctx)

    def prediction_value(self, cfg: DetectionConfig) -> str:
        return cfg.tta_name()

    def predict_fold(self, cfg: DetectionConfig, data: DetectionData, ctx: FoldContext) -> FoldOutput:
        from kaggle_kit.detection.detection_fold import predict_detector_fold

        return predict_detector_fold(cfg, data, ctx)

    def predict_test_fold(self, cfg: DetectionConfig, data: DetectionData, fold: int, fold_dir: Path) -> pd.DataFrame:
        from kaggle_kit.detection.detection_fold import load_fold_detector, predict_frame

        detector = load_fold_detector(cfg, data, fold, fold_dir)
        return predict_frame(cfg, detector, data, data.test, idx=range(len(data.test.ids)))

    def target(self, data: DetectionData) -> np.ndarray:
        return data.stratify

    def score(self, data: DetectionData, rows: np.ndarray, pred: np.ndarray) -> float:
        return evaluate(data.gt, rows, pred, data.categories)["AP"]

    def evaluate(self, data: DetectionData, pred: np.ndarray, fold_of: np.ndarray | None = None) -> Evaluation:
        """One COCOeval: AP, with AP50 and the per-class APs beside it. No resampled score: COCOeval per
        resample would cost a whole evaluation each, so the SE is taken over folds."""
        result = evaluate(data.gt, np.arange(len(data.ids)), pred, data.categories)
        return Evaluation(result["AP"], {key: result[key] for key in ("AP50", "per_class", "per_class_AP50")})

    def plot_oof(self, cfg: DetectionConfig, data: DetectionData, oof: pd.DataFrame, out: Path) -> list[Path]:
        """Per-class AP bars, and validation images (one per class, rarest class first) with the true boxes
        (green) and the out-of-fold detections scoring at least 0.3 (red)."""
        from kaggle_kit.reporting import plots
        from kaggle_kit.vision.images import read_rgb

        dets = self.preds.values(self, data, oof, "train")
        ev = self.evaluate(data, dets)
        scores = ev.extras
        written = [plots.class_bars({"AP50": scores["per_class_AP50"], "AP": scores["per_class"]},
                                    out / "per_class_ap.png", f"out-of-fold AP per class (AP50 {scores['AP50']:.3f}, "
                                    f"AP {ev.score:.3f})")]
        train, present, names = data.train, data.stratify, data.categories
        panels, shown = [], set()
        for c in np.argsort(present.sum(0), kind="stable"):
            holding = [i for i in np.flatnonzero(present[:, c]) if i not in shown]
            if not holding:
                continue
            i = holding[0]
            shown.add(i)
            mine = dets[(dets[:, 0] == i) & (dets[:, 5] >= 0.3)]
            mine = mine[np.argsort(-mine[:, 5])][:20]
            boxes = [(x1, y1, x2, y2, "limegreen", names[int(k)]) for x1, y1, x2, y2, k in train.boxes[i]]
            boxes += [(x, y, x + w, y + h, "red", f"{names[int(k)]} {s:.2f}") for _, x, y, w, h, s, k in mine]
            panels.append({"image": read_rgb(data.images_dir / train.files[i]), "boxes": boxes,
                           "title": f"image {data.ids[i]} (holds {names[list(names)[c]]})"})
        if panels:
            written.append(plots.image_grid(panels, out / "validation_images.png",
                                            "out-of-fold detections (red, score >= 0.3) and true boxes (green)"))
        return written

    def fold_ensemble(self, cfg: DetectionConfig, preds: list[np.ndarray],
                      data: DetectionData | None = None) -> np.ndarray:
        """Weighted boxes fusion of the folds' detections, image by image (rows of data.test_ids)."""
        weights = cfg.fold_weights
        if weights is not None and len(weights) != len(preds):   # fold_repeats: each fold set weighs its folds alike
            weights = list(weights) * (len(preds) // len(weights))
        return fuse_sets([by_row(p) for p in preds], data.test.sizes, weights=weights, iou_thr=cfg.wbf_iou,
                         skip_box_thr=cfg.wbf_skip)

    def submission_frame(self, data: DetectionData, pred: np.ndarray) -> pd.DataFrame:
        ids = np.asarray(data.test_ids, dtype=object)
        frame = pd.DataFrame({"image_id": ids[pred[:, 0].astype(int)], "category_id": pred[:, 6].astype(int),
                              "x": pred[:, 1], "y": pred[:, 2], "w": pred[:, 3], "h": pred[:, 4],
                              "score": pred[:, 5]}, columns=DetectionPredictions.columns)
        frame = frame[frame["image_id"].isin(data.split_ids[self.answering])].reset_index(drop=True)
        if self.submission_form == "prediction_string":    # boxes checked here, where they are still boxes
            check_answer(frame, data, self.answering)
            return prediction_strings(frame, data.test_ids, self.id_column, self.answer_column)
        return frame

    def check_submission(self, frame: pd.DataFrame, data: DetectionData) -> None:
        if self.submission_form != "prediction_string":
            check_answer(frame, data, self.answering)
            return
        columns = [self.id_column, self.answer_column]
        if list(frame.columns) != columns:
            raise UserError(f"submission header {list(frame.columns)} should be {columns}")
        sample = data.sample_submission
        check_table(frame[[self.id_column]], [self.id_column], data.test_ids,
                    None if sample is None else sample[[self.id_column]])
        counts = frame[self.answer_column].fillna("").str.split().str.len()
        if (counts % 5).any():
            raise UserError(f"submission row {int(np.flatnonzero(counts % 5)[0])}: {self.answer_column} must be "
                            "`score x y w h` repeated")

    def write_submission(self, frame: pd.DataFrame, path: Path) -> None:
        if self.submission_form == "prediction_string":
            atomic.write_csv(path, frame)
            return

        def write_zip(tmp: Path) -> None:
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
                z.writestr("answer.json", json.dumps(to_coco_results(frame)))
        atomic.write_with(path, write_zip)

    def submission_stem(self, exp: str) -> str:
        return exp if not self.splits or self.answering == self.splits[0] else f"{exp}-{self.answering}"


def prediction_strings(frame: pd.DataFrame, order: list[str], id_column: str, column: str) -> pd.DataFrame:
    """One row per test image in answer order: `score x y w h ...` by falling score, empty for no box."""
    text = {}
    for image_id, g in frame.sort_values("score", ascending=False, kind="stable").groupby("image_id", sort=False):
        text[image_id] = " ".join(f"{r.score:.4f} {r.x:.1f} {r.y:.1f} {r.w:.1f} {r.h:.1f}"
                                  for r in g.itertuples(index=False))
    return pd.DataFrame({id_column: pd.Series(order, dtype=object), column: [text.get(i, "") for i in order]})


def check_answer(frame: pd.DataFrame, data: DetectionData, split: str) -> None:
    """answer.json rules: ids of the split's csv, the competition's category ids, boxes inside their image."""
    want = data.split_ids[split]
    stray = set(frame["image_id"]) - want
    if stray:
        raise UserError(f"the submission has image ids that are not in {split}.csv: {sorted(stray)[:2]}")
    bad_cat = set(frame["category_id"]) - set(data.categories)
    if bad_cat:
        raise UserError(f"the submission has category ids {sorted(bad_cat)}; allowed: {sorted(data.categories)}")
    size = dict(zip([str(i) for i in data.test.ids], data.test.sizes, strict=True))
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
