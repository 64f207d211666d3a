"""House-prices config keys beside the core's. Values live in configs/house*.yaml."""

from typing import ClassVar, Literal

from pydantic import Field

from kaggle_kit.config import StrictModel, TrainConfig
from kaggle_kit.tabular.learners import (
    LEARNERS,
    CatBoostConfig,
    GBDTConfig,
    LinearConfig,
    MLPConfig,
    SVRConfig,
)
from kaggle_kit.training.seeding import derive_seed


class FeatureConfig(StrictModel):
    na_means_none: bool = True          # Ames NA semantics: "no basement" is a level "None", its areas 0
    numeric_fill: Literal["mean", "median"] = "median"   # remaining numeric NA (d2l: mean, i.e. 0 once scaled)
    log_skewed: float | None = Field(0.75, ge=0)          # log1p of non-negative columns skewed above this
    as_categorical: list[str] = ["MSSubClass", "MoSold", "YrSold"]   # numeric codes that are categories
    ordinal: bool = True                # ordered scales (quality Ex..Po, basement exposure and finish, garage
                                        # finish, functional, lot shape, slope, paved drive) also as numbers
    interactions: bool = False          # OverallQual x log areas, OverallQual squared, OverallQual x OverallCond
    engineered: bool = True             # TotalSF, TotalBath, HouseAge, RemodAge, PorchSF
    dummy_na: bool = True               # one indicator column per categorical for NA


class HouseConfig(TrainConfig):
    OFFERED: ClassVar[tuple[str, ...]] = ("mlp", "gbdt", "catboost", "linear", "svr")   # of the learner registry

    model: Literal[OFFERED] = "mlp"      # noqa: F821
    seeds: int = Field(1, ge=1)          # models per fold, each from its own seed, predictions averaged
    drop_outliers: bool = True           # GrLivArea > 4000 with SalePrice < 300000: left out of fitting only
    clip_to_train_range: bool = True     # predictions clipped to the fitted rows' log-price range
    ensemble: Literal["mean", "median"] = "mean"   # of the folds' log-price predictions
    features: FeatureConfig = FeatureConfig()
    mlp: MLPConfig = MLPConfig()
    gbdt: GBDTConfig = GBDTConfig()
    catboost: CatBoostConfig = CatBoostConfig()
    linear: LinearConfig = LinearConfig()
    svr: SVRConfig = SVRConfig()

    NEURAL_KEYS: ClassVar[frozenset[str]] = frozenset(
        {"epochs", "batch_size", "lr", "optimizer", "weight_decay", "momentum", "schedule", "warmup_epochs",
         "min_lr_ratio", "grad_clip", "checkpoint", "precision"})

    def model_seed(self, fold: int, s: int) -> int:
        """Every model's seed from (seed, fold, s)."""
        return derive_seed(self.seed, fold, s)

    def unused_keys(self) -> set[str]:
        unused = set(self.OFFERED) - {self.model}
        return unused | (self.NEURAL_KEYS if not LEARNERS[self.model].uses_training_keys else set())

    def fingerprint_dict(self) -> dict:
        """The sections of the learners not in use (and, for the non-neural ones, the MLP's training keys)
        do not change what this run learns."""
        unused = set(self.OFFERED) - {self.model}
        if not LEARNERS[self.model].uses_training_keys:
            unused |= self.NEURAL_KEYS
        return {k: v for k, v in super().fingerprint_dict().items() if k not in unused}
