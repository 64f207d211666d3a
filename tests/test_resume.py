"""Mid-fold resume: a leaves run killed with SIGKILL in the middle of a fold, then rerun, ends with the same
cv.json and OOF probabilities as an uninterrupted run with the same seed."""

import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
import torch

from kaggle_kit.paths import RunPaths
from kaggle_kit.pipeline.cross_validate import prepare_stage

from .conftest import REPO, make

pytestmark = pytest.mark.e2e       # runs the kit as a user does (make, trained models): make test-fast leaves it out

# mixup, EMA and augmentation: the random sources of a leaves epoch are all exercised
TINY = ("epochs=3 folds=2 image_size=32 batch_size=32 num_workers=0 progress_bar=false tta=none ema_decay=0.9 "
        "mixup=0.2 mix_prob=0.5")
CONFIG = "configs/leaves-cpu.yaml"


def train(root, leaves_sample):
    proc = make("leaves-train", root, DATA=str(leaves_sample), ARGS=TINY, CONFIG=CONFIG)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def kill_mid_fold(root, leaves_sample):
    """Start the same training and SIGKILL it as soon as fold 0 has saved its first epoch."""
    root.mkdir()
    env = {**os.environ, "KIT_ROOT": str(root)}
    proc = subprocess.Popen([sys.executable, "-m", "kaggle_kit", "train", "leaves", "--data", str(leaves_sample),
                             "--config", str(REPO / CONFIG), "--args", TINY], cwd=root, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stage = root / "runs" / "leaves" / "leaves-cpu" / ".fold0.partial"
    while not (stage / "last.ckpt").is_file():
        assert proc.poll() is None, "the run ended before fold 0 saved an epoch"
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return stage


def test_killed_mid_fold_then_rerun_gives_the_same_cv(tmp_path, leaves_sample):
    whole = tmp_path / "whole"
    train(whole, leaves_sample)

    cut = tmp_path / "cut"
    stage = kill_mid_fold(cut, leaves_sample)
    run = cut / "runs" / "leaves" / "leaves-cpu"
    assert not (run / "fold0").exists() and not (run / "cv.json").exists()      # killed inside fold 0
    saved = torch.load(stage / "last.ckpt", map_location="cpu", weights_only=False)
    assert saved["epoch"] < 2 and "optimizer_states" in saved and saved["lr_schedulers"]

    proc = train(cut, leaves_sample)
    assert "fold 0: resuming the interrupted fold" in proc.stderr
    assert (run / "fold0" / "last.ckpt").is_file() and (run / "fold0" / "best.ckpt").is_file()
    a = json.loads((whole / "runs/leaves/leaves-cpu/cv.json").read_text())
    b = json.loads((run / "cv.json").read_text())
    assert b["score"] == pytest.approx(a["score"], abs=1e-6)
    assert b["folds"] == pytest.approx(a["folds"], abs=1e-6)
    oof_a = pd.read_csv(whole / "runs/leaves/leaves-cpu/oof.csv").drop(columns=["image", "fold"]).to_numpy()
    oof_b = pd.read_csv(run / "oof.csv").drop(columns=["image", "fold"]).to_numpy()
    assert abs(oof_a - oof_b).max() < 1e-6                                      # the same probabilities
    history = pd.concat([pd.read_csv(p) for p in (run / "fold0" / "logs").glob("metrics*.csv")])
    assert set(history["epoch"]) == {0, 1, 2}                                   # the curve keeps every epoch


def test_a_stage_is_reused_only_for_the_same_fingerprint_and_training_ids(tmp_path):
    paths = RunPaths(tmp_path, "toy", "exp")

    def stage_for(fp, ids, force=False):
        stage, resume = prepare_stage(paths, 0, fp, ids, force=force)
        assert resume == (stage / "last.ckpt").is_file()
        return resume

    assert not stage_for("fp1", "ids1")                             # a fresh stage
    (paths.staging_dir(0) / "last.ckpt").write_bytes(b"epoch")
    assert stage_for("fp1", "ids1")                                 # resumed
    assert not stage_for("fp1", "ids2")                             # other training rows: afresh
    (paths.staging_dir(0) / "last.ckpt").write_bytes(b"epoch")
    assert not stage_for("fp2", "ids2")                             # other settings or data
    (paths.staging_dir(0) / "last.ckpt").write_bytes(b"epoch")
    assert not stage_for("fp2", "ids2", force=True)                 # FORCE
    (paths.staging_dir(0) / "started.json").write_text("{cut")
    assert not stage_for("fp2", "ids2")                             # a damaged marker


def test_a_fold_stopped_after_its_last_epoch_resumes_without_training(tmp_path, house_sample):
    """house.yaml keeps the last epoch (checkpoint: last) of each of its seeds: a fold stopped after training
    but before it was published picks every seed's final weights up from its last-seed<s>.ckpt."""
    from .conftest import kit

    args = ["--data", str(house_sample), "--args", "epochs=2 folds=2 seeds=2 mlp.hidden=[8] progress_bar=false"]
    kit("train", "house", *args, root=tmp_path, check=True)
    run = tmp_path / "runs" / "house" / "house"
    cv = json.loads((run / "cv.json").read_text())
    assert {p.name for p in (run / "fold1").glob("last*.ckpt")} == {"last-seed0.ckpt", "last-seed1.ckpt"}
    (run / "fold1" / "metrics.json").unlink()                  # as if killed between training and publishing
    (run / "fold1").rename(run / ".fold1.partial")
    (run / "cv.json").unlink()
    proc = kit("train", "house", *args, root=tmp_path, check=True)
    assert "fold 0: complete, skipped" in proc.stderr and "fold 1: resuming the interrupted fold" in proc.stderr
    again = json.loads((run / "cv.json").read_text())
    assert again["folds"] == pytest.approx(cv["folds"], abs=1e-9)
