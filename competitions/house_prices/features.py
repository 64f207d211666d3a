"""House-prices features, fitted on the training fold only. Every step is switched by FeatureConfig; the fitted
state is plain data (saved inside checkpoints and model files) and transform() needs nothing else."""

from __future__ import annotations

import numpy as np
import pandas as pd

from competitions.house_prices.config import FeatureConfig
from competitions.house_prices.schema import feature_columns

# Ames data_description.txt: NA in these columns means the house has no such thing, not that it is unknown.
NONE_CATEGORICAL = ["Alley", "BsmtQual", "BsmtCond", "BsmtExposure", "BsmtFinType1", "BsmtFinType2",
                    "FireplaceQu", "GarageType", "GarageFinish", "GarageQual", "GarageCond", "PoolQC", "Fence",
                    "MiscFeature", "MasVnrType"]
NONE_NUMERIC = ["MasVnrArea", "BsmtFinSF1", "BsmtFinSF2", "BsmtUnfSF", "TotalBsmtSF", "BsmtFullBath",
                "BsmtHalfBath", "GarageCars", "GarageArea"]
QUALITY = {"Ex": 5, "Gd": 4, "TA": 3, "Fa": 2, "Po": 1, "None": 0}
FINISH = {"GLQ": 6, "ALQ": 5, "BLQ": 4, "Rec": 3, "LwQ": 2, "Unf": 1, "None": 0}
# Ames data_description.txt's ordered scales, best highest; each column also stays one-hot.
ORDERED_LEVELS = {
    **{col: QUALITY for col in ["ExterQual", "ExterCond", "BsmtQual", "BsmtCond", "HeatingQC", "KitchenQual",
                                "FireplaceQu", "GarageQual", "GarageCond", "PoolQC"]},
    "BsmtExposure": {"Gd": 4, "Av": 3, "Mn": 2, "No": 1, "None": 0},
    "BsmtFinType1": FINISH, "BsmtFinType2": FINISH,
    "GarageFinish": {"Fin": 3, "RFn": 2, "Unf": 1, "None": 0},
    "Functional": {"Typ": 7, "Min1": 6, "Min2": 5, "Mod": 4, "Maj1": 3, "Maj2": 2, "Sev": 1, "Sal": 0},
    "LotShape": {"Reg": 3, "IR1": 2, "IR2": 1, "IR3": 0},
    "LandSlope": {"Gtl": 2, "Mod": 1, "Sev": 0},
    "PavedDrive": {"Y": 2, "P": 1, "N": 0},
    "CentralAir": {"Y": 1, "N": 0},
}


