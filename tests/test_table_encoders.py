"""Issue 36: what each column is, the encoders fitted inside the training fold, early stopping on an inner split,
and make auto's time budget. The leakage checks change the scored fold's targets and ask for the same
predictions to the byte; each has a twin that changes rows the fold does read, which must move them (so the
check can fail)."""

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from kaggle_kit.config import validate
from kaggle_kit.errors import UserError
from kaggle_kit.tabular.columns import column_type, date_parts, has_time
from kaggle_kit.tabular.config import TableConfig
from kaggle_kit.tabular.samples import draw
from kaggle_kit.tabular.spec_task import SpecTabularTask
from kaggle_kit.tabular.table_fold import INNER_STREAM, fit_table_fold
from kaggle_kit.task import FoldContext
from kaggle_kit.training.seeding import derive_seed

from .conftest import kit

pytestmark = pytest.mark.e2e       # runs the kit as a user does (make, trained models): make test-fast leaves it out

SMALL = {"gbdt": {"n_estimators": 400, "learning_rate": 0.1, "early_stopping_rounds": 20},
         "catboost": {"iterations": 300, "learning_rate": 0.2, "early_stopping_rounds": 20},
         "linear": {"alphas": [0.1, 1.0, 10.0], "inner_folds": 3},
         "mlp": {"hidden": [16]}, "epochs": 6,
         "encoding": {"tfidf_max_features": 400, "svd_components": 4}}


def config(model: str, **more) -> TableConfig:
    return validate(TableConfig, {**SMALL, "model": model, **more})


def fold(task, data, cfg, out, y=None):
    """Fold 0 of five (every fifth row scored): its validation predictions and metrics."""
    if y is not None:
        data = dataclasses.replace(data, y=y)
    idx = np.arange(len(data.y))
    out.mkdir(parents=True, exist_ok=True)
    ctx = FoldContext(fold=0, dir=out, train_idx=idx[idx % 5 != 0], val_idx=idx[idx % 5 == 0])
    result = fit_table_fold(cfg, data, ctx, task.spec)
    return result.val.iloc[:, 1:].to_numpy(), result.metrics


def choice(metrics) -> list[dict]:
    """What each seed's model chose (rounds, epoch, the inner loss), without its seconds."""
    return [{k: v for k, v in seed.items() if k != "seconds"} for seed in metrics["seeds"]]


def scored_fold_relabelled(data):
    y = data.y.copy()
    scored = np.arange(len(y)) % 5 == 0
    y[scored] = (y[scored] + 1) % 3
    return y


def test_column_types_from_values():
    n = 400
    rng = np.random.default_rng(0)
    assert column_type(pd.Series(rng.normal(size=n)))[0] == "numeric"
    assert column_type(pd.Series(np.arange(1, n + 1)), pd.Series(np.arange(n + 1, n + 101)))[0] == "id"
    assert column_type(pd.Series(rng.integers(0, 10**9, n)))[0] == "numeric"           # unique, not a counter
    assert column_type(pd.Series(pd.date_range("2020-01-01", periods=n).strftime("%Y-%m-%d")))[0] == "date"
    assert column_type(pd.Series(pd.date_range("2020-01-01", periods=n).strftime("%m/%d/%Y")))[0] == "date"
    assert column_type(pd.Series(rng.choice(["a", "b", "c"], n)))[0] == "categorical"
    assert column_type(pd.Series([f"shop{v}" for v in rng.integers(0, 120, n)]))[0] == "high_cardinality"
    assert column_type(pd.Series([f"X-{i:06d}" for i in range(n)]))[0] == "id"
    words = np.array(["good", "bad", "taste", "price", "fresh", "late", "box", "again", "never", "love"])
    assert column_type(pd.Series([" ".join(rng.choice(words, 6)) for _ in range(n)]))[0] == "text"
    assert column_type(pd.Series(["same"] * n))[0] == "drop"


def test_date_parts():
    parts = date_parts(pd.Series(["2021-03-15", None]), "d", hour=False)
    assert parts.iloc[0].tolist() == [2021, 3, 0, 74, 18701.0]          # a Monday, day 74, days since 1970
    assert parts.iloc[1].isna().all() and list(parts.columns) == ["d.year", "d.month", "d.dayofweek",
                                                                   "d.dayofyear", "d.days"]
    stamps = pd.Series(["2021-03-15 13:30:00", "2021-03-16 00:00:00"])
    assert has_time(stamps) and date_parts(stamps, "d", hour=True)["d.hour"].tolist() == [13.5, 0.0]


