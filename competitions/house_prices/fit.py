"""One house-prices fold: features fitted on the training rows (outliers left out of fitting, never out of
scoring), then the configured learner, `seeds` times, predictions averaged. The target is log(SalePrice)."""

from __future__ import annotations

import json

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


STEPS_PER_CALL = 32     # optimizer steps per Lightning training_step (BatchGroups): an Ames epoch is one call


def json_model(s: int) -> str:
    """The file of seed s's linear or SVR model: model.json for the first, model_seed<s>.json for the others."""
    return "model.json" if s == 0 else f"model_seed{s}.json"


def _mlp(cfg, x, y, x_test, *, rows, val_idx, seed, s, ctx):
    import torch

    from competitions.house_prices.model import build_mlp
    from kaggle_kit.tabular.batches import BatchGroups, TensorBatches
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
    fit = fit_fold(module, BatchGroups(train_loader, STEPS_PER_CALL), val_loader, cfg, fold_dir=ctx.dir, monitor="val_loss", mode="min", seed=seed,
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
    model = fit_linear(cfg.linear, x[rows], y[rows], seed, path=ctx.dir / json_model(s))
    return model.predict(x[val_idx]), model.predict(x_test), {"alpha": float(model.alpha_)}


def _svr(cfg, x, y, x_test, *, rows, val_idx, seed, s, ctx):
    model = fit_svr(cfg.svr, x[rows], y[rows], seed, path=ctx.dir / json_model(s))
    return model.predict(x[val_idx]), model.predict(x_test), {}


def predict_house_test(cfg: HouseConfig, data, fold: int, fold_dir) -> pd.DataFrame:
    """A fold's test predictions from what it saved alone (an offline bundle): its feature state and each seed's
    model, averaged and clipped as fit_house_fold does; the same numbers (the SVR's kernel sum up to rounding)."""
    from kaggle_kit.tabular.kind import fold_train_rows

    rows = fit_rows(cfg, data.train, fold_train_rows(data, fold_dir, ID))
    if cfg.model == "mlp":
        from kaggle_kit.training.checkpoints import read_fold_checkpoint

        saved = read_fold_checkpoint(fold_dir, fold)
        state = saved["features"]
    else:
        saved, state = None, json.loads((fold_dir / "features.json").read_text())
    x_test = transform(data.test, state)
    preds = [_predict_saved(cfg, fold_dir, saved, s, x_test) for s in range(cfg.seeds)]
    pred = np.mean(preds, 0)
    if cfg.clip_to_train_range:
        pred = np.clip(pred, data.y[rows].min(), data.y[rows].max())
    return pd.DataFrame({ID: data.test_ids, "pred": pred})


def _predict_saved(cfg: HouseConfig, fold_dir, saved, s: int, x_test: np.ndarray) -> np.ndarray:
    if cfg.model == "mlp":
        import torch

        from competitions.house_prices.model import build_mlp
        from kaggle_kit.tabular.batches import TensorBatches
        from kaggle_kit.training.trainer import predict_batches

        m = saved["mlp"]
        net = build_mlp(x_test.shape[1], m["hidden"], m["dropout"], m["activation"])
        model = saved["models"][s]
        net.load_state_dict(model["state_dict"])
        out = predict_batches(net, TensorBatches(torch.from_numpy(x_test), batch_size=4096)).squeeze(-1).numpy()
        return model["target"]["center"] + model["target"]["scale"] * out
    if cfg.model == "gbdt":
        import lightgbm as lgb

        return lgb.Booster(model_file=str(fold_dir / f"model_seed{s}.txt")).predict(x_test)
    if cfg.model == "catboost":
        from kaggle_kit.tabular.learners import load_catboost

        return load_catboost(fold_dir / f"model_seed{s}.cbm").predict(x_test)
    path = fold_dir / json_model(s)
    if not path.is_file():
        from kaggle_kit.errors import UserError

        raise UserError(f"{path} is missing (a run with seeds: {cfg.seeds} trained before each seed kept its "
                        "own model); retrain it with FORCE=1")
    model = json.loads(path.read_text())
    if cfg.model == "linear":
        dtype = np.dtype(model.get("dtype", "float32"))       # as scikit-learn fitted (and predicts) it
        return x_test.astype(dtype) @ np.asarray(model["coef"], dtype) + dtype.type(model["intercept"])
    sv = np.asarray(model["support_vectors"])           # svr: the RBF kernel against the support vectors
    sq = (x_test.astype(float) ** 2).sum(1)[:, None] + (sv ** 2).sum(1)[None] - 2 * x_test @ sv.T
    return np.exp(-model["gamma"] * np.clip(sq, 0, None)) @ np.asarray(model["dual_coef"]) + model["intercept"]
