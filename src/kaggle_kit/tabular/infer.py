"""`make new`: a table competition's competition.yaml inferred from its download. The id is the sample
submission's first column; the target what train has and test lacks; the problem from the target's values (or
the metric); the submission form from the sample's columns and values; the metric from the form. Any of them
can be given instead (--id, --target, --problem, --metric). A question the files cannot answer is one line
naming the option that answers it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kaggle_kit.errors import UserError
from kaggle_kit.io import tables
from kaggle_kit.kinds import Inferred
from kaggle_kit.tabular.columns import LEARNED, TYPES, infer_types
from kaggle_kit.tabular.config import LEARNERS as LEARNER_SECTIONS
from kaggle_kit.tabular.config import NEURAL_KEYS, STACK_MEMBERS, STACKS, VARIANTS, top_learner
from kaggle_kit.tabular.learners import LEARNERS as REGISTRY
from kaggle_kit.tabular.metrics import METRICS
from kaggle_kit.tabular.spec import FilesSpec, FoldSpec, TabularSpec, validate_spec
from kaggle_kit.tabular.spec_task import NA_VALUES

MAX_CLASSES = 50
DEFAULT_METRIC = {"labels": "accuracy", "probability": "auc", "probabilities": "logloss", "values": "rmse"}


def find_files(data_dir: Path) -> FilesSpec:
    csvs = sorted(p.name for p in data_dir.glob("*.csv"))
    for need in ("train.csv", "test.csv"):
        if need not in csvs:
            raise UserError(f"{data_dir} has no {need} (CSV files there: {', '.join(csvs) or 'none'}); unpack the "
                            "whole Kaggle download there")
    samples = [n for n in csvs if n not in ("train.csv", "test.csv") and ("submission" in n or "sample" in n)]
    if len(samples) > 1:
        raise UserError(f"{data_dir} has several sample submissions ({', '.join(samples)}); keep the one Kaggle "
                        "scores against")
    return FilesSpec(sample_submission=samples[0] if samples else None)


def is_number(values: pd.Series) -> bool:
    return pd.to_numeric(values, errors="coerce").notna().all()


def class_order(values: pd.Series) -> list[str]:
    """The distinct values as read; numbers in numeric order, text sorted."""
    distinct = list(values.dropna().unique())
    return sorted(distinct, key=float) if is_number(pd.Series(distinct)) else sorted(distinct)


def problem_of_values(y: pd.Series) -> tuple[str | None, str]:
    distinct = y.nunique()
    if distinct == 2:
        return "binary", "the target takes two values"
    numeric = is_number(y)
    integral = numeric and (pd.to_numeric(y) % 1 == 0).all()
    if (not numeric or integral) and distinct <= min(MAX_CLASSES, 0.2 * len(y)):
        return "multiclass", f"the target takes {distinct} {'integer' if numeric else 'text'} values"
    if not numeric:
        return None, f"the target holds {distinct} distinct text values, too many classes (at most {MAX_CLASSES})"
    return "regression", "the target is a number with many values"


def infer_problem(y: pd.Series, metric: str | None) -> tuple[str, str]:
    """From the target's values; a metric that scores one problem only decides between those the values allow
    (integer classes or counts: qwk says classes)."""
    problem, why = problem_of_values(y)
    if metric is None or problem in METRICS[metric].problems:
        if problem is None:
            raise UserError(f"{why}; check --target")
        return problem, why
    allowed = METRICS[metric].problems
    integral = is_number(y) and (pd.to_numeric(y) % 1 == 0).all()
    if allowed == ("multiclass",) and integral and y.nunique() <= MAX_CLASSES:
        return "multiclass", f"the metric {metric} scores classes and the target holds {y.nunique()} integers"
    raise UserError(f"the metric {metric} scores {'/'.join(allowed)} problems, but {why}"
                    f" ({'a ' + problem + ' problem' if problem else 'no problem the kit knows'}); choose another "
                    "--metric, or --problem if the values mislead")


def infer_form(sample: pd.DataFrame | None, problem: str, classes: list[str], target: str,
               metric: str | None) -> tuple[str, list[str]]:
    if sample is None:
        form = {"regression": "values", "binary": "probability", "multiclass": "probabilities"}[problem]
        return form, (classes if form == "probabilities" else [target])
    columns = list(sample.columns[1:])
    if len(columns) > 1:
        unknown = [c for c in columns if c not in classes]
        if unknown or problem == "regression":
            raise UserError(f"the sample submission has a column per class, but training never has the class(es) "
                            f"{', '.join(unknown[:3]) or columns[0]}; check --target")
        return "probabilities", columns
    if problem == "regression":
        return "values", columns
    if metric is not None and problem in METRICS[metric].problems:      # the metric says what one column holds
        return {"probability": "probability", "label": "labels"}.get(METRICS[metric].scores(problem), "labels"), columns
    values = sample[columns[0]].dropna()
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.isna().any() or numbers.isin([0, 1]).all() or (numbers % 1 == 0).all():
        return "labels", columns
    return ("probability" if problem == "binary" else "labels"), columns


def type_lines(types: dict[str, tuple[str, str]]) -> list[str]:
    """One line per type: its columns, with why for all but numbers."""
    lines = []
    for t in TYPES:
        named = [(c, why) for c, (tt, why) in types.items() if tt == t]
        if not named:
            continue
        shown = ", ".join(c if t == "numeric" else f"{c} ({why})" for c, why in named)
        lines.append(f"  {t} ({len(named)}): {shown}")
    return lines


def find_id(train: pd.DataFrame, test: pd.DataFrame, sample, files: FilesSpec, id_column: str | None,
            notes: list[str]) -> str:
    """--id, else the sample submission's first column, else the first column unique in train and test."""
    if id_column is None:
        if sample is not None:
            id_column, why = sample.columns[0], f"the first column of {files.sample_submission}"
        else:
            unique = [c for c in train.columns if c in test.columns and train[c].is_unique and test[c].is_unique]
            if not unique:
                raise UserError("no column of both train.csv and test.csv holds a unique id; name it with --id")
            id_column, why = unique[0], "the first column of train and test whose values are unique"
        notes.append(f"id: {id_column} ({why})")
    for frame, f in ((train, files.train), (test, files.test)):
        if id_column not in frame.columns:
            raise UserError(f"{f} has no column {id_column}; name the id column with --id")
    return id_column


