"""The core classification module on a tiny net and separable random images."""

import pandas as pd
import pytest
import torch
from torch import nn

from kaggle_kit.config import TrainConfig
from kaggle_kit.tabular.batches import TensorBatches
from kaggle_kit.training.trainer import fit_fold
from kaggle_kit.vision.classifier_module import ClassifierModule


class TinyNet(nn.Module):
    def __init__(self, classes=3):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                                  nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.fc = nn.Linear(8, classes)

    def get_classifier(self):
        return self.fc

    def forward(self, x):
        return self.fc(self.body(x))


def images(n=96, classes=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % classes
    x = torch.rand(n, 3, 8, 8, generator=g) * 0.5
    x[torch.arange(n), y] += 1.0          # the class lights up its own colour channel
    return x, y


def train(tmp_path, epochs=3, **kw):
    torch.manual_seed(0)
    x, y = images()
    net = TinyNet()
    cfg = TrainConfig(epochs=epochs, batch_size=16, lr=1e-2, progress_bar=False, warmup_epochs=0)
    loader = TensorBatches(x[:64], y[:64], batch_size=16, shuffle=True, seed=0, drop_last=True)
    module = ClassifierModule(net, cfg, len(loader), num_classes=3, **kw)
    fit = fit_fold(module, loader, TensorBatches(x[64:], y[64:], batch_size=32), cfg, fold_dir=tmp_path, monitor="val_acc",
                   mode="max", seed=0)
    return net, module, fit


def test_learns_and_logs_accuracy_each_epoch(tmp_path):
    net, module, fit = train(tmp_path, epochs=4, label_smoothing=0.1)
    logs = pd.read_csv(tmp_path / "logs" / "metrics.csv")
    assert logs["val_acc"].dropna().size == 4 and logs["train_loss"].dropna().size == 4
    assert fit.score == logs["val_acc"].max() and fit.score > 0.9


def test_head_learning_rate_multiplier(tmp_path):
    net = TinyNet()
    cfg = TrainConfig(epochs=1, lr=0.01)
    module = ClassifierModule(net, cfg, 10, num_classes=3, head_lr_mult=10)
    opt = module.configure_optimizers()["optimizer"]
    head = {id(p) for p in net.fc.parameters()}
    for g in opt.param_groups:
        assert g["lr"] == pytest.approx(0.1 if id(g["params"][0]) in head else 0.01)


def test_frozen_backbone_for_the_first_epoch(tmp_path):
    torch.manual_seed(0)
    x, y = images()
    net = TinyNet()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    cfg = TrainConfig(epochs=1, lr=1e-2, progress_bar=False)
    loader = TensorBatches(x, y, batch_size=16, drop_last=True)
    module = ClassifierModule(net, cfg, len(loader), num_classes=3, freeze_epochs=1)
    fit_fold(module, loader, TensorBatches(x, y, batch_size=32), cfg, fold_dir=tmp_path, monitor="val_acc",
                   mode="max", seed=0)
    after = net.state_dict()
    assert torch.equal(before["body.0.weight"], after["body.0.weight"])      # frozen backbone
    assert not torch.equal(before["fc.weight"], after["fc.weight"])          # trained head


def test_mixup_cutmix_train_and_reject_odd_batches(tmp_path):
    _, _, fit = train(tmp_path, epochs=2, mixup=0.4, cutmix=1.0, label_smoothing=0.1)
    assert 0 <= fit.score <= 1
    module = ClassifierModule(TinyNet(), TrainConfig(epochs=1), 1, num_classes=3, mixup=0.4)
    x, y = images(n=5)
    with pytest.raises(ValueError, match="even batches"):
        module.training_step((x, y), 0)


class Recording(ClassifierModule):
    """Records the head's raw weights after every optimizer step."""
    seen: list

    def on_train_batch_end(self, outputs, batch, batch_idx):
        self.seen.append(self.net.fc.weight.detach().clone())
        super().on_train_batch_end(outputs, batch, batch_idx)


def test_ema_of_weights_is_validated_and_kept(tmp_path):
    torch.manual_seed(0)
    x, y = images()
    net = TinyNet()
    cfg = TrainConfig(epochs=2, batch_size=16, lr=1e-2, progress_bar=False, warmup_epochs=0, checkpoint="last")
    loader = TensorBatches(x[:64], y[:64], batch_size=16, shuffle=True, seed=0, drop_last=True)
    module = Recording(net, cfg, len(loader), num_classes=3, ema_decay=0.9)
    module.seen = []
    fit_fold(module, loader, TensorBatches(x[64:], y[64:], batch_size=32), cfg, fold_dir=tmp_path, monitor="val_acc",
                   mode="max", seed=0)
    assert len(module.seen) == 8
    ema = module.seen[0]                      # timm's warmup: the first update copies, then the decay grows
    for t, w in enumerate(module.seen[1:], start=1):
        d = min(0.9, 1 - (1 + t) ** (-2 / 3))
        ema = d * ema + (1 - d) * w
    assert torch.allclose(module.eval_net.fc.weight, ema, atol=1e-6)
    assert not torch.allclose(module.net.fc.weight, ema, atol=1e-4)
    with torch.no_grad():                     # the logged val_acc is the EMA model's
        acc = (module.eval_net.eval()(x[64:]).argmax(1) == y[64:]).float().mean().item()
    logs = pd.read_csv(tmp_path / "logs" / "metrics.csv")
    assert logs["val_acc"].dropna().iloc[-1] == pytest.approx(acc)
