"""A spec table's columns prepared for a learner, fitted on the fold's training rows only (`takes` of the
learner): `categories` (numbers, and text as pandas categories of the values the training rows hold: an
unseen one becomes missing), `strings` (numbers, and text as strings) or `numbers` (median-imputed standardised
numbers and one-hot text in one matrix: an unseen category is all zeros)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def gbdt_frame(data, rows_fit: np.ndarray, frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[data.features].copy()
    for c in data.features:
        if c in data.categorical:
            seen = sorted(data.train[c].iloc[rows_fit].dropna().astype(str).unique())
            values = frame[c].astype("string").to_numpy(dtype=object)
            known = pd.Series(values).isin(seen).to_numpy()
            out[c] = pd.Categorical(np.where(known, values, None), categories=seen)
        else:
            out[c] = pd.to_numeric(frame[c], errors="coerce").astype(float)
    return out


def catboost_frame(data, frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[data.features].copy()
    for c in data.features:
        out[c] = frame[c].astype(str).fillna("nan") if c in data.categorical else \
            pd.to_numeric(frame[c], errors="coerce").astype(float)
    return out


def linear_features(data):
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric = [c for c in data.features if c not in data.categorical]
    return ColumnTransformer([
        ("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
        ("text", make_pipeline(SimpleImputer(strategy="constant", fill_value="(missing)"),
                               OneHotEncoder(handle_unknown="ignore")), data.categorical)])


def text_as_str(data, frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[data.features].copy()
    for c in data.categorical:
        out[c] = frame[c].astype(object).where(frame[c].notna(), None).map(lambda v: v if v is None else str(v))
    return out


class Preparation:
    """fit(the training rows' frame) -> their x; transform(any frame) -> x; names: the matrix's columns
    (`numbers`), else None."""

    def __init__(self, takes: str, data, rows: np.ndarray):
        self.takes, self.data, self.rows, self.names = takes, data, rows, None

    def fit(self, frame: pd.DataFrame):
        if self.takes != "numbers":
            return self.transform(frame)
        self.encoder = linear_features(self.data)
        x = self.encoder.fit_transform(text_as_str(self.data, frame))
        self.names = self.encoder.get_feature_names_out().tolist()
        return x

    def transform(self, frame: pd.DataFrame):
        if self.takes == "categories":
            return gbdt_frame(self.data, self.rows, frame)
        if self.takes == "strings":
            return catboost_frame(self.data, frame)
        return self.encoder.transform(text_as_str(self.data, frame))
