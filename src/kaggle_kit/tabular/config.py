"""Config keys of a spec table competition (competition.yaml): which learner, and each learner's numbers.
Values live in configs/<name>.yaml and configs/<name>-<learner>.yaml, written by `make new`."""

from __future__ import annotations

from typing import ClassVar, Literal

from kaggle_kit.config import TrainConfig
from kaggle_kit.tabular.learners import CatBoostConfig, GBDTConfig, LinearConfig

LEARNERS = ("gbdt", "catboost", "linear")
NEURAL_KEYS = frozenset({"epochs", "batch_size", "lr", "optimizer", "weight_decay", "momentum", "schedule",
                         "warmup_epochs", "min_lr_ratio", "grad_clip", "checkpoint", "precision", "val_every"})

LIGHTNING_KEYS = frozenset({"accelerator", "devices", "num_nodes", "strategy", "num_workers", "deterministic",
                            "last_ckpt_every_s"})       # how a Lightning fit runs: no table learner is one


class TableConfig(TrainConfig):
    PREDICTION_KEYS: ClassVar[frozenset[str]] = TrainConfig.PREDICTION_KEYS

    model: Literal[LEARNERS] = "gbdt"            # noqa: F821 (LightGBM, CatBoost, ridge / logistic regression)
    ensemble: Literal["mean", "median"] = "mean"  # of the folds' predictions
    gbdt: GBDTConfig = GBDTConfig(n_estimators=500, learning_rate=0.05, num_leaves=31, min_child_samples=20,
                                  subsample=0.8, colsample_bytree=0.8)
    catboost: CatBoostConfig = CatBoostConfig(iterations=800, learning_rate=0.06, depth=6)
    linear: LinearConfig = LinearConfig(alphas=[1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0])

    def unused_keys(self) -> set[str]:
        """The other learners' sections, the neural network's training and running keys, and the linear keys a
        table's ridge / logistic regression does not read."""
        return ((set(LEARNERS) - {self.model}) | NEURAL_KEYS | LIGHTNING_KEYS
                | {"linear.kind", "linear.l1_ratio"})

    def fingerprint_dict(self) -> dict:
        """The sections of the learners not in use, and the neural training keys, do not change a run."""
        unused = (set(LEARNERS) - {self.model}) | NEURAL_KEYS
        return {k: v for k, v in super().fingerprint_dict().items() if k not in unused}
