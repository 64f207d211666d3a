"""A new user's first hour on a table the kit has never seen (the loans layout: a non-`id` string id, string
labels, probability columns out of alphabetical order, a date, free text, a 900-level categorical): what `make
new` writes is what the next command accepts, the download is remembered, the slug is asked for, and the
report, hints and output say what they should."""

import json
import os
import shutil
import subprocess

import pandas as pd
import pytest

from kaggle_kit.paths import PROJECT_DIR, user_dir
from kaggle_kit.tabular.config import DEFAULT_LEARNERS
from kaggle_kit.tabular.samples import draw

from .conftest import REPO, assert_user_error, files_under, kit, make

pytestmark = pytest.mark.e2e       # runs the kit as a user does (make, trained models): make test-fast leaves it out

TINY = ("folds=2 gbdt.n_estimators=40 catboost.iterations=40 epochs=6 extra_trees.n_estimators=20 "
        "random_forest.n_estimators=20 encoding.tfidf_max_features=500 linear.inner_folds=3")


@pytest.fixture(scope="module")
def loans(tmp_path_factory):
    """make new on a download in a folder not named like the competition, then make auto with ARGS, once."""
    root = tmp_path_factory.mktemp("loans")
    data = draw("loans", root / "downloads" / "loan-risk-2026")
    new = make("new", root, COMP="loanrisk", DATA=str(data), METRIC="log_loss")
    assert new.returncode == 0, new.stderr[-3000:]
    auto = make("auto", root, COMP="loanrisk", ARGS=TINY)          # no DATA: the spec remembers it
    assert auto.returncode == 0, auto.stderr[-3000:]
    return root, data, new, auto


def test_new_records_the_download_and_passes_what_make_says(loans):
    root, data, new, auto = loans
    spec = (root / "competitions" / "loanrisk" / "competition.yaml").read_text()
    assert f"data: {data.relative_to(root)}" in spec and "metric: logloss" in spec    # METRIC= reached new
    assert "slug:" not in spec and "no slug given" not in new.stderr and "slug: none given" in new.stderr
    assert "answer_columns:\n- low\n- medium\n- high" in spec                      # the sample's order
    cv = json.loads((root / "runs/loanrisk/loanrisk-gbdt/cv.json").read_text())
    assert len(cv["folds"]) == 2                                                   # ARGS= reached auto
    assert "fold 0 (of 2)" in auto.stderr and "fold 1 (of 2)" in auto.stderr and "0/1" not in auto.stderr
    assert "Warning" not in auto.stderr, auto.stderr[-3000:]
    for target in ("leaderboard", "cv"):                                          # later commands, no DATA
        proc = make(target, root, COMP="loanrisk", **({"CONFIG": str(root / "configs/loanrisk-gbdt.yaml"),
                                                      "ARGS": TINY} if target == "cv" else {}))
        assert proc.returncode == 0, proc.stderr[-2000:]


def test_new_prints_every_columns_type_and_each_learner_sees_them_encoded(loans):
    """A date, free text and a high-cardinality code: typed by make new as it printed, written to the spec, and
    each learner sees them as the kind encodes them (date parts, text components or TF-IDF, target codes)."""
    root, data, new, auto = loans
    for line in ("numeric (3): income, amount, term", "categorical (1): purpose", "high_cardinality (1): branch",
                 "date (1): opened", "text (1): notes"):
        assert line in new.stderr, (line, new.stderr)
    spec = (root / "competitions" / "loanrisk" / "competition.yaml").read_text()
    assert "columns:\n  opened: date\n  branch: high_cardinality\n  purpose: categorical\n  notes: text\n" in spec
    runs = root / "runs" / "loanrisk"
    gbdt = pd.read_csv(runs / "loanrisk-gbdt" / "importance.csv", index_col=0).index.tolist()
    assert {"opened.year", "opened.days", "notes.svd0", "purpose"} <= set(gbdt)
    assert any(n.startswith("branch") and n.endswith(".te") for n in gbdt)
    linear = pd.read_csv(runs / "loanrisk-linear" / "importance.csv", index_col=0).index.tolist()
    assert "notes.words__late" in linear and any(n.startswith("notes.chars__") for n in linear)
    for learner in ("gbdt", "catboost"):                      # early stopping on the inner rows, recorded
        metrics = json.loads((runs / f"loanrisk-{learner}" / "fold0" / "metrics.json").read_text())
        seed = metrics["seeds"][0]
        assert 1 <= seed["rounds"] <= 40 and seed["refit_rounds"] >= seed["rounds"], metrics
    for learner in ("catboost", "gbdt", "linear", "extra_trees", "mlp", "random_forest"):
        assert f"] loanrisk-{learner}: CV logloss" in auto.stderr


