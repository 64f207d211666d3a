"""One fold of the house MLP: features fitted on the training rows, a z-scored log-price target, the core's
Lightning fit, predictions on the validation rows and the test set, and the checkpoint."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch

from competitions.house_prices.config import HouseConfig
from competitions.house_prices.features import fit_features, n_features, transform
from competitions.house_prices.model import build_mlp
from competitions.house_prices.schema import ID
from kaggle_kit import atomic
from kaggle_kit.lightning_fit import fit_fold, predict_batches
from kaggle_kit.loaders import TensorBatches
from kaggle_kit.modules.regressor import RegressionModule
from kaggle_kit.seeding import derive_seed
from kaggle_kit.task import FoldOutput, TrainData


def fit_mlp(cfg: HouseConfig, data: TrainData, fold: int, train_idx: np.ndarray,
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
    fit = fit_fold(module, train_loader, val_loader, cfg, out_dir, "val_loss", "min", seed, f"fold {fold}")
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

