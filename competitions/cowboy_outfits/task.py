"""cowboyoutfits: 5-class detection scored on CodaLab, COCO train annotations, answer.json for valid.csv (public
phase) or test.csv (final phase). A detection like any other; its files, categories and sample are its own."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from competitions.cowboy_outfits.config import CowboyConfig
from competitions.cowboy_outfits.data import CATEGORIES, SLUG, read_download
from competitions.cowboy_outfits.sample import build_sample
from kaggle_kit.detection.coco_eval import coco_ground_truth
from kaggle_kit.detection.kind import DetectionData, DetectionTask


class CowboyTask(DetectionTask):
    name = "cowboy"
    slug = SLUG
    config_class = CowboyConfig
    splits = ("valid", "test")           # which csv a submission answers (SPLIT=test for test.csv)

    def default_config(self, using_sample: bool) -> str:
        return "cowboy-cpu" if using_sample else "cowboy"

    def build_sample(self, dest: Path) -> None:
        build_sample(dest)

    def load(self, data_dir: Path) -> DetectionData:
        train, splits, test, fingerprint = read_download(data_dir)
        present = np.zeros((len(train.ids), len(CATEGORIES)), dtype=int)
        column = {c: k for k, c in enumerate(CATEGORIES)}
        for i, boxes in enumerate(train.boxes):
            for b in boxes:
                present[i, column[b[4]]] = 1
        return DetectionData(ids=[str(i) for i in train.ids], test_ids=[str(i) for i in test.ids],
                             fingerprint=fingerprint, stratify=present, images_dir=data_dir / "images",
                             categories=CATEGORIES, train=train, test=test,
                             split_ids={s: {str(i) for i in splits[s].ids} for s in self.splits},
                             gt=coco_ground_truth(train.sizes, train.boxes, CATEGORIES))
