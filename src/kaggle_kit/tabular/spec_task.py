"""A table competition made from its competition.yaml alone: reads the files the spec names, checks them,
trains the spec's learners per fold (kaggle_kit.tabular.table_fold), scores the spec's metric and writes the
submission in the sample submission's form and row order."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from kaggle_kit.errors import UserError
from kaggle_kit.from_spec import FromSpec, SpecIdAndMetric
from kaggle_kit.io import tables
from kaggle_kit.io.fingerprints import data_fingerprint
from kaggle_kit.metrics import rmse
from kaggle_kit.paths import FEATURES, FOLD_STARTED, STACK_DIR, val_pred
from kaggle_kit.pipeline.submission_checks import check_table
from kaggle_kit.tabular import decisions
from kaggle_kit.tabular.columns import LEARNED, column_type
from kaggle_kit.tabular.config import LEARNERS, TableConfig
from kaggle_kit.tabular.kind import TableData, TabularTask
from kaggle_kit.tabular.learners import LEARNERS as REGISTRY
from kaggle_kit.tabular.learners import learner_files
from kaggle_kit.tabular.metrics import LABEL, METRICS
from kaggle_kit.tabular.spec import TabularSpec, data_dump
from kaggle_kit.task import Evaluation, FoldContext, FoldOutput

NA_VALUES = ["", "NA", "NaN", "nan", "null", "None"]


@dataclass(kw_only=True)
class SpecTableData(TableData):
    features: list[str]            # the columns the learners see
    categorical: list[str]         # those of them that hold text with levels (categorical, high_cardinality)
    hook_train: pd.DataFrame | None = None   # the training table as the hook module sees it (target as numbers)
    flagged: np.ndarray | None = None        # the hook's flagged rows (scored also without them), else None
    types: dict[str, str] | None = None      # each feature's type (kaggle_kit.tabular.columns)


class SpecTabularTask(SpecIdAndMetric, FromSpec, TabularTask):
    predicts_offline = True
    offline_models = learner_files(LEARNERS)
    offline_context = (FEATURES, val_pred(Path(), "csv").name, FOLD_STARTED,
                       *(f"{STACK_DIR}/*/inner*/{f}" for f in learner_files(LEARNERS)))   # + a stack's members

    def __init__(self, name: str, spec: TabularSpec, folder: Path):
        super().__init__(name, spec, folder)
        self._hooks = None

    @property
    def higher_is_better(self) -> bool:
        return METRICS[self.spec.metric].higher_is_better

    @property
    def fold_kind(self) -> str:
        return self.spec.folds.kind

    @property
    def pred_columns(self) -> list[str]:
        return list(self.spec.classes) if self.spec.problem == "multiclass" else ["pred"]

    @property
    def blend_kind(self) -> str:
        return {"multiclass": "classification", "binary": "binary"}.get(self.spec.problem, "regression")

    @property
    def has_sample(self) -> bool:
        """A sample.py, or a hook module (which may draw one; build_sample says so when it does not)."""
        return bool(self.spec.hooks) or super().has_sample

    @property
    def hooks(self):
        """The spec's hook module (kaggle_kit.tabular.hooks), loaded on first use; None without one."""
        if self.spec.hooks and self._hooks is None:
            from kaggle_kit.tabular.hooks import load_hooks

            self._hooks = load_hooks(self.folder, self.spec.hooks)
        return self._hooks

    @property
    def config_class(self):
        """The hook module's Config where it has one, else TableConfig."""
        return self.hooks.Config if self.hooks is not None and self.hooks.Config is not None else TableConfig

    @property
    def secondary_scores(self) -> dict[str, str]:
        if self.scores == LABEL:
            return {"score_untuned_rule": "untuned rule"}
        if self.hooks is not None and self.hooks.flagged is not None:
            return {f"score_without_{self.hooks.FLAGGED}": f"without {self.hooks.FLAGGED}"}
        return {}

    def build_sample(self, dest: Path) -> None:
        if self.hooks is not None and self.hooks.build_sample is not None and not (self.folder / "sample.py").is_file():
            self.hooks.build_sample(dest)
            return
        super().build_sample(dest)

    def check_config(self, cfg: TableConfig) -> None:
        if self.spec.problem not in REGISTRY[cfg.model].problems:
            raise UserError(f"model={cfg.model} fits {'/'.join(REGISTRY[cfg.model].problems)} problems, and "
                            f"{self.name} is {self.spec.problem}; choose another model")
        from kaggle_kit.tabular.table_fold import stack_members

        for member in stack_members(cfg):
            if self.spec.problem not in REGISTRY[member].problems:
                raise UserError(f"stack.members: {member} fits {'/'.join(REGISTRY[member].problems)} problems, and "
                                f"{self.name} is {self.spec.problem}; leave it out of stack.members")

    def auto_experiments(self) -> list[str]:
        return [f"{self.name}-{learner}" for learner in self.spec.learners]

    @property
    def scores(self) -> str:
        return METRICS[self.spec.metric].scores(self.spec.problem)

    def load(self, data_dir: Path) -> SpecTableData:
        s, hooks = self.spec, self.hooks
        if hooks is not None and hooks.check is not None:
            hooks.check(data_dir)                    # the competition's own checks first: its own messages
        text = {s.id: str, s.target: str}
        na = NA_VALUES if s.na_values is None else s.na_values
        train_path, test_path = data_dir / s.files.train, data_dir / s.files.test
        train = tables.read_csv(train_path, self.slug, columns=[s.id, s.target], dtype=text, na_values=na)
        test = tables.read_csv(test_path, self.slug, columns=[s.id], dtype={s.id: str}, na_values=na)
        if s.target in test.columns:
            raise UserError(f"{test_path} also has the target column {s.target}: the test set cannot hold the "
                            "answer; check `target` in the competition.yaml (or --target of make new)")
        for path, frame in ((train_path, train), (test_path, test)):
            repeated = frame[s.id][frame[s.id].duplicated() | frame[s.id].isna()]
            if len(repeated):
                raise UserError(f"{path}: id {repeated.iloc[0]} appears on more than one row (or is empty); each "
                                f"row needs its own {s.id}")
        missing = train[s.target].isna()
        if missing.any():
            raise UserError(f"{train_path}: {int(missing.sum())} rows have no {s.target} (first: {s.id} "
                            f"{train[s.id][missing].iloc[0]}); drop or fill them")
        test, sample = self._answer_order(data_dir, test)
        read_columns = set(train.columns)
        if hooks is not None and hooks.features is not None:
            from kaggle_kit.tabular.hooks import engineered

            train = engineered(hooks, train, [s.id, s.target], train_path)
            test = engineered(hooks, test, [s.id], test_path)
        types = self.column_types(train, test, train_path, read_columns)
        features = [c for c, t in types.items() if t in LEARNED]
        absent = [c for c in features if c not in test.columns]
        if absent:
            raise UserError(f"{test_path} lacks the feature column(s) {', '.join(absent[:3])} that train has; add "
                            "them to `drop` in the competition.yaml")
        numeric = [c for c in features if types[c] == "numeric"]
        for c in numeric:
            if not (pd.api.types.is_numeric_dtype(train[c]) and pd.api.types.is_numeric_dtype(test[c])):
                bad = pd.concat([train[c], test[c]]).dropna()
                bad = bad[pd.to_numeric(bad, errors="coerce").isna()]
                if len(bad):
                    raise UserError(f"columns: {c} is numeric in the competition.yaml, but holds {bad.iloc[0]!r}; "
                                    "give it another type (categorical, high_cardinality, text) or drop it")
        categorical = [c for c in features if types[c] in ("categorical", "high_cardinality")]
        raw = self._target(train, train_path)
        y = np.log(raw) if s.target_transform == "log" else raw
        hook_train = flagged = None
        if hooks is not None:                        # the hooks see a regression target as numbers
            hook_train = train.assign(**{s.target: raw}) if s.problem == "regression" else train
            from kaggle_kit.tabular.hooks import row_mask

            if hooks.flagged is not None:
                flagged = row_mask(hooks, "flagged", hook_train)
            if hooks.fit_rows is not None:           # tried once here, before any run writes: each fold calls it
                row_mask(hooks, "fit_rows", hook_train, self.config_class())   # with the run's config
        stratify = y if s.problem != "regression" and "stratified" in s.folds.kind else None
        groups = pd.factorize(train[s.folds.group])[0] if s.folds.group else None
        fingerprint = data_fingerprint(train_path, test_path, *([data_dir / s.files.sample_submission]
                                                                if sample is not None else []), data_dump(s),
                                       *([hooks.path] if hooks is not None else []))   # its code makes the data
        return SpecTableData(ids=train[s.id].tolist(), test_ids=test[s.id].tolist(), fingerprint=fingerprint,
                             stratify=stratify, groups=groups, sample_submission=sample, train=train, test=test,
                             y=y, features=features, categorical=categorical, hook_train=hook_train,
                             flagged=flagged, types={c: types[c] for c in features})

    def column_types(self, train: pd.DataFrame, test: pd.DataFrame, path: Path, read: set[str]) -> dict[str, str]:
        """Every column's type but the id's and the target's: the spec's `columns:`, `drop`, and the inferred type
        of any column the spec does not name (kaggle_kit.tabular.columns). `read`: the file's columns, before a
        hook's features() added, replaced or dropped some (a spec may name a column the hook drops)."""
        s = self.spec
        given = dict(s.columns or {})
        unknown = sorted(set(given) - set(train.columns) - read)
        if unknown:
            raise UserError(f"columns: {unknown[0]} is not a column of {path.name}; remove it from the "
                            "competition.yaml or write the spec again with make new")
        types = {}
        for c in train.columns:
            if c in (s.id, s.target):
                continue
            types[c] = "drop" if c in s.drop else given.get(c) or column_type(train[c], test.get(c))[0]
        return types

    def _answer_order(self, data_dir: Path, test: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        """The rows to answer in the sample submission's order (else test's), and the sample."""
        s = self.spec
        if not s.files.sample_submission:
            return test, None
        path = data_dir / s.files.sample_submission
        if not path.is_file():                       # not in the download: the answer in test.csv's order
            return test, None
        sample = tables.read_csv(path, self.slug, columns=[s.id], dtype=str)
        if list(sample.columns[1:]) != s.answer_columns:
            raise UserError(f"{path} has the columns {', '.join(sample.columns[1:])}, the competition.yaml says "
                            f"{', '.join(s.answer_columns)}; write the spec again with make new")
        if sorted(sample[s.id]) != sorted(test[s.id]):
            stray = sorted(set(sample[s.id]) ^ set(test[s.id]))
            raise UserError(f"{path} lists other ids than {s.files.test} ({len(stray)} differ, e.g. {stray[0]}); "
                            "download both again")
        return test.set_index(s.id, drop=False).loc[sample[s.id]].reset_index(drop=True), sample

    def _target(self, train: pd.DataFrame, path: Path) -> np.ndarray:
        s = self.spec
        if s.problem == "regression":
            y = pd.to_numeric(train[s.target], errors="coerce")
            if y.isna().any():
                raise UserError(f"{path}: {s.target} must be a number on every row for a regression problem; row "
                                f"{int(np.flatnonzero(y.isna())[0]) + 2} holds {train[s.target][y.isna()].iloc[0]!r}")
            if s.metric == "rmsle" and (y < 0).any():
                raise UserError(f"{path}: rmsle needs a target of at least 0; {s.target} has negative values")
            if s.target_transform == "log" and (y <= 0).any():
                raise UserError(f"{path}: target_transform: log needs a positive target; {s.target} has values <= 0")
            return y.to_numpy(float)
        unknown = sorted(set(train[s.target]) - set(s.classes))
        if unknown:
            raise UserError(f"{path}: {s.target} holds classes the competition.yaml does not list "
                            f"({', '.join(unknown[:3])}); write the spec again with make new")
        return pd.Index(s.classes).get_indexer(train[s.target])

    def fit_fold(self, cfg: TableConfig, data: SpecTableData, ctx: FoldContext) -> FoldOutput:
        from kaggle_kit.tabular.table_fold import fit_table_fold, stack_members

        if stack_members(cfg):               # a level-2 model: the members' inner-fold predictions as features
            from kaggle_kit.tabular.stacking import stacked_fold_data

            data = stacked_fold_data(cfg, data, self.spec, ctx, self.hooks)
        return fit_table_fold(cfg, data, ctx, self.spec, self.hooks)

    def predict_test_fold(self, cfg: TableConfig, data: SpecTableData, fold: int, fold_dir: Path) -> pd.DataFrame:
        from kaggle_kit.tabular.table_fold import predict_table_test, stack_members

        if stack_members(cfg):               # the members' columns from the models the fold saved
            from kaggle_kit.tabular.stacking import saved_stack_data

            data = saved_stack_data(cfg, data, self.spec, fold_dir, fold, self.hooks)
        return predict_table_test(cfg, data, self.spec, fold_dir, fold, self.hooks)

    def score(self, data: SpecTableData, rows: np.ndarray, pred: np.ndarray) -> float:
        """The metric; a label metric scores the untuned rule (threshold 0.5, argmax): evaluate tunes it."""
        pred = np.asarray(pred)
        if self.spec.target_transform == "log":       # predictions are logs: the metric scores the values
            if self.spec.metric == "rmse_log":
                return rmse(data.y[rows], pred)
            return METRICS[self.spec.metric](np.exp(data.y[rows]), np.exp(pred))
        return METRICS[self.spec.metric](data.y[rows], decisions.labels(None, pred) if self.scores == LABEL else pred)

    def evaluate(self, data: SpecTableData, pred: np.ndarray, fold_of: np.ndarray | None = None) -> Evaluation:
        """The metric, and the score without the hook's flagged rows where it flags some. Label metrics, given the
        folds: the CV of labels by a rule each fold takes from the other folds (nested, also on resampled rows),
        the untuned rule's score beside it, and the rule tuned on every OOF row, which the submission applies."""
        pred, rows = np.asarray(pred), np.arange(len(data.y))
        plain = self.score(data, rows, pred)
        extras = {}
        if data.flagged is not None:
            keep = ~data.flagged
            extras[f"score_without_{self.hooks.FLAGGED}"] = self.score(data, rows[keep], pred[keep])
        if self.scores != LABEL or fold_of is None:
            return Evaluation(plain, extras, resample=lambda rr: self.score(data, rr, pred[rr]))
        metric = METRICS[self.spec.metric]
        nested = decisions.nested_labels(metric, data.y, pred, fold_of)
        return Evaluation(metric(data.y, nested), {**extras, "score_untuned_rule": plain},
                          folds=[metric(data.y[fold_of == k], nested[fold_of == k]) for k in np.unique(fold_of)],
                          decision=decisions.tune(metric, data.y, pred),
                          resample=lambda rr: metric(data.y[rr], nested[rr]))

    def plot_oof(self, cfg: TableConfig, data: SpecTableData, oof: pd.DataFrame, out: Path) -> list[Path]:
        """Regression: predictions against the truth and the largest residuals. Classes: the confusion matrix
        (labels by the OOF-tuned rule for a label metric, else argmax / 0.5) and the calibration curve (binary:
        the positive class's probability; multiclass: the top class's, against how often it is right)."""
        from kaggle_kit.pipeline.predictions import pred_array
        from kaggle_kit.reporting import plots

        s, y = self.spec, data.y
        if s.problem == "regression":
            pred = oof["pred"].to_numpy(float)
            label = f"log({s.target})" if s.target_transform == "log" else s.target
            return [plots.pred_vs_true(y, pred, out / "oof_pred_vs_true.png", "out-of-fold predictions",
                                       label=label, highlight=data.flagged),
                    plots.largest_residuals(data.ids, pred - y, out / "largest_residuals.png",
                                            f"largest out-of-fold residuals ({s.id}), {label}")]
        pred = pred_array(oof, self.pred_columns)
        decision = decisions.tune(METRICS[s.metric], y, pred) if self.scores == LABEL else None
        guess = decisions.labels(decision, pred)
        written = [plots.confusion_matrix(y, guess, list(s.classes), out / "confusion_matrix.png",
                                          f"out-of-fold confusion ({np.mean(guess == y):.3f} right)")]
        if s.problem == "binary":
            written.append(plots.calibration((y == 1).astype(int), pred, out / "calibration.png",
                                             "out-of-fold calibration", label=f"{s.target} = {s.classes[1]}"))
        else:
            written.append(plots.calibration((pred.argmax(1) == y).astype(int), pred.max(1), out / "calibration.png",
                                             "out-of-fold calibration of the top class", label="top class right"))
        return written

    def submission_frame(self, data: SpecTableData, pred: np.ndarray, decision: dict | None = None) -> pd.DataFrame:
        s = self.spec
        ids = pd.Series(data.test_ids, name=s.id, dtype=object)
        if s.submission == "labels":
            values = {s.answer_columns[0]: np.asarray(s.classes, dtype=object)[decisions.labels(decision, pred)]}
        elif s.submission == "probabilities":
            column = {c: k for k, c in enumerate(s.classes)}
            values = {c: np.clip(pred[:, column[c]], 0, 1) for c in s.answer_columns}
        elif s.submission == "probability":
            values = {s.answer_columns[0]: np.clip(pred, 0, 1)}
        elif s.target_transform == "log":
            values = {s.answer_columns[0]: np.exp(pred)}
        else:
            values = {s.answer_columns[0]: np.clip(pred, 0, None) if s.metric == "rmsle" else pred}
        return pd.concat([ids, pd.DataFrame(values)], axis=1)

    def check_submission(self, frame: pd.DataFrame, data: SpecTableData) -> None:
        s = self.spec
        check_table(frame, [s.id, *s.answer_columns], data.test_ids, data.sample_submission)
        if s.submission == "labels":
            unknown = set(frame[s.answer_columns[0]]) - set(s.classes)
            if unknown:
                raise UserError(f"submission has labels outside the training classes: {sorted(unknown)[:3]}")
        elif s.submission in ("probability", "probabilities"):
            values = frame[s.answer_columns].to_numpy(float)
            if ((values < 0) | (values > 1)).any():
                raise UserError("submission has probabilities outside [0, 1]")
