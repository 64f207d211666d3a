"""A spec table's optional hook module: a Python file beside its competition.yaml (`hooks: hooks.py`) with what
is truly that competition's, each optional. The frames a hook sees hold the target as numbers (regression).

    features(frame) -> frame     row-wise engineered columns: called on train and on test as read, it returns
                                 the frame with columns added, replaced or removed (the id and target kept);
                                 it sees one row's values at a time in effect, so it cannot leak across folds
    fit_rows(train, cfg) -> mask which training rows the learners fit on (an outlier rule; the config given, so
                                 a key may turn it off); every row is still scored, out of fold
    flagged(train) -> mask       rows the CV also scores without (cv.json `score_without_<FLAGGED>`) and the
    FLAGGED = "outliers"         plots highlight; FLAGGED names them
    build_sample(dest)           draws a small download in the real layout into dest (as a sample.py would)
    check(data_dir)              the competition's own checks of its download, before the kit reads it (one
                                 UserError line each)
    Config                       the config class (a TrainConfig with the learners' sections, `model`, `seeds`,
                                 `clip_to_train_range`, `model_seed(fold, s)` and the hook's own keys)
    fit_features(train, cfg) -> state, transform(frame, state) -> matrix
                                 the competition's own fitted features, in place of the kind's preparation:
                                 fitted on each fold's training rows, every learner gets the matrix; the state
                                 (JSON) is kept with the fold's models, and offline prediction reads it back

Without fit_features, what is fitted on rows (medians, scales, encodings) stays the kind's, inside each
training fold."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from kaggle_kit.errors import UserError

NAMES = ("features", "fit_rows", "flagged", "build_sample", "check", "fit_features", "transform")


@dataclass
class Hooks:
    path: Path
    features: Callable | None = None
    fit_rows: Callable | None = None
    flagged: Callable | None = None
    build_sample: Callable | None = None
    check: Callable | None = None
    fit_features: Callable | None = None
    transform: Callable | None = None
    Config: type | None = None
    FLAGGED: str = "flagged"


def load_hooks(folder: Path, file: str) -> Hooks:
    path = Path(folder) / file
    if not path.is_file():
        raise UserError(f"{path}: the hook module the competition.yaml names (`hooks: {file}`) is not there; add "
                        "it or remove the key")
    found = importlib.util.spec_from_file_location(f"_kit_hooks_{Path(folder).name}_{path.stem}", path)
    module = importlib.util.module_from_spec(found)
    try:
        found.loader.exec_module(module)
    except Exception as e:  # noqa: BLE001 (the user's module: its error, named, in one line)
        raise UserError(f"{path} fails on import: {type(e).__name__}: {e}") from None
    given = {n: getattr(module, n) for n in NAMES if callable(getattr(module, n, None))}
    if not given and not hasattr(module, "Config"):
        raise UserError(f"{path} defines none of {', '.join(NAMES)}; a hook module defines at least one")
    if ("fit_features" in given) != ("transform" in given):
        raise UserError(f"{path} defines one of fit_features and transform; fitted features need both")
    from kaggle_kit.config import TrainConfig

    config = getattr(module, "Config", None)
    if config is not None and not (isinstance(config, type) and issubclass(config, TrainConfig)):
        raise UserError(f"{path}: Config must be a config class (a subclass of kaggle_kit's TrainConfig)")
    return Hooks(path, **given, Config=config, FLAGGED=str(getattr(module, "FLAGGED", "flagged")))


def engineered(hooks: Hooks, frame: pd.DataFrame, keep: list[str], path: Path) -> pd.DataFrame:
    """frame through the features hook, checked: a frame of the same rows, `keep` columns unchanged."""
    try:
        out = hooks.features(frame.copy())
    except Exception as e:  # noqa: BLE001
        raise UserError(f"{hooks.path}: features() fails on {path.name}: {type(e).__name__}: {e}") from None
    if not isinstance(out, pd.DataFrame) or len(out) != len(frame):
        raise UserError(f"{hooks.path}: features() must return a DataFrame of the {len(frame)} rows of {path.name}")
    for c in keep:
        if c not in out.columns or not out[c].equals(frame[c]):
            raise UserError(f"{hooks.path}: features() must keep column {c} of {path.name} as it was")
    return out


def row_mask(hooks: Hooks, what: str, train: pd.DataFrame, *args) -> np.ndarray:
    """fit_rows(train, cfg) or flagged(train), checked: one bool per training row (fit_rows: some true)."""
    try:
        mask = np.asarray(getattr(hooks, what)(train.copy(), *args), dtype=bool)
    except Exception as e:  # noqa: BLE001
        raise UserError(f"{hooks.path}: {what}() fails: {type(e).__name__}: {e}") from None
    if mask.shape != (len(train),) or (what == "fit_rows" and not mask.any()):
        raise UserError(f"{hooks.path}: {what}() must return one true/false per training row ({len(train)})"
                        + (", some true" if what == "fit_rows" else ""))
    return mask