def test_the_table_report_shows_its_plots_and_the_keys_the_run_read(loans):
    root, *_ = loans
    proc = make("report", root, COMP="loanrisk", EXP="loanrisk-catboost")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "(3 plots)" in proc.stderr
    page = (root / "runs/loanrisk/loanrisk-catboost/report.html").read_text()
    assert page.count("data:image/png;base64,") == 3 and "confusion matrix" in page and "calibration" in page
    assert "feature importance" in page and "<h2>Feature importance</h2>" in page
    config = page.split("<h2>Config</h2>")[1]
    assert "iterations: 40" in config and "depth: 6" in config
    for unused in ("epochs:", "optimizer:", "lr:", "gbdt:", "linear:", "kind: ridge"):
        assert unused not in config, unused
    proc = make("report", root, COMP="loanrisk", EXP="loanrisk-linear")
    config = (root / "runs/loanrisk/loanrisk-linear/report.html").read_text().split("<h2>Config</h2>")[1]
    assert "alphas:" in config and "kind: ridge" in config and "l1_ratio" not in config   # elastic net's only


def test_hints_lead_somewhere(loans):
    root, *_ = loans
    blend = "blend-" + "+".join(f"loanrisk-{learner}" for learner in DEFAULT_LEARNERS)
    assert_user_error(make("report", root, COMP="loanrisk", EXP=blend), "is a blend", "make leaderboard")
    spec = root / "competitions" / "loanrisk" / "competition.yaml"
    before = spec.read_text()
    try:
        spec.write_text(before + "slug: loan-risk-2026\n")
        proc = make("kaggle-submit", root, COMP="loanrisk", EXP="auto", DRY="1")
        assert_user_error(proc, f"'auto' is make auto's copy of {blend}", f"BLEND={blend}")
        proc = make("kaggle-submit", root, COMP="loanrisk", BLEND=blend, DRY="1")
        assert proc.returncode == 0 and "-c loan-risk-2026" in proc.stdout, proc.stderr[-2000:]
    finally:
        spec.write_text(before)
    assert_user_error(kit("train", "loanrisk", "--args", "n_estimators=100", root=root),
                      "unknown config key 'n_estimators'", "gbdt.n_estimators")


def test_without_a_slug_the_kaggle_commands_say_how_to_set_one(loans, tmp_path):
    root, *_ = loans
    for target, extra in (("download", {}), ("kaggle-submit", {"EXP": "loanrisk-gbdt", "DRY": "1"}),
                          ("lb", {})):
        assert_user_error(make(target, root, COMP="loanrisk", **extra), "has no Kaggle slug", "SLUG=")


def test_a_blend_rule_that_cannot_fit_the_metric_is_refused_and_a_forced_rule_keeps_the_default(loans):
    root, *_ = loans
    exps = "loanrisk-gbdt loanrisk-linear"
    for rule, why in (("rank_mean", "ranks, not probabilities"), ("vote", "one-hot")):
        assert_user_error(make("blend", root, COMP="loanrisk", EXPS=exps, RULE=rule), f"RULE={rule}", why,
                          "mean, select, weighted, stack, best")
    assert make("blend", root, COMP="loanrisk", EXPS=exps).returncode == 0
    default = root / "submissions/loanrisk/blend-loanrisk-gbdt+loanrisk-linear.csv"
    before = default.read_bytes()
    proc = make("blend", root, COMP="loanrisk", EXPS=exps, RULE="weighted")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert default.read_bytes() == before
    summary = json.loads((root / "runs/loanrisk/blends/blend-loanrisk-gbdt+loanrisk-linear@weighted.json").read_text())
    assert summary["rule"] == "weighted" and summary["chosen_by"] == "RULE="
    assert (root / "submissions/loanrisk/blend-loanrisk-gbdt+loanrisk-linear@weighted.csv").is_file()


