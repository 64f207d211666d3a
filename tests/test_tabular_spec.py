"""The tabular kind's pieces: each metric against hand-computed values, `new`'s inference on every drawn layout,
its one-line stops (nothing written), and the spec's own checks."""

import math

import numpy as np
import pandas as pd
import pytest

from kaggle_kit.errors import UserError
from kaggle_kit.tabular.infer import infer_spec
from kaggle_kit.tabular.metrics import METRICS
from kaggle_kit.tabular.samples import draw
from kaggle_kit.tabular.spec import validate_spec

from .conftest import assert_user_error, files_under, kit


def test_metrics_against_hand_computed_values():
    y = np.array([0, 0, 1, 1])
    p = np.array([0.1, 0.6, 0.4, 0.9])
    assert METRICS["auc"](y, p) == pytest.approx(0.75)                       # 3 of 4 positive-negative pairs
    assert METRICS["logloss"](y, p) == pytest.approx(-np.mean(np.log([0.9, 0.4, 0.4, 0.9])))
    labels = np.array([0, 1, 1, 1])
    assert METRICS["accuracy"](y, labels) == pytest.approx(0.75)
    assert METRICS["f1"](y, labels) == pytest.approx(2 * 1 * (2 / 3) / (1 + 2 / 3))  # recall 1, precision 2/3
    assert METRICS["macro_f1"](y, labels) == pytest.approx(((2 / 3) + 0.8) / 2)      # class 0: p 1, r 1/2
    three = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    assert METRICS["logloss"](np.array([0, 2]), three) == pytest.approx(-np.mean(np.log([0.7, 0.8])))
    # quadratic weighted kappa, hand-computed: observed disagreement weights against the chance expectation
    a, b = np.array([0, 1, 2, 2]), np.array([0, 2, 2, 1])
    w = np.array([[(i - j) ** 2 / 4 for j in range(3)] for i in range(3)])
    observed = np.zeros((3, 3))
    np.add.at(observed, (a, b), 1)
    expected = np.outer(np.bincount(a, minlength=3), np.bincount(b, minlength=3)) / 4
    assert METRICS["qwk"](a, b) == pytest.approx(1 - (w * observed).sum() / (w * expected).sum())
    t, q = np.array([1.0, 2.0, 4.0]), np.array([1.5, 2.0, 2.0])
    assert METRICS["rmse"](t, q) == pytest.approx(math.sqrt((0.25 + 0 + 4) / 3))
    assert METRICS["mae"](t, q) == pytest.approx((0.5 + 0 + 2) / 3)
    assert METRICS["rmsle"](t, q) == pytest.approx(math.sqrt(np.mean((np.log1p(t) - np.log1p(q)) ** 2)))
    assert METRICS["rmse_log"](t, q) == pytest.approx(math.sqrt(np.mean((np.log(t) - np.log(q)) ** 2)))
    assert [m for m, metric in METRICS.items() if metric.higher_is_better] == ["auc", "accuracy", "f1", "macro_f1",
                                                                              "qwk"]


@pytest.fixture(scope="module")
def layouts(tmp_path_factory):
    root = tmp_path_factory.mktemp("tables")
    return {name: draw(name, root / name) for name in ("passengers", "binary_probability", "multiclass", "prices")}


