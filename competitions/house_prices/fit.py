"""One house-prices fold: features fitted on the training rows (outliers left out of fitting, never out of
scoring), then the configured learner, `seeds` times, predictions averaged. The target is log(SalePrice)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from competitions.house_prices.config import HouseConfig
from competitions.house_prices.features import fit_features, n_features, transform
from competitions.house_prices.schema import ID, is_outlier
from kaggle_kit.io import atomic
from kaggle_kit.tabular.learners import fit_catboost, fit_gbdt, fit_linear, fit_svr
from kaggle_kit.task import FoldContext, FoldOutput
from kaggle_kit.training.seeding import derive_seed


def fit_rows(cfg: HouseConfig, train: pd.DataFrame, train_idx: np.ndarray) -> np.ndarray:
    if not cfg.drop_outliers:
        return train_idx
    return train_idx[~is_outlier(train.iloc[train_idx])]


def fit_house_fold(cfg: HouseConfig, data, ctx: FoldContext) -> FoldOutput:
    train, test, y, val_idx, out_dir = data.train, data.test, data.y, ctx.val_idx, ctx.dir
    rows = fit_rows(cfg, train, ctx.train_idx)
    state = fit_features(train.iloc[rows], cfg.features)
    x, x_test = transform(train, state), transform(test, state)
    learner = {"mlp": _mlp, "gbdt": _gbdt, "catboost": _catboost, "linear": _linear, "svr": _svr}[cfg.model]
    preds_val, preds_test, info = [], [], []
    for s in range(cfg.seeds):
        seed = derive_seed(cfg.seed, ctx.fold, s)
        pv, pt, meta = learner(cfg, x, y, x_test, rows=rows, val_idx=val_idx, seed=seed, s=s, ctx=ctx)
        preds_val.append(pv)
        preds_test.append(pt)
        info.append(meta)
    if cfg.model != "mlp":
        atomic.write_json(out_dir / "features.json", state)
    else:
        atomic.torch_save(out_dir / "best.ckpt", {"features": state, "mlp": cfg.mlp.model_dump(),
                                                  "models": [m.pop("checkpoint") for m in info]})
    pred_val, pred_test = np.mean(preds_val, 0), np.mean(preds_test, 0)
    if cfg.clip_to_train_range:   # no sale outside the prices seen in training: stops runaway extrapolation
        lo, hi = y[rows].min(), y[rows].max()
        pred_val, pred_test = np.clip(pred_val, lo, hi), np.clip(pred_test, lo, hi)
    return FoldOutput(
        val=pd.DataFrame({ID: [data.ids[i] for i in val_idx], "pred": pred_val}),
        test=pd.DataFrame({ID: data.test_ids, "pred": pred_test}),
        metrics={"n_fit": len(rows), "n_features": n_features(state), "seeds": info})


def _mlp(cfg, x, y, x_test, *, rows, val_idx, seed, s, ctx):
    import torch

    from competitions.house_prices.model import build_mlp
    from kaggle_kit.tabular.batches import TensorBatches
    from kaggle_kit.tabular.regression_module import RegressionModule
    from kaggle_kit.training.trainer import fit_fold, predict_batches

    center, scale = float(y[rows].mean()), float(y[rows].std())   # the net learns a z-score
    x_all = torch.from_numpy(x)
    y_all = torch.from_numpy(((y - center) / scale).astype(np.float32))
    torch.manual_seed(seed)
    net = build_mlp(x.shape[1], cfg.mlp.hidden, cfg.mlp.dropout, cfg.mlp.activation)
    tr, va = torch.from_numpy(rows), torch.from_numpy(val_idx)
    train_loader = TensorBatches(x_all[tr], y_all[tr], batch_size=cfg.batch_size, shuffle=True, seed=seed)
    val_loader = TensorBatches(x_all[va], y_all[va], batch_size=4096)
    module = RegressionModule(net, cfg, steps_per_epoch=len(train_loader))
    name = f"fold {ctx.fold}" + (f" seed {s}" if cfg.seeds > 1 else "")
    fit = fit_fold(module, train_loader, val_loader, cfg, fold_dir=ctx.dir, monitor="val_loss", mode="min", seed=seed,
                   resume=ctx.resume, name=name, log_version=f"seed{s}")
    net = net.cpu()
    pred_val = center + scale * predict_batches(net, val_loader).squeeze(-1).numpy()
    pred_test = center + scale * predict_batches(net, TensorBatches(torch.from_numpy(x_test),
                                                                     batch_size=4096)).squeeze(-1).numpy()
    checkpoint = {"state_dict": net.state_dict(), "target": {"center": center, "scale": scale},
                  "epoch": fit.epoch, "val_loss": fit.score}
    return pred_val, pred_test, {"epoch": fit.epoch, "seconds": round(fit.seconds, 3), "checkpoint": checkpoint}


def _gbdt(cfg, x, y, x_test, *, rows, val_idx, seed, s, ctx):
    model = fit_gbdt(cfg.gbdt, x[rows], y[rows], seed, path=ctx.dir / f"model_seed{s}.txt")
    return model.predict(x[val_idx]), model.predict(x_test), {}


def _catboost(cfg, x, y, x_test, *, rows, val_idx, seed, s, ctx):
    model = fit_catboost(cfg.catboost, x[rows], y[rows], seed, path=ctx.dir / f"model_seed{s}.cbm")
    return model.predict(x[val_idx]), model.predict(x_test), {}


def _linear(cfg, x, y, x_test, *, rows, val_idx, seed, s, ctx):
    model = fit_linear(cfg.linear, x[rows], y[rows], seed, path=ctx.dir / "model.json")
    return model.predict(x[val_idx]), model.predict(x_test), {"alpha": float(model.alpha_)}


def _svr(cfg, x, y, x_test, *, rows, val_idx, seed, s, ctx):
    model = fit_svr(cfg.svr, x[rows], y[rows], seed, path=ctx.dir / "model.json")
    return model.predict(x[val_idx]), model.predict(x_test), {}
