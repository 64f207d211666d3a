"""What a competition adapter provides to the core. The core runs folds, stores artefacts and ensembles;
the adapter reads its files, fits one fold, scores predictions and shapes the submission."""

from __future__ import annotations

from abc import ABC, abstractmethod
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
    pred_columns: ClassVar[list[str]] = ["pred"]   # prediction columns of val_pred/test_pred/oof files
    blend_kind: ClassVar[str] = "regression"       # which blending rules apply (kaggle_kit.ensembling.blend)
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

    def extra_scores(self, data: TrainData, rows: np.ndarray, pred: np.ndarray) -> dict[str, float]:
        """More views of the same OOF predictions, stored in cv.json beside `score`."""
        return {}

    def cv_scores(self, data: TrainData, fold_of: np.ndarray, pred: np.ndarray) -> dict:
        """Entries of cv.json that need the folds (replacing `score` and `folds` where a task scores its pooled
        OOF otherwise, e.g. a decision rule tuned nested; `decision` is then applied to the test set)."""
        return {}

    def resampled_score(self, data: TrainData, fold_of: np.ndarray, pred: np.ndarray):
        """scorer(rows): the CV score of these OOF predictions (one per training row) on resampled training rows,
        for the bootstrap SE; None where a resample cannot be scored cheaply (the SE is then over folds)."""
        return lambda rows: self.score(data, rows, pred[rows])

    def plot_oof(self, cfg: TrainConfig, data: TrainData, oof: pd.DataFrame, out: Path) -> list[Path]:
        """PNG views of a complete run's OOF predictions (oof file as read by self.preds) written into `out`,
        with kaggle_kit.reporting.plots; the core adds the learning curves."""
        return []

    def fold_ensemble(self, cfg: TrainConfig, preds: list[np.ndarray], data: TrainData | None = None) -> np.ndarray:
        """Combine the folds' test predictions (arrays of pred_columns) into one."""
        return np.mean(preds, axis=0)

    @abstractmethod
    def submission_frame(self, data: TrainData, pred: np.ndarray) -> pd.DataFrame:
        """The submission for test predictions `pred` (in test order). A task whose cv_scores give a `decision`
        takes it as the keyword `decision`."""

    @abstractmethod
    def check_submission(self, frame: pd.DataFrame, data: TrainData) -> None:
        """Raise UserError if `frame` does not match the competition's format."""

    def submission_stem(self, exp: str) -> str:
        """File name (without extension) of an experiment's submission."""
        return exp

    def write_submission(self, frame: pd.DataFrame, path: Path) -> None:
        atomic.write_csv(path, frame)