def test_a_moved_download_is_one_line(loans, tmp_path):
    root, data, *_ = loans
    moved = data.with_name("elsewhere")
    data.rename(moved)
    try:
        assert_user_error(make("leaderboard", root, COMP="loanrisk"), "which is gone", "DATA=")
        assert make("leaderboard", root, COMP="loanrisk", DATA=str(moved)).returncode == 0
    finally:
        moved.rename(data)


@pytest.mark.parametrize("break_it, words", [
    ("target_lacking", ["lacks the feature column", "extra"]),
    ("sample_ids", ["lists other ids than test.csv"]),
])
def test_new_runs_the_load_checks_before_writing(tmp_path, break_it, words):
    data = draw("loans", tmp_path / "dl")
    if break_it == "target_lacking":          # --target names one of two columns test lacks: the other is a feature
        train = pd.read_csv(data / "train.csv", dtype=str)
        train["extra"] = ["x", "y"] * (len(train) // 2)
        train.to_csv(data / "train.csv", index=False)
        options = {"TARGET": "risk"}
    else:
        sample = pd.read_csv(data / "sample_submission.csv", dtype=str)
        sample.loc[0, "loan_ref"] = "LN-NOT-IN-TEST"
        sample.to_csv(data / "sample_submission.csv", index=False)
        options = {}
    before = files_under(tmp_path)
    assert_user_error(make("new", tmp_path, COMP="broken", DATA=str(data), **options), *words)
    assert files_under(tmp_path) == before


def test_new_writes_outside_the_kits_tracked_tree(tmp_path):
    assert user_dir(PROJECT_DIR) == PROJECT_DIR / "local"          # make runs in the checkout: local/
    ignored = subprocess.run(["git", "-C", str(REPO), "check-ignore", "-q", "local/competitions/x/competition.yaml"])
    assert ignored.returncode == 0
    assert user_dir(tmp_path) == tmp_path                           # any other work root: as before
    mine = tmp_path / "mine"
    data = draw("prices", tmp_path / "dl" / "prices")
    env = {**os.environ, "KIT_USER_DIR": str(mine)}
    new = subprocess.run(["make", "--no-print-directory", "-C", str(REPO), "new", "COMP=pricey",
                          f"DATA={data}", "METRIC=rmsle"], env={**env, "KIT_ROOT": str(tmp_path)},
                         capture_output=True, text=True)
    assert new.returncode == 0, new.stderr[-2000:]
    assert f"wrote {mine}/competitions/pricey/competition.yaml" in new.stderr and f"{mine}/configs/pricey.yaml" in new.stderr
    assert (mine / "configs" / "pricey-gbdt.yaml").is_file() and not (tmp_path / "competitions").exists()
    train = subprocess.run(["make", "--no-print-directory", "-C", str(REPO), "train", "COMP=pricey",
                            f"CONFIG={mine}/configs/pricey-linear.yaml", "ARGS=folds=2"],
                           env={**env, "KIT_ROOT": str(tmp_path)}, capture_output=True, text=True)
    assert train.returncode == 0, train.stderr[-2000:]
    assert (tmp_path / "runs" / "pricey" / "pricey-linear" / "cv.json").is_file()
    shutil.rmtree(mine)


def test_the_written_config_lists_every_key_and_uncommented_it_loads_as_written(loans, tmp_path):
    from kaggle_kit.config import load_config
    from kaggle_kit.tabular.config import TableConfig

    root, *_ = loans
    text = (root / "configs" / "loanrisk.yaml").read_text()
    assert "#   n_estimators: 5000" in text and "#   iterations: 5000" in text and "# epochs: 40" in text
    assert "#   early_stopping_rounds: 100" in text and "# inner_share: 0.15" in text
    body, _, commented = text.partition("# every other key")
    keys = [line[2:] for line in commented.splitlines()[2:]]
    (tmp_path / "open.yaml").write_text(body + "\n".join(keys) + "\n")
    opened = load_config(TableConfig, tmp_path / "open.yaml", tmp_path)
    assert opened == load_config(TableConfig, root / "configs" / "loanrisk.yaml", tmp_path)
