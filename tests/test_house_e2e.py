"""The real make targets on the synthetic sample with a shrunk config."""

import base64
import json
import re
import shutil

import numpy as np
import pandas as pd
import pytest
import torch

from competitions.house_prices.data import read_split
from competitions.house_prices.features import transform

from .conftest import HOUSE_LEARNERS, assert_user_error, files_under, kit, make

pytestmark = pytest.mark.e2e       # runs the kit as a user does (make, trained models): make test-fast leaves it out

TINY = "epochs=2 folds=2 seeds=1 batch_size=64 mlp.hidden=[16] progress_bar=false"
SLUG = "house-prices-advanced-regression-techniques"


@pytest.fixture(scope="module")
def fallback(tmp_path_factory):
    """make house-train with no data: the synthetic sample is drawn and trained on, once for the steps below
    (each reported on its own; they run in this order on the same work root)."""
    root = tmp_path_factory.mktemp("house-fallback")
    proc = make("house-train", root, ARGS=TINY)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return root, proc


def test_train_on_the_sample_fallback_pools_the_folds(fallback):
    tmp_path, proc = fallback
    assert "using the synthetic sample" in proc.stderr
    sample = tmp_path / "data" / "samples" / SLUG
    assert (sample / "train.csv").is_file() and (sample / "sample_submission.csv").is_file()
    run = tmp_path / "runs" / "house" / "house"
    cv = json.loads((run / "cv.json").read_text())
    assert cv["metric"] == "rmse_log" and cv["higher_is_better"] is False and len(cv["folds"]) == 2
    assert "CV rmse_log" in proc.stderr and "fold 1: rmse_log" in proc.stderr
    train = pd.read_csv(sample / "train.csv")
    oof = pd.read_csv(run / "oof.csv")
    assert oof["Id"].tolist() == train["Id"].tolist() and set(oof["fold"]) == {0, 1}
    for k in range(2):
        ckpt = torch.load(run / f"fold{k}" / "best.ckpt", weights_only=True)
        assert set(ckpt) >= {"features", "models"} and set(ckpt["models"][0]) >= {"state_dict", "target"}
        assert (run / f"fold{k}" / "logs" / "seed0" / "metrics.csv").is_file()
    assert len(list((tmp_path / "runs" / "house" / "folds").iterdir())) == 1


def test_submit_averages_the_folds_exp_of_their_logs(fallback):
    tmp_path, _ = fallback
    run, sample = tmp_path / "runs" / "house" / "house", tmp_path / "data" / "samples" / SLUG
    proc = make("house-submit", tmp_path, ARGS=TINY)
    assert proc.returncode == 0, proc.stderr[-3000:]
    sub = pd.read_csv(tmp_path / "submissions" / "house" / "house.csv")
    test = pd.read_csv(sample / "test.csv")
    assert list(sub.columns) == ["Id", "SalePrice"] and sub["Id"].tolist() == test["Id"].tolist()
    assert (sub["SalePrice"] > 0).all() and sub["SalePrice"].notna().all()
    folds = [pd.read_csv(run / f"fold{k}" / "test_pred.csv")["pred"] for k in range(2)]
    assert sub["SalePrice"].to_numpy() == pytest.approx(np.exp((folds[0] + folds[1]) / 2), rel=1e-9)


def test_a_rerun_skips_complete_folds_and_plots_follow_the_plots_key(fallback):
    """The same command again skips the complete folds; plots=false (an execution key) pools without drawing
    and drops the earlier pooling's plots; the report draws them when asked."""
    tmp_path, _ = fallback
    run = tmp_path / "runs" / "house" / "house"
    proc = make("house-train", tmp_path, ARGS=TINY)
    assert proc.returncode == 0 and proc.stderr.count("complete, skipped") == 2
    names = ["largest_residuals.png", "learning_curves.png", "oof_pred_vs_true.png"]
    assert sorted(p.name for p in (run / "plots").glob("*.png")) == names
    proc = make("house-train", tmp_path, ARGS=TINY + " plots=false")
    assert proc.returncode == 0 and "plots: not drawn (plots=false)" in proc.stderr, proc.stderr[-3000:]
    assert not list((run / "plots").glob("*.png")) and (run / "cv.json").is_file()
    proc = make("house-report", tmp_path, EXP="house")
    assert proc.returncode == 0 and "(3 plots)" in proc.stderr, proc.stderr[-3000:]
    assert sorted(p.name for p in (run / "plots").glob("*.png")) == names