def test_loans_types_and_spec_overrides(loans_table, tmp_path):
    task, data = loans_table
    assert data.types == {"opened": "date", "branch": "high_cardinality", "purpose": "categorical",
                          "notes": "text", "income": "numeric", "amount": "numeric", "term": "numeric"}
    assert data.categorical == ["branch", "purpose"]
    data_dir = tmp_path / "loans"
    draw("loans", data_dir)
    changed = task.spec.model_copy(update={"columns": {**task.spec.columns, "notes": "drop", "branch": "categorical"}})
    again = SpecTabularTask("loans", changed, tmp_path).load(data_dir)
    assert "notes" not in again.features and again.types["branch"] == "categorical"
    for bad, words in (({"nothere": "numeric"}, "nothere is not a column"), ({"notes": "numeric"}, "notes is numeric")):
        spec = task.spec.model_copy(update={"columns": {**task.spec.columns, **bad}})
        with pytest.raises(UserError, match=words):
            SpecTabularTask("loans", spec, tmp_path).load(data_dir)


@pytest.mark.parametrize("model", ["linear", "gbdt"])
def test_target_encoding_never_sees_a_scored_rows_target(loans_table, model, tmp_path):
    """The branch code is target-encoded (cross-fitted) from the training rows only: relabelling the scored
    fold leaves its predictions the same bytes; relabelling training rows moves them."""
    task, data = loans_table
    cfg = config(model, inner_share=0.0, checkpoint="last")
    base, metrics = fold(task, data, cfg, tmp_path / "a")
    names = json.loads((tmp_path / "a" / "importance.json").read_text())
    assert any(n.startswith("branch") and n.endswith(".te") for n in names), list(names)[:20]
    same, _ = fold(task, data, cfg, tmp_path / "b", scored_fold_relabelled(data))
    assert same.tobytes() == base.tobytes()
    y = data.y.copy()
    training = np.flatnonzero(np.arange(len(y)) % 5 != 0)[:60]
    y[training] = (y[training] + 1) % 3
    moved, _ = fold(task, data, cfg, tmp_path / "c", y)
    assert not np.allclose(moved, base)


@pytest.mark.parametrize("model", ["gbdt", "catboost", "mlp"])
def test_early_stopping_never_reads_the_scored_fold(loans_table, model, tmp_path):
    """The rounds (epoch) are chosen on the inner rows: relabelling the scored fold changes neither them nor the
    predictions; relabelling the inner rows changes what is chosen."""
    task, data = loans_table
    cfg = config(model)
    base, metrics = fold(task, data, cfg, tmp_path / "a")
    chosen = choice(metrics)[0]
    assert metrics["n_early_stopping"] > 0 and ("rounds" in chosen or "epoch" in chosen), metrics
    same, again = fold(task, data, cfg, tmp_path / "b", scored_fold_relabelled(data))
    assert same.tobytes() == base.tobytes() and choice(again) == choice(metrics)
    # the inner rows, drawn as the fold draws them, relabelled: the choice moves
    from kaggle_kit.tabular.early_stopping import inner_split

    rows = np.flatnonzero(np.arange(len(data.y)) % 5 != 0)
    stop = inner_split(data.y[rows], None, task.spec.folds.kind, cfg.inner_share,
                       derive_seed(cfg.seed, 0, INNER_STREAM), classes=True)
    y = data.y.copy()
    y[rows[stop]] = (y[rows[stop]] + 1) % 3
    _, moved = fold(task, data, cfg, tmp_path / "c", y)
    assert choice(moved) != choice(metrics)


def test_time_budget_stops_after_one_learner_and_a_rerun_continues(tmp_path):
    """TIME=: a learner starts only while the budget lasts (the first with folds to train always runs); the same
    command again continues with the next, finished learners not charged, until every one is trained."""
    data = draw("binary_probability", tmp_path / "downloads" / "bp")
    kit("new", "bud", "--data", str(data), root=tmp_path, check=True)
    spec = tmp_path / "competitions" / "bud" / "competition.yaml"
    text = spec.read_text()
    spec.write_text(text[:text.index("learners:")] + "learners:\n- linear\n- gbdt\n- extra_trees\n")
    tiny = "folds=2 gbdt.n_estimators=30 extra_trees.n_estimators=20"
    first = kit("auto", "bud", "--args", tiny, "--time", "0.001", root=tmp_path, check=True)
    auto = json.loads((tmp_path / "runs" / "bud" / "auto.json").read_text())
    assert auto["learners"] == ["bud-linear"] and auto["skipped"] == ["bud-gbdt", "bud-extra_trees"]
    assert "skipped bud-gbdt, bud-extra_trees" in first.stderr and "auto [1/3] bud-linear: CV auc" in first.stderr
    assert pd.read_csv(tmp_path / "submissions" / "bud" / "auto.csv").shape == (300, 2)
    again = kit("auto", "bud", "--args", tiny, "--time", "0.001", root=tmp_path, check=True)   # the same command
    auto = json.loads((tmp_path / "runs" / "bud" / "auto.json").read_text())
    assert auto["learners"] == ["bud-linear", "bud-gbdt"] and auto["skipped"] == ["bud-extra_trees"]
    assert again.stderr.count("complete, skipped") == 2                       # the linear model's two folds
    third = kit("auto", "bud", "--args", tiny, "--time", "0.001", root=tmp_path, check=True)
    auto = json.loads((tmp_path / "runs" / "bud" / "auto.json").read_text())
    assert auto["learners"] == ["bud-linear", "bud-gbdt", "bud-extra_trees"] and auto["skipped"] == []
    assert third.stderr.count("complete, skipped") == 4 and "skipped bud" not in third.stderr
    assert auto["source"].startswith("blend-")


