"""classify-leaves: 176 leaf species from `image,label` CSVs, an image classification like any other; only its
files and its sample are its own."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from competitions.classify_leaves.config import LeavesConfig
from competitions.classify_leaves.data import SLUG, read_download, read_sample_submission
from competitions.classify_leaves.sample import build_sample
from kaggle_kit.pipeline.submission_checks import check_sample_ids
from kaggle_kit.vision.kind import ImageClassificationTask, ImageData


class LeavesTask(ImageClassificationTask):
    name = "leaves"
    slug = SLUG
    config_class = LeavesConfig
    id_column = "image"

    def default_config(self, using_sample: bool) -> str:
        return "leaves-cpu" if using_sample else "leaves"

    def build_sample(self, dest: Path) -> None:
        build_sample(dest)

    def load(self, data_dir: Path) -> ImageData:
        train, test, fingerprint = read_download(data_dir)
        labels = sorted(train["label"].unique())      # the label order: sorted strings, byte-exact
        self.use_labels(labels)
        sample = read_sample_submission(data_dir)
        check_sample_ids(sample, "image", test["image"].tolist())
        # labels, not their indices, to stratify on: the same folds, and errors that name the class
        return ImageData(ids=train["image"].tolist(), test_ids=test["image"].tolist(), fingerprint=fingerprint,
                         stratify=train["label"].to_numpy(object), sample_submission=sample, root=data_dir,
                         images=train["image"].tolist(), y=pd.Index(labels).get_indexer(train["label"]),
                         labels=labels, test_images=test["image"].tolist())
