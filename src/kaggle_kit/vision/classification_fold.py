"""One image-classification fold: a timm model fine-tuned by ClassifierModule, then the fold's own validation
rows and the test set predicted with the configured TTA (probabilities averaged over views)."""

from __future__ import annotations

from pathlib import Path

import albumentations as A
import pandas as pd
import timm
import torch

from kaggle_kit.errors import UserError
from kaggle_kit.task import FoldContext, FoldOutput
from kaggle_kit.training.devices import inference_device
from kaggle_kit.training.distributed import is_rank_zero, planned_world_size
from kaggle_kit.training.fold_net import load_best, save_best, seed_fold, train_in_fold, without_download
from kaggle_kit.training.replay import SampleSeeds
from kaggle_kit.training.samplers import EpochShuffleSampler
from kaggle_kit.vision import image_cache
from kaggle_kit.vision.classifier_module import ClassifierModule
from kaggle_kit.vision.config import ImageClassifierConfig
from kaggle_kit.vision.dataset import CachedImages, ImageDataset
from kaggle_kit.vision.image_loader import image_loader, worker_setup
from kaggle_kit.vision.image_source import Source, training_source
from kaggle_kit.vision.models import create_named, weights_kwargs
from kaggle_kit.vision.normalize import ImageNormalize
from kaggle_kit.vision.transforms import eval_transform, train_transform
from kaggle_kit.vision.tta import crops, predict_probs


def create_model(cfg: ImageClassifierConfig, num_classes: int) -> torch.nn.Module:
    """timm model by name; weights from timm's hub (`pretrained`) or a local file (`pretrained_path`); NHWC
    weights with `channels_last`."""
    net = create_named(lambda: timm.create_model(cfg.model, num_classes=num_classes,
                                                 **weights_kwargs(cfg.pretrained, cfg.pretrained_path)),
                       "model", cfg.model)
    return net.to(memory_format=torch.channels_last) if cfg.channels_last else net


def identity(cfg: ImageClassifierConfig) -> dict:
    """What best.ckpt must hold to be read back with this config."""
    return {"model": cfg.model}


def loader(data, names, labels, transform, *, cfg: ImageClassifierConfig, sampler=None, drop_last=False):
    """Images `names` read from their files."""
    return image_loader(ImageDataset(data.root, names, labels, transform), cfg, sampler=sampler, drop_last=drop_last)


def rows_loader(source: Source, rows, labels, *, cfg: ImageClassifierConfig, sampler=None, drop_last=False):
    """Training-image rows from `source` (kaggle_kit.vision.image_source); ready-made cached images need no
    loader workers."""
    dataset = source(rows, labels)
    ready = isinstance(dataset, CachedImages) and dataset.transform is None
    return image_loader(dataset, cfg, sampler=sampler, drop_last=drop_last, workers=not ready)


def build_module(cfg: ImageClassifierConfig, net: torch.nn.Module, steps_per_epoch: int,
                 num_classes: int) -> ClassifierModule:
    """The config's recipe (label smoothing, Mixup/CutMix, head rate, frozen epochs, EMA) around `net`."""
    return ClassifierModule(net, cfg, steps_per_epoch, num_classes=num_classes, label_smoothing=cfg.label_smoothing,
                            mixup=cfg.mixup, cutmix=cfg.cutmix, mix_prob=cfg.mix_prob, head_lr_mult=cfg.head_rate,
                            freeze_epochs=cfg.freeze_epochs, ema_decay=cfg.ema_decay,
                            normalize=ImageNormalize.for_model(net))


def fit_classifier_fold(cfg: ImageClassifierConfig, data, ctx: FoldContext, id_column: str, *,
                        monitor: tuple[str, str] = ("val_acc", "max")) -> FoldOutput:
    """Train the fold, keeping the epoch best by `monitor` (metric name, min|max), and predict its sets."""
    y, labels = data.y, data.labels
    train_idx, val_idx = ctx.train_idx, ctx.val_idx
    seed = seed_fold(cfg, ctx.fold)
    net = create_model(cfg, len(labels))
    mixing = bool(cfg.mixup or cfg.cutmix)
    train_loader = rows_loader(training_source(cfg, data, train_transform(cfg), ctx.cache_dir), train_idx,
                               y[train_idx], cfg=cfg, sampler=SampleSeeds(EpochShuffleSampler(len(train_idx), seed),
                                                                          seed), drop_last=mixing)
    val_loader = rows_loader(training_source(cfg, data, eval_transform(cfg, False), ctx.cache_dir), val_idx,
                             y[val_idx], cfg=cfg)
    module = build_module(cfg, net, len(train_loader), len(labels))
    module.collect_val_probs = may_reuse_validation(cfg)
    fit = train_in_fold(module, train_loader, val_loader, cfg, ctx, monitor=monitor[0], mode=monitor[1], seed=seed)
    net = module.eval_net
    save_best(ctx.dir, net, identity(cfg), labels=list(labels), image_size=cfg.image_size, epoch=fit.epoch,
              **{monitor[0]: fit.score})
    reuse = module.collect_val_probs and fit.epoch == cfg.epochs - 1 and module.val_probs
    val_probs = torch.cat(module.val_probs) if reuse else None
    val, test = predict_sets(cfg, data, net, ctx, id_column=id_column,
                             val_probs=val_probs if val_probs is not None and len(val_probs) == len(val_idx) else None)
    return FoldOutput(val=val, test=test, metrics={"epoch": fit.epoch, "seconds": round(fit.seconds, 3),
                                                   f"{monitor[0]}_no_tta": fit.score, "tta": cfg.tta})


