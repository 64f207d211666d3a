"""Read and validate train.csv / test.csv exactly as Kaggle ships them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from competitions.house_prices.schema import ID, NA_VALUES, TARGET, feature_columns, train_columns
from kaggle_kit.errors import UserError
from kaggle_kit.io import tables
from kaggle_kit.io.fingerprints import data_fingerprint

SLUG = "house-prices-advanced-regression-techniques"


def read_csv(path: Path) -> pd.DataFrame:
    return tables.read_csv(path, SLUG, dtype=None, na_values=NA_VALUES, require_rows=False)


def check_columns(frame: pd.DataFrame, expected: list[str], path: Path) -> None:
    missing = [c for c in expected if c not in frame.columns]
    extra = [c for c in frame.columns if c not in expected]
    if missing or extra:
        parts = ([f"lacks column(s) {', '.join(missing)}"] if missing else []) + \
                ([f"has unexpected column(s) {', '.join(map(str, extra))}"] if extra else [])
        raise UserError(f"{path} {' and '.join(parts)}; it must have the Kaggle header unchanged")
    for col in feature_columns("numeric") + [ID]:
        if not pd.api.types.is_numeric_dtype(frame[col]):
            bad = pd.to_numeric(frame[col], errors="coerce").isna() & frame[col].notna()
            row = frame.index[bad][0]
            raise UserError(f"{path}: column {col} must be numeric, but row {row + 2} holds "
                            f"{frame[col].iloc[row]!r}")
    if frame[ID].isna().any() or frame[ID].duplicated().any():
        raise UserError(f"{path}: column {ID} must hold a unique id on every row")


def read_split(data_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """(train, test, fingerprint of both files)."""
    train_path, test_path = data_dir / "train.csv", data_dir / "test.csv"
    train, test = read_csv(train_path), read_csv(test_path)
    check_columns(train, train_columns(), train_path)
    check_columns(test, [c for c in train_columns() if c != TARGET], test_path)
    shared = sorted(set(train[ID]) & set(test[ID]))
    if shared:
        raise UserError(f"{test_path}: Id {', '.join(map(str, shared[:3]))} also in train.csv; test and train "
                        "must be the download's disjoint files")
    price = pd.to_numeric(train[TARGET], errors="coerce")
    bad = price.isna() | (price <= 0)
    if bad.any():
        ids = ", ".join(str(i) for i in train.loc[bad, ID].head(5))
        raise UserError(f"{train_path}: {TARGET} must be a positive number on every row; {int(bad.sum())} rows "
                        f"are not (Id {ids})")
    return train, test, data_fingerprint(train_path, b"\0", test_path)


def read_sample_submission(data_dir: Path) -> pd.DataFrame | None:
    path = data_dir / "sample_submission.csv"
    return read_csv(path) if path.is_file() else None
