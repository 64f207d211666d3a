import numpy as np
import pandas as pd
import pytest

from kaggle_kit.errors import UserError
from kaggle_kit.pipeline.submission_checks import check_table

IDS = [1461, 1462, 1463]
COLS = ["Id", "SalePrice"]


def frame(ids=IDS, values=(1.0, 2.0, 3.0), cols=COLS):
    return pd.DataFrame({cols[0]: ids, cols[1]: list(values)})


def test_good_submission_passes():
    check_table(frame(), COLS, IDS, sample=frame(values=(0, 0, 0)))


@pytest.mark.parametrize("bad, message", [
    (frame(cols=["id", "SalePrice"]), "header"),
    (frame(ids=IDS[:2], values=(1, 2)), "2 rows"),
    (frame(ids=[1461, 1463, 1462]), "row 1 has Id 1463, expected 1462"),
    (frame(values=(1.0, np.nan, 3.0)), "missing or non-finite"),
    (frame(values=(1.0, np.inf, 3.0)), "missing or non-finite"),
])
def test_validator_rejects(bad, message):
    with pytest.raises(UserError, match=message):
        check_table(bad, COLS, IDS)


def test_validator_checks_against_sample_submission():
    with pytest.raises(UserError, match="sample_submission.csv header"):
        check_table(frame(), COLS, IDS, sample=frame(cols=["Id", "Price"]))
    with pytest.raises(UserError, match="expected 1464"):
        check_table(frame(), COLS, IDS, sample=frame(ids=[1461, 1462, 1464]))


def test_empty_strings_count_as_missing():
    labels = pd.DataFrame({"image": ["a", "b"], "label": ["x", " "]})
    with pytest.raises(UserError, match="label has 1 missing"):
        check_table(labels, ["image", "label"], ["a", "b"])
