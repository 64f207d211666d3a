"""What each column of a table is, read from its values: the type decides how the learners get it
(kaggle_kit.tabular.preparation). `make new` prints every column's type and writes it to the spec's `columns:`,
where any can be changed; a spec without `columns:` gets the same inference when it is loaded.

- numeric: numbers (missing allowed);
- categorical: text with few levels (one-hot, or the learner's own categories);
- high_cardinality: text with many levels that repeat (target encoding, cross-fitted on the training rows);
- date: dates or datetimes (year, month, day of week, day of year, elapsed days);
- text: long strings, mostly unique (TF-IDF of words and character n-grams; its truncated SVD for trees);
- id: a value per row (a code, a row number): no learner sees it;
- drop: left out (a constant column, or the user's choice)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

TYPES = ("numeric", "categorical", "high_cardinality", "date", "text", "id", "drop")
LEARNED = ("numeric", "categorical", "high_cardinality", "date", "text")   # what some learner sees
CATEGORICAL_MAX = 30        # text with more distinct values than this is high-cardinality (or text, or an id)
ID_UNIQUE = 0.95            # a column whose distinct values are this share of its filled rows is an id or text
TEXT_WORDS = 3.0            # text: at least this many words a value on average
DATE_PARSED = 0.95          # a date column: this share of its filled values parse as dates


def as_number(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce")


def is_number(values: pd.Series) -> bool:
    filled = values.dropna()
    return bool(as_number(filled).notna().all())


DATE_LIKE = r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4}"   # a day with its year: not a time
#                                                                        of day alone, nor a range such as 1-5


def date_format(values: pd.Series) -> str:
    """ISO8601 where that reads the (training) values, else `mixed`: decided once, so every frame of a fold parses
    a value the same way."""
    text = values.dropna().astype(str)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        iso = pd.to_datetime(text, errors="coerce", format="ISO8601", utc=True)
    return "ISO8601" if iso.notna().sum() >= DATE_PARSED * len(text) else "mixed"


def parse_dates(values: pd.Series, fmt: str | None = None) -> pd.Series:
    """Datetimes of a column's values (NaT where one is not a date), as UTC without its zone; `fmt` from
    date_format (default: decided on these values)."""
    text = values.astype("string")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(text, errors="coerce", format=fmt or date_format(values), utc=True)
    return parsed.dt.tz_localize(None)


def looks_like_date(values: pd.Series) -> bool:
    filled = values.dropna().astype(str)
    if filled.empty or not filled.str.contains(DATE_LIKE, regex=True).mean() >= DATE_PARSED:
        return False
    sample = filled.iloc[:2000]
    return bool(parse_dates(sample).notna().mean() >= DATE_PARSED)


def column_type(train: pd.Series, test: pd.Series | None = None) -> tuple[str, str]:
    """(type, why) of one column, from its training values (and the test values, for a row counter)."""
    filled = train.dropna()
    if filled.nunique() <= 1:
        return "drop", "one value on every row"
    if is_number(train) and (test is None or is_number(test)):
        numbers = as_number(filled)
        both = numbers if test is None else pd.concat([numbers, as_number(test.dropna())])
        integral = bool((both % 1 == 0).all())
        if integral and both.is_unique and len(both) > 50 and both.max() - both.min() + 1 <= 1.1 * len(both):
            return "id", "a different whole number on every row, counting up: a row number"
        return "numeric", "numbers"
    distinct = filled.nunique()
    if looks_like_date(filled):
        return "date", "dates"
    words = filled.astype(str).str.split().str.len().mean()
    unique_share = distinct / len(filled)
    if words >= TEXT_WORDS and unique_share > 0.5:
        return "text", f"free text, {words:.0f} words a value on average, {unique_share:.0%} distinct"
    if distinct <= CATEGORICAL_MAX:
        return "categorical", f"{distinct} levels"
    if unique_share >= ID_UNIQUE:
        return "id", f"a code: a different value on {unique_share:.0%} of its rows"
    return "high_cardinality", f"{distinct} levels, repeating"


def infer_types(train: pd.DataFrame, test: pd.DataFrame, skip: tuple[str, ...]) -> dict[str, tuple[str, str]]:
    """{column: (type, why)} for every column of train but `skip` (the id and the target)."""
    return {c: column_type(train[c], test[c] if c in test.columns else None) for c in train.columns if c not in skip}


def has_time(values: pd.Series, fmt: str | None = None) -> bool:
    """Whether a date column's values carry a time of day (its parts then include the hour)."""
    d = parse_dates(values, fmt)
    return bool((d.dt.hour.fillna(0) != 0).any() or (d.dt.minute.fillna(0) != 0).any())


def date_parts(values: pd.Series, name: str, hour: bool, fmt: str | None = None) -> pd.DataFrame:
    """year, month, day of week, day of year and days since 1970-01-01 of a date column (missing stays missing),
    and the hour of the day where `hour` (has_time of the training rows); `fmt`: the training rows' format."""
    d = parse_dates(values, fmt)
    parts = {f"{name}.year": d.dt.year, f"{name}.month": d.dt.month, f"{name}.dayofweek": d.dt.day_of_week,
             f"{name}.dayofyear": d.dt.day_of_year,
             f"{name}.days": (d - pd.Timestamp("1970-01-01")).dt.total_seconds() / 86400.0}
    if hour:
        parts[f"{name}.hour"] = d.dt.hour + d.dt.minute / 60.0
    return pd.DataFrame({k: np.asarray(v, dtype=float) for k, v in parts.items()}, index=values.index)
