"""Checks that a submission frame matches the competition's format before anything is written."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kaggle_kit.errors import UserError


def check_sample_ids(sample: pd.DataFrame | None, id_column: str, test_ids: list) -> None:
    """sample_submission.csv, where present, lists the test ids in test order: checked when the data is read,
    long before a submission is written."""
    if sample is None or id_column not in sample.columns:
        return
    got, want = [str(i) for i in sample[id_column]], [str(i) for i in test_ids]
    if got != want:
        first = next((i for i, (g, w) in enumerate(zip(got, want, strict=False)) if g != w), min(len(got), len(want)))
        raise UserError(f"sample_submission.csv does not list test.csv's {id_column}s in order ({len(got)} rows "
                        f"against {len(want)}; first difference at row {first}); download both again")


def check_table(frame: pd.DataFrame, columns: list[str], expected_ids: list,
                sample: pd.DataFrame | None = None) -> None:
    """Header, row count, id order and missing values; and, when given, agreement with sample_submission."""
    if list(frame.columns) != columns:
        raise UserError(f"submission header {list(frame.columns)} should be {columns}")
    if len(frame) != len(expected_ids):
        raise UserError(f"submission has {len(frame)} rows, the test set {len(expected_ids)}")
    got = frame[columns[0]].astype(str).to_numpy()
    want = np.asarray([str(i) for i in expected_ids])
    bad = np.flatnonzero(got != want)
    if len(bad):
        i = bad[0]
        raise UserError(f"submission row {i} has {columns[0]} {got[i]}, expected {want[i]} (test order)")
    for col in columns[1:]:
        values = frame[col]
        missing = values.isna() | (values.astype(str).str.strip() == "")
        if pd.api.types.is_numeric_dtype(values):
            missing |= ~np.isfinite(values.to_numpy(dtype=float))
        if missing.any():
            raise UserError(f"submission column {col} has {int(missing.sum())} missing or non-finite values "
                            f"(first at row {int(np.flatnonzero(missing)[0])})")
    if sample is not None:
        if list(sample.columns) != columns:
            raise UserError(f"sample_submission.csv header {list(sample.columns)} differs from {columns}")
        check_table(frame[[columns[0]]], [columns[0]], sample[columns[0]].tolist())
