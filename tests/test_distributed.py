"""Past one machine: one leaves fold trained by two DDP processes (gloo, CPU), then the other fold as a
separate job, and the run's OOF file and cv.json assembled once the last fold completes."""

import json

import pandas as pd
import pytest

from .conftest import assert_user_error, files_under, make

pytestmark = pytest.mark.e2e       # runs the kit as a user does (make, trained models): make test-fast leaves it out

TINY = "epochs=2 folds=2 image_size=32 batch_size=16 num_workers=0 progress_bar=false tta=none"
CONFIG = "configs/leaves-cpu.yaml"


def test_ddp_fold_then_a_second_fold_job_assemble_one_cv(tmp_path, leaves_sample):
    common = {"DATA": str(leaves_sample), "CONFIG": CONFIG}
    proc = make("leaves-train", tmp_path, ARGS=TINY + " accelerator=cpu devices=2 strategy=ddp", FOLDS="0", **common)
    assert proc.returncode == 0, proc.stderr[-3000:]
    run = tmp_path / "runs" / "leaves" / "leaves-cpu"
    folds = pd.read_csv(json.loads((run / "fingerprint.json").read_text())["folds_file"])
    want = folds["id"][folds["fold"] == 0].tolist()
    metrics = json.loads((run / "fold0" / "metrics.json").read_text())
    assert metrics["processes"] == 2 and metrics["n_val"] == len(want)          # two ranks trained it
    val = pd.read_csv(run / "fold0" / "val_pred.csv")
    assert val["image"].tolist() == want                                     # each row once: no padded duplicate
    assert (run / "fold0" / "best.ckpt").is_file() and (run / "fold0" / "last.ckpt").is_file()
    assert proc.stderr.count("fold 0: accuracy") == 1                        # one process reports
    assert not (run / "cv.json").exists() and not (run / "oof.csv").exists()  # not before the last fold
    assert not list(run.glob(".fold*")) and not list(run.rglob("*.tmp"))

    before = files_under(tmp_path)
    assert_user_error(make("leaves-cv", tmp_path, ARGS=TINY, **common), "fold 1 of", "is not complete yet", 'FOLDS="1"')
    assert files_under(tmp_path) == before

    proc = make("leaves-train", tmp_path, ARGS=TINY, FOLDS="1", **common)        # another job, one process
    assert proc.returncode == 0, proc.stderr[-3000:]
    cv = json.loads((run / "cv.json").read_text())
    assert len(cv["folds"]) == 2 and "CV accuracy" in proc.stderr
    oof = pd.read_csv(run / "oof.csv")
    assert oof["image"].tolist() == pd.read_csv(leaves_sample / "train.csv")["image"].tolist()
    proc = make("leaves-cv", tmp_path, ARGS=TINY, **common)                     # explicit assembly: the same
    assert proc.returncode == 0 and json.loads((run / "cv.json").read_text())["score"] == cv["score"]
