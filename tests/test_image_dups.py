"""Perceptual-hash duplicate groups: hand-made hashes, real re-encoded images, and grouped folds."""

import numpy as np
import pandas as pd
from PIL import Image

from competitions.classify_leaves.sample import N_TRAIN_PER_CLASS
from kaggle_kit.pipeline.folds import make_folds
from kaggle_kit.vision.duplicates import cached_hashes, duplicate_groups, hamming, perceptual_hashes


def test_hamming_and_transitive_groups():
    h = np.array([0b0, 0b1, 0b11, 0b1111_0000, 0xFFFF_FFFF_FFFF_FFFF, 0xFFFF_FFFF_FFFF_FFFE], dtype=np.uint64)
    assert hamming(h[:1], h).tolist() == [[0, 1, 2, 4, 64, 63]]
    g0 = duplicate_groups(h, 0)
    assert len(set(g0)) == 6                                     # all hashes differ
    g1 = duplicate_groups(h, 1, chunk=2)                         # 0-1-3 chain across chunk borders
    assert g1[0] == g1[1] == g1[2] and g1[4] == g1[5] and len({g1[0], g1[3], g1[4]}) == 3
    g4 = duplicate_groups(h, 4)
    assert g4[0] == g4[3] and g4[3] != g4[4]


def test_reencoded_copy_is_a_near_duplicate(tmp_path):
    rng = np.random.default_rng(0)
    a = (rng.random((96, 96, 3)) * 255).astype(np.uint8)
    a[20:70, 30:60] = (40, 120, 30)
    b = (rng.random((96, 96, 3)) * 255).astype(np.uint8)
    Image.fromarray(a).save(tmp_path / "a.jpg", quality=90)
    Image.fromarray(np.clip(a * 1.05, 0, 255).astype(np.uint8)).save(tmp_path / "a2.jpg", quality=60)
    Image.fromarray(a).resize((128, 128)).save(tmp_path / "a3.png")
    Image.fromarray(b).save(tmp_path / "b.jpg")
    h = perceptual_hashes([tmp_path / n for n in ("a.jpg", "a2.jpg", "a3.png", "b.jpg")])
    d = hamming(h, h)
    assert d[0, 1] <= 2 and d[0, 2] <= 2 and d[0, 3] > 16
    g = duplicate_groups(h, 2)
    assert g[0] == g[1] == g[2] != g[3]


def test_sample_duplicates_share_a_fold(tmp_path, leaves_sample):
    train = pd.read_csv(leaves_sample / "train.csv")
    hashes = cached_hashes(tmp_path / "phash.csv", leaves_sample, train["image"].tolist())
    assert (tmp_path / "phash.csv").is_file()
    again = cached_hashes(tmp_path / "phash.csv", leaves_sample, train["image"].tolist())
    assert (again == hashes).all()
    groups = duplicate_groups(hashes, 2)
    pairs = [train.index[train["label"] == lab][[0, N_TRAIN_PER_CLASS - 1]].tolist() for lab in sorted(set(train["label"]))]
    assert all(groups[i] == groups[j] for i, j in pairs)
    assert np.bincount(groups).max() == 2 and (np.bincount(groups) == 2).sum() == len(pairs)
    y = pd.Index(sorted(set(train["label"]))).get_indexer(train["label"])
    plain = make_folds(len(train), 5, 42, "stratified", y=y)
    grouped = make_folds(len(train), 5, 42, "stratified_group", y=y, groups=groups)
    assert any(plain[i] != plain[j] for i, j in pairs)          # without grouping copies land in other folds
    assert all(grouped[i] == grouped[j] for i, j in pairs)
    assert np.bincount(grouped).min() >= 60                      # still balanced: 64 rows per fold +- a pair
