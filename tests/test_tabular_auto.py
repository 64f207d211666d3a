"""A table download the kit has never seen, from `make new` to `make auto`'s blended submission, on each drawn
layout; and the table downloads' bad inputs, each one line with nothing written."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from kaggle_kit.ensembling.blend import blend_name as kit_blend_name
from kaggle_kit.tabular.config import DEFAULT_LEARNERS
from kaggle_kit.tabular.samples import draw

from .conftest import assert_user_error, files_under, kit, make

pytestmark = pytest.mark.e2e       # runs the kit as a user does (make, trained models): make test-fast leaves it out

# the real configs, shrunk: fewer folds and trees (tests shrink the config, never the code path)
SHRINK = ("folds: 3\nepochs: 12\ngbdt:\n  n_estimators: 80\ncatboost:\n  iterations: 80\nextra_trees:\n"
          "  n_estimators: 40\nrandom_forest:\n  n_estimators: 40\n")
LEARNERS = DEFAULT_LEARNERS                               # what make new lists, in make auto's order
LAYOUTS = {  # layout: (options of make new, sample file, how the CV must beat chance)
    "passengers": ("", "gender_submission.csv", lambda s: s > 0.65),
    "binary_probability": ("", "sample_submission.csv", lambda s: s > 0.7),
    "multiclass": ("", "sample_submission.csv", lambda s: s < np.log(4) - 0.1),
    "prices": ("rmsle", "sample_submission.csv", lambda s: s < 0.5),   # predicting the mean: 0.586
}


def new_competition(tmp_path, layout, metric=""):
    data = draw(layout, tmp_path / "downloads" / layout)
    proc = make("new", tmp_path, COMP=f"t-{layout}", DATA=str(data), **({"METRIC": metric} if metric else {}))
    assert proc.returncode == 0, proc.stderr[-3000:]
    with open(tmp_path / "configs" / f"t-{layout}.yaml", "a") as f:
        f.write(SHRINK)
    return data


@pytest.mark.parametrize("layout", LAYOUTS)
def test_new_then_auto_gives_a_validated_submission(layout, tmp_path):
    metric, sample_name, beats_chance = LAYOUTS[layout]
    data = new_competition(tmp_path, layout, metric)
    name = f"t-{layout}"
    spec_text = (tmp_path / "competitions" / name / "competition.yaml").read_text()
    assert "kind: tabular" in spec_text and f"sample_submission: {sample_name}" in spec_text
    proc = make("auto", tmp_path, COMP=name, DATA=str(data))
    assert proc.returncode == 0, proc.stderr[-3000:]
    sample = pd.read_csv(data / sample_name, dtype=str)
    answer = pd.read_csv(tmp_path / "submissions" / name / "auto.csv", dtype=str)
    assert list(answer.columns) == list(sample.columns)
    assert answer.iloc[:, 0].tolist() == sample.iloc[:, 0].tolist()       # the sample's rows, ids verbatim
    spec_metric = json.loads((tmp_path / "runs" / name / f"{name}-gbdt" / "cv.json").read_text())["metric"]
    values = answer.iloc[:, 1:]
    if layout == "passengers":
        assert set(values["Survived"]) <= {"0", "1"} and len(set(values["Survived"])) == 2
        run = tmp_path / "runs" / name / f"{name}-gbdt"          # labels by the threshold tuned out of fold
        cv = json.loads((run / "cv.json").read_text())
        assert set(cv["decision"]) == {"threshold"} and "score_untuned_rule" in cv
        mean = np.mean([pd.read_csv(run / f"fold{k}" / "test_pred.csv")["pred"] for k in range(3)], axis=0)
        mine = pd.read_csv(tmp_path / "submissions" / name / f"{name}-gbdt.csv", dtype=str)
        assert mine["Survived"].tolist() == [str(int(v)) for v in mean >= cv["decision"]["threshold"]]
    elif layout == "multiclass":
        probs = values.to_numpy(float)
        assert ((probs >= 0) & (probs <= 1)).all() and np.allclose(probs.sum(1), 1, atol=0.02)
    else:
        v = values.to_numpy(float)
        assert np.isfinite(v).all() and (v >= 0).all() and (layout == "prices" or (v <= 1).all())
    for learner in LEARNERS:
        cv = json.loads((tmp_path / "runs" / name / f"{name}-{learner}" / "cv.json").read_text())
        assert cv["metric"] == spec_metric and len(cv["folds"]) == 3 and beats_chance(cv["score"]), (learner, cv)
    blend_name = kit_blend_name([f"{name}-{learner}" for learner in LEARNERS], None).removeprefix("blend-")
    blend = json.loads((tmp_path / "runs" / name / "blends" / f"blend-{blend_name}.json").read_text())
    assert beats_chance(blend["rules"][blend["rule"]]["nested_oof"])
    assert f"blend-{blend_name}" in proc.stdout      # the leaderboard
    before = (tmp_path / "submissions" / name / "auto.csv").read_bytes()
    again = make("auto", tmp_path, COMP=name, DATA=str(data))                      # resumes: nothing retrained
    assert again.returncode == 0 and again.stderr.count("complete, skipped") == 3 * len(LEARNERS), again.stderr[-2000:]
    assert (tmp_path / "submissions" / name / "auto.csv").read_bytes() == before

    if layout not in ("passengers", "multiclass"):     # the label rule's and the class columns' paths suffice
        return
    # the blend's offline bundle: each learner's saved fold models predict the test rows again, to the byte
    proc = make("bundle", tmp_path, COMP=name, BLEND=blend_name)
    assert proc.returncode == 0, proc.stderr[-3000:]
    bundle = tmp_path / "bundles" / f"{name}-blend-{blend_name}"
    members = bundle / "members"
    assert (bundle / "competition.yaml").is_file() and (members / f"{name}-linear/folds/fold2/model.json").is_file()
    assert (members / f"{name}-mlp/folds/fold2/best.ckpt").is_file()
    out = tmp_path / "kaggle" / "submission.csv"
    out.parent.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "KIT_ROOT"}
    run = subprocess.run([sys.executable, str(bundle / "predict.py"), "--data", str(data), "--out", str(out)],
                         capture_output=True, text=True, env=env, cwd=tmp_path / "kaggle")
    assert run.returncode == 0, run.stderr[-3000:]
    assert out.read_bytes() == before


def add_target_to_test(d):
    test = pd.read_csv(d / "test.csv")
    test.assign(target=0).to_csv(d / "test.csv", index=False)


def other_sample_ids(d):
    s = pd.read_csv(d / "sample_submission.csv")
    s.loc[3, "id"] = 99999999
    s.to_csv(d / "sample_submission.csv", index=False)


def repeated_id(d):
    t = pd.read_csv(d / "train.csv")
    t.loc[5, "id"] = t.loc[4, "id"]
    t.to_csv(d / "train.csv", index=False)


def spec_metric(metric):
    def change(root):
        path = root / "competitions" / "t-binary_probability" / "competition.yaml"
        path.write_text(path.read_text().replace("metric: auc", f"metric: {metric}"))
    return change


# name: (how the download breaks, how the spec breaks, words)
BAD = {
    "target column also in test": (add_target_to_test, None, ["test.csv also has the target column target"]),
    "sample submission of other ids": (other_sample_ids, None, ["lists other ids than test.csv"]),
    "repeated id": (repeated_id, None, ["train.csv: id", "more than one row"]),
    "metric that does not fit the problem": (None, spec_metric("rmse"), ["metric rmse does not fit a binary"]),
    "unknown metric in the spec": (None, spec_metric("r2"), ["metric 'r2' is not one of"]),
}


@pytest.fixture(scope="module")
def spec_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("spec")
    new_competition(root, "binary_probability")
    return root


@pytest.mark.parametrize("case", BAD)
def test_bad_table_input(case, spec_root, tmp_path):
    break_data, break_spec, words = BAD[case]
    root = tmp_path / "work"
    shutil.copytree(spec_root, root)
    data = root / "downloads" / "binary_probability"
    if break_data:
        break_data(data)
    if break_spec:
        break_spec(root)
    before = files_under(root)
    proc = kit("train", "t-binary_probability", "--data", str(data), root=root)
    assert_user_error(proc, *words)
    assert files_under(root) == before