@pytest.mark.parametrize("layout,metric,expected", [
    ("passengers", None, dict(id="PassengerId", target="Survived", problem="binary", metric="accuracy",
                              submission="labels", answer_columns=["Survived"], classes=["0", "1"],
                              drop=[], columns={"Pclass": "numeric", "Name": "text", "Sex": "categorical",
                                                "Age": "numeric", "SibSp": "numeric", "Parch": "numeric",
                                                "Ticket": "id", "Fare": "numeric", "Cabin": "high_cardinality",
                                                "Embarked": "categorical"})),
    ("binary_probability", None, dict(id="id", target="target", problem="binary", metric="auc",
                                      submission="probability", answer_columns=["target"], classes=["0", "1"])),
    ("multiclass", None, dict(id="id", target="target", problem="multiclass", metric="logloss",
                              submission="probabilities", classes=[f"Class_{c}" for c in range(1, 5)])),
    ("prices", "rmsle", dict(id="Id", target="Price", problem="regression", metric="rmsle", submission="values",
                             answer_columns=["Price"], classes=[])),
    ("prices", None, dict(problem="regression", metric="rmse")),
    ("binary_probability", "logloss", dict(problem="binary", metric="logloss", submission="probability")),
])
def test_new_infers_the_spec_of_each_layout(layouts, layout, metric, expected):
    spec = infer_spec(layout, layouts[layout], metric=metric).spec
    got = spec.model_dump()
    assert {k: got[k] for k in expected} == expected
    assert spec.folds.kind == ("kfold" if spec.problem == "regression" else "stratified")
    if layout == "multiclass":
        assert spec.answer_columns == list(pd.read_csv(layouts[layout] / "sample_submission.csv").columns[1:])


def break_copy(src, dest, change):
    import shutil

    shutil.copytree(src, dest)
    change(dest)
    return dest


def edit(name, fn):
    def change(d):
        fn(pd.read_csv(d / name, dtype=str, keep_default_na=False)).to_csv(d / name, index=False)
    return change


# name: (layout, how the download is broken, extra options of `new`, words the one line must hold)
STOPS = {
    "two target candidates": ("binary_probability", edit("test.csv", lambda f: f.drop(columns="f0")), [],
                              ["2 columns test.csv lacks", "f0", "--target"]),
    "target also in test": ("binary_probability", lambda d: None, ["--target", "f1"],
                            ["target f1 is also a column of test.csv", "--target"]),
    "metric that does not fit the problem": ("prices", lambda d: None, ["--metric", "auc"],
                                             ["metric auc scores binary problems", "regression", "--metric"]),
    "unknown metric": ("prices", lambda d: None, ["--metric", "r2"], ["--metric r2 is not one of"]),
    "metric that does not fit the submission": ("multiclass", lambda d: None, ["--metric", "accuracy"],
                                                ["accuracy scores a label", "probabilities"]),
    "sample column of a class training never has": (
        "multiclass", edit("sample_submission.csv", lambda f: f.rename(columns={"Class_4": "Class_9"})), [],
        ["training never has the class(es) Class_9"]),
    "no train.csv": ("prices", lambda d: (d / "train.csv").unlink(), [], ["has no train.csv"]),
    "no unique id without a sample": ("prices", lambda d: [(d / "sample_submission.csv").unlink(), edit(
        "test.csv", lambda f: f.assign(Id="7"))(d)], [], ["no column of both", "--id"]),
}


@pytest.mark.e2e
@pytest.mark.parametrize("case", STOPS)
def test_new_stops_with_one_line_and_writes_nothing(case, layouts, tmp_path):
    layout, change, options, words = STOPS[case]
    data = break_copy(layouts[layout], tmp_path / "download", change)
    root = tmp_path / "work"
    root.mkdir()
    proc = kit("new", "mine", "--data", str(data), *options, root=root)
    assert_user_error(proc, *words)
    assert files_under(root) == {}


@pytest.mark.e2e
def test_new_refuses_a_bad_or_taken_name(layouts, tmp_path):
    proc = kit("new", "Bad Name", "--data", str(layouts["prices"]), root=tmp_path)
    assert_user_error(proc, "lower-case letters")
    proc = kit("new", "house", "--data", str(layouts["prices"]), root=tmp_path)
    assert_user_error(proc, "a competition called house exists")
    assert files_under(tmp_path) == {}


