"""Reading a download's CSVs: the one place that turns a missing, empty, unreadable or mis-headed file into one
line saying what to do."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kaggle_kit.errors import UserError


def read_csv(path: Path, slug: str, *, columns: list[str] = (), dtype=str, na_values=None,
             require_rows: bool = True) -> pd.DataFrame:
    """The CSV as a frame (every column text by default, nothing turned into NaN unless `na_values` says so);
    an error naming the file and the fix when it is missing, empty, unreadable, lacks one of `columns` or has
    no rows."""
    if not path.is_file():
        raise UserError(f"{path} is missing; unpack the Kaggle download (kaggle competitions download -c {slug}) "
                        "there")
    try:
        frame = pd.read_csv(path, dtype=dtype, keep_default_na=False, na_values=na_values)
    except pd.errors.EmptyDataError:
        raise UserError(f"{path} is empty; download it again") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as e:
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise UserError(f"{path} is not a readable CSV ({reason}); download it again") from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise UserError(f"{path} has no column {', '.join(missing)} (columns: {', '.join(map(str, frame.columns))}); "
                        f"it must have the Kaggle header {','.join(columns)}")
    if require_rows and frame.empty:
        raise UserError(f"{path} has no rows")
    return frame