def test_changed_settings_are_refused_and_nothing_is_touched(fallback):
    tmp_path, _ = fallback
    before = files_under(tmp_path)
    proc = make("house-train", tmp_path, ARGS=TINY + " lr=0.5")
    assert_user_error(proc, "changed: lr", "FORCE=1")
    proc = make("house-submit", tmp_path, ARGS=TINY + " mlp.dropout=0.5")
    assert_user_error(proc, "changed: mlp.dropout")
    assert files_under(tmp_path) == before


def test_real_layout_with_unseen_test_categories(tmp_path, house_sample):
    data = tmp_path / "dl"
    shutil.copytree(house_sample, data)
    test = (data / "test.csv").read_text().splitlines()
    header = test[0].split(",")
    row = test[1].split(",")
    row[header.index("Neighborhood")] = "Atlantis"     # a level never seen in train.csv
    row[header.index("MSZoning")] = "NA"
    (data / "test.csv").write_text("\n".join([test[0], ",".join(row), *test[2:]]) + "\n")
    (data / "sample_submission.csv").unlink()           # the pipeline works without it too
    kit("train", "house", "--data", str(data), "--args", TINY, root=tmp_path, check=True)
    kit("submit", "house", "--data", str(data), "--args", TINY, root=tmp_path, check=True)
    sub = pd.read_csv(tmp_path / "submissions" / "house" / "house.csv")
    assert len(sub) == len(test) - 1 and sub["SalePrice"].notna().all()


BLEND = "blend-house+house-gbdt+house-linear@weighted"


@pytest.fixture(scope="module")
def learners(house_learners):
    """Every house learner trained on the sample once a session (conftest), for the steps below, each reported
    on its own: (work root, each run's cv.json)."""
    cvs = {exp: json.loads((house_learners / "runs" / "house" / exp / "cv.json").read_text())
           for exp in HOUSE_LEARNERS}
    return house_learners, cvs


def test_every_learner_gives_the_same_artefacts_on_shared_folds(learners, house_sample):
    tmp_path, cvs = learners
    runs = tmp_path / "runs" / "house"
    shared = {"metrics.json", "val_pred.csv", "test_pred.csv"}
    assert shared | {"model_seed0.txt", "features.json"} <= {p.name for p in (runs / "house-gbdt/fold0").iterdir()}
    assert shared | {"model.json", "features.json"} <= {p.name for p in (runs / "house-linear/fold1").iterdir()}
    assert json.loads((runs / "house-linear/fold1/model.json").read_text())["kind"] == "lasso"
    assert shared | {"model.json", "features.json"} <= {p.name for p in (runs / "house-svr/fold0").iterdir()}
    assert len(json.loads((runs / "house-svr/fold0/model.json").read_text())["support_vectors"]) > 10
    assert shared | {"model_seed0.cbm", "features.json"} <= {p.name for p in (runs / "house-catboost/fold1").iterdir()}
    assert not (tmp_path / "catboost_info").exists()       # the CLI's working directory: no training logs
    _, test, _ = read_split(house_sample)                      # the saved trees reload without pickle, and
    state = json.loads((runs / "house-catboost/fold1/features.json").read_text())   # predict what the fold wrote
    from catboost import CatBoostRegressor

    trees = CatBoostRegressor().load_model(str(runs / "house-catboost/fold1/model_seed0.cbm"), format="cbm")
    assert trees.tree_count_ == 50
    written = pd.read_csv(runs / "house-catboost/fold1/test_pred.csv")["pred"].to_numpy()
    assert np.allclose(trees.predict(transform(test, state)), written, atol=1e-6)
    assert {tuple(sorted(cv)) for cv in cvs.values()} == {tuple(sorted(cvs["house"]))}
    folds = {json.loads((runs / exp / "fingerprint.json").read_text())["folds_file"] for exp in HOUSE_LEARNERS}
    assert len(folds) == 1                                    # one folds file shared by every learner
    oofs = [pd.read_csv(runs / exp / "oof.csv") for exp in HOUSE_LEARNERS]
    assert all(o["Id"].tolist() == oofs[0]["Id"].tolist() and o["fold"].equals(oofs[0]["fold"]) for o in oofs)