def test_spec_checks_its_own_consistency():
    base = dict(id="id", target="y", problem="binary", metric="auc", submission="probability",
                answer_columns=["y"], classes=["0", "1"])
    assert validate_spec(base, "spec").learners == ["catboost", "gbdt", "gbdt_small", "linear", "extra_trees", "mlp",
                                                    "random_forest", "stack_catboost", "stack_gbdt"]
    for change, words in ((dict(metric="rmse"), "does not fit a binary problem"),
                          (dict(classes=["a", "b", "c"]), "two classes"),
                          (dict(submission="labels"), "scores a probability"),
                          (dict(learners=["gbdt", "gbdt"]), "at most once"),
                          (dict(learners=["gbdt", "svr"]), "learner svr does not fit a binary problem"),
                          (dict(target_transform="log"), "is for a regression target"),
                          (dict(hooks="sub/hooks.py"), "must name a .py file beside"),
                          (dict(colour="red"), "unknown config key 'colour'")):
        with pytest.raises(UserError, match=words):
            validate_spec({**base, **change}, "spec")


def test_a_variant_is_its_learner_with_its_own_numbers(tmp_path):
    """gbdt_small, a `learners:` entry: make new writes its experiment as LightGBM with the variant's keys in the
    gbdt section and every other key as the table's gbdt has it; the key a user then edits is the one that
    changes; and the learner's own experiment keeps the table's defaults."""
    from kaggle_kit.config import load_config
    from kaggle_kit.tabular.config import VARIANTS, TableConfig, top_learner
    from kaggle_kit.tabular.infer import config_texts

    spec = validate_spec(dict(id="id", target="y", problem="regression", metric="rmse", submission="values",
                              answer_columns=["y"], learners=["gbdt", "gbdt_small"]), "spec")
    for name, text in config_texts("t", spec).items():
        (tmp_path / f"{name}.yaml").write_text(text)
    small = load_config(TableConfig, tmp_path / "t-gbdt_small.yaml", tmp_path)
    plain = load_config(TableConfig, tmp_path / "t-gbdt.yaml", tmp_path)
    learner, keys = VARIANTS["gbdt_small"]
    assert top_learner("gbdt_small") == learner == small.model == plain.model == "gbdt"
    assert {k: getattr(small.gbdt, k) for k in keys} == keys and keys["learning_rate"] != plain.gbdt.learning_rate
    assert small.gbdt.model_dump(exclude=set(keys)) == plain.gbdt.model_dump(exclude=set(keys))
    assert plain.gbdt == TableConfig().gbdt
    edited = load_config(TableConfig, tmp_path / "t-gbdt_small.yaml", tmp_path, "gbdt.num_leaves=8")
    assert edited.gbdt.num_leaves == 8 and edited.gbdt.learning_rate == keys["learning_rate"]


def test_label_rules_are_tuned_on_other_folds_only():
    """A threshold that fits each fold's own rows perfectly is never what that fold is scored with: each fold's
    rule comes from the other folds (a fold whose rows want threshold 0.8 gets the others' 0.3)."""
    from kaggle_kit.tabular import decisions

    acc = METRICS["accuracy"]
    p = np.array([0.2, 0.35, 0.4, 0.6, 0.7, 0.75, 0.85, 0.9])
    y = np.array([0, 1, 1, 1, 0, 0, 1, 1])          # folds 0/1 want a low threshold, fold 2 a high one
    fold = np.array([0, 0, 1, 1, 2, 2, 2, 2])
    assert decisions.tune(acc, y[fold == 2], p[fold == 2])["threshold"] > 0.75
    nested = decisions.nested_labels(acc, y, p, fold)
    t_without_2 = decisions.tune(acc, y[fold != 2], p[fold != 2])["threshold"]
    assert t_without_2 <= 0.35 and nested[fold == 2].tolist() == (p[fold == 2] >= t_without_2).astype(int).tolist()
    assert acc(y[fold == 2], nested[fold == 2]) == 0.5 < acc(y[fold == 2], (p[fold == 2] >= 0.8).astype(int))
    # multiclass: a class weight that lifts an under-predicted class
    P = np.array([[0.6, 0.4], [0.55, 0.45], [0.7, 0.3], [0.2, 0.8]])
    rule = decisions.tune(acc, np.array([1, 1, 0, 1]), P)
    assert decisions.labels(rule, P).tolist() == [1, 1, 0, 1]


