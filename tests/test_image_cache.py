"""The decoded-once image cache: same images as the loader, built once, rebuilt when the files or the transform
change, nothing left behind by a failed build."""

import os

import numpy as np
import pytest
import torch
from torch.utils.data import Dataset

from kaggle_kit.errors import UserError
from kaggle_kit.vision import image_cache


class Images(Dataset):
    """n random uint8 images; counts reads; raises at item `fail_at`."""

    def __init__(self, n, fail_at=None, shape=(3, 6, 5)):
        g = torch.Generator().manual_seed(n)
        self.x = torch.randint(0, 256, (n, *shape), dtype=torch.uint8, generator=g)
        self.fail_at, self.reads = fail_at, 0

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        self.reads += 1
        if i == self.fail_at:
            raise OSError("disk gone")
        return self.x[i], torch.tensor(-1)


def test_cache_holds_the_loader_images_and_is_built_once(tmp_path):
    data = Images(23)
    path = tmp_path / "cache" / "test-abc.npy"
    stored = image_cache.cached_images(path, data, batch_size=4)
    assert stored.shape == (23, 3, 6, 5) and stored.dtype == np.uint8
    assert np.array_equal(stored, data.x.numpy()) and data.reads == 23
    assert oct(path.stat().st_mode & 0o777) == "0o644"
    again = image_cache.cached_images(path, data, batch_size=4)
    assert data.reads == 23 and np.array_equal(again, data.x.numpy())          # read back, not decoded
    got = list(image_cache.batches(again, 5))
    assert [len(b[0]) for b in got] == [5, 5, 5, 5, 3]
    assert torch.equal(torch.cat([b[0] for b in got]), data.x)


def test_cache_of_another_length_is_rebuilt(tmp_path):
    path = tmp_path / "test-abc.npy"
    image_cache.cached_images(path, Images(5), batch_size=4)
    bigger = Images(9)
    assert np.array_equal(image_cache.cached_images(path, bigger, batch_size=4), bigger.x.numpy())


def test_failed_build_leaves_nothing(tmp_path):
    path = tmp_path / "test-abc.npy"
    good = image_cache.cached_images(path, Images(6), batch_size=2).copy()
    other = tmp_path / "test-def.npy"
    with pytest.raises(UserError, match="building the image cache .*test-def.npy failed \\(disk gone\\)"):
        image_cache.cached_images(other, Images(9, fail_at=7), batch_size=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["test-abc.npy"]       # no half file, no temp file
    assert np.array_equal(np.load(path), good)


def test_damaged_cache_and_stale_temp_files_are_replaced(tmp_path):
    path = tmp_path / "test-abc.npy"
    image_cache.cached_images(path, Images(6), batch_size=4)
    path.write_bytes(path.read_bytes()[:100])                                    # cut short (a crash, a bad copy)
    (tmp_path / ".test-abc.npy.999.tmp").write_bytes(b"x" * 10)                 # left by a killed build
    data = Images(6)
    assert np.array_equal(image_cache.cached_images(path, data, batch_size=4), data.x.numpy())
    assert data.reads == 6 and sorted(p.name for p in tmp_path.iterdir()) == ["test-abc.npy"]


def test_key_follows_files_and_transform(tmp_path):
    files = []
    for i in range(3):
        files.append(tmp_path / f"{i}.jpg")
        files[-1].write_bytes(b"x" * (i + 1))
    key = image_cache.cache_key(files, {"resize": 128})
    assert key == image_cache.cache_key(files, {"resize": 128})
    assert key != image_cache.cache_key(files, {"resize": 112})
    assert key != image_cache.cache_key(files[:2], {"resize": 128})
    st = files[1].stat()
    os.utime(files[1], ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))             # a re-downloaded file
    assert key != image_cache.cache_key(files, {"resize": 128})


@pytest.mark.e2e
@pytest.mark.parametrize("augment", ["none", "light"])
def test_cached_training_images_give_the_same_fold_scores_as_decoding_per_item(tmp_path, leaves_sample, monkeypatch,
                                                                               capsys, augment):
    """The decoded images are cached (the sample's share one size); augment none: the resized training and
    validation images too, made from them; light: the augmentation runs on the decoded ones. Either way the same
    pixels reach the model as from the files."""
    import json

    from kaggle_kit.cli import main

    monkeypatch.setenv("KIT_ROOT", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    args = (f"epochs=2 folds=2 image_size=32 batch_size=32 num_workers=0 progress_bar=false augment={augment} "
            "tta=hflip duplicate_distance=null")
    scores = {}
    for cached in ("true", "false"):
        config = tmp_path / f"c-{cached}.yaml"
        config.write_text("extends: leaves-cpu\n")
        assert main(["train", "leaves", "--data", str(leaves_sample), "--config", str(config),
                     "--args", f"{args} cache_train_images={cached}"]) == 0
        cv = json.loads((tmp_path / "runs" / "leaves" / f"c-{cached}" / "cv.json").read_text())
        scores[cached] = (cv["score"], cv["folds"])
    cache = sorted(p.name.split("-")[0] for p in (tmp_path / "runs" / "leaves" / "cache").glob("*.npy"))
    assert "train" in cache and "decoded" in cache, cache     # one size: decoded once, resized from it
    assert scores["true"] == scores["false"]
    capsys.readouterr()


@pytest.mark.e2e
def test_the_last_validation_pass_stands_for_the_validation_predictions(tmp_path, leaves_sample, monkeypatch, capsys):
    """No TTA, the final epoch validated and kept: the fold's validation probabilities are the ones Lightning's
    last validation computed, the same as a second forward pass over those rows."""
    import json

    import pandas as pd

    from kaggle_kit.cli import main
    from kaggle_kit.vision import classification_fold

    monkeypatch.setenv("KIT_ROOT", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    args = ("epochs=2 folds=2 image_size=32 batch_size=32 num_workers=0 progress_bar=false tta=none "
            "checkpoint=last duplicate_distance=null")
    calls = []
    real = classification_fold.predict_probs
    monkeypatch.setattr(classification_fold, "predict_probs", lambda *a, **k: calls.append(1) or real(*a, **k))
    for name, reuse in (("reused", True), ("again", False)):
        if not reuse:
            monkeypatch.setattr(classification_fold, "may_reuse_validation", lambda cfg: False)
        calls.clear()
        config = tmp_path / f"{name}.yaml"
        config.write_text("extends: leaves-cpu\n")
        assert main(["train", "leaves", "--data", str(leaves_sample), "--config", str(config), "--args", args]) == 0
        assert len(calls) == (2 if reuse else 4)              # test only, or validation and test, per fold
    runs = tmp_path / "runs" / "leaves"
    assert pd.read_csv(runs / "reused" / "oof.csv").equals(pd.read_csv(runs / "again" / "oof.csv"))
    assert json.loads((runs / "reused" / "cv.json").read_text()) == json.loads((runs / "again" / "cv.json").read_text())
    capsys.readouterr()
