import hashlib

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from competitions.classify_leaves.sample import CLASSES, N_TEST, N_TRAIN_PER_CLASS, build_sample

from .conftest import REPO


@pytest.fixture(scope="module")
def leaves(leaves_sample):
    return leaves_sample


def test_layout_matches_the_download(leaves):
    train, test = pd.read_csv(leaves / "train.csv"), pd.read_csv(leaves / "test.csv")
    sub = pd.read_csv(leaves / "sample_submission.csv")
    assert list(train.columns) == ["image", "label"] and list(test.columns) == ["image"]
    assert list(sub.columns) == ["image", "label"] and sub["image"].tolist() == test["image"].tolist()
    n_train = len(CLASSES) * N_TRAIN_PER_CLASS
    assert len(train) == n_train and len(test) == N_TEST
    names = train["image"].tolist() + test["image"].tolist()
    assert names == [f"images/{n}.jpg" for n in range(n_train + N_TEST)]     # numbered on from train into test
    assert sorted(p.name for p in (leaves / "images").iterdir()) == sorted(n.split("/")[1] for n in names)
    assert train["label"].value_counts().tolist() == [N_TRAIN_PER_CLASS] * len(CLASSES)
    for name in names[:3] + names[-3:]:
        with Image.open(leaves / name) as im:
            assert im.format == "JPEG" and im.mode == "RGB" and im.size == (224, 224)


def test_labels_are_real_label_strings():
    assert any("-" in label for label in CLASSES)
    real = REPO.parent / "shared" / "data" / "classify-leaves" / "labels.txt"
    if real.is_file():
        assert set(CLASSES) <= set(real.read_text().split())


def test_deterministic_and_varied(leaves, tmp_path):
    again = tmp_path / "again"
    build_sample(again)
    for f in ["train.csv", "test.csv", "images/0.jpg", "images/400.jpg"]:
        assert hashlib.sha256((leaves / f).read_bytes()).digest() == hashlib.sha256((again / f).read_bytes()).digest()
    train = pd.read_csv(leaves / "train.csv")
    same_class = train[train["label"] == train["label"].iloc[0]]["image"].head(2)
    a, b = (np.asarray(Image.open(leaves / p), dtype=float) for p in same_class)
    assert np.abs(a - b).mean() > 10       # images of one class differ (pose, background, lighting)
