"""classify-leaves adapter: 176-class image classification, accuracy, `image,label` submissions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from competitions.classify_leaves.config import LeavesConfig
from competitions.classify_leaves.data import SLUG, read_download, read_sample_submission
from competitions.classify_leaves.sample import build_sample
from kaggle_kit.ensembling import average
from kaggle_kit.errors import UserError
from kaggle_kit.io import atomic
from kaggle_kit.pipeline.cross_validate import say
from kaggle_kit.pipeline.submission_checks import check_sample_ids, check_table
from kaggle_kit.task import FoldOutput, Task, TrainData


class LeavesTask(Task):
    name = "leaves"
    slug = SLUG
    config_class = LeavesConfig
    id_column = "image"
    metric = "accuracy"
    higher_is_better = True
    fold_kind = "stratified"
    blend_kind = "classification"
    prediction_key = "tta"

    def default_config(self, using_sample: bool) -> str:
        return "leaves-cpu" if using_sample else "leaves"

    def build_sample(self, dest: Path) -> None:
        build_sample(dest)

    def load(self, data_dir: Path) -> TrainData:
        train, test, fingerprint = read_download(data_dir)
        labels = sorted(train["label"].unique())      # the label order: sorted strings, byte-exact
        self.pred_columns = labels
        y = pd.Index(labels).get_indexer(train["label"])
        sample = read_sample_submission(data_dir)
        check_sample_ids(sample, "image", test["image"].tolist())
        # labels, not their indices, to stratify on: the same folds, and errors that name the class
        return TrainData(ids=train["image"].tolist(), test_ids=test["image"].tolist(), fingerprint=fingerprint,
                         stratify=train["label"].to_numpy(object), sample_submission=sample,
                         extra={"root": data_dir, "images": train["image"].tolist(), "y": y, "labels": labels,
                                "test_images": test["image"].tolist()})

    def fold_groups(self, cfg: LeavesConfig, data: TrainData, cache_dir: Path) -> np.ndarray | None:
        """Exact and near-duplicate training images share a fold (the real data holds duplicates)."""
        if cfg.duplicate_distance is None:
            return None
        from kaggle_kit.vision.duplicates import cached_hashes, duplicate_groups

        hashes = cached_hashes(cache_dir / f"phash-{data.fingerprint}.csv", data.extra["root"],
                               data.extra["images"], cfg.num_workers)
        groups = duplicate_groups(hashes, cfg.duplicate_distance)
        sizes = np.bincount(groups)
        dup = sizes[sizes > 1]
        say(f"duplicates (perceptual hash within {cfg.duplicate_distance} bits): {dup.sum()} images in "
            f"{len(dup)} groups{f', the largest of {dup.max()}' if len(dup) else ''}; each group keeps to one fold")
        return groups

    def fit_fold(self, cfg: LeavesConfig, data: TrainData, fold: int, train_idx: np.ndarray,
                 val_idx: np.ndarray, out_dir: Path) -> FoldOutput:
        from competitions.classify_leaves.fit import fit_leaves_fold  # torch, timm load only now

        out = fit_leaves_fold(cfg, data, fold, train_idx, val_idx, out_dir)
        atomic.write_json(out_dir / "labels.json", data.extra["labels"])
        return out

    def predict_fold(self, cfg: LeavesConfig, data: TrainData, fold: int, val_idx: np.ndarray,
                     fold_dir: Path) -> FoldOutput:
        from competitions.classify_leaves.fit import predict_leaves_fold

        return predict_leaves_fold(cfg, data, fold, val_idx, fold_dir)

    def target(self, data: TrainData) -> np.ndarray:
        return data.extra["y"]

    def score(self, data: TrainData, rows: np.ndarray, pred: np.ndarray) -> float:
        return float(np.mean(pred.argmax(1) == data.extra["y"][rows]))

    def plot_oof(self, cfg: LeavesConfig, data: TrainData, oof: pd.DataFrame, out: Path) -> list[Path]:
        """The most-confused class pairs (true a predicted as b), each with its most confident mistake and an
        image of b."""
        from kaggle_kit.pipeline.predictions import pred_array
        from kaggle_kit.reporting import plots
        from kaggle_kit.vision.images import read_rgb

        probs = pred_array(oof, data.extra["labels"])
        y, guess = data.extra["y"], probs.argmax(1)
        wrong = np.flatnonzero(guess != y)
        if not len(wrong):
            return []
        pairs = pd.Series(list(zip(y[wrong], guess[wrong], strict=True))).value_counts().head(6)
        labels, root, names = data.extra["labels"], data.extra["root"], data.extra["images"]
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

    def fold_ensemble(self, cfg: LeavesConfig, preds: list[np.ndarray], data: TrainData | None = None) -> np.ndarray:
        if cfg.ensemble == "vote":
            return np.eye(preds[0].shape[1])[average.majority_vote(preds)]
        return average.prob_mean(preds)

    def submission_frame(self, data: TrainData, pred: np.ndarray) -> pd.DataFrame:
        labels = np.asarray(data.extra["labels"], dtype=object)
        return pd.DataFrame({"image": data.test_ids, "label": labels[pred.argmax(1)]})

    def check_submission(self, frame: pd.DataFrame, data: TrainData) -> None:
        check_table(frame, ["image", "label"], data.test_ids, data.sample_submission)
        unknown = set(frame["label"]) - set(data.extra["labels"])
        if unknown:
            raise UserError(f"submission has labels outside the training labels: {sorted(unknown)[:3]}")
