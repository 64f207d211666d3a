"""House-specific user mistakes beyond the sweep in test_bad_inputs.py: exit 2, one line, nothing written."""

import pytest

from .conftest import assert_user_error, files_under, kit

pytestmark = pytest.mark.e2e       # runs the kit as a user does (make, trained models): make test-fast leaves it out

TINY = "epochs=1 folds=2 seeds=1 mlp.hidden=[8] progress_bar=false"


def test_missing_data_folder_is_an_error_not_a_fallback(tmp_path):
    proc = kit("train", "house", "--data", str(tmp_path / "nowhere"), root=tmp_path)
    assert_user_error(proc, "is not a folder", "kaggle competitions download -c house-prices")
    assert files_under(tmp_path) == {}


def test_bad_config_builds_no_sample(tmp_path):
    proc = kit("train", "house", "--args", "epochs=-1", root=tmp_path)
    assert_user_error(proc, "config key 'epochs'")
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