def find_target(train: pd.DataFrame, test: pd.DataFrame, id_column: str, target: str | None,
                notes: list[str]) -> str:
    """--target, else the one column train has and test lacks; never a column of test, never missing a value."""
    if target is None:
        candidates = [c for c in train.columns if c not in test.columns and c != id_column]
        if len(candidates) != 1:
            raise UserError(f"train.csv has {len(candidates)} columns test.csv lacks "
                            f"({', '.join(candidates) or 'none'}); name the target with --target")
        target = candidates[0]
        notes.append(f"target: {target} (the column train has and test lacks)")
    elif target not in train.columns:
        raise UserError(f"--target {target} is not a column of train.csv")
    if target in test.columns:
        raise UserError(f"the target {target} is also a column of test.csv; the test set cannot hold the answer: "
                        "check --target")
    if train[target].isna().any():
        raise UserError(f"train.csv has {int(train[target].isna().sum())} rows without {target}; drop or fill them")
    return target


def column_notes(types: dict, notes: list[str], checks: list[str]) -> None:
    """Every column's type, printed by type group, and the columns no learner sees."""
    notes.append("columns (their types go to the spec's `columns:`; change any there):")
    notes += type_lines(types)
    left_out = [c for c, (t, _) in types.items() if t not in LEARNED]
    if left_out:
        checks.append(f"columns: {', '.join(left_out[:6])}{' ...' if len(left_out) > 6 else ''} "
                      f"{'is' if len(left_out) == 1 else 'are'} left out (id or drop); give one another type in "
                      "`columns:` to keep it")


def infer_spec(name: str, data_dir: Path, *, metric: str | None = None, target: str | None = None,
               id_column: str | None = None, problem: str | None = None) -> Inferred:
    if metric is not None and metric not in METRICS:
        raise UserError(f"--metric {metric} is not one of {', '.join(METRICS)}")
    files = find_files(data_dir)
    train = tables.read_csv(data_dir / files.train, name, dtype=str, na_values=NA_VALUES)
    test = tables.read_csv(data_dir / files.test, name, dtype=str, na_values=NA_VALUES)
    sample = tables.read_csv(data_dir / files.sample_submission, name, dtype=str) if files.sample_submission else None
    notes, checks = [], []
    id_column = find_id(train, test, sample, files, id_column, notes)
    target = find_target(train, test, id_column, target, notes)
    y = train[target]
    if problem is None:
        problem, why = infer_problem(y, metric)
        notes.append(f"problem: {problem} ({why}); pass --problem to say otherwise")
    classes = [] if problem == "regression" else [str(c) for c in class_order(y)]
    if problem == "binary" and len(classes) != 2:
        raise UserError(f"--problem binary, but {target} takes {len(classes)} values")
    form, answer_columns = infer_form(sample, problem, classes, target, metric)
    notes.append(f"submission: {form} in column(s) {', '.join(answer_columns[:4])}"
                 f"{' ...' if len(answer_columns) > 4 else ''}" + (f" ({files.sample_submission})" if sample is not None
                                                                  else " (no sample submission)"))
    if metric is None:
        metric = DEFAULT_METRIC[form]
        notes.append(f"metric: {metric} (the default for {form} submissions); check the competition's "
                     "Evaluation page and pass --metric if it differs")
        checks.append(f"metric {metric}: the competition's Evaluation page names the real one")
    types = infer_types(train, test, (id_column, target))
    column_notes(types, notes, checks)
    if problem != "regression":
        counts = y.value_counts()
        notes.append(f"classes: {len(classes)} ({', '.join(classes[:6])}{' ...' if len(classes) > 6 else ''}), "
                     f"the rarest with {counts.min()} rows")
    folds = FoldSpec(kind="kfold" if problem == "regression" else "stratified")
    spec = validate_spec({"slug": name, "files": files.model_dump(), "id": id_column, "target": target,
                          "problem": problem, "metric": metric, "submission": form, "answer_columns": answer_columns,
                          "classes": classes, "columns": {c: t for c, (t, _) in types.items()},
                          "folds": folds.model_dump()}, "make new")
    checks.append("folds: " + ("stratified on the target" if folds.kind == "stratified" else "shuffled k-fold") +
                  "; a time split or groups need `folds.kind` and `folds.group`")
    return Inferred(spec, notes, checks)


