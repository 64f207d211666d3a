"""House-prices config keys beside the core's. Values live in configs/house*.yaml."""

from typing import Literal

from pydantic import Field

from kaggle_kit.config import StrictModel, TrainConfig


class MLPConfig(StrictModel):
    hidden: list[int] = [512, 256]      # [] is d2l's linear model
    dropout: float = Field(0.1, ge=0, lt=1)
    activation: Literal["relu", "gelu", "silu"] = "relu"


class FeatureConfig(StrictModel):
    numeric_fill: float = 0.0           # value of a missing numeric after standardisation (d2l: 0, the mean)
    dummy_na: bool = True               # one indicator column per categorical for NA


class HouseConfig(TrainConfig):
    ensemble: Literal["mean", "median"] = "mean"   # of the folds' log-price predictions
    mlp: MLPConfig = MLPConfig()
    features: FeatureConfig = FeatureConfig()
