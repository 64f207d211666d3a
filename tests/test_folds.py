import numpy as np
import pandas as pd
import pytest

from kaggle_kit.errors import UserError
from kaggle_kit.pipeline.folds import load_or_make_folds, make_folds


@pytest.mark.parametrize("kind", ["kfold", "stratified"])
def test_folds_disjoint_and_covering(kind):
    y = np.array([0] * 30 + [1] * 20 + [2] * 10)
    fold = make_folds(60, 5, seed=3, kind=kind, y=y)
    assert sorted(np.unique(fold)) == [0, 1, 2, 3, 4]
    assert np.bincount(fold).tolist() == [12] * 5      # every row in exactly one validation fold
    if kind == "stratified":
        for k in range(5):
            assert np.bincount(y[fold == k]).tolist() == [6, 4, 2]


def test_group_folds_keep_groups_together():
    groups = np.repeat(np.arange(20), 3)
    fold = make_folds(60, 4, seed=0, kind="group", groups=groups)
    for g in range(20):
        assert len(set(fold[groups == g])) == 1


def test_multilabel_folds_cover_rows():
    rng = np.random.default_rng(0)
    y = (rng.random((40, 3)) < 0.4).astype(int)
    fold = make_folds(40, 4, seed=0, kind="multilabel", y=y)
    assert np.bincount(fold).sum() == 40 and len(np.unique(fold)) == 4


def test_class_smaller_than_folds_is_a_user_error():
    with pytest.raises(UserError, match="fewer than 5 folds"):
        make_folds(12, 5, seed=0, kind="stratified", y=np.array([0] * 9 + [1] * 3))


def test_stored_folds_shared_and_keyed(tmp_path):
    ids = list(range(100, 150))
    a, path_a = load_or_make_folds(tmp_path, ids, 5, fold_seed=7)
    b, path_b = load_or_make_folds(tmp_path, ids, 5, fold_seed=7)   # second experiment reuses the file
    assert path_a == path_b and (a == b).all()
    stored = pd.read_csv(path_a)
    assert stored["id"].tolist() == ids and stored["fold"].tolist() == a.tolist()
    c, path_c = load_or_make_folds(tmp_path, ids, 5, fold_seed=8)
    assert path_c != path_a and (c != a).any()
    d, path_d = load_or_make_folds(tmp_path, ids[:-1], 5, fold_seed=7)  # other training ids, other file
    assert path_d != path_a
    assert len(list(tmp_path.iterdir())) == 3
