"""House-prices adapter: the d2l features into an MLP trained by the core, predicting log(SalePrice)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch

from competitions.house_prices import data as house_data
from competitions.house_prices.config import HouseConfig
from competitions.house_prices.features import fit_features, n_features, transform
from competitions.house_prices.model import build_mlp
from competitions.house_prices.sample import build_sample
from competitions.house_prices.schema import ID, TARGET
from kaggle_kit import atomic
from kaggle_kit.errors import UserError
from kaggle_kit.lightning_fit import fit_fold, predict_batches
from kaggle_kit.loaders import TensorBatches
from kaggle_kit.metrics import rmse
from kaggle_kit.modules.regressor import RegressionModule
from kaggle_kit.seeding import derive_seed
from kaggle_kit.submission import check_table
from kaggle_kit.task import FoldOutput, Task, TrainData


class HouseTask(Task):
    name = "house"
    slug = "house-prices-advanced-regression-techniques"
    config_class = HouseConfig
    id_column = ID
    metric = "rmse_log"
    higher_is_better = False

    def build_sample(self, dest: Path) -> None:
        build_sample(dest)

    def load(self, data_dir: Path) -> TrainData:
        train, test, fingerprint = house_data.read_split(data_dir)
        return TrainData(ids=train[ID].tolist(), test_ids=test[ID].tolist(), fingerprint=fingerprint,
                         sample_submission=house_data.read_sample_submission(data_dir),
                         extra={"train": train, "test": test, "log_price": np.log(train[TARGET].to_numpy(float))})

    def fit_fold(self, cfg: HouseConfig, data: TrainData, fold: int, train_idx: np.ndarray,
                 val_idx: np.ndarray, out_dir: Path) -> FoldOutput:
        train, test, y = data.extra["train"], data.extra["test"], data.extra["log_price"]
        state = fit_features(train.iloc[train_idx], cfg.features)
        x_all, x_test = torch.from_numpy(transform(train, state)), torch.from_numpy(transform(test, state))
        center, scale = float(y[train_idx].mean()), float(y[train_idx].std())   # the net learns a z-score
        y_all = torch.from_numpy(((y - center) / scale).astype(np.float32))
        seed = derive_seed(cfg.seed, fold)
        torch.manual_seed(seed)
        net = build_mlp(n_features(state), cfg.mlp.hidden, cfg.mlp.dropout, cfg.mlp.activation)
        tr, va = torch.from_numpy(train_idx), torch.from_numpy(val_idx)
        train_loader = TensorBatches(x_all[tr], y_all[tr], batch_size=cfg.batch_size, shuffle=True, seed=seed)
        val_loader = TensorBatches(x_all[va], y_all[va], batch_size=4096)
        module = RegressionModule(net, cfg, steps_per_epoch=len(train_loader))
        fit = fit_fold(module, train_loader, val_loader, cfg, out_dir, "val_loss", "min", seed)
        net = net.cpu()
        pred_val = center + scale * predict_batches(net, val_loader).squeeze(-1).numpy()
        pred_test = center + scale * predict_batches(net, TensorBatches(x_test, batch_size=4096)).squeeze(-1).numpy()
        atomic.torch_save(out_dir / "best.ckpt", {
            "state_dict": net.state_dict(), "features": state, "mlp": cfg.mlp.model_dump(),
            "target": {"center": center, "scale": scale},
            "epoch": fit.epoch, "val_loss": fit.score})
        return FoldOutput(
            val=pd.DataFrame({ID: [data.ids[i] for i in val_idx], "pred": pred_val}),
            test=pd.DataFrame({ID: data.test_ids, "pred": pred_test}),
            metrics={"epoch": fit.epoch, "seconds": round(fit.seconds, 3)})

    def score(self, data: TrainData, rows: np.ndarray, pred: pd.DataFrame) -> float:
        return rmse(data.extra["log_price"][rows], pred["pred"].to_numpy(float))

    def make_submission(self, cfg: HouseConfig, data: TrainData, test_preds: list[pd.DataFrame]) -> pd.DataFrame:
        want = [str(i) for i in data.test_ids]
        for k, p in enumerate(test_preds):
            if p[ID].astype(str).tolist() != want:
                raise UserError(f"fold {k}'s test predictions do not match test.csv; retrain with FORCE=1")
        stacked = np.stack([p["pred"].to_numpy(float) for p in test_preds])
        log_price = np.median(stacked, 0) if cfg.ensemble == "median" else stacked.mean(0)
        return pd.DataFrame({ID: data.test_ids, TARGET: np.exp(log_price)})

    def check_submission(self, frame: pd.DataFrame, data: TrainData) -> None:
        check_table(frame, [ID, TARGET], data.test_ids, data.sample_submission)
        if not (frame[TARGET] > 0).all():
            raise UserError(f"submission has non-positive {TARGET} values")
