"""The k-fold MLP: hidden layers of Linear + activation + dropout on a numeric matrix, trained by the core's
Lightning fit from in-memory tensors. Values: the net learns the z-score of the target (MSE); classes: one
logit per class seen in the training rows (cross-entropy), softmax probabilities. Every seed's weights go into
the fold's best.ckpt, with what the fold's features were fitted to where a competition keeps that."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field

from kaggle_kit.config import StrictModel
from kaggle_kit.io import atomic
from kaggle_kit.paths import BEST_CKPT
from kaggle_kit.tabular.learners.base import Learner

STEPS_PER_CALL = 32     # optimizer steps per Lightning training_step (BatchGroups): an Ames epoch is one call
PREDICT_BATCH = 4096


class MLPConfig(StrictModel):
    hidden: list[int] = [512, 256]      # [] is d2l's linear model
    dropout: float = Field(0.1, ge=0, lt=1)
    activation: Literal["relu", "gelu", "silu"] = "relu"


def build_mlp(in_features: int, hidden: list[int], dropout: float, activation: str, out_features: int = 1):
    import torch.nn as nn

    activations = {"relu": nn.ReLU, "gelu": nn.GELU, "silu": nn.SiLU}
    layers: list[nn.Module] = []
    width = in_features
    for h in hidden:
        layers += [nn.Linear(width, h), activations[activation]()]
        if dropout:
            layers.append(nn.Dropout(dropout))
        width = h
    layers.append(nn.Linear(width, out_features))
    return nn.Sequential(*layers)


class MLP(Learner):
    name = "mlp"
    Config = MLPConfig
    table_default = MLPConfig(hidden=[256, 128], dropout=0.1)   # a spec table's section
    takes = "numbers"
    files = (BEST_CKPT,)
    uses_training_keys = True

    def _net(self, in_features: int, section: dict):
        out = 1 if self.problem == "regression" else len(self.classes_)
        return build_mlp(in_features, section["hidden"], section["dropout"], section["activation"], out)

    def fit(self, x, y, *, seed, fold_dir, s=0, x_val=None, y_val=None, ctx=None, stop=None, **_):
        """With `stop`, it trains on the other training rows and validates on those (its epoch is chosen there);
        without, it validates on the scored fold for the log only (a table's checkpoint is then `last`)."""
        import torch

        from kaggle_kit.tabular.batches import BatchGroups, TensorBatches
        from kaggle_kit.tabular.regression_module import RegressionModule
        from kaggle_kit.training.trainer import fit_fold

        cfg = self.cfg
        if stop is not None:
            x, y, x_val, y_val = x[~stop], y[~stop], x[stop], y[stop]
        x, x_val = dense(x), dense(x_val)
        if self.problem == "regression":
            center, scale = float(y.mean()), float(y.std())            # the net learns a z-score
            target = {"center": center, "scale": scale}
            t, t_val = ((y - center) / scale).astype(np.float32), ((y_val - center) / scale).astype(np.float32)
        else:
            self.classes_ = np.unique(y)
            target = {"classes": self.classes_.tolist()}
            t = np.searchsorted(self.classes_, y).astype(np.int64)
            seen = np.isin(y_val, self.classes_)                       # a class the training rows lack: not scored
            x_val, t_val = x_val[seen], np.searchsorted(self.classes_, y_val[seen]).astype(np.int64)
        self.target = target
        torch.manual_seed(seed)
        self.net = self._net(x.shape[1], self.section.model_dump())
        train_loader = TensorBatches(torch.from_numpy(x), torch.from_numpy(t), batch_size=cfg.batch_size,
                                     shuffle=True, seed=seed)
        val_loader = TensorBatches(torch.from_numpy(x_val), torch.from_numpy(t_val), batch_size=PREDICT_BATCH)
        module = RegressionModule(self.net, cfg, steps_per_epoch=len(train_loader),
                                  loss="mse" if self.problem == "regression" else "cross_entropy")
        name = f"fold {ctx.fold}" + (f" seed {s}" if getattr(cfg, "seeds", 1) > 1 else "")
        fit = fit_fold(module, BatchGroups(train_loader, STEPS_PER_CALL), val_loader, cfg, fold_dir=ctx.dir,
                       monitor="val_loss", mode="min", seed=seed, resume=ctx.resume, name=name,
                       log_version=f"seed{s}")
        self.net = self.net.cpu()
        self.checkpoint = {"state_dict": self.net.state_dict(), "target": target, "epoch": fit.epoch,
                           "val_loss": fit.score}
        return {"epoch": fit.epoch, "seconds": round(fit.seconds, 3),
                **({"inner_val_loss": round(float(fit.score), 6)} if stop is not None else {})}

    def predict(self, x) -> np.ndarray:
        import torch

        from kaggle_kit.tabular.batches import TensorBatches
        from kaggle_kit.training.trainer import predict_batches

        out = predict_batches(self.net, TensorBatches(torch.from_numpy(dense(x)), batch_size=PREDICT_BATCH))
        if self.problem == "regression":
            return self.target["center"] + self.target["scale"] * out.squeeze(-1).numpy()
        return torch.softmax(out, 1).numpy().astype(float)

    def load(self, fold_dir, s, classes):
        saved = read_checkpoint(fold_dir)
        model = saved["models"][s]
        self.target = model["target"]
        self.classes_ = np.asarray(self.target["classes"]) if "classes" in self.target else classes
        self.net = self._net(model["state_dict"]["0.weight"].shape[1], saved["mlp"])   # the first Linear
        self.net.load_state_dict(model["state_dict"])
        return self

    @classmethod
    def save_fold(cls, fold_dir, fitted, context):
        atomic.torch_save(Path(fold_dir) / BEST_CKPT, {
            **({"features": context} if context is not None else {}),
            "mlp": fitted[0].section.model_dump(), "models": [m.checkpoint for m in fitted]})

    @classmethod
    def fold_context(cls, fold_dir, fold):
        return read_checkpoint(fold_dir, fold)["features"]


def dense(x) -> np.ndarray:
    """A float32 array of a prepared matrix (one-hot text may come sparse)."""
    return np.asarray(x.toarray() if hasattr(x, "toarray") else x, np.float32)


def read_checkpoint(fold_dir: Path, fold: int | None = None) -> dict:
    from kaggle_kit.training.checkpoints import read_fold_checkpoint

    name = Path(fold_dir).name
    return read_fold_checkpoint(Path(fold_dir), fold if fold is not None else
                                int(name.removeprefix("fold")) if name.removeprefix("fold").isdigit() else 0)
