"""Every artefact's fixed path. Runs, data and submissions live under the work root (KIT_ROOT or the current
folder); configs are looked up in the project's configs/ folder."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
CONFIGS_DIR = PROJECT_DIR / "configs"

# names under runs/<comp>/ that are not experiments: no config may take them as its stem
RESERVED = ("folds", "cache", "blends", "tune")

# A fold folder's files (runs/<comp>/<exp>/fold<j>/), one spelling for every module that writes or reads them.
FOLD_METRICS = "metrics.json"     # the fold's score and what its fit chose; its presence marks it complete
FOLD_STARTED = "started.json"     # an unfinished fold's identity (fingerprint, training ids, processes)
BEST_CKPT = "best.ckpt"           # a network's kept weights
LABELS = "labels.json"            # an image fold's class names, in the order of its outputs
FEATURES = "features.json"        # a table fold's fitted feature state
STACK_DIR = "stack"               # a table stack's fold: its members' models, stack/<member>/inner<i>/; the
#                                   competition's cache: stack/<member>-<key>/ (kaggle_kit.tabular.stacking)


def val_pred(folder: Path, ext: str) -> Path:
    """A fold's predictions of its validation rows, in the task's prediction form (csv, or json for boxes)."""
    return folder / f"val_pred.{ext}"


def test_pred(folder: Path, ext: str) -> Path:
    """A fold's predictions of the test rows."""
    return folder / f"test_pred.{ext}"


def fold_number(r: int, k: int, folds: int) -> int:
    """Fold model j of a run: fold k of fold set (repeat) r is number r * folds + k (its folder fold<j>)."""
    return r * folds + k


def fold_of_number(j: int, folds: int) -> tuple[int, int]:
    """(repeat r, fold k) of fold model j: fold_number's inverse."""
    return divmod(j, folds)


def work_root() -> Path:
    return Path(os.environ.get("KIT_ROOT") or Path.cwd())


def user_dir(root: Path) -> Path:
    """Where `make new` writes a user's competitions/ and configs/: KIT_USER_DIR, else the work root, except
    when the work root is the kit's own checkout: then its git-ignored local/, so a clone stays clean."""
    if os.environ.get("KIT_USER_DIR"):
        return Path(os.environ["KIT_USER_DIR"])
    return PROJECT_DIR / "local" if root.resolve() == PROJECT_DIR else root


def find_config(stem: str, root: Path) -> Path:
    """configs/<stem>.yaml of the work root, else of the user's folder (where `make new` writes), else the
    project's."""
    for folder in (root / "configs", user_dir(root) / "configs"):
        if (folder / f"{stem}.yaml").is_file():
            return folder / f"{stem}.yaml"
    return CONFIGS_DIR / f"{stem}.yaml"


@dataclass(frozen=True)
class RunPaths:
    root: Path
    comp: str
    exp: str

    @property
    def comp_dir(self) -> Path:
        return self.root / "runs" / self.comp

    @property
    def cache_dir(self) -> Path:
        """Derived data kept between runs of the competition (image hashes, decoded test images)."""
        return self.comp_dir / "cache"

    @property
    def folds_dir(self) -> Path:
        return self.comp_dir / "folds"

    @property
    def run_dir(self) -> Path:
        return self.comp_dir / self.exp

    @property
    def config(self) -> Path:
        return self.run_dir / "config.yaml"

    @property
    def fingerprint(self) -> Path:
        return self.run_dir / "fingerprint.json"

    @property
    def oof(self) -> Path:
        return self.run_dir / "oof.csv"

    @property
    def plots_dir(self) -> Path:
        """The run's PNG plots (reporting.plots), drawn once every fold is complete."""
        return self.run_dir / "plots"

    @property
    def cv(self) -> Path:
        return self.run_dir / "cv.json"

    def oof_for(self, variant: str | None, ext: str = "csv") -> Path:
        """OOF predictions of the trained prediction set, or of another one (variant "tta-flips")."""
        return self.run_dir / (f"oof.{ext}" if variant is None else f"oof-{variant}.{ext}")

    def cv_for(self, variant: str | None) -> Path:
        return self.cv if variant is None else self.run_dir / f"cv-{variant}.json"

    def evidence_for(self, variant: str | None) -> Path:
        """What the score's SE and paired comparisons come from: bootstrap and fold scores per fold set."""
        return self.run_dir / ("evidence.json" if variant is None else f"evidence-{variant}.json")

    def pred_dir(self, k: int, variant: str | None) -> Path:
        """A fold's predictions: in the fold folder for the trained settings, fold<k>/<variant>/ otherwise."""
        return self.fold_dir(k) if variant is None else self.fold_dir(k) / variant

    def fold_dir(self, k: int) -> Path:
        return self.run_dir / f"fold{k}"

    def staging_dir(self, k: int) -> Path:
        """Where an unfinished fold trains; swapped into fold_dir(k) only once complete."""
        return self.run_dir / f".fold{k}.partial"

    def submission(self, ext: str = "csv", name: str | None = None) -> Path:
        return self.root / "submissions" / self.comp / f"{name or self.exp}.{ext}"