def test_preparation_is_fitted_on_the_training_rows_and_takes_unseen_categories():
    """A category only the test rows (or only the scored fold) hold becomes missing for LightGBM and all-zero
    one-hot for the linear model, never an error; medians and scales come from the training rows only."""
    from types import SimpleNamespace

    from kaggle_kit.tabular.preparation import Preparation

    train = pd.DataFrame({"x": [1.0, 2.0, np.nan, 100.0], "c": ["a", "b", "a", "z"]})
    test = pd.DataFrame({"x": [np.nan, 3.0], "c": ["q", "b"]})
    data = SimpleNamespace(features=["x", "c"], categorical=["c"], train=train,
                           types={"x": "numeric", "c": "categorical"})
    rows = np.array([0, 1, 2])                                   # row 3 (x=100, c=z) is the scored fold
    y = np.array([0.0, 1.0, 2.0, 3.0])
    gbdt = Preparation("categories", data, problem="regression")
    gbdt.fit(train.iloc[rows], y[rows])
    g = gbdt.transform(test)
    assert list(g["c"].cat.categories) == ["a", "b"] and g["c"].isna().tolist() == [True, False]
    linear = Preparation("numbers", data, text="tfidf", problem="regression")
    linear.fit(train.iloc[rows], y[rows])
    out = linear.transform(test)
    out = out.toarray() if hasattr(out, "toarray") else out
    # x: missing -> the training rows' median 1.5; scaled by their imputed values [1, 2, 1.5]: mean 1.5, std
    # sqrt(1/6); row 3's 100 would have moved both
    assert out[:, 0] == pytest.approx([0.0, 1.5 / np.sqrt(1 / 6)])
    assert out[0, 1:].tolist() == [0, 0] and out[1, 1:].tolist() == [0, 1]   # a, b only; "q" unseen: all zero
    assert linear.names == ["x", "c_a", "c_b"]


def test_a_metrics_row_is_all_the_spec_and_make_new_need(capsys):
    """docs/ARCHITECTURE.md, "Adding a metric": every METRICS row is offered by `new --help` and accepted by a spec
    of each problem it fits, with the prediction form it scores."""
    from kaggle_kit.cli import _parser
    from kaggle_kit.tabular.metrics import METRICS

    with pytest.raises(SystemExit):
        _parser().parse_args(["new", "--help"])
    offered = capsys.readouterr().out
    forms = {"value": "values", "probability": "probability", "probabilities": "probabilities", "label": "labels"}
    for name, metric in METRICS.items():
        assert name in offered
        for problem in metric.problems:
            classes = {"regression": [], "binary": ["0", "1"], "multiclass": ["a", "b", "c"]}[problem]
            form = forms[metric.scores(problem)]
            columns = classes if form == "probabilities" else ["y"]
            spec = validate_spec(dict(id="id", target="y", problem=problem, metric=name, submission=form,
                                      answer_columns=columns, classes=classes), "spec")
            assert spec.metric == name


def test_the_learners_and_the_slug_change_no_trained_run_but_a_data_key_does(layouts, tmp_path):
    """`learners:` (which experiments make auto trains) and `slug:` are not data: the data fingerprint every run
    is checked against stays the same when they change, so adding a learner trains only that learner."""
    from kaggle_kit.tabular.spec_task import SpecTabularTask

    data_dir = layouts["binary_probability"]
    spec = infer_spec("fp", data_dir).spec

    def fingerprint(**changes):
        changed = validate_spec({**spec.model_dump(mode="json"), "data": str(data_dir), **changes}, "spec")
        return SpecTabularTask("fp", changed, tmp_path).load(data_dir).fingerprint

    base = fingerprint()
    assert fingerprint(learners=["gbdt", "knn"]) == base and fingerprint(slug="some-slug") == base
    assert fingerprint(folds={"kind": "kfold"}) != base
