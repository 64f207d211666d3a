"""What a competition adapter provides to the core. The core runs folds, stores artefacts and ensembles;
the adapter reads its files, fits one fold, scores predictions and shapes the submission."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from kaggle_kit.config import TrainConfig
from kaggle_kit.errors import UserError
from kaggle_kit.io import atomic
from kaggle_kit.paths import BEST_CKPT, LABELS, PROJECT_DIR
from kaggle_kit.pipeline.predictions import TablePredictions

KIT_COMPETITIONS = PROJECT_DIR / "competitions"     # the kit's own competitions: the Makefile's COMPS
OWN_TARGET_VERBS = ("sample", "train", "cv", "submit", "blend", "leaderboard", "report", "bundle", "download",
                    "kaggle-submit", "lb", "tune")          # the Makefile's VERBS: each has a <comp>-<verb> target


@dataclass(kw_only=True)
class TrainData:
    """What every kind's loaded download holds; each kind adds its own typed fields in a subclass
    (kaggle_kit.tabular.kind.TableData, vision.kind.ImageData, detection.kind.DetectionData)."""
    ids: list                      # training ids in file order, as in the files (never cast to int64)
    test_ids: list                 # test ids in answer order, each once
    fingerprint: str               # changes whenever a file the run depends on changes
    stratify: np.ndarray | None = None
    groups: np.ndarray | None = None
    sample_submission: pd.DataFrame | None = None


@dataclass(frozen=True)
class FoldContext:
    """One fold as the k-fold loop hands it to a task: its rows, the folder it writes into (the staging folder
    while it trains, the fold's folder when predicting again), whether it resumes from that folder's last
    checkpoint (decided once by the loop, alike on every DDP process), and the competition's cache folder."""
    fold: int
    dir: Path
    train_idx: np.ndarray
    val_idx: np.ndarray
    resume: bool = False
    cache_dir: Path | None = None
    refresh_cache: bool = False    # FORCE=1: what the fold reads from cache_dir is made again, not read


@dataclass(frozen=True)
class Evaluation:
    """What a task's metric says of predictions for every training row (Task.evaluate): the score, more views of
    the same predictions beside it, and, given the folds, what the CV needs of them."""
    score: float
    extras: dict[str, Any] = field(default_factory=dict)   # cv.json entries beside the score: secondary scores
    #                                     (Task.secondary_scores' keys) and per-class breakdowns (Task.breakdowns')
    folds: list[float] | None = None      # fold scores where the task scores folds its own way (labels by a rule
    #                                       tuned on the other folds); None: each fold's own score
    decision: dict | None = None          # a rule tuned on the OOF rows, which the submission applies
    resample: Callable[[np.ndarray], float] | None = None   # the score on resampled training rows, for the
    #                                                          bootstrap SE; None: the SE is taken over folds

    def cv_entries(self, fold_scores: list[float]) -> dict:
        """cv.json's entries of one fold set: score, folds, the extras, the decision."""
        return {"score": self.score, "folds": self.folds if self.folds is not None else fold_scores, **self.extras,
                **({"decision": self.decision} if self.decision is not None else {})}


@dataclass
class FoldOutput:
    val: pd.DataFrame              # id column + prediction columns, one row per validation row
    test: pd.DataFrame             # id column + prediction columns, in test order
    metrics: dict[str, Any] = field(default_factory=dict)
    note: str = ""                 # what the fold chose, printed after its score (early-stopping rounds)


class Task(ABC):
    """A competition: what the core needs to train, score and submit it. A kind (tabular, image classification,
    detection) is a subclass that holds what all its competitions share; a competition subclasses its kind with
    its names, its files and any hooks that are truly its own."""
    name: ClassVar[str]            # short name used by make targets and runs/
    slug: ClassVar[str]            # Kaggle competition slug: data/<slug>/
    config_class: ClassVar[type[TrainConfig]]
    id_column: ClassVar[str]
    metric: ClassVar[str]
    higher_is_better: ClassVar[bool]
    fold_kind: ClassVar[str] = "kfold"
    submission_ext: ClassVar[str] = "csv"
    pred_columns: ClassVar[list[str]] = ["pred"]   # prediction columns of val_pred/test_pred/oof files (a task
    #                                                whose columns come from its data says so in prediction_columns)
    blend_kind: ClassVar[str] = "regression"       # which blending rules apply (kaggle_kit.ensembling.blend):
    #                                                regression, binary, classification or detection
    prediction_key: ClassVar[str | None] = None    # config key that selects a saved prediction set ("tta")
    preds: ClassVar[Any] = TablePredictions()      # how predictions are stored (kaggle_kit.pipeline.predictions)
    secondary_scores: ClassVar[dict[str, str]] = {}  # scalar cv.json keys shown beside the score: key -> label
    breakdowns: ClassVar[tuple[tuple[str, str], ...]] = ()   # per-class cv.json dicts: (key, label); the first
    #                                                          leads each printed line
    has_sample: ClassVar[bool] = True              # build_sample draws one (DATA may then be left out)
    splits: ClassVar[tuple[str, ...]] = ()         # the test sets a submission may answer (SPLIT=); (): one
    split: str | None = None                       # the one this command answers (select_split)
    predicts_offline: ClassVar[bool] = False       # fold models predict new test rows from checkpoints (bundles)
    offline_models: ClassVar[tuple[str, ...]] = (BEST_CKPT,)     # a fold dir's model files (globs; bundles)
    offline_context: ClassVar[tuple[str, ...]] = (LABELS,)  # what else of it they predict with (globs)

    def prediction_columns(self, data: TrainData) -> list[str]:
        """The prediction columns of val_pred/test_pred/oof files for this download."""
        return self.pred_columns

    def kaggle_slug(self) -> str | None:
        """The competition's slug on Kaggle (download, kaggle-submit, lb); None where nobody has said it."""
        return self.slug

    def recorded_data(self, root: Path) -> Path | None:
        """The download this competition was made from, where one was recorded (make new); else None."""
        return None

    def select_split(self, name: str) -> None:
        """Answer the test set `name` (SPLIT=); an error naming the ones there are."""
        if name not in self.splits:
            raise UserError(f"SPLIT={name}: {self.name} answers "
                            f"{' or '.join(self.splits) if self.splits else 'one test set only; leave SPLIT out'}")
        self.split = name

    def default_config(self, using_sample: bool) -> str:
        """Stem of the config used when CONFIG is not given."""
        return self.name

    def make(self, verb: str) -> str:
        """The make command of `verb` for this competition: its own target (make leaves-train) where the Makefile
        generates one, for the kit's own competitions (a folder of the project's competitions/) and the verbs
        in OWN_TARGET_VERBS; else the generic one (make train COMP=<name>)."""
        folder = getattr(self, "folder", None)
        own = folder is not None and Path(folder).resolve().parent == KIT_COMPETITIONS.resolve()
        return f"make {self.name}-{verb}" if own and verb in OWN_TARGET_VERBS else f"make {verb} COMP={self.name}"

    def check_config(self, cfg: TrainConfig) -> None:
        """Raise UserError for a config this competition cannot use (checked before anything runs)."""
        return None

    def auto_experiments(self) -> list[str]:
        """The config stems `make auto` trains and blends; none for a competition without a spec."""
        return []

    @abstractmethod
    def build_sample(self, dest: Path) -> None: ...

    @abstractmethod
    def load(self, data_dir: Path) -> TrainData:
        """Read and validate the download; raise UserError on anything malformed."""

    def fold_groups(self, cfg: TrainConfig, data: TrainData, cache_dir: Path) -> np.ndarray | None:
        """Group number of every training row (rows of a group share a fold), or None for no grouping."""
        return data.groups

    @abstractmethod
    def fit_fold(self, cfg: TrainConfig, data: TrainData, ctx: FoldContext) -> FoldOutput:
        """Train on ctx.train_idx, predict ctx.val_idx and the test set, write what the fold keeps into ctx.dir."""

    def prediction_value(self, cfg: TrainConfig) -> str:
        """The name of cfg's prediction set: the value of prediction_key (a task may fold more keys into it)."""
        return str(getattr(cfg, self.prediction_key))

    def predict_fold(self, cfg: TrainConfig, data: TrainData, ctx: FoldContext) -> FoldOutput:
        """Predict a trained fold's validation rows and the test set again from its saved checkpoint (in ctx.dir),
        under prediction settings (prediction_key) other than the ones it was trained with."""
        raise NotImplementedError(f"{self.name} keeps one prediction set per fold")

    def predict_test_fold(self, cfg: TrainConfig, data: TrainData, fold: int, fold_dir: Path) -> pd.DataFrame:
        """The test set's predictions (as test_pred is stored) of fold model `fold` from its checkpoint in
        fold_dir alone: what an offline bundle runs (predicts_offline)."""
        raise UserError(f"{self.name}'s fold models do not predict from their checkpoints alone")

    @abstractmethod
    def target(self, data: TrainData) -> np.ndarray:
        """The training target in the space predictions are made in, one entry per training row."""

    @abstractmethod
    def score(self, data: TrainData, rows: np.ndarray, pred: np.ndarray) -> float:
        """Metric of `pred` on training rows `rows` (table predictions: aligned with rows; detections: the
        (n, 7) array of kaggle_kit.detection.predictions.DetectionPredictions.values)."""

    def evaluate(self, data: TrainData, pred: np.ndarray, fold_of: np.ndarray | None = None) -> Evaluation:
        """The one scoring entry for predictions of every training row (a pooled OOF, a blend's): the score and
        its extras; given the rows' folds (fold_of), also what the CV needs (fold scores a task takes its own
        way, a tuned decision, the bootstrap's resampled score). `score` stays the bare metric on any rows."""
        rows = np.arange(len(data.ids))
        return Evaluation(self.score(data, rows, pred), resample=lambda rr: self.score(data, rr, pred[rr]))

    def plot_oof(self, cfg: TrainConfig, data: TrainData, oof: pd.DataFrame, out: Path) -> list[Path]:
        """PNG views of a complete run's OOF predictions (oof file as read by self.preds) written into `out`,
        with kaggle_kit.reporting.plots; the core adds the learning curves."""
        return []

    def fold_ensemble(self, cfg: TrainConfig, preds: list[np.ndarray], data: TrainData | None = None) -> np.ndarray:
        """Combine the folds' test predictions (arrays of pred_columns) into one."""
        return np.mean(preds, axis=0)

    @abstractmethod
    def submission_frame(self, data: TrainData, pred: np.ndarray) -> pd.DataFrame:
        """The submission for test predictions `pred` (in test order). A task whose evaluation gives a `decision`
        takes it as the keyword `decision`."""

    @abstractmethod
    def check_submission(self, frame: pd.DataFrame, data: TrainData) -> None:
        """Raise UserError if `frame` does not match the competition's format."""

    def submission_stem(self, exp: str) -> str:
        """File name (without extension) of an experiment's submission."""
        return exp

    def write_submission(self, frame: pd.DataFrame, path: Path) -> None:
        atomic.write_csv(path, frame)
