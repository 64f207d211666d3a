"""A spec table's hook module (kaggle_kit.tabular.hooks): engineered columns reach every learner, the row filter
keeps rows out of fitting but not out of scoring, the bundle carries the module and predicts offline to the
byte, the hook may draw the sample, and a broken hook is one line."""

import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from kaggle_kit.tabular.samples import draw

from .conftest import assert_user_error, files_under, make

pytestmark = pytest.mark.e2e       # runs the kit as a user does (make, trained models): make test-fast leaves it out

HOOKS = '''
import numpy as np


def features(frame):
    frame["f0_x_f1"] = frame["f0"] * frame["f1"]          # an interaction the linear model cannot make itself
    return frame.drop(columns=["colour"])


def fit_rows(train, cfg):
    return (train["Price"] < train["Price"].quantile(0.95)).to_numpy()    # the fold's dearest 5%: not fitted on
'''
TINY = "folds=2 gbdt.n_estimators=30"


@pytest.fixture(scope="module")
def hooked(tmp_path_factory):
    root = tmp_path_factory.mktemp("hooks")
    data = draw("prices", root / "downloads" / "prices")
    assert make("new", root, COMP="hk", DATA=str(data), METRIC="rmsle").returncode == 0
    folder = root / "competitions" / "hk"
    (folder / "hooks.py").write_text(HOOKS)
    with open(folder / "competition.yaml", "a") as f:
        f.write("hooks: hooks.py\n")
    return root, data, folder


def test_hook_columns_and_row_filter_reach_the_fold(hooked):
    root, data, _ = hooked
    for learner in ("linear", "gbdt"):
        proc = make("train", root, COMP="hk", CONFIG=str(root / f"configs/hk-{learner}.yaml"), ARGS=TINY)
        assert proc.returncode == 0, proc.stderr[-3000:]
    train = pd.read_csv(data / "train.csv")
    oof = pd.read_csv(root / "runs/hk/hk-linear/oof.csv")
    assert len(oof) == len(train)                                         # every row scored, dear ones too
    for k in range(2):
        m = json.loads((root / f"runs/hk/hk-linear/fold{k}/metrics.json").read_text())
        val = set(pd.read_csv(root / f"runs/hk/hk-linear/fold{k}/val_pred.csv")["Id"])
        price = train["Price"][~train["Id"].isin(val)]                   # the rule sees the fold's training rows
        assert m["n_fit"] == int((price < price.quantile(0.95)).sum()) < len(price)
        assert m["n_features"] == 6 + 1                                   # f0..f5 and the interaction, no colour
    saved = json.loads((root / "runs/hk/hk-linear/fold0/model.json").read_text())["features"]
    assert any("f0_x_f1" in f for f in saved) and not any("colour" in f for f in saved)


def test_the_bundle_carries_the_hook_and_predicts_offline_to_the_byte(hooked, tmp_path):
    root, data, _ = hooked
    proc = make("submit", root, COMP="hk", CONFIG=str(root / "configs/hk-linear.yaml"), ARGS=TINY)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert make("bundle", root, COMP="hk", EXP="hk-linear").returncode == 0
    bundle = root / "bundles" / "hk-hk-linear"
    assert (bundle / "hooks.py").read_text() == HOOKS
    out = tmp_path / "submission.csv"
    env = {k: v for k, v in os.environ.items() if k != "KIT_ROOT"}
    run = subprocess.run([sys.executable, str(bundle / "predict.py"), "--data", str(data), "--out", str(out)],
                         capture_output=True, text=True, env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert out.read_bytes() == (root / "submissions/hk/hk-linear.csv").read_bytes()


def test_changing_the_hook_changes_the_data_fingerprint(hooked):
    root, _, folder = hooked
    before = json.loads((root / "runs/hk/hk-linear/fingerprint.json").read_text())
    text = (folder / "hooks.py").read_text()
    try:
        (folder / "hooks.py").write_text(text.replace("0.95", "0.9"))
        proc = make("train", root, COMP="hk", CONFIG=str(root / "configs/hk-linear.yaml"), ARGS=TINY)
        assert_user_error(proc, "FORCE=1")                     # trained on other data: not silently reused
    finally:
        (folder / "hooks.py").write_text(text)
    assert json.loads((root / "runs/hk/hk-linear/fingerprint.json").read_text()) == before


BROKEN = {
    "missing file": (None, ["hooks.py", "is not there"]),
    "nothing defined": ("x = 1\n", ["defines none of features, fit_rows"]),
    "drops the id": ("def features(frame):\n    return frame.drop(columns=['Id'])\n", ["must keep column Id"]),
    "fails": ("def features(frame):\n    return frame['nope']\n", ["features() fails on train.csv", "KeyError"]),
    "mask of the wrong length": ("def fit_rows(train, cfg):\n    return [True]\n", ["one true/false per training row"]),
    "import error": ("import not_a_module\n", ["fails on import", "ModuleNotFoundError"]),
}


@pytest.mark.parametrize("case", BROKEN)
def test_a_broken_hook_is_one_line(case, hooked, tmp_path):
    root, data, folder = hooked
    text, words = BROKEN[case]
    work = tmp_path / "work"
    (work / "competitions").mkdir(parents=True)
    import shutil

    shutil.copytree(folder, work / "competitions" / "hk")
    shutil.copytree(root / "configs", work / "configs")
    if text is None:
        (work / "competitions/hk/hooks.py").unlink()
    else:
        (work / "competitions/hk/hooks.py").write_text(text)
    before = files_under(work)
    proc = make("train", work, COMP="hk", DATA=str(data), CONFIG=str(work / "configs/hk-linear.yaml"), ARGS=TINY)
    assert_user_error(proc, *words)
    assert files_under(work) == before


def test_the_hook_may_draw_the_sample(tmp_path):
    root = tmp_path
    data = draw("prices", root / "downloads" / "prices")
    assert make("new", root, COMP="hs", DATA=str(data), METRIC="rmsle").returncode == 0
    folder = root / "competitions" / "hs"
    (folder / "hooks.py").write_text("from kaggle_kit.tabular import samples\n\n\ndef build_sample(dest):\n"
                                     "    samples.prices(dest, n_train=80, n_test=20)\n")
    spec = (folder / "competition.yaml").read_text()
    (folder / "competition.yaml").write_text("\n".join(ln for ln in spec.splitlines() if not ln.startswith("data:"))
                                             + "\nhooks: hooks.py\n")
    proc = make("sample", root, COMP="hs")
    assert proc.returncode == 0, proc.stderr[-2000:]
    drawn = next(root.glob("data/samples/*/train.csv"))
    assert len(pd.read_csv(drawn)) == 80