def may_reuse_validation(cfg: ImageClassifierConfig) -> bool:
    """Whether the fold's last validation pass can stand for its prediction of the validation rows: the same
    images, transform and weights (no TTA, the final epoch validated and kept, full precision, one process).
    It then saves a forward pass over them; the probabilities are the same."""
    return (cfg.tta == "none" and cfg.epochs % cfg.val_every == 0 and cfg.precision in ("32-true", "32", "64-true")
            and planned_world_size(cfg) == 1)


def predict_sets(cfg: ImageClassifierConfig, data, net: torch.nn.Module, ctx: FoldContext, *, id_column: str,
                 val_probs: torch.Tensor | None = None):
    """Class probabilities of the fold's validation rows (given as `val_probs` when the last validation pass
    computed them) and of the test set, with the same TTA."""
    labels = data.labels
    transform = eval_transform(cfg, crops(cfg.tta))
    val_batches = None if val_probs is not None else rows_loader(training_source(cfg, data, transform, ctx.cache_dir),
                                                                 ctx.val_idx, None, cfg=cfg)
    frames = []
    for ids, batches in (([data.ids[i] for i in ctx.val_idx], val_batches),
                         (data.test_ids, test_batches(cfg, data, transform, ctx.cache_dir))):
        probs = val_probs if batches is None else predict_probs(net, batches, cfg.tta, cfg.image_size,
                                                                device=inference_device(cfg),
                                                                normalize=ImageNormalize.for_model(net))
        frames.append(pd.concat([pd.DataFrame({id_column: ids}), pd.DataFrame(probs.numpy(), columns=labels)],
                                axis=1))
    return frames[0], frames[1]


def test_batches(cfg: ImageClassifierConfig, data, transform, cache_dir: Path | None):
    """Batches of the test images through the eval transform: from the decoded-once cache
    (runs/<comp>/cache/test-<key>.npy) every fold and TTA setting shares, or from the files."""
    names = data.test_images
    if not (cfg.cache_test_images and cache_dir and is_rank_zero()):   # other DDP ranks: no shared file
        return loader(data, names, None, transform, cfg=cfg)
    key = image_cache.cache_key([Path(data.root) / n for n in names], A.to_dict(transform))
    images = image_cache.cached_images(
        cache_dir / f"test-{key}.npy", ImageDataset(data.root, names, None, transform), cfg.batch_size,
        num_workers=cfg.num_workers, worker_init_fn=worker_setup(cfg, nice=False),
        desc="decoding the test images once", off_switch="cache_test_images=false")
    return image_cache.batches(images, cfg.batch_size)


def load_fold_model(cfg: ImageClassifierConfig, data, fold: int, fold_dir: Path) -> torch.nn.Module:
    """The fold's saved weights in a fresh model; an error if they belong to another model or label set."""
    labels = data.labels

    def same_labels(ckpt: dict) -> None:
        saved = list(ckpt.get("labels", []))
        if saved != labels:
            unknown = sorted(set(labels) - set(saved))
            what = (f"the data has labels outside its saved label order ({', '.join(unknown[:3])})" if unknown
                    else f"it was trained on {len(saved)} classes in another order, the data has {len(labels)}")
            raise UserError(f"{fold_dir}/best.ckpt does not fit this data: {what}; retrain fold {fold} with FORCE=1")

    return load_best(fold_dir, fold, identity(cfg), describe=lambda held: f"a {held['model']} model",
                     check=same_labels, build=lambda: create_model(without_download(cfg), len(labels)),
                     what=f"model={cfg.model} with {len(labels)} classes")


def predict_test(cfg: ImageClassifierConfig, data, fold: int, fold_dir: Path, id_column: str) -> pd.DataFrame:
    """The test probabilities of a fold model from its checkpoint alone (no cache: an offline bundle's run)."""
    net = load_fold_model(cfg, data, fold, fold_dir)
    batches = test_batches(cfg, data, eval_transform(cfg, crops(cfg.tta)), None)
    probs = predict_probs(net, batches, cfg.tta, cfg.image_size, device=inference_device(cfg),
                          normalize=ImageNormalize.for_model(net))
    return pd.concat([pd.DataFrame({id_column: data.test_ids}), pd.DataFrame(probs.numpy(), columns=data.labels)],
                     axis=1)


def predict_classifier_fold(cfg: ImageClassifierConfig, data, ctx: FoldContext, id_column: str) -> FoldOutput:
    val, test = predict_sets(cfg, data, load_fold_model(cfg, data, ctx.fold, ctx.dir), ctx, id_column=id_column)
    return FoldOutput(val=val, test=test)
