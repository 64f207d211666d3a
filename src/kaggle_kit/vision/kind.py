"""The image-classification kind: what every competition of images with one label each shares. A competition
of the kind reads its files into ImageData (kaggle_kit.vision.download, from its competition.yaml); the kind
trains a timm model per fold, scores accuracy or log loss, ensembles folds by probability mean or vote, plots
the most-confused pairs and writes `id,label` answers or one probability column per class."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

from kaggle_kit.errors import UserError
from kaggle_kit.io import atomic
from kaggle_kit.paths import LABELS
from kaggle_kit.pipeline.submission_checks import check_table
from kaggle_kit.task import FoldContext, FoldOutput, Task, TrainData
from kaggle_kit.vision.config import ImageClassifierConfig

EPS = 1e-15          # the probability floor of a log-loss answer


@dataclass(kw_only=True)
class ImageData(TrainData):
    root: Path                     # the download's folder; image paths are relative to it
    images: list[str]              # every training image, in file order
    y: np.ndarray                  # class index of every training image (into labels)
    labels: list[str]              # class names, sorted byte-exact: the probability columns' and checkpoints' order
    test_images: list[str]         # every test image, in answer order


class ImageClassificationTask(Task):
    metric = "accuracy"
    higher_is_better = True
    fold_kind = "stratified"
    blend_kind = "classification"
    prediction_key = "tta"
    predicts_offline = True
    config_class: ClassVar[type[ImageClassifierConfig]] = ImageClassifierConfig
    submission_form: ClassVar[str] = "labels"      # labels: `id,<label column>`; probabilities: a column per class
    answer_columns: ClassVar[list[str]] = ["label"]   # the answer's columns after the id, in the sample's order

    def prediction_columns(self, data: ImageData) -> list[str]:
        """One probability column per class of the download, in label order."""
        return data.labels

    def check_config(self, cfg: ImageClassifierConfig) -> None:
        if cfg.ensemble == "vote" and self.metric == "logloss":
            raise UserError("ensemble: vote gives one-hot answers, an infinite log loss for every wrong row; use "
                            "ensemble: mean for a log-loss competition")

    @property
    def monitor(self) -> tuple[str, str]:
        """The validation metric that picks the kept epoch: accuracy, or the log loss itself."""
        return ("val_loss", "min") if self.metric == "logloss" else ("val_acc", "max")

    def fold_groups(self, cfg: ImageClassifierConfig, data: ImageData, cache_dir: Path) -> np.ndarray | None:
        """Exact and near-duplicate training images share a fold (copies split across folds flatter the CV)."""
        if cfg.duplicate_distance is None:
            return None
        from kaggle_kit.pipeline.cross_validate import say
        from kaggle_kit.vision.duplicates import cached_hashes, duplicate_groups

        hashes = cached_hashes(cache_dir / f"phash-{data.fingerprint}.csv", data.root, data.images, cfg.num_workers)
        groups = duplicate_groups(hashes, cfg.duplicate_distance)
        sizes = np.bincount(groups)
        dup = sizes[sizes > 1]
        say(f"duplicates (perceptual hash within {cfg.duplicate_distance} bits): {dup.sum()} images in "
            f"{len(dup)} groups{f', the largest of {dup.max()}' if len(dup) else ''}; each group keeps to one fold")
        return groups

    def fit_fold(self, cfg: ImageClassifierConfig, data: ImageData, ctx: FoldContext) -> FoldOutput:
        from kaggle_kit.vision.classification_fold import fit_classifier_fold  # torch, timm load only now

        out = fit_classifier_fold(cfg, data, ctx, self.id_column, monitor=self.monitor)
        atomic.write_json(ctx.dir / LABELS, data.labels)
        return out

    def predict_fold(self, cfg: ImageClassifierConfig, data: ImageData, ctx: FoldContext) -> FoldOutput:
        from kaggle_kit.vision.classification_fold import predict_classifier_fold

        return predict_classifier_fold(cfg, data, ctx, self.id_column)

    def predict_test_fold(self, cfg: ImageClassifierConfig, data: ImageData, fold: int, fold_dir: Path) -> pd.DataFrame:
        from kaggle_kit.vision.classification_fold import predict_test

        return predict_test(cfg, data, fold, fold_dir, self.id_column)

    def target(self, data: ImageData) -> np.ndarray:
        return data.y

    def score(self, data: ImageData, rows: np.ndarray, pred: np.ndarray) -> float:
        if self.metric == "logloss":
            from kaggle_kit.metrics import log_loss

            return log_loss(data.y[rows], pred)
        return float(np.mean(pred.argmax(1) == data.y[rows]))

    def plot_oof(self, cfg: ImageClassifierConfig, data: ImageData, oof: pd.DataFrame, out: Path) -> list[Path]:
        """The most-confused class pairs (true a predicted as b), each with its most confident mistake and an
        image of b."""
        from kaggle_kit.pipeline.predictions import pred_array
        from kaggle_kit.reporting import plots
        from kaggle_kit.vision.images import read_rgb

        probs = pred_array(oof, data.labels)
        y, guess = data.y, probs.argmax(1)
        wrong = np.flatnonzero(guess != y)
        if not len(wrong):
            return []
        pairs = pd.Series(list(zip(y[wrong], guess[wrong], strict=True))).value_counts().head(6)
        labels, root, names = data.labels, data.root, data.images
        panels = []
        for (a, b), count in pairs.items():
            mistakes = wrong[(y[wrong] == a) & (guess[wrong] == b)]
            worst = mistakes[np.argmax(probs[mistakes, b])]
            of_b = np.flatnonzero(y == b)
            example = of_b[np.argmax(probs[of_b, b])]
            panels.append({"image": read_rgb(root / names[worst]),
                           "title": f"{labels[a]}\npredicted {labels[b]} ({count}x; p={probs[worst, b]:.2f})"})
            panels.append({"image": read_rgb(root / names[example]), "title": f"a {labels[b]}\n({names[example]})"})
        return [plots.image_grid(panels, out / "confused_pairs.png",
                                 f"most-confused class pairs out of fold ({len(wrong)} of {len(y)} rows wrong)",
                                 columns=4)]

    def fold_ensemble(self, cfg: ImageClassifierConfig, preds: list[np.ndarray],
                      data: ImageData | None = None) -> np.ndarray:
        from kaggle_kit.ensembling import average

        if cfg.ensemble == "vote":
            return np.eye(preds[0].shape[1])[average.majority_vote(preds)]
        return average.prob_mean(preds)

    def submission_frame(self, data: ImageData, pred: np.ndarray) -> pd.DataFrame:
        ids = pd.Series(data.test_ids, name=self.id_column, dtype=object)
        if self.submission_form == "probabilities":    # clipped only where log loss would be infinite
            column = {c: k for k, c in enumerate(data.labels)}
            p = np.clip(pred, EPS, 1 - EPS)
            return pd.concat([ids, pd.DataFrame({c: p[:, column[c]] for c in self.answer_columns})], axis=1)
        labels = np.asarray(data.labels, dtype=object)
        return pd.DataFrame({self.id_column: ids, self.answer_columns[0]: labels[pred.argmax(1)]})

    def check_submission(self, frame: pd.DataFrame, data: ImageData) -> None:
        """Header, rows and values; the sample's own values (placeholders) are never compared with the classes."""
        check_table(frame, [self.id_column, *self.answer_columns], data.test_ids, data.sample_submission)
        if self.submission_form == "probabilities":
            values = frame[self.answer_columns].to_numpy(float)
            if ((values < 0) | (values > 1)).any():
                raise UserError("submission has probabilities outside [0, 1]")
            return
        unknown = set(frame[self.answer_columns[0]]) - set(data.labels)
        if unknown:
            raise UserError(f"submission has labels outside the training labels: {sorted(unknown)[:3]}")
