"""What is truly Ames, for the tabular kind (competition.yaml names this file): the download's own checks, the
config keys (features, the outlier rule, seeds), the fitted features every learner gets, the outlier rule and
the two outliers scored apart. The drawn sample is sample.py beside it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from competitions.house_prices import data as house_data
from competitions.house_prices.config import HouseConfig as Config  # noqa: F401 (the kind reads it)
from competitions.house_prices.features import fit_features as fit_ames_features
from competitions.house_prices.features import transform  # noqa: F401 (the kind calls it)
from competitions.house_prices.schema import ID, is_outlier
from kaggle_kit.pipeline.submission_checks import check_sample_ids

FLAGGED = "outliers"        # the two documented Ames sales: huge living area, low price


def check(data_dir: Path) -> None:
    """The Kaggle header unchanged, numeric columns numeric, unique and disjoint ids, positive prices, and the
    sample submission (where there is one) in test order."""
    _, test, _ = house_data.read_split(data_dir)
    check_sample_ids(house_data.read_sample_submission(data_dir), ID, test[ID].tolist())


def fit_features(train, cfg) -> dict:
    return fit_ames_features(train, cfg.features)


def fit_rows(train, cfg) -> np.ndarray:
    """The outliers are left out of fitting (drop_outliers), never out of scoring."""
    return ~is_outlier(train) if cfg.drop_outliers else np.ones(len(train), bool)


def flagged(train) -> np.ndarray:
    return is_outlier(train)
