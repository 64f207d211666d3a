"""make leaves-train + leaves-submit on the sample with a tiny config, and the leaves bad inputs."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest
import torch

from kaggle_kit.config import load_config
from kaggle_kit.registry import get_task
from kaggle_kit.vision.classification_fold import load_fold_model
from kaggle_kit.vision.config import ImageClassifierConfig
from kaggle_kit.vision.dataset import ImageDataset
from kaggle_kit.vision.normalize import ImageNormalize
from kaggle_kit.vision.transforms import eval_transform

from .conftest import LEAVES_TINY, REPO, make

pytestmark = pytest.mark.e2e       # runs the kit as a user does (make, trained models): make test-fast leaves it out

TINY = LEAVES_TINY


@pytest.fixture(scope="module")
def leaves(leaves_sample):
    return leaves_sample


@pytest.fixture(scope="module")
def trained(leaves_trained):
    return leaves_trained


def copy_run(trained, tmp_path):
    shutil.copytree(trained / "runs", tmp_path / "runs")
    return tmp_path / "runs" / "leaves" / "leaves-cpu"


def test_train_and_submit_on_the_sample(tmp_path, leaves, trained):
    run = copy_run(trained, tmp_path)
    train = pd.read_csv(leaves / "train.csv")
    labels = sorted(train["label"].unique())
    oof = pd.read_csv(run / "oof.csv")
    assert oof["image"].tolist() == train["image"].tolist()
    assert list(oof.columns) == ["image", "fold", *labels]
    assert np.allclose(oof[labels].sum(axis=1), 1, atol=1e-4)
    cv = json.loads((run / "cv.json").read_text())
    assert cv["metric"] == "accuracy" and cv["higher_is_better"] is True
    assert cv["score"] == pytest.approx(np.mean(np.array(labels)[oof[labels].to_numpy().argmax(1)] == train["label"]))
    assert "/stratified_group-k2-" in json.loads((run / "fingerprint.json").read_text())["folds_file"]
    for lab in labels:                                        # the sample's near-duplicate pairs share a fold
        rows = train.index[train["label"] == lab]
        assert oof["fold"][rows[0]] == oof["fold"][rows[-1]]
    for k in range(2):
        fold_train = train[oof["fold"] != k]["label"].value_counts()
        assert (fold_train == 20).all()                      # stratified: each class split evenly
        assert json.loads((run / f"fold{k}" / "metrics.json").read_text())["tta"] == "hflip"
        ckpt = torch.load(run / f"fold{k}" / "best.ckpt", weights_only=True)
        assert ckpt["labels"] == labels and ckpt["model"] == "resnet10t"
    for name in ("learning_curves.png", "confused_pairs.png"):          # one epoch of a tiny net: many mistakes
        assert (run / "plots" / name).read_bytes().startswith(b"\x89PNG") and (run / "plots" / name).stat().st_size > 5000

    proc = make("leaves-submit", tmp_path, DATA=str(leaves), ARGS=TINY, CONFIG="configs/leaves-cpu.yaml")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "predicting" not in proc.stderr                  # the trained prediction set is reused
    sub = pd.read_csv(tmp_path / "submissions" / "leaves" / "leaves-cpu.csv")
    assert list(sub.columns) == ["image", "label"]
    assert sub["image"].tolist() == pd.read_csv(leaves / "test.csv")["image"].tolist()
    assert set(sub["label"]) <= set(labels)
    tests = [pd.read_csv(run / f"fold{k}" / "test_pred.csv")[labels].to_numpy() for k in range(2)]
    assert sub["label"].tolist() == list(np.array(labels)[(tests[0] + tests[1]).argmax(1)])


def test_predictions_saved_per_tta(tmp_path, leaves, trained):
    """Submitting with another tta predicts every fold's validation and test rows again from its checkpoint,
    keeps them beside the trained set, prints their OOF score and submits exactly them."""
    run = copy_run(trained, tmp_path)
    labels = sorted(pd.read_csv(leaves / "train.csv")["label"].unique())
    hflip_oof = pd.read_csv(run / "oof.csv")
    args = TINY.replace("tta=hflip", "tta=none")
    proc = make("leaves-submit", tmp_path, DATA=str(leaves), ARGS=args, CONFIG="configs/leaves-cpu.yaml")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stderr.count("predicting validation and test rows with tta-none") == 2
    cv = json.loads((run / "cv-tta-none.json").read_text())
    oof = pd.read_csv(run / "oof-tta-none.csv")
    assert oof["image"].tolist() == hflip_oof["image"].tolist() and oof["fold"].equals(hflip_oof["fold"])
    truth = pd.read_csv(leaves / "train.csv")["label"]
    assert cv["score"] == pytest.approx(np.mean(np.array(labels)[oof[labels].to_numpy().argmax(1)] == truth))
    assert f"{cv['score']:.5f}" in proc.stderr and cv["predictions"] == "tta-none"
    assert not np.allclose(oof[labels].to_numpy(), hflip_oof[labels].to_numpy())    # other views, other probs
    assert json.loads((run / "cv.json").read_text())["score"] == pytest.approx(
        np.mean(np.array(labels)[hflip_oof[labels].to_numpy().argmax(1)] == truth))   # trained set untouched
    tests = [pd.read_csv(run / f"fold{k}" / "tta-none" / "test_pred.csv")[labels].to_numpy() for k in range(2)]
    sub = pd.read_csv(tmp_path / "submissions" / "leaves" / "leaves-cpu.csv")
    assert sub["label"].tolist() == list(np.array(labels)[(tests[0] + tests[1]).argmax(1)])
    # tta=none without any flip equals the plain forward pass of the checkpoint: check one fold's first rows
    cfg = load_config(ImageClassifierConfig, REPO / "configs" / "leaves-cpu.yaml", REPO / "configs", args)
    data = get_task("leaves").load(leaves)
    net = load_fold_model(cfg, data, 0, run / "fold0").eval()
    first = oof[oof["fold"] == 0].iloc[:4]
    images = ImageDataset(leaves, first["image"].tolist(), None, eval_transform(cfg, False))
    x = torch.stack([images[i][0] for i in range(len(images))])
    with torch.no_grad():
        probs = torch.softmax(net(ImageNormalize.for_model(net)(x)), 1).numpy()
    assert np.allclose(probs, first[labels].to_numpy(), atol=1e-4)
    # the test set came from the decoded-once cache (one file for both folds) and gives the same probabilities
    assert len(list((tmp_path / "runs" / "leaves" / "cache").glob("test-*.npy"))) == 1
    test_ids = pd.read_csv(leaves / "test.csv")["image"].tolist()[:4]
    images = ImageDataset(leaves, test_ids, None, eval_transform(cfg, False))
    x = torch.stack([images[i][0] for i in range(len(images))])
    with torch.no_grad():
        probs = torch.softmax(net(ImageNormalize.for_model(net)(x)), 1).numpy()
    saved = pd.read_csv(run / "fold0" / "tta-none" / "test_pred.csv")
    assert saved["image"].tolist()[:4] == test_ids
    assert np.allclose(probs, saved[labels].to_numpy()[:4], atol=1e-4)

    again = make("leaves-submit", tmp_path, DATA=str(leaves), ARGS=args, CONFIG="configs/leaves-cpu.yaml")
    assert again.returncode == 0 and "predicting" not in again.stderr            # saved sets are reused


def test_unreadable_image_in_a_loader_worker_is_one_line(tmp_path):
    """PyTorch re-raises a worker's UserError with the worker's traceback in its message: the CLI prints
    only the last line."""
    from torch.utils.data import DataLoader

    from kaggle_kit.cli import user_message
    from kaggle_kit.errors import UserError
    from kaggle_kit.vision.dataset import ImageDataset

    (tmp_path / "a.jpg").write_bytes(b"\xff\xd8 broken \xff\xd9")
    loader = DataLoader(ImageDataset(tmp_path, ["a.jpg"], None, lambda image: {"image": image}), num_workers=1)
    with pytest.raises(UserError) as e:
        next(iter(loader))
    assert "Traceback" in str(e.value)
    assert user_message(e.value) == f"image {tmp_path / 'a.jpg'} is corrupt or truncated; download it again"


def test_a_blend_with_a_far_weaker_experiment_is_not_worse_than_the_better_one(tmp_path, leaves, trained):
    """The 1-epoch fixture beside an experiment that learned nothing (lr 1e-9, 1 epoch): the default blend's
    nested accuracy is at least the better member's own OOF accuracy."""
    copy_run(trained, tmp_path)
    weak = tmp_path / "leaves-blind.yaml"
    weak.write_text("extends: leaves-cpu\nlr: 1.0e-9\nseed: 5\n")
    proc = make("leaves-train", tmp_path, DATA=str(leaves), ARGS=TINY, CONFIG=str(weak))
    assert proc.returncode == 0, proc.stderr[-3000:]
    proc = make("leaves-blend", tmp_path, DATA=str(leaves), EXPS="leaves-cpu leaves-blind")
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads((tmp_path / "runs/leaves/blends/blend-leaves-cpu+leaves-blind.json").read_text())
    members = summary["members"]
    assert members["leaves-cpu"] > members["leaves-blind"]
    chosen = summary["rules"][summary["rule"]]
    assert chosen["nested_oof"] >= max(members.values()) - 1e-12, (summary["rule"], summary["why"], members)
    assert set(summary["rules"]) >= {"mean", "select", "weighted", "best", "vote"}
