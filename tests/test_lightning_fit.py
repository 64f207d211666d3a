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
def test_in_memory_validation_and_plain_steps_match_lightnings_loops(house, tmp_path, monkeypatch, overrides):
    """Tensor batches validate without Lightning's validation loop (InMemoryValidation), and a full-precision step
    on one device skips Lightning's backward and step wrappers: the same epochs validated, logged values, kept
    epoch, step count and predictions as through Lightning's own."""
    from kaggle_kit.tabular.batches import TensorBatches
    from kaggle_kit.tabular.regression_module import RegressionModule

    fast, fast_dir = fit(house, tmp_path, "fast", lr=3e-2, epochs=8, **overrides)
    monkeypatch.setattr(TensorBatches, "in_memory", False)
    monkeypatch.setattr(RegressionModule, "on_fit_start", lambda self: None)   # _plain_steps stays False
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


def test_the_callback_entry_point_scan_runs_once_and_its_factories_for_every_trainer(tmp_path, monkeypatch):
    """A package's callback factory (Lightning's `lightning.pytorch.callbacks_factory` entry point) still gives every
    Trainer a new callback, while the installed packages are scanned once."""
    import lightning as L
    from lightning.fabric.utilities import registry

    from kaggle_kit.training import trainer as kit_trainer

    dist = tmp_path / "kit_probe-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: kit-probe\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[lightning.pytorch.callbacks_factory]\nprobe = kit_probe_cb:factory\n")
    (tmp_path / "kit_probe_cb.py").write_text(
        "from lightning.pytorch.callbacks import Callback\n\nclass Probe(Callback):\n    pass\n\n"
        "def factory():\n    return [Probe()]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert hasattr(registry.entry_points, "cache_clear")          # kaggle_kit.training.trainer cached the scan
    registry.entry_points.cache_clear()
    try:
        probes = []
        for _ in range(3):
            t = L.Trainer(logger=False, enable_checkpointing=False, enable_progress_bar=False,
                          enable_model_summary=False)
            probes += [c for c in t.callbacks if type(c).__name__ == "Probe"]
        assert len(probes) == 3 and len({id(p) for p in probes}) == 3        # one new callback per Trainer
        info = registry.entry_points.cache_info()
        assert (info.misses, info.hits) == (1, 2)                             # one scan
        kit_trainer.cache_callback_entry_points()                             # a second call wraps nothing more
        assert registry.entry_points.cache_info().hits == 2
    finally:
        registry.entry_points.cache_clear()      # the probe's package leaves with tmp_path
