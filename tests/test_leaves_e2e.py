"""make leaves-train + leaves-submit on the sample with a tiny config, and the leaves bad inputs."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest
import torch

from competitions.classify_leaves.sample import build_sample

from .conftest import REPO, assert_user_error, files_under, kit, make

TINY = "epochs=1 folds=2 image_size=32 batch_size=32 num_workers=0 progress_bar=false tta=hflip"


@pytest.fixture(scope="module")
def leaves(tmp_path_factory):
    dest = tmp_path_factory.mktemp("leaves") / "classify-leaves"
    build_sample(dest)
    return dest


def test_train_and_submit_on_the_sample(tmp_path, leaves):
    proc = make("leaves-train", tmp_path, DATA=str(leaves), ARGS=TINY, CONFIG="configs/leaves-cpu.yaml")
    assert proc.returncode == 0, proc.stderr[-3000:]
    run = tmp_path / "runs" / "leaves" / "leaves-cpu"
    train = pd.read_csv(leaves / "train.csv")
    labels = sorted(train["label"].unique())
    oof = pd.read_csv(run / "oof.csv")
    assert oof["image"].tolist() == train["image"].tolist()
    assert list(oof.columns) == ["image", "fold", *labels]
    assert np.allclose(oof[labels].sum(axis=1), 1, atol=1e-4)
    cv = json.loads((run / "cv.json").read_text())
    assert cv["metric"] == "accuracy" and cv["higher_is_better"] is True
    assert cv["score"] == pytest.approx(np.mean(np.array(labels)[oof[labels].to_numpy().argmax(1)] == train["label"]))
    for k in range(2):
        fold_train = train[oof["fold"] != k]["label"].value_counts()
        assert (fold_train == 20).all()                      # stratified: each class split evenly
        assert json.loads((run / f"fold{k}" / "metrics.json").read_text())["tta"] == "hflip"
        ckpt = torch.load(run / f"fold{k}" / "best.ckpt", weights_only=True)
        assert ckpt["labels"] == labels and ckpt["model"] == "resnet10t"

    proc = make("leaves-submit", tmp_path, DATA=str(leaves), ARGS=TINY, CONFIG="configs/leaves-cpu.yaml")
    assert proc.returncode == 0, proc.stderr[-3000:]
    sub = pd.read_csv(tmp_path / "submissions" / "leaves" / "leaves-cpu.csv")
    assert list(sub.columns) == ["image", "label"]
    assert sub["image"].tolist() == pd.read_csv(leaves / "test.csv")["image"].tolist()
    assert set(sub["label"]) <= set(labels)
    tests = [pd.read_csv(run / f"fold{k}" / "test_pred.csv")[labels].to_numpy() for k in range(2)]
    assert sub["label"].tolist() == list(np.array(labels)[(tests[0] + tests[1]).argmax(1)])


def copy_of(leaves, tmp_path):
    data = tmp_path / "dl"
    shutil.copytree(leaves, data)
    return data


@pytest.mark.parametrize("case", ["missing image", "no label column", "corrupt image"])
def test_bad_input(case, tmp_path, leaves):
    data = copy_of(leaves, tmp_path)
    if case == "missing image":
        for n in (3, 5, 7, 9):
            (data / "images" / f"{n}.jpg").unlink()
        words = ["4 listed images are missing", "images/3.jpg, images/5.jpg, images/7.jpg and 1 more"]
    elif case == "no label column":
        pd.read_csv(data / "train.csv").rename(columns={"label": "class"}).to_csv(data / "train.csv", index=False)
        words = ["train.csv has no column label"]
    else:
        (data / "images" / "2.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
        words = ["images/2.jpg is corrupt or truncated"]
    before = files_under(tmp_path)
    proc = kit("train", "leaves", "--data", str(data), "--config", str(REPO / "configs" / "leaves-cpu.yaml"),
               "--args", TINY, root=tmp_path)
    assert_user_error(proc, *words)
    assert files_under(tmp_path) == before