def test_a_forced_rule_blends_the_runs(learners, house_sample):
    tmp_path, _ = learners
    runs = tmp_path / "runs" / "house"
    proc = make("house-blend", tmp_path, DATA=str(house_sample), EXPS="house house-gbdt house-linear",
                RULE="weighted")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "blend: stack" in proc.stderr and "rule: weighted" in proc.stderr
    sub = pd.read_csv(tmp_path / "submissions" / "house" / "blend-house+house-gbdt+house-linear@weighted.csv")
    assert sub["Id"].tolist() == pd.read_csv(house_sample / "test.csv")["Id"].tolist()
    assert (sub["SalePrice"] > 0).all()
    summary = json.loads((runs / "blends" / "blend-house+house-gbdt+house-linear@weighted.json").read_text())
    assert summary["rule"] == "weighted" and sum(summary["rules"]["weighted"]["weights"]) == pytest.approx(1)


def test_every_run_drew_its_plots_and_the_report_holds_them(learners, house_sample):
    tmp_path, cvs = learners
    runs = tmp_path / "runs" / "house"
    png = b"\x89PNG\r\n\x1a\n"
    plots = {exp: sorted((runs / exp / "plots").iterdir()) for exp in HOUSE_LEARNERS}
    assert [p.name for p in plots["house"]] == ["largest_residuals.png", "learning_curves.png", "oof_pred_vs_true.png"]
    assert [p.name for p in plots["house-gbdt"]] == ["largest_residuals.png", "oof_pred_vs_true.png"]  # no epochs
    assert all(p.read_bytes().startswith(png) and p.stat().st_size > 5000 for ps in plots.values() for p in ps)
    proc = make("house-report", tmp_path, DATA=str(house_sample), EXP="house")
    assert proc.returncode == 0, proc.stderr[-3000:]
    page = (runs / "house" / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 3 and "<img" in page and "http" not in page
    assert all(base64.b64encode(p.read_bytes()).decode() in page for p in plots["house"])
    assert f"{cvs['house']['score']:.5f}" in page and f"{cvs['house']['folds'][1]:.5f}" in page
    assert_user_error(make("house-report", tmp_path, DATA=str(house_sample), EXP="nope"), "'nope' has no complete run")


def test_the_leaderboard_lists_every_run_and_the_blend(learners, house_sample):
    """After the blend step: every run and the blend, best first, with SEs and paired differences."""
    tmp_path, cvs = learners
    runs = tmp_path / "runs" / "house"
    proc = make("house-leaderboard", tmp_path, DATA=str(house_sample))
    assert proc.returncode == 0, proc.stderr[-3000:]
    table = (runs / "leaderboard.md").read_text()
    assert proc.stdout.endswith(table)                                    # printed as written
    rows = [line[2:-2].split(" | ") for line in table.splitlines() if line.startswith("| ") and not line.startswith("| #")]
    names = [r[1] for r in rows]
    assert sorted(names) == sorted([*HOUSE_LEARNERS, BLEND])
    scores = [float(r[2]) for r in rows]
    assert scores == sorted(scores)                                        # rmse: lowest first
    row = dict(zip(names, rows, strict=True))
    assert float(row["house-svr"][2]) == pytest.approx(cvs["house-svr"]["score"], abs=1e-5)
    assert row["house-svr"][3] == f"{cvs['house-svr']['score_se']:.5f}"            # ± SE
    assert rows[0][4] == "best"                                                      # paired difference to the best
    assert all(re.fullmatch(r"\+\d\.\d{5} ± \d\.\d{5}( ≈)?", r[4]) for r in rows[1:])
    assert "model=svr" in row["house-svr"][7] and "folds=2" in row["house-svr"][7]
    assert row["house-gbdt"][8].endswith(" s") and row["house-gbdt"][9] == "-"        # trained, not submitted
    assert "rule=weighted" in row[BLEND][7] and row[BLEND][9].startswith("submissions/house/blend-")


def test_make_auto_on_house_trains_its_five_learners_on_the_sample(tmp_path):
    """house is a table spec: the generic `make auto` builds its sample, trains every learner the spec lists
    and blends them, like any download `make new` read."""
    args = "folds=2 seeds=1 epochs=2 mlp.hidden=[16] gbdt.n_estimators=40 catboost.iterations=40 progress_bar=false"
    proc = make("auto", tmp_path, COMP="house", ARGS=args)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for learner in ("mlp", "gbdt", "catboost", "linear", "svr"):
        cv = json.loads((tmp_path / "runs" / "house" / f"house-{learner}" / "cv.json").read_text())
        assert cv["metric"] == "rmse_log" and "score_without_outliers" in cv and len(cv["folds"]) == 2
    sub = pd.read_csv(tmp_path / "submissions" / "house" / "auto.csv")
    assert list(sub.columns) == ["Id", "SalePrice"] and (sub["SalePrice"] > 0).all()