def prepare(frame: pd.DataFrame, cfg: dict) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Row-wise steps that need no fitting: (frame, numeric columns, categorical columns)."""
    df = frame.copy()
    numeric, categorical = feature_columns("numeric"), feature_columns("categorical")
    if cfg["na_means_none"]:
        df[NONE_CATEGORICAL] = df[NONE_CATEGORICAL].astype(object).where(df[NONE_CATEGORICAL].notna(), "None")
        df[NONE_NUMERIC] = df[NONE_NUMERIC].fillna(0)
        df["GarageYrBlt"] = df["GarageYrBlt"].fillna(df["YearBuilt"])
    if cfg["engineered"]:
        f = df[numeric].astype(float)
        df["TotalSF"] = f["TotalBsmtSF"].fillna(0) + f["1stFlrSF"] + f["2ndFlrSF"]
        df["TotalBath"] = (f["FullBath"] + 0.5 * f["HalfBath"] + f["BsmtFullBath"].fillna(0)
                           + 0.5 * f["BsmtHalfBath"].fillna(0))
        df["HouseAge"] = f["YrSold"] - f["YearBuilt"]
        df["RemodAge"] = f["YrSold"] - f["YearRemodAdd"]
        df["PorchSF"] = f[["OpenPorchSF", "EnclosedPorch", "3SsnPorch", "ScreenPorch", "WoodDeckSF"]].sum(axis=1)
        numeric = numeric + ["TotalSF", "TotalBath", "HouseAge", "RemodAge", "PorchSF"]
    if cfg["ordinal"]:
        for col, levels in ORDERED_LEVELS.items():
            df[f"{col}_ord"] = df[col].map(levels).astype(float)
        numeric = numeric + [f"{c}_ord" for c in ORDERED_LEVELS]
    # overall quality scales the worth of each square foot: products a linear model cannot form itself
    if cfg.get("interactions"):   # .get: feature states saved before the key existed lack it
        f = df[["OverallQual", "OverallCond", "GrLivArea", "TotalBsmtSF", "1stFlrSF", "2ndFlrSF"]].astype(float)
        area = f["TotalBsmtSF"].fillna(0) + f["1stFlrSF"] + f["2ndFlrSF"]
        df["Qual_x_LogGrLivArea"] = f["OverallQual"] * np.log1p(f["GrLivArea"])
        df["Qual_x_LogTotalSF"] = f["OverallQual"] * np.log1p(area)
        df["Qual_squared"] = f["OverallQual"] ** 2
        df["Qual_x_Cond"] = f["OverallQual"] * f["OverallCond"]
        numeric = numeric + ["Qual_x_LogGrLivArea", "Qual_x_LogTotalSF", "Qual_squared", "Qual_x_Cond"]
    for col in cfg["as_categorical"]:
        df[col] = df[col].astype("Int64").astype(str).where(df[col].notna())
    numeric = [c for c in numeric if c not in cfg["as_categorical"]]
    categorical = categorical + list(cfg["as_categorical"])
    return df, numeric, categorical


def fit_features(frame: pd.DataFrame, cfg: FeatureConfig) -> dict:
    config = cfg.model_dump()
    df, numeric_cols, categorical_cols = prepare(frame, config)
    numeric = {}
    for col in numeric_cols:
        values = df[col].astype(float)
        log = bool(cfg.log_skewed is not None and values.min() >= 0 and values.skew() > cfg.log_skewed)
        if log:
            values = np.log1p(values)
        fill = values.median() if cfg.numeric_fill == "median" else values.mean()
        values = values.fillna(fill)
        std = values.std()
        numeric[col] = {"log": log, "fill": 0.0 if np.isnan(fill) else float(fill),
                        "mean": float(values.mean()) if values.notna().any() else 0.0,
                        "std": float(std) if std > 0 else 1.0}
    categorical = {col: sorted(df[col].dropna().astype(str).unique().tolist()) for col in categorical_cols}
    return {"config": config, "numeric": numeric, "categorical": categorical}


def n_features(state: dict) -> int:
    extra = 1 if state["config"]["dummy_na"] else 0
    return len(state["numeric"]) + sum(len(v) + extra for v in state["categorical"].values())


def feature_names(state: dict) -> list[str]:
    names = list(state["numeric"])
    for col, levels in state["categorical"].items():
        names += [f"{col}={v}" for v in levels] + ([f"{col}=NA"] if state["config"]["dummy_na"] else [])
    return names


def transform(frame: pd.DataFrame, state: dict) -> np.ndarray:
    df, _, _ = prepare(frame, state["config"])
    blocks = []
    for col, s in state["numeric"].items():
        values = df[col].astype(float).to_numpy()
        if s["log"]:
            values = np.log1p(np.clip(values, 0, None))
        values = np.where(np.isnan(values), s["fill"], values)
        blocks.append(((values - s["mean"]) / s["std"])[:, None])
    for col, levels in state["categorical"].items():
        values = df[col]
        codes = pd.Index(levels).get_indexer(values.astype(str))
        codes[values.isna().to_numpy()] = -1
        onehot = np.zeros((len(df), len(levels) + 1))
        onehot[np.flatnonzero(codes >= 0), codes[codes >= 0]] = 1.0   # unseen levels stay all-zero
        onehot[:, -1] = values.isna().to_numpy()
        blocks.append(onehot if state["config"]["dummy_na"] else onehot[:, :-1])
    out = np.concatenate(blocks, axis=1).astype(np.float32)
    assert out.shape[1] == n_features(state)
    return out
