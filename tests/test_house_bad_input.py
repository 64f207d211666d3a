"""Each user mistake: exit 2, one line naming the problem and the fix, no traceback, nothing written."""

import shutil

import pandas as pd
import pytest

from .conftest import assert_user_error, files_under, kit

TINY = "epochs=1 folds=2 seeds=1 mlp.hidden=[8] progress_bar=false"


def edit_csv(path, fn):
    frame = pd.read_csv(path, keep_default_na=False)
    fn(frame).to_csv(path, index=False)


def drop_column(col):
    return lambda d: edit_csv(d / "train.csv", lambda f: f.drop(columns=[col]))


def rename_column(old, new):
    return lambda d: edit_csv(d / "test.csv", lambda f: f.rename(columns={old: new}))


def set_price(row, value):
    def edit(frame):
        frame["SalePrice"] = frame["SalePrice"].astype(object)
        frame.loc[row, "SalePrice"] = value
        return frame
    return lambda d: edit_csv(d / "train.csv", edit)


def set_cell(col, value):
    def edit(frame):
        frame[col] = frame[col].astype(object)
        frame.loc[3, col] = value
        return frame
    return lambda d: edit_csv(d / "train.csv", edit)


CASES = {
    "missing column": (drop_column("LotArea"), [], ["train.csv lacks column(s) LotArea"]),
    "renamed column": (rename_column("GrLivArea", "LivingArea"), [],
                       ["test.csv lacks column(s) GrLivArea", "unexpected column(s) LivingArea"]),
    "zero price": (set_price(5, 0), [], ["SalePrice must be a positive number", "Id 6"]),
    "missing price": (set_price(7, "NA"), [], ["SalePrice must be a positive number", "Id 8"]),
    "text in numeric column": (set_cell("LotArea", "big"), [], ["column LotArea must be numeric", "'big'"]),
    "unreadable csv": (lambda d: (d / "train.csv").write_bytes(b'\xff\xfe"a,"b\n\x00\x01"\n'), [], ["train.csv"]),
    "empty csv": (lambda d: (d / "test.csv").write_text(""), [], ["test.csv is empty"]),
    "test id in train": (lambda d: edit_csv(d / "test.csv", lambda f: f.assign(Id=f["Id"].where(f.index > 0, 5))),
                         [], ["Id 5 also in train.csv"]),
    "missing test.csv": (lambda d: (d / "test.csv").unlink(), [], ["test.csv is missing", "kaggle"]),
    "unknown key": (None, ["--args", "epochs=1 dropuot=0.2"], ["unknown config key 'dropuot'"]),
    "wrong type": (None, ["--args", "batch_size=big"], ["config key 'batch_size'"]),
    "bad folds": (None, ["--folds", "0 7"], ["FOLDS has [7]"]),
    "missing config": (None, ["--config", "nope.yaml"], ["config nope.yaml does not exist"]),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_input_train(case, tmp_path, house_sample):
    breaker, extra, words = CASES[case]
    data = tmp_path / "download"
    shutil.copytree(house_sample, data)
    if breaker:
        breaker(data)
    before = files_under(tmp_path)
    proc = kit("train", "house", "--data", str(data), *(extra or ["--args", TINY]), root=tmp_path)
    assert_user_error(proc, *words)
    assert files_under(tmp_path) == before


def test_missing_data_folder_is_an_error_not_a_fallback(tmp_path):
    proc = kit("train", "house", "--data", str(tmp_path / "nowhere"), root=tmp_path)
    assert_user_error(proc, "is not a folder", "kaggle competitions download -c house-prices")
    assert files_under(tmp_path) == {}


def test_bad_config_builds_no_sample(tmp_path):
    proc = kit("train", "house", "--args", "epochs=-1", root=tmp_path)
    assert_user_error(proc, "config key 'epochs'")
    assert files_under(tmp_path) == {}


def test_submit_before_train(tmp_path, house_sample):
    proc = kit("submit", "house", "--data", str(house_sample), root=tmp_path)
    assert_user_error(proc, "no trained run", "make house-train")
    assert files_under(tmp_path) == {}


def test_sample_never_overwrites_a_foreign_folder(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    proc = kit("sample", "house", "--dest", str(tmp_path / "mine"), root=tmp_path)
    assert_user_error(proc, "is not a sample built here")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"
    kit("sample", "house", "--dest", str(tmp_path / "fresh"), root=tmp_path, check=True)
    kit("sample", "house", "--dest", str(tmp_path / "fresh"), root=tmp_path, check=True)   # rebuilds its own
    assert (tmp_path / "fresh" / "train.csv").is_file()


@pytest.mark.parametrize("args, words", [
    ("precision=banana", ["config key 'precision'"]),
    ("devices=two", ["config key 'devices"]),
    ("accelerator=gpu", ["no CUDA GPU is visible"]),
])
def test_trainer_keys_are_checked_before_anything_is_written(args, words, tmp_path, house_sample):
    proc = kit("train", "house", "--data", str(house_sample), "--args", f"{TINY} {args}", root=tmp_path)
    assert_user_error(proc, *words)
    assert files_under(tmp_path) == {}


def test_blend_names_each_experiment_once(tmp_path, house_sample):
    proc = kit("blend", "house", "--data", str(house_sample), "--exps", "house-svr configs/house-svr.yaml",
               root=tmp_path)
    assert_user_error(proc, "names an experiment twice")
