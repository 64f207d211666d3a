"""A spec table's optional hook module: a Python file beside its competition.yaml (`hooks: hooks.py`) with what
is truly that competition's, each optional:

    features(frame) -> frame     row-wise engineered columns: called on train and on test as read, it returns
                                 the frame with columns added, replaced or removed (the id and target kept);
                                 it sees one row's values at a time in effect, so it cannot leak across folds
    fit_rows(train) -> mask      which training rows the learners fit on (an outlier rule); every row is still
                                 scored, out of fold
    build_sample(dest)           draws a small download in the real layout into dest (as a sample.py would)

Anything fitted on rows (medians, scales, encodings) stays the kind's, inside each training fold."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from kaggle_kit.errors import UserError

NAMES = ("features", "fit_rows", "build_sample")


@dataclass
class Hooks:
    path: Path
    features: Callable | None = None
    fit_rows: Callable | None = None
    build_sample: Callable | None = None


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
    if not given:
        raise UserError(f"{path} defines none of {', '.join(NAMES)}; a hook module defines at least one")
    return Hooks(path, **given)


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


def fit_mask(hooks: Hooks, train: pd.DataFrame) -> np.ndarray:
    try:
        mask = np.asarray(hooks.fit_rows(train.copy()), dtype=bool)
    except Exception as e:  # noqa: BLE001
        raise UserError(f"{hooks.path}: fit_rows() fails: {type(e).__name__}: {e}") from None
    if mask.shape != (len(train),) or not mask.any():
        raise UserError(f"{hooks.path}: fit_rows() must return one true/false per training row ({len(train)}), "
                        "some true")
    return mask