def test_text_is_tfidf_for_the_linear_model_and_components_for_the_others():
    """Free text: TF-IDF words and character n-grams (sparse) for a linear model, its truncated SVD for the
    rest, both fitted on the training rows; a vocabulary too small to reduce is kept as it is."""
    from types import SimpleNamespace

    from kaggle_kit.tabular.preparation import Preparation

    rng = np.random.default_rng(1)
    words = np.array(["fresh", "stale", "sweet", "salty", "cheap", "pricey", "again", "never"])
    text = pd.Series([" ".join(rng.choice(words, 5)) for _ in range(80)])
    train = pd.DataFrame({"review": text, "n": rng.normal(size=80)})
    data = SimpleNamespace(features=["review", "n"], categorical=[], train=train,
                           types={"review": "text", "n": "numeric"})
    rows, y = np.arange(60), rng.integers(0, 2, 80)
    cfg = validate(TableConfig, {"encoding": {"svd_components": 5}})
    sparse = Preparation("numbers", data, text="tfidf", cfg=cfg, problem="binary")
    x = sparse.fit(train.iloc[rows], y[rows])
    assert hasattr(x, "toarray") and "review.words__fresh" in sparse.names and x.shape[1] == len(sparse.names)
    dense = Preparation("categories", data, cfg=cfg, problem="binary")
    frame = dense.fit(train.iloc[rows], y[rows])
    assert [c for c in frame.columns if c.startswith("review")] == [f"review.svd{k}" for k in range(5)]
    assert dense.transform(train.iloc[60:]).shape == (20, 6)
    tiny = train.assign(review=["x"] * 80)      # no word of two letters, three character n-grams: nothing to reduce
    few = Preparation("numbers", SimpleNamespace(**{**vars(data), "train": tiny}), text="svd", cfg=cfg,
                      problem="binary")
    out = few.fit(tiny.iloc[rows], y[rows])
    assert few.names == ["n", "review.chars__ x", "review.chars__ x ", "review.chars__x "], few.names
    assert out.shape == (60, 4) and not hasattr(out, "toarray")


def test_dates_need_a_year_and_read_alike_in_every_frame():
    """A time of day alone, or a range such as 1-5, is no date (its parts would depend on today); zones are
    read as UTC; the format is the training rows', so a test row parses as a training row would."""
    from kaggle_kit.tabular.columns import date_format

    assert column_type(pd.Series(["12:30", "13:45", "09:10"] * 40))[0] == "categorical"
    assert column_type(pd.Series(["1-5", "6-10", "11-15"] * 40))[0] == "categorical"
    zoned = date_parts(pd.Series(["2020-01-01T10:00:00Z", "2020-01-02T10:00:00+02:00"]), "d", hour=True)
    assert zoned["d.hour"].tolist() == [10.0, 8.0] and zoned["d.year"].tolist() == [2020, 2020]
    training = pd.Series([f"2020-01-{d:02d}" for d in range(1, 29)] + ["03/04/2020"])
    fmt = date_format(training)
    alone = date_parts(pd.Series(["03/04/2020"]), "d", hour=False, fmt=fmt)
    assert alone.equals(date_parts(training, "d", hour=False, fmt=fmt).iloc[[-1]].reset_index(drop=True))


def test_every_class_keeps_a_row_outside_the_inner_split():
    """A class whose rows would all be held out for early stopping goes back to training (shuffled folds, or
    a rare class), so every model still sees every class of its training fold."""
    from kaggle_kit.tabular.early_stopping import inner_split

    y = np.array([0] * 60 + [1] * 30 + [2])
    for seed in range(20):
        mask = inner_split(y, None, "kfold", 0.3, seed, classes=True)
        assert all((~mask)[y == c].any() for c in (0, 1, 2))
    groups = np.repeat(np.arange(13), 7)
    mask = inner_split(y, groups, "stratified_group", 0.3, 0, classes=True)
    assert all((~mask)[y == c].any() for c in (0, 1, 2)) and mask.any()
