import numpy as np
import pandas as pd

from competitions.house_prices.config import FeatureConfig
from competitions.house_prices.data import read_split
from competitions.house_prices.features import ORDERED_LEVELS, fit_features, n_features, transform
from competitions.house_prices.schema import feature_columns, schema, train_columns


def test_sample_has_the_real_layout(house_sample):
    train, test, _ = read_split(house_sample)
    assert list(train.columns) == train_columns() and len(train.columns) == 81
    assert list(test.columns) == train_columns()[:-1]
    assert test["Id"].iloc[0] == train["Id"].iloc[-1] + 1
    head = (house_sample / "train.csv").read_text().splitlines()[0]
    assert head.startswith("Id,MSSubClass,MSZoning,LotFrontage") and head.endswith("SaleCondition,SalePrice")
    assert "NA" in (house_sample / "train.csv").read_text()             # NA written as Kaggle writes it
    assert (train["SalePrice"] > 0).all()
    r = np.corrcoef(train["OverallQual"], np.log(train["SalePrice"]))[0, 1]
    assert r > 0.5                                                      # the price depends on the features


def test_features_fitted_on_training_rows_only(house_sample):
    train, test, _ = read_split(house_sample)
    fold = train.iloc[:200]
    state = fit_features(fold, FeatureConfig(log_skewed=None))
    s = state["numeric"]["LotArea"]
    assert s["mean"] == fold["LotArea"].mean() and s["std"] == fold["LotArea"].std()
    x = transform(train, state)
    col = list(state["numeric"]).index("LotArea")
    assert abs(x[:200, col].mean()) < 1e-5 and abs(x[200:, col].mean()) > 1e-4
    assert x.shape == (len(train), n_features(state)) and x.dtype == np.float32
    skewed = fit_features(fold, FeatureConfig(log_skewed=0.75))["numeric"]["LotArea"]
    assert skewed["log"] and skewed["mean"] == np.log1p(fold["LotArea"]).mean()


D2L = dict(na_means_none=False, numeric_fill="mean", log_skewed=None, as_categorical=[], ordinal=False,
           engineered=False)


def test_na_indicator_unseen_levels_and_numeric_fill():
    cols = feature_columns("numeric") + feature_columns("categorical")
    base = {c: [1.0, 2.0] if c in feature_columns("numeric") else ["a", "b"] for c in cols}
    fold = pd.DataFrame(base)
    state = fit_features(fold, FeatureConfig(**D2L, dummy_na=True))
    new = pd.DataFrame({c: [np.nan, 1.0] if c in feature_columns("numeric") else [None, "zzz"] for c in cols})
    x = transform(new, state)
    n_num = len(feature_columns("numeric"))
    assert (x[0, :n_num] == 0).all()                       # NA numeric -> fill value after standardising
    first_cat = x[:, n_num:n_num + 3]                      # levels a, b, then the NA indicator
    assert first_cat.tolist() == [[0, 0, 1], [0, 0, 0]]    # NA row flags NA; unseen 'zzz' is all zeros
    no_na = fit_features(fold, FeatureConfig(**D2L, dummy_na=False))
    assert transform(new, no_na).shape[1] == n_num + 2 * len(feature_columns("categorical"))


def test_ames_semantics_ordinals_and_engineered_columns():
    frame = pd.DataFrame({c: [np.nan, np.nan] for c in feature_columns("numeric") + feature_columns("categorical")})
    frame[["GrLivArea", "1stFlrSF", "2ndFlrSF", "TotalBsmtSF", "YearBuilt", "YrSold", "MSSubClass"]] = \
        [[1000, 600, 400, 500, 1990, 2008, 60], [2000, 1000, 1000, np.nan, 2000, 2009, 20]]
    frame["KitchenQual"] = ["Gd", "Ex"]
    state = fit_features(frame, FeatureConfig(log_skewed=None))
    assert "None" in state["categorical"]["PoolQC"]               # NA means "no pool": a level
    assert state["categorical"]["MSSubClass"] == ["20", "60"]     # numeric codes as categories
    assert state["numeric"]["TotalBsmtSF"]["mean"] == 250          # NA basement area means 0
    names = list(state["numeric"])
    x = transform(frame, state)
    tsf = x[:, names.index("TotalSF")] * state["numeric"]["TotalSF"]["std"] + state["numeric"]["TotalSF"]["mean"]
    assert tsf.tolist() == [1500, 2000]
    kq = x[:, names.index("KitchenQual_ord")] * state["numeric"]["KitchenQual_ord"]["std"] \
        + state["numeric"]["KitchenQual_ord"]["mean"]
    assert kq.tolist() == [4, 5]


def column(name):
    return next(c for c in schema()["columns"] if c["name"] == name)


def _unscaled(frame, state, name):
    s = state["numeric"][name]
    return (transform(frame, state)[:, list(state["numeric"]).index(name)] * s["std"] + s["mean"]).round(3).tolist()


def test_ordered_scales_and_quality_interactions():
    frame = pd.DataFrame({c: [np.nan, np.nan, np.nan] for c in feature_columns("numeric") + feature_columns("categorical")})
    frame[["OverallQual", "OverallCond", "GrLivArea", "1stFlrSF", "2ndFlrSF", "TotalBsmtSF"]] = \
        [[5, 5, 1000, 600, 400, 500], [8, 6, 2000, 1000, 1000, np.nan], [10, 3, 3000, 3000, 0, 1000]]
    frame["BsmtExposure"] = ["Gd", "No", np.nan]                 # NA: no basement, the scale's 0
    frame["Functional"] = ["Typ", "Maj2", "Min1"]
    frame["GarageFinish"] = ["RFn", "Fin", "Unf"]
    state = fit_features(frame, FeatureConfig(log_skewed=None, interactions=True))
    assert _unscaled(frame, state, "BsmtExposure_ord") == [4, 1, 0]
    assert _unscaled(frame, state, "Functional_ord") == [7, 2, 6]
    assert _unscaled(frame, state, "GarageFinish_ord") == [2, 3, 1]
    assert "BsmtExposure" in state["categorical"]                  # the scale is added, the one-hot kept
    assert _unscaled(frame, state, "Qual_squared") == [25, 64, 100]
    assert _unscaled(frame, state, "Qual_x_Cond") == [25, 48, 30]
    assert np.allclose(_unscaled(frame, state, "Qual_x_LogGrLivArea"),
                       [5 * np.log1p(1000), 8 * np.log1p(2000), 10 * np.log1p(3000)], atol=2e-3)
    assert np.allclose(_unscaled(frame, state, "Qual_x_LogTotalSF"),
                       [5 * np.log1p(1500), 8 * np.log1p(2000), 10 * np.log1p(4000)], atol=2e-3)
    for col, levels in ORDERED_LEVELS.items():                     # every level the data has is on its scale
        assert set(column(col)["levels"]) <= set(levels), col
    plain = fit_features(frame, FeatureConfig(log_skewed=None))
    assert "Qual_squared" not in plain["numeric"] and n_features(plain) == n_features(state) - 4