def config_texts(name: str, spec: TabularSpec) -> dict[str, str]:
    """configs/<name>.yaml (the default experiment: the first learner) and one per learner."""
    base = (f"# {name}: default experiment (LightGBM); make auto trains {', '.join(spec.learners)} and blends them.\n"
            "seed: 0\nfold_seed: 42\nfolds: 5\nmodel: gbdt\n" + commented_keys())
    out = {name: base}
    for learner in spec.learners:
        out[f"{name}-{learner}"] = (f"extends: {name}\nmodel: {top_learner(learner)}\n" + stack_keys(learner, spec)
                                    + variant_keys(learner))
    return out


def variant_keys(entry: str) -> str:
    """A variant's numbers (tabular/config.py VARIANTS), written into its learner's section; nothing for another
    entry."""
    if entry not in VARIANTS:
        return ""
    import yaml

    learner, keys = VARIANTS[entry]
    return (f"# a second configuration of {learner}: these keys of its section; the others as in {learner}'s\n"
            + yaml.safe_dump({learner: keys}, sort_keys=False))


def stack_keys(entry: str, spec: TabularSpec) -> str:
    """A stack_<model> experiment's members (kaggle_kit.tabular.stacking): those of STACK_MEMBERS that fit the
    problem; nothing for a learner of its own."""
    if entry not in STACKS:
        return ""
    members = [m for m in STACK_MEMBERS if spec.problem in REGISTRY[m].problems]
    return ("# a level-2 model: the table's features plus these learners' predictions, each refitted on inner folds "
            "of the training fold\nstack:\n  members: [" + ", ".join(members) + "]\n")




def commented_keys() -> str:
    """Every other key a table's run reads, at its default, commented out: uncomment one to change it here, or
    set it for one run with ARGS="gbdt.n_estimators=800" (the meaning of each: kaggle_kit/tabular/config.py,
    kaggle_kit/tabular/learners/ and kaggle_kit/config.py)."""
    import yaml

    from kaggle_kit.tabular.config import TableConfig

    cfg = TableConfig()
    keys = {k: v for k, v in cfg.used_dict().items() if k not in ("seed", "fold_seed", "folds", "model")}
    keys.update({learner: getattr(cfg, learner).model_dump(mode="json") for learner in LEARNER_SECTIONS})
    keys.update({k: v for k, v in cfg.model_dump(mode="json").items() if k in NEURAL_KEYS})   # the MLP's training
    for hidden in cfg.unused_keys():
        section, _, key = hidden.partition(".")
        if key and section in keys:
            keys[section].pop(key, None)
    lines = []
    for key, value in keys.items():
        if isinstance(value, dict):
            lines.append(f"{key}:")
            lines += [f"  {yaml.safe_dump({k: v}, default_flow_style=True, width=200).strip()[1:-1]}"
                      for k, v in value.items()]
        else:
            lines.append(yaml.safe_dump({key: value}, default_flow_style=True, width=200).strip()[1:-1])
    return ("# every other key, at its default (uncomment to change; ARGS=\"gbdt.n_estimators=800\" for one run;\n"
            "# what each means: src/kaggle_kit/tabular/config.py, tabular/learners/, config.py; epochs..val_every: the MLP's):\n"
            + "".join(f"# {line}\n" for line in lines))


def infer_download(name: str, data_dir: Path, *, metric, target, id_column, problem):
    """make new for a table download (kaggle_kit.kinds): the spec and its configs' texts."""
    inferred = infer_spec(name, data_dir, metric=metric, target=target, id_column=id_column, problem=problem)
    return inferred, config_texts(name, inferred.spec)
