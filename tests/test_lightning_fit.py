"""The core's Lightning fold fit through the house adapter: replayable folds, best/last selection, logs."""

import numpy as np
import pandas as pd
import pytest

from competitions.house_prices.config import HouseConfig
from kaggle_kit.registry import get_task
from kaggle_kit.task import FoldContext


@pytest.fixture(scope="module")
def house(house_sample):
    task = get_task("house")
    return task, task.load(house_sample)


def fit(house, tmp_path, name, **overrides):
    task, data = house
    cfg = HouseConfig(**{"epochs": 6, "batch_size": 64, "progress_bar": False, "mlp": {"hidden": [16]},
                         **overrides})
    idx = np.arange(len(data.ids))
    out = tmp_path / name
    out.mkdir()
    ctx = FoldContext(fold=1, dir=out, train_idx=idx[idx % 4 != 0], val_idx=idx[idx % 4 == 0])
    return task.fit_fold(cfg, data, ctx), out


def test_a_fold_replays_exactly_and_seed_changes_it(house, tmp_path):
    a, _ = fit(house, tmp_path, "a")
    b, _ = fit(house, tmp_path, "b")
    c, _ = fit(house, tmp_path, "c", seed=1)
    assert a.val["pred"].tolist() == b.val["pred"].tolist()
    assert a.test["pred"].tolist() == b.test["pred"].tolist()
    assert a.val["pred"].tolist() != c.val["pred"].tolist()


def test_best_checkpoint_is_the_epoch_with_lowest_val_loss(house, tmp_path):
    out, folder = fit(house, tmp_path, "best", lr=3e-2, epochs=8)
    logs = pd.read_csv(folder / "logs" / "seed0" / "metrics.csv").dropna(subset=["val_loss"])
    assert len(logs) == 8 and logs["epoch"].tolist() == list(range(8))
    assert out.metrics["seeds"][0]["epoch"] == int(logs.loc[logs["val_loss"].idxmin(), "epoch"])
    last, _ = fit(house, tmp_path, "last", lr=3e-2, epochs=8, checkpoint="last")
    assert last.metrics["seeds"][0]["epoch"] == 7


@pytest.mark.parametrize("size", [1, 3])
def test_grouped_batches_take_the_same_steps_as_one_batch_per_training_step(house, tmp_path, monkeypatch, size):
    """BatchGroups hands Lightning several mini-batches per training_step: the same optimizer steps in the same
    order (the schedule counts mini-batches), so the fold's predictions are those of one batch per step."""
    import kaggle_kit.tabular.learners.mlp as mlp

    reference, _ = fit(house, tmp_path, "whole", lr=3e-2, grad_clip=1.0)
    monkeypatch.setattr(mlp, "STEPS_PER_CALL", size)
    grouped, folder = fit(house, tmp_path, f"groups-of-{size}", lr=3e-2, grad_clip=1.0)
    assert grouped.val["pred"].tolist() == reference.val["pred"].tolist()
    assert grouped.test["pred"].tolist() == reference.test["pred"].tolist()
    logs = pd.read_csv(folder / "logs" / "seed0" / "metrics.csv")
    assert logs.dropna(subset=["train_loss"])["epoch"].tolist() == list(range(6))


def test_batch_groups_cover_every_batch_once_and_count_optimizer_steps():
    import torch

    from kaggle_kit.tabular.batches import BatchGroups, TensorBatches

    x = torch.arange(50.0)[:, None]
    loader = TensorBatches(x, batch_size=8, shuffle=True, seed=3)
    groups = BatchGroups(loader, 3)
    groups.set_epoch(2)
    got = [b for group in groups for b in group]
    loader.set_epoch(2)
    assert len(groups) == 3 and groups.steps == len(loader) == 7
    assert [g[0].tolist() for g in got] == [b[0].tolist() for b in loader]


@pytest.mark.parametrize("overrides", [{"checkpoint": "best"}, {"checkpoint": "best", "val_every": 3},
                                       {"checkpoint": "last", "grad_clip": 1.0}])
def test_in_memory_validation_matches_lightnings_loop(house, tmp_path, monkeypatch, overrides):
    """Tensor batches validate without Lightning's validation loop (InMemoryValidation): the same epochs
    validated, logged values, kept epoch, step count and predictions as through Lightning's own."""
    from kaggle_kit.tabular.batches import TensorBatches

    fast, fast_dir = fit(house, tmp_path, "fast", lr=3e-2, epochs=8, **overrides)
    monkeypatch.setattr(TensorBatches, "in_memory", False)
    ref, ref_dir = fit(house, tmp_path, "lightning", lr=3e-2, epochs=8, **overrides)
    assert fast.val["pred"].tolist() == ref.val["pred"].tolist()
    assert fast.test["pred"].tolist() == ref.test["pred"].tolist()
    assert fast.metrics["seeds"][0]["epoch"] == ref.metrics["seeds"][0]["epoch"]

    def logged(folder):
        logs = pd.read_csv(folder / "logs" / "seed0" / "metrics.csv")
        val = logs.dropna(subset=["val_loss"])
        return val["epoch"].tolist(), val["val_loss"].round(6).tolist(), logs["step"].max()

    assert logged(fast_dir) == logged(ref_dir)
    assert len(logged(fast_dir)[0]) == 8 // overrides.get("val_every", 1)


@pytest.mark.parametrize("overrides", [{"checkpoint": "best"}, {"checkpoint": "best", "val_every": 3},
                                       {"checkpoint": "last"}])
def test_direct_epoch_logging_writes_what_self_log_writes(house, tmp_path, monkeypatch, overrides):
    """On one process the module writes its epoch metrics to callback_metrics and the CSV log itself: the same
    metrics.csv, byte for byte, the same kept epoch and score, as through Lightning's self.log."""
    from kaggle_kit.tabular.regression_module import RegressionModule

    direct, direct_dir = fit(house, tmp_path, "direct", lr=3e-2, epochs=7, **overrides)
    start = RegressionModule.on_fit_start

    def through_self_log(self):
        start(self)
        assert self._direct_log          # one process: the direct path was the one taken above
        self._direct_log = False

    monkeypatch.setattr(RegressionModule, "on_fit_start", through_self_log)
    ref, ref_dir = fit(house, tmp_path, "self-log", lr=3e-2, epochs=7, **overrides)
    csv = "logs/seed0/metrics.csv"
    assert (direct_dir / csv).read_bytes() == (ref_dir / csv).read_bytes()
    assert len(pd.read_csv(direct_dir / csv)) == 7
    assert direct.metrics["seeds"][0]["epoch"] == ref.metrics["seeds"][0]["epoch"]
    import torch

    def kept(folder):
        return torch.load(folder / "best.ckpt", weights_only=False)["models"][0]["val_loss"]

    assert kept(direct_dir) == kept(ref_dir)
    assert direct.val["pred"].tolist() == ref.val["pred"].tolist()
