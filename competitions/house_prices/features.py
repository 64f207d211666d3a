"""d2l features, fitted on the training fold only: numeric columns standardised with NA set to a fill value,
categoricals one-hot with an NA indicator. The fitted state is plain data (saved inside the checkpoint)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from competitions.house_prices.config import FeatureConfig
from competitions.house_prices.schema import feature_columns


def fit_features(frame: pd.DataFrame, cfg: FeatureConfig) -> dict:
    numeric = {}
    for col in feature_columns("numeric"):
        values = frame[col].astype(float)
        mean, std = values.mean(), values.std()
        numeric[col] = [0.0 if np.isnan(mean) else float(mean), 1.0 if not std > 0 else float(std)]
    categorical = {col: sorted(frame[col].dropna().astype(str).unique().tolist())
                   for col in feature_columns("categorical")}
    return {"numeric": numeric, "categorical": categorical, "numeric_fill": cfg.numeric_fill,
            "dummy_na": cfg.dummy_na}


def n_features(state: dict) -> int:
    extra = 1 if state["dummy_na"] else 0
    return len(state["numeric"]) + sum(len(v) + extra for v in state["categorical"].values())


def transform(frame: pd.DataFrame, state: dict) -> np.ndarray:
    blocks = []
    cols = list(state["numeric"])
    stats = np.asarray([state["numeric"][c] for c in cols])
    x = (frame[cols].astype(float).to_numpy() - stats[:, 0]) / stats[:, 1]
    blocks.append(np.where(np.isnan(x), state["numeric_fill"], x))
    for col, levels in state["categorical"].items():
        values = frame[col]
        codes = pd.Index(levels).get_indexer(values.astype(str))
        codes[values.isna().to_numpy()] = -1
        onehot = np.zeros((len(frame), len(levels) + 1))
        onehot[np.flatnonzero(codes >= 0), codes[codes >= 0]] = 1.0   # unseen levels stay all-zero
        if state["dummy_na"]:
            onehot[:, -1] = values.isna().to_numpy()
            blocks.append(onehot)
        else:
            blocks.append(onehot[:, :-1])
    out = np.concatenate(blocks, axis=1).astype(np.float32)
    assert out.shape[1] == n_features(state)
    return out
