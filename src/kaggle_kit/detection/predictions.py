"""How detections are stored, checked and pooled: any number of boxes per image in COCO result form (JSON,
with the original ids as exact JSON integers)."""


from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from kaggle_kit.errors import UserError
from kaggle_kit.io import atomic


class DetectionPredictions:
    """Columns image_id (str), category_id, x, y, w, h, score; on disk a JSON list of
    {"image_id", "category_id", "bbox": [x, y, w, h], "score"} (plus "fold" in the OOF file)."""
    ext = "json"
    columns = ["image_id", "category_id", "x", "y", "w", "h", "score"]

    def write(self, path: Path, frame: pd.DataFrame) -> None:
        atomic.write_text(path, json.dumps(to_coco_results(frame)) + "\n")

    def read(self, path: Path, id_column: str) -> pd.DataFrame:
        return from_coco_results(json.loads(Path(path).read_text()))

    def check_val(self, task, data, frame: pd.DataFrame, val_idx: np.ndarray, *, k: int) -> None:
        stray = set(frame["image_id"]) - {str(data.ids[i]) for i in val_idx}
        if stray:
            raise UserError(f"fold {k}: it has detections for images outside its validation rows "
                            f"({sorted(stray)[:2]}); retrain it with FORCE=1")

    def check_test(self, task, data, frame: pd.DataFrame, k: int, *, where) -> None:
        stray = set(frame["image_id"]) - {str(i) for i in data.test_ids}
        if stray:
            raise UserError(f"fold {k} of {where} has detections for images that are not among the test images "
                            f"({sorted(stray)[:2]}); retrain it with FORCE=1")

    def values(self, task, data, frame: pd.DataFrame, split: str) -> np.ndarray:
        """(n, 7) [row, x, y, w, h, score, category_id]; row indexes data.ids (train) or data.test_ids."""
        ids = pd.Index([str(i) for i in (data.ids if split == "train" else data.test_ids)])
        if not ids.is_unique:             # a row per image: the loader lists each image once
            raise ValueError(f"image {ids[ids.duplicated()][0]} is listed twice among the {split} images")
        if not len(frame):
            return np.zeros((0, 7))
        row = ids.get_indexer(frame["image_id"])
        if (row < 0).any():
            raise UserError(f"detections for image {frame['image_id'][row < 0].iloc[0]}, which is not among the "
                            f"{split} images; retrain with FORCE=1")
        return np.column_stack([row, frame[["x", "y", "w", "h", "score"]].to_numpy(float),
                                frame["category_id"].to_numpy(float)])

    def pool(self, task, data, parts: list[tuple[int, np.ndarray, pd.DataFrame]]) -> pd.DataFrame:
        return pd.concat([f.assign(fold=k) for k, _, f in parts], ignore_index=True)


def json_id(image_id):
    """An id as COCO writes it: an exact JSON integer where the id is one (unsigned 64-bit COCO ids), else the string
    (hex ids of a CSV download; "007" stays "007")."""
    text = str(image_id)
    return int(text) if text.isdigit() and str(int(text)) == text else text


def to_coco_results(frame: pd.DataFrame) -> list[dict]:
    out = []
    extra = [c for c in frame.columns if c not in DetectionPredictions.columns]
    for r in frame.itertuples(index=False):
        item = {"image_id": json_id(r.image_id), "category_id": int(r.category_id),
                "bbox": [round(float(r.x), 2), round(float(r.y), 2), round(float(r.w), 2), round(float(r.h), 2)],
                "score": round(float(r.score), 5)}
        item.update({c: int(getattr(r, c)) for c in extra})
        out.append(item)
    return out


def from_coco_results(items: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame({
        "image_id": [str(d["image_id"]) for d in items], "category_id": [int(d["category_id"]) for d in items],
        "x": [d["bbox"][0] for d in items], "y": [d["bbox"][1] for d in items],
        "w": [d["bbox"][2] for d in items], "h": [d["bbox"][3] for d in items],
        "score": [float(d["score"]) for d in items]}, columns=DetectionPredictions.columns)
    for extra in ("fold", "repeat"):          # an OOF file's
        if items and extra in items[0]:
            frame[extra] = [int(d[extra]) for d in items]
    return frame
