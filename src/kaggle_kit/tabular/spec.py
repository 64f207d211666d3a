"""competition.yaml of a table competition: the files, the id and target columns, the problem and metric, the
submission form, the folds and the learners `make auto` trains. Strict: an unknown key or a metric that does
not fit the problem is one line naming it."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import model_validator

from kaggle_kit import specs
from kaggle_kit.config import StrictModel
from kaggle_kit.tabular.columns import TYPES
from kaggle_kit.tabular.config import DEFAULT_LEARNERS, ENTRIES, top_learner
from kaggle_kit.tabular.learners import LEARNERS as REGISTRY
from kaggle_kit.tabular.metrics import LABEL, METRICS, PROBABILITIES, PROBABILITY, PROBLEMS, VALUE

FORMS = {"values": VALUE, "probability": PROBABILITY, "probabilities": PROBABILITIES, "labels": LABEL}


class FilesSpec(StrictModel):
    train: str = "train.csv"
    test: str = "test.csv"
    sample_submission: str | None = "sample_submission.csv"


class FoldSpec(StrictModel):
    kind: Literal["kfold", "stratified", "group", "stratified_group"] = "kfold"
    group: str | None = None                 # rows sharing this column's value share a fold


class TabularSpec(StrictModel):
    kind: Literal["tabular"] = "tabular"
    name: str | None = None                  # the short name of make targets; default: the folder's
    slug: str | None = None                  # Kaggle's competition slug (download, kaggle-submit, lb);
                                             #   data/<slug>/ is where data is looked for (default: the name)
    data: str | None = None                  # the download make new read (relative: to the work root);
                                             #   every command reads it unless DATA= names another
    hosted_on: str | None = None             # where it is scored when not on Kaggle: make download says so
    data_url: str | None = None              # that site's page for the files
    files: FilesSpec = FilesSpec()
    id: str
    target: str
    problem: Literal[PROBLEMS]               # noqa: F821 (regression, binary, multiclass)
    metric: str
    submission: Literal["values", "probability", "probabilities", "labels"]
    answer_columns: list[str]                # the submission's columns after the id, as the sample names them
    classes: list[str] = []                  # classification: the class values as read, in order (binary: the
    #                                          second is the positive class)
    drop: list[str] = []                     # columns no learner sees (text, ids)
    columns: dict[str, Literal[TYPES]] | None = None   # noqa: F821 a type per column (numeric, categorical,
    #                                          high_cardinality, date, text, id, drop: kaggle_kit.tabular.columns);
    #                                          make new writes every one; a column not named is inferred on load
    na_values: list[str] | None = None       # the strings read as missing (default: "", NA, NaN, nan, null, None)
    target_transform: Literal["log"] | None = None   # regression: learners fit log(target), the OOF and blends
    #                                          keep it, the metric scores exp of it, the submission is exp
    folds: FoldSpec = FoldSpec()
    hooks: str | None = None                 # a Python file beside this spec: features(frame), fit_rows(train),
    #                                          build_sample(dest) (kaggle_kit.tabular.hooks)
    learners: list[Literal[ENTRIES]] = list(DEFAULT_LEARNERS)   # noqa: F821 (in the order make auto
    #   trains them; stack_<learner>: that learner on the features and the other learners' predictions;
    #   gbdt_small: a second configuration of one, tabular/config.py VARIANTS)

    @model_validator(mode="after")
    def _consistent(self):
        if self.metric not in METRICS:
            raise ValueError(f"metric {self.metric!r} is not one of {', '.join(METRICS)}")
        m = METRICS[self.metric]
        if self.problem not in m.problems:
            raise ValueError(f"metric {self.metric} does not fit a {self.problem} problem (it scores "
                             f"{'/'.join(m.problems)}); choose another --metric or --problem")
        need, form = m.scores(self.problem), FORMS[self.submission]
        if need != form:
            raise ValueError(f"metric {self.metric} scores a {need}, but the submission holds {self.submission}; "
                             "choose a metric that fits the sample submission")
        if self.problem != "regression" and len(self.classes) < 2:
            raise ValueError(f"a {self.problem} problem needs at least two classes")
        if self.problem == "binary" and len(self.classes) != 2:
            raise ValueError(f"a binary problem has two classes, not {len(self.classes)}")
        if self.submission == "probabilities" and sorted(self.answer_columns) != sorted(self.classes):
            unknown = sorted(set(self.answer_columns) - set(self.classes))
            raise ValueError(f"the sample submission has columns for classes training never has: {unknown[:3]}"
                             if unknown else "the sample submission lacks columns for some classes")
        if self.target_transform and self.problem != "regression":
            raise ValueError(f"target_transform: {self.target_transform} is for a regression target, not {self.problem}")
        if self.hooks is not None and (Path(self.hooks).name != self.hooks or not self.hooks.endswith(".py")):
            raise ValueError(f"hooks: {self.hooks!r} must name a .py file beside the competition.yaml (hooks.py)")
        named = sorted({self.id, self.target} & set(self.columns or {}))
        if named:
            raise ValueError(f"columns: {named[0]} is the {'id' if named[0] == self.id else 'target'}, not a "
                             "feature; leave it out of `columns`")
        if self.learners == [] or len(set(self.learners)) < len(self.learners):
            raise ValueError(f"learners must name each of {', '.join(ENTRIES)} at most once, and at least one")
        unfit = [n for n in self.learners if self.problem not in REGISTRY[top_learner(n)].problems]
        if unfit:
            raise ValueError(f"learner {unfit[0]} does not fit a {self.problem} problem (it fits "
                             f"{'/'.join(REGISTRY[top_learner(unfit[0])].problems)}); leave it out of `learners`")
        return self


def read_spec(path: Path) -> TabularSpec:
    return validate_spec(specs.read_mapping(path), path)


def validate_spec(data: dict, where) -> TabularSpec:
    return specs.validate(TabularSpec, data, where)


DATA_FREE_KEYS = ("learners", "slug")       # which experiments make auto trains, Kaggle's name: no data changes


def data_dump(spec: TabularSpec) -> str:
    """The spec as the data fingerprint hashes it: without the keys that change no row, so a learner added to
    `learners` (or a slug set) keeps every run trained before."""
    data = yaml.safe_load(specs.dump(spec))
    for key in DATA_FREE_KEYS:
        data.pop(key, None)
    return yaml.safe_dump(data, sort_keys=False)
