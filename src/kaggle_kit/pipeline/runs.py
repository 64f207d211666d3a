"""A run folder's identity: the fingerprint of its training-relevant config and data, and fold completeness."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

from kaggle_kit.config import TrainConfig, changed_keys, dump_yaml, stable_hash, validate
from kaggle_kit.errors import UserError
from kaggle_kit.io import atomic
from kaggle_kit.paths import FOLD_METRICS, RunPaths


def run_fingerprint(cfg: TrainConfig, data_fingerprint: str) -> dict:
    body = {"config": cfg.fingerprint_dict(), "data": data_fingerprint}
    return {"hash": stable_hash(body), **body}


def read_fingerprint(paths: RunPaths) -> dict | None:
    if not paths.fingerprint.is_file():
        return None
    return json.loads(paths.fingerprint.read_text())


def fingerprint_diff(old: dict, new: dict) -> list[str]:
    keys = changed_keys(old["config"], new["config"])
    if old["data"] != new["data"]:
        keys.append("data (the competition files changed)")
    return keys


def check_fingerprint(paths: RunPaths, new: dict, force: bool, command: str) -> bool:
    """True if the run folder exists with another fingerprint and FORCE allows replacing it."""
    old = read_fingerprint(paths)
    if old is None or old["hash"] == new["hash"]:
        return False
    keys = ", ".join(fingerprint_diff(old, new))
    if command == "train" and not any(paths.run_dir.glob("fold*/metrics.json")):
        return True   # nothing was ever completed under the old settings: nothing to protect
    if command == "train" and not force:
        raise UserError(f"{paths.run_dir} was trained with other settings (changed: {keys}); rerun with "
                        "FORCE=1 to retrain it, or save the config under a new name for a new experiment")
    if command != "train":
        raise UserError(f"{paths.run_dir} was trained with other settings (changed: {keys}); pass the same "
                        "CONFIG and ARGS as the train command that made it (or train these settings first)")
    return True


def start_run(paths: RunPaths, cfg: TrainConfig, fingerprint: dict, folds_files: list[Path], *,
              replacing: bool) -> None:
    """The run folder's config.yaml and fingerprint.json (with the folds file of each fold set: `folds_file` the
    first, `folds_files` all of them when there are several)."""
    if replacing:  # derived files of the old settings no longer describe this run
        for p in (paths.oof, paths.oof_for(None, "json"), paths.cv, paths.evidence_for(None),
                  *paths.plots_dir.glob("*.png")):
            p.unlink(missing_ok=True)
    _write_if_changed(paths.config, dump_yaml(cfg))
    sets = {"folds_file": str(folds_files[0]),
            **({"folds_files": [str(f) for f in folds_files]} if len(folds_files) > 1 else {})}
    _write_if_changed(paths.fingerprint, json.dumps({**fingerprint, **sets}, indent=2) + "\n")


def folds_files(paths: RunPaths) -> list[str]:
    """The folds file of each fold set the run was trained on, as recorded."""
    fingerprint = read_fingerprint(paths)
    return fingerprint.get("folds_files", [fingerprint["folds_file"]])


def _write_if_changed(path: Path, text: str) -> None:
    if not (path.is_file() and path.read_text() == text):
        atomic.write_text(path, text)


def run_config(config_class: type[TrainConfig], paths: RunPaths) -> TrainConfig:
    """The resolved config a run was trained with (its config.yaml); UserError if it no longer validates."""
    return validate(config_class, yaml.safe_load(paths.config.read_text()))


def existing_runs(comp_dir: Path) -> str:
    """The experiments with a run folder, for an error about a name that has none (a typo, most often)."""
    names = sorted(p.name for p in comp_dir.iterdir() if (p / "config.yaml").is_file()) if comp_dir.is_dir() else []
    return f"runs here: {', '.join(names)}" if names else "no runs here yet"


def fold_list(folds: list[int]) -> str:
    """ "fold 1" / "folds 1 2", for messages."""
    return ("fold " if len(folds) == 1 else "folds ") + " ".join(map(str, folds))


def fold_metrics(paths: RunPaths, k: int) -> dict | None:
    f = paths.fold_dir(k) / FOLD_METRICS
    return json.loads(f.read_text()) if f.is_file() else None


def fold_complete(paths: RunPaths, k: int, fingerprint_hash: str) -> bool:
    m = fold_metrics(paths, k)
    return m is not None and m.get("fingerprint") == fingerprint_hash


def publish_fold(paths: RunPaths, k: int) -> None:
    """Swap the finished staging folder into fold<k>/ (the old one is removed only after the swap)."""
    final, stage = paths.fold_dir(k), paths.staging_dir(k)
    old = final.with_name(f".fold{k}.old")
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        final.rename(old)
    stage.rename(final)
    shutil.rmtree(old, ignore_errors=True)
