"""Config keys of a spec table competition (competition.yaml): which learner, and each learner's numbers.
Values live in configs/<name>.yaml and configs/<name>-<learner>.yaml, written by `make new`."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, create_model, model_validator

from kaggle_kit.config import StrictModel, TrainConfig
from kaggle_kit.tabular.learners import LEARNERS as REGISTRY
from kaggle_kit.training.seeding import derive_seed

LEARNERS = tuple(REGISTRY)                               # every learner a table may name
VARIANTS = {   # a second configuration of a learner, a `learners:` entry of its own: its experiment's config
    #  (configs/<name>-<entry>.yaml, written by make new) is the learner with these numbers in its section
    "gbdt_small": ("gbdt", {"learning_rate": 0.015, "num_leaves": 16, "min_child_samples": 48,
                            "colsample_bytree": 0.56}),   # smaller trees, learning slower: AutoGluon's LightGBM_r96,
    #   its best LightGBM by OOF on the credit table. Beside gbdt, held-out: the default mean blend went up on
    #   credit, attrition and mortgage over six fold seeds each (docs/BENCHMARKS.md); concrete's, satellite's and
    #   fine_foods' chosen blends left it out
}
DEFAULT_LEARNERS = ("catboost", "gbdt", "gbdt_small", "linear", "extra_trees", "mlp", "random_forest",
                    "stack_catboost", "stack_gbdt")   # what `make new` lists and `make auto` trains, in this order:
#   the most likely to help a blend first, so a time budget keeps them; the level-2 stacks last. knn is not one:
#   on the attrition table its AUC (0.70) pulled the default mean blend down (docs/BENCHMARKS.md)
NEURAL_KEYS = frozenset({"epochs", "batch_size", "lr", "optimizer", "weight_decay", "momentum", "schedule",
                         "warmup_epochs", "min_lr_ratio", "grad_clip", "checkpoint", "precision", "val_every"})

LIGHTNING_KEYS = frozenset({"accelerator", "devices", "num_nodes", "strategy", "num_workers", "deterministic",
                            "last_ckpt_every_s"})       # how a Lightning fit runs: only the MLP is one


class EncodingConfig(StrictModel):
    """How text columns become numbers (kaggle_kit.tabular.preparation)."""
    tfidf_max_features: int = Field(20000, ge=2)   # words and character n-grams, half each, per text column
    svd_components: int = Field(32, ge=1)          # the trees' (and MLP's) view of a text column


STACKS = tuple(f"stack_{name}" for name in LEARNERS)   # `learners:` entries of level-2 experiments: stack_<model>
STACK_MEMBERS = ("gbdt", "extra_trees", "random_forest", "mlp", "linear")   # the members `make new` gives a stack
#   experiment


ENTRIES = LEARNERS + tuple(VARIANTS) + STACKS          # every `learners:` entry a spec may list


def top_learner(entry: str) -> str:
    """The learner a `learners:` entry fits: its own name, a variant's learner (gbdt_small: gbdt), or a stack's
    level-2 model (stack_catboost: catboost)."""
    if entry in VARIANTS:
        return VARIANTS[entry][0]
    return entry.removeprefix("stack_") if entry in STACKS else entry


class StackConfig(StrictModel):
    """A level-2 model (kaggle_kit.tabular.stacking): the config's `model` fitted on the table's features plus the
    predictions of these member learners, each refitted inside the training fold on `folds` inner folds, so no
    prediction it learns from or is scored on ever saw the scored fold's rows. Empty: no stacking."""
    members: list[Literal[LEARNERS]] = []        # noqa: F821 (registered learners, each with its own section)
    folds: int = Field(4, ge=2)                  # inner folds of the training fold for the members' predictions


class TableKeys(TrainConfig):
    """A spec table's keys beside the learners' sections, which TableConfig adds from the registry (one section
    per learner, named as it is, at the learner's `table_default`)."""

    PREDICTION_KEYS: ClassVar[frozenset[str]] = TrainConfig.PREDICTION_KEYS
    LATER_KEYS: ClassVar[dict] = {**TrainConfig.LATER_KEYS, "seeds": 1, "clip_to_train_range": False,
                                  "inner_share": 0.0, "gbdt.early_stopping_rounds": 0, "gbdt.refit": True,
                                  "catboost.early_stopping_rounds": 0, "catboost.refit": True,
                                  "stack": StackConfig().model_dump(mode="json")}

    model: Literal[LEARNERS] = "gbdt"            # noqa: F821 (LightGBM, CatBoost, linear, SVR, MLP)
    seeds: int = Field(1, ge=1)                  # models per fold, each from its own seed, predictions averaged
    clip_to_train_range: bool = False            # values: predictions clipped to the fitted rows' target range
    ensemble: Literal["mean", "median"] = "mean"  # of the folds' predictions
    inner_share: float = Field(0.15, ge=0, le=0.5)   # of each training fold's rows, held out (stratified or
    #   grouped as the folds are) for early stopping: the boosted trees' rounds and the MLP's epoch are chosen
    #   there, never on the scored fold; 0: no early stopping (the boosted trees fit all their rounds)
    encoding: EncodingConfig = EncodingConfig()
    stack: StackConfig = StackConfig()           # members whose inner-fold predictions join the features
    # the MLP's training (the other learners read none of these)
    epochs: int = Field(40, ge=1)
    batch_size: int = Field(64, ge=1)
    weight_decay: float = Field(1e-2, ge=0)
    warmup_epochs: float = Field(1.0, ge=0)
    checkpoint: Literal["best", "last"] = "best"   # the MLP's epoch: best on the inner rows (inner_share), last
    #                                                  without them (one picked on the scored fold flatters CV)

    @model_validator(mode="after")
    def _honest_epoch(self):
        if self.checkpoint == "best" and self.inner_share == 0:
            raise ValueError("checkpoint: best would pick the MLP's epoch on the scored fold when inner_share is 0; "
                             "set checkpoint=last, or inner_share above 0")
        return self

    def model_seed(self, fold: int, s: int) -> int:
        """The seed of fold `fold`'s model `s`: (seed, fold) for the first, as runs before `seeds` had it."""
        return derive_seed(self.seed, fold) if s == 0 else derive_seed(self.seed, fold, s)

    def unused_keys(self) -> set[str]:
        """The other learners' sections, the network's training and running keys unless the learner is the
        MLP, and the elastic net's l1_ratio unless the linear model is one."""
        members = set(self.stack.members)
        unused = set(LEARNERS) - {self.model} - members
        if not (REGISTRY[self.model].uses_training_keys or any(REGISTRY[m].uses_training_keys for m in members)):
            unused |= NEURAL_KEYS | LIGHTNING_KEYS
        if "linear" in {self.model} | members and self.linear.kind != "elasticnet":
            unused.add("linear.l1_ratio")
        return unused

    def fingerprint_dict(self) -> dict:
        """The sections of the learners not in use, and the neural training keys of the others, do not change
        a run."""
        members = set(self.stack.members)
        unused = set(LEARNERS) - {self.model} - members
        if not (REGISTRY[self.model].uses_training_keys or any(REGISTRY[m].uses_training_keys for m in members)):
            unused |= NEURAL_KEYS
        return {k: v for k, v in super().fingerprint_dict().items() if k not in unused}


TableConfig = create_model("TableConfig", __base__=TableKeys, __module__=__name__,
                           **{name: (cls.Config, cls.table_default) for name, cls in REGISTRY.items()})
TableConfig.__doc__ = "A spec table's config: TableKeys and one section per registered learner."
