"""COCO mAP with pycocotools on internal image indices. pycocotools turns ids into floats (and numpy int64
cannot hold ids above 2**63-1), so ground truth and detections are handed to it with row indices 0..n-1,
never the original ids."""

from __future__ import annotations

import contextlib
import io

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval


def coco_ground_truth(sizes: list[tuple[int, int]], boxes: list[list], categories: dict[int, str]) -> COCO:
    """COCO ground truth of images 0..n-1: sizes (width, height), boxes per image [x1, y1, x2, y2, category]."""
    images = [{"id": i, "width": w, "height": h} for i, (w, h) in enumerate(sizes)]
    anns = []
    for i, image_boxes in enumerate(boxes):
        for x1, y1, x2, y2, c in image_boxes:
            w, h = x2 - x1, y2 - y1
            anns.append({"id": len(anns) + 1, "image_id": i, "category_id": int(c), "bbox": [x1, y1, w, h],
                         "area": w * h, "iscrowd": 0})
    gt = COCO()
    gt.dataset = {"images": images, "annotations": anns,
                  "categories": [{"id": int(c), "name": n} for c, n in categories.items()]}
    with contextlib.redirect_stdout(io.StringIO()):
        gt.createIndex()
    return gt


def evaluate(gt: COCO, image_rows: np.ndarray, dets: np.ndarray, categories: dict[int, str]) -> dict:
    """AP@[.5:.95], AP50, and both per category name over the images `image_rows` (indices into gt).

    dets: (n, 7) array of [image_row, x, y, w, h, score, category_id]."""
    image_rows = [int(i) for i in image_rows]
    keep = np.isin(dets[:, 0].astype(int), image_rows) if len(dets) else np.zeros(0, bool)
    dets = dets[keep]
    nan = float("nan")
    if not gt.getAnnIds(imgIds=image_rows):
        return {"AP": nan, "AP50": nan, "per_class": {n: nan for n in categories.values()},
                "per_class_AP50": {n: nan for n in categories.values()}}
    with contextlib.redirect_stdout(io.StringIO()):
        res = gt.loadRes(dets) if len(dets) else COCO()
        if not len(dets):
            res.dataset = {"images": gt.dataset["images"], "annotations": [], "categories":
                           gt.dataset["categories"]}
            res.createIndex()
        ev = COCOeval(gt, res, "bbox")
        ev.params.imgIds = image_rows
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    per_class, per_class_50 = {}, {}
    precision = ev.eval["precision"]                 # [iou, recall, category, area, max dets]; iou 0 is 0.5
    for k, cat in enumerate(ev.params.catIds):
        for out, p in ((per_class, precision[:, :, k, 0, -1]), (per_class_50, precision[0, :, k, 0, -1])):
            out[categories[cat]] = float(p[p > -1].mean()) if (p > -1).any() else nan
    return {"AP": float(max(ev.stats[0], 0.0)), "AP50": float(max(ev.stats[1], 0.0)), "per_class": per_class,
            "per_class_AP50": per_class_50}
