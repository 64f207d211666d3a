"""The house-prices file layout (column order, kinds, levels), read from schema.json."""

import json
from functools import cache
from pathlib import Path

ID, TARGET = "Id", "SalePrice"
NA_VALUES = ["NA", ""]


@cache
def schema() -> dict:
    return json.loads((Path(__file__).with_name("schema.json")).read_text())


def train_columns() -> list[str]:
    return [c["name"] for c in schema()["columns"]]


def feature_columns(kind: str) -> list[str]:
    return [c["name"] for c in schema()["columns"] if c["kind"] == kind and c["name"] not in (ID, TARGET)]


def is_outlier(frame):
    """The two documented Ames sales: huge living area, low price (De Cock's paper advises removing them)."""
    return ((frame["GrLivArea"] > 4000) & (frame[TARGET] < 300000)).to_numpy()
