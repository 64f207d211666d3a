"""The real-tables benchmark's held-out scoring (scripts/bench_real_tables.py): a submission is scored whatever its
columns' order, one that misses rows is refused, and the paired bootstrap SE of two submissions' difference is
what the rows' own spread says."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from bench_real_tables import paired_se, score  # noqa: E402


def table(n=800, seed=0):
    rng = np.random.default_rng(seed)
    classes = ["b", "a", "c"]
    answers = pd.DataFrame({"id": np.arange(n), "y": rng.choice(classes, n)})
    p = rng.dirichlet(np.ones(3), n)
    sub = pd.concat([answers[["id"]], pd.DataFrame(p, columns=classes)], axis=1)
    return answers, sub


def test_a_submission_is_scored_whatever_its_columns_order_and_one_missing_rows_is_refused():
    answers, sub = table()
    assert score("logloss", answers, sub[["id", "c", "a", "b"]], "id", "y") == score("logloss", answers, sub, "id", "y")
    with pytest.raises(SystemExit, match="every one of the 800"):
        score("logloss", answers, sub.iloc[1:], "id", "y")
    values = pd.DataFrame({"id": answers["id"], "y": np.linspace(0, 1, len(answers))})
    with pytest.raises(SystemExit, match="every one of the 800"):
        score("rmse", values, values.iloc[1:], "id", "y")
    with pytest.raises(SystemExit, match=r"\['d'\] have no column"):
        score("logloss", answers.assign(y=answers["y"].where(answers.index > 0, "d")), sub, "id", "y")


def test_the_paired_se_is_the_spread_of_the_row_differences():
    answers, ours = table()
    _, theirs = table(seed=1)
    theirs["id"] = ours["id"]
    assert paired_se("logloss", answers, ours, ours, "id", "y") == 0
    at = pd.Index(["b", "a", "c"]).get_indexer(answers["y"])
    rows = np.arange(len(answers))
    d = (-np.log(ours[["b", "a", "c"]].to_numpy()[rows, at])) - (-np.log(theirs[["b", "a", "c"]].to_numpy()[rows, at]))
    expected = d.std(ddof=1) / np.sqrt(len(d))
    assert abs(paired_se("logloss", answers, ours, theirs, "id", "y") / expected - 1) < 0.1


def test_bench_tables_titles_every_learner_make_new_lists():
    """bench-tables' table has a column title for each learner `make new` lists, the stacks' too (a stack once
    stopped the benchmark after all its runs, at its table)."""
    from bench_tables import title

    from kaggle_kit.tabular.config import DEFAULT_LEARNERS, ENTRIES

    titles = [title(lr) for lr in (*DEFAULT_LEARNERS, *ENTRIES)]
    assert title("stack_catboost") == "CatBoost stack" and title("gbdt") == "LightGBM"
    assert title("gbdt_small") == "LightGBM (small)"
    assert len(set(titles)) == len(set(DEFAULT_LEARNERS) | set(ENTRIES))
