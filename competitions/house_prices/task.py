"""House-prices adapter: the d2l features into an MLP trained by the core, predicting log(SalePrice)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from competitions.house_prices import data as house_data
from competitions.house_prices.config import HouseConfig
from competitions.house_prices.sample import build_sample
from competitions.house_prices.schema import ID, TARGET, is_outlier
from kaggle_kit.errors import UserError
from kaggle_kit.metrics import rmse
from kaggle_kit.pipeline.submission_checks import check_sample_ids, check_table
from kaggle_kit.tabular.kind import TableData, TabularTask
from kaggle_kit.tabular.learners import learner_files
from kaggle_kit.task import FoldContext, FoldOutput


@dataclass(kw_only=True)
class HouseData(TableData):
    outlier: np.ndarray            # the two documented Ames outliers: left out of fitting, never out of scoring


class HouseTask(TabularTask):
    name = "house"
    slug = house_data.SLUG
    config_class = HouseConfig
    id_column = ID
    metric = "rmse_log"
    higher_is_better = False
    secondary_scores = {"score_without_outliers": "without outliers"}
    predicts_offline = True
    offline_models = learner_files(HouseConfig.OFFERED)
    offline_context = ("features.json", "val_pred.csv", "started.json")

    def build_sample(self, dest: Path) -> None:
        build_sample(dest)

    def load(self, data_dir: Path) -> HouseData:
        train, test, fingerprint = house_data.read_split(data_dir)
        sample = house_data.read_sample_submission(data_dir)
        check_sample_ids(sample, ID, test[ID].tolist())
        return HouseData(ids=train[ID].tolist(), test_ids=test[ID].tolist(), fingerprint=fingerprint,
                         sample_submission=sample, train=train, test=test,
                         y=np.log(train[TARGET].to_numpy(float)), outlier=is_outlier(train))

    def fit_fold(self, cfg: HouseConfig, data: HouseData, ctx: FoldContext) -> FoldOutput:
        from competitions.house_prices.fit import fit_house_fold  # torch and Lightning load only now

        return fit_house_fold(cfg, data, ctx)

    def predict_test_fold(self, cfg: HouseConfig, data: HouseData, fold: int, fold_dir: Path) -> pd.DataFrame:
        from competitions.house_prices.fit import predict_house_test

        return predict_house_test(cfg, data, fold, fold_dir)

    def score(self, data: HouseData, rows: np.ndarray, pred: np.ndarray) -> float:
        return rmse(data.y[rows], pred)

    def extra_scores(self, data: HouseData, rows: np.ndarray, pred: np.ndarray) -> dict[str, float]:
        keep = ~data.outlier[rows]
        return {"score_without_outliers": rmse(data.y[rows][keep], pred[keep])}

    def plot_oof(self, cfg: HouseConfig, data: HouseData, oof: pd.DataFrame, out: Path) -> list[Path]:
        from kaggle_kit.reporting import plots

        y, pred = data.y, oof["pred"].to_numpy(float)
        return [plots.pred_vs_true(y, pred, out / "oof_pred_vs_true.png", "out-of-fold predictions",
                                   label="log(SalePrice)", highlight=data.outlier),
                plots.largest_residuals(data.ids, pred - y, out / "largest_residuals.png",
                                        f"largest out-of-fold residuals ({ID}), log(SalePrice)")]

    def submission_frame(self, data: HouseData, pred: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame({ID: data.test_ids, TARGET: np.exp(pred)})

    def check_submission(self, frame: pd.DataFrame, data: HouseData) -> None:
        check_table(frame, [ID, TARGET], data.test_ids, data.sample_submission)
        if not (frame[TARGET] > 0).all():
            raise UserError(f"submission has non-positive {TARGET} values")
