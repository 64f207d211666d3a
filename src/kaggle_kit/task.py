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


@dataclass
class TrainData:
    ids: list                      # training ids in file order, as in the files (never cast to int64)
    test_ids: list                 # test ids in file order
    fingerprint: str               # changes whenever a file the run depends on changes
    stratify: np.ndarray | None = None
    groups: np.ndarray | None = None
    sample_submission: pd.DataFrame | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class FoldOutput:
    val: pd.DataFrame              # id column + prediction columns, one row per validation row
    test: pd.DataFrame             # id column + prediction columns, in test order
    metrics: dict[str, Any] = field(default_factory=dict)


class Task(ABC):
    name: ClassVar[str]            # short name used by make targets and runs/: "house"
    slug: ClassVar[str]            # Kaggle competition slug: data/<slug>/
    config_class: ClassVar[type[TrainConfig]]
    id_column: ClassVar[str]
    metric: ClassVar[str]
    higher_is_better: ClassVar[bool]
    fold_kind: ClassVar[str] = "kfold"
    submission_ext: ClassVar[str] = "csv"

    def default_config(self, using_sample: bool) -> str:
        """Stem of the config used when CONFIG is not given."""
        return self.name

    @abstractmethod
    def build_sample(self, dest: Path) -> None: ...

    @abstractmethod
    def load(self, data_dir: Path) -> TrainData:
        """Read and validate the download; raise UserError on anything malformed."""

    @abstractmethod
    def fit_fold(self, cfg: TrainConfig, data: TrainData, fold: int, train_idx: np.ndarray,
                 val_idx: np.ndarray, out_dir: Path) -> FoldOutput: ...

    @abstractmethod
    def score(self, data: TrainData, rows: np.ndarray, pred: pd.DataFrame) -> float:
        """Metric of `pred` (rows aligned with training rows `rows`)."""

    @abstractmethod
    def make_submission(self, cfg: TrainConfig, data: TrainData, test_preds: list[pd.DataFrame]) -> pd.DataFrame:
        """Ensemble the folds' test predictions into the submission frame."""

    @abstractmethod
    def check_submission(self, frame: pd.DataFrame, data: TrainData) -> None:
        """Raise UserError if `frame` does not match the competition's format."""

    def write_submission(self, frame: pd.DataFrame, path: Path) -> None:
        from kaggle_kit import atomic

        atomic.write_csv(path, frame)
