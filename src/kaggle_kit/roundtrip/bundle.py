"""`make <comp>-bundle EXP=<exp>` (or BLEND=<blend>): bundles/<comp>-<exp>/, a folder to upload as a Kaggle dataset, from which a
notebook without internet writes the submission (how code competitions are scored):

    wheels/             the kit's wheel and the dependencies a Kaggle image lacks (CARRIED)
    folds/fold<k>/      each fold model's checkpoint (and labels.json)
    config.yaml         the run's resolved config; cv.json its CV; competition.yaml its spec (if any)
    members/<exp>/      a blend's: each member's folds/, config.yaml and cv.json; bundle.json has the rule
    bundle.json         what it is: competition, experiment, folds, what it assumes present (ASSUMED)
    predict.py          python predict.py --data /kaggle/input/<slug> --out /kaggle/working/submission.<ext>
    notebook.ipynb      installs with pip --no-index --find-links, then runs predict.py

Written beside and renamed whole, like every artefact."""

from __future__ import annotations

import importlib.metadata as md
import json
import shutil
import sys
from pathlib import Path

from kaggle_kit.errors import UserError
from kaggle_kit.paths import RunPaths
from kaggle_kit.pipeline import runs
from kaggle_kit.roundtrip import wheels

ASSUMED = ("torch", "torchvision", "lightning", "timm", "albumentations", "scikit-learn", "pandas", "numpy", "scipy",
           "matplotlib", "PyYAML", "pillow", "opencv-python-headless", "tqdm", "lightgbm", "catboost", "pycocotools",
           "pydantic", "PyWavelets")            # on Kaggle's Python image: not carried
CARRIED = ("ttach", "ensemble-boxes", "iterative-stratification", "imagehash")    # carried as wheels

PREDICT = '''"""Write the submission offline from this bundle's fold models (kaggle_kit.roundtrip.offline_predict)."""
import sys
from pathlib import Path

from kaggle_kit.roundtrip.offline_predict import main

sys.exit(main(sys.argv[1:], bundle=Path(__file__).resolve().parent))
'''


def installed_version(name: str) -> str | None:
    try:
        return md.version(name)
    except md.PackageNotFoundError:
        return None


def notebook(bundle_name: str, slug: str, ext: str) -> dict:
    src = f"/kaggle/input/{bundle_name}"
    cells = [
        ("markdown", [f"# {bundle_name}: the kit's submission, offline\n",
                      "Add this bundle (a dataset) and the competition's data as inputs; no internet needed."]),
        ("code", [f"!pip install --no-index --no-deps --find-links {src}/wheels kaggle-kit "
                  + " ".join(CARRIED)]),
        ("code", [f"!python {src}/predict.py --data /kaggle/input/{slug} --out /kaggle/working/submission.{ext}"]),
    ]
    return {"cells": [{"cell_type": t, "metadata": {}, "source": s, **({"outputs": [], "execution_count": None}
                                                                      if t == "code" else {})} for t, s in cells],
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def check_run(task, root: Path, exp: str):
    """The run's paths and config; an error unless it is complete and its fold models predict alone."""
    paths = RunPaths(root, task.name, exp)
    if not paths.cv.is_file():
        raise UserError(f"experiment '{exp}' has no complete run in {paths.run_dir} "
                        f"({runs.existing_runs(paths.comp_dir)}); train it first")
    if not task.predicts_offline:
        raise UserError(f"{task.name}'s learners predict inside their folds only: a bundle needs fold models "
                        "that predict new test rows from their checkpoints")
    return paths, runs.run_config(task.config_class, paths)


def copy_run(task, paths: RunPaths, cfg, dest: Path) -> None:
    """A run's fold models (each fold dir's offline_models and offline_context), config.yaml and cv.json into
    dest."""
    def matching(folder: Path, patterns: tuple[str, ...]) -> set[Path]:
        return {f for pattern in patterns for f in folder.glob(pattern) if f.is_file()}

    for k in range(cfg.total_folds):
        src, dst = paths.fold_dir(k), dest / "folds" / f"fold{k}"
        models = matching(src, task.offline_models)
        if not models:
            raise UserError(f"{src} holds no fold model ({', '.join(task.offline_models)}); retrain fold {k} "
                            "with FORCE=1")
        dst.mkdir(parents=True)
        for f in sorted(models | matching(src, task.offline_context)):
            target = dst / f.relative_to(src)           # a file in a folder of the fold's (a stack's members) keeps it
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, target)
    shutil.copy2(paths.config, dest / "config.yaml")
    shutil.copy2(paths.cv, dest / "cv.json")


SAVED_RULE_KEYS = ("weights", "bias", "coef", "intercept", "iou", "conf")   # what ensembling.blend.saved_rule reads


def bundled_runs(task, root: Path, exp: str, blend: str) -> tuple[str, dict, dict]:
    """(the bundle's name, {folder inside the bundle: (run paths, config)}, what bundle.json says of a blend)."""
    if bool(exp) == bool(blend):
        raise UserError(f"name what to bundle: {task.make('bundle')} EXP=<experiment> (or BLEND=<blend name>)")
    if not blend:
        return exp, {".": check_run(task, root, exp)}, {}
    name = blend if blend.startswith("blend-") else f"blend-{blend}"
    summary_file = root / "runs" / task.name / "blends" / f"{name}.json"
    if not summary_file.is_file():
        raise UserError(f"no blend '{name}' in {summary_file.parent}; make it first: {task.make('blend')} EXPS=...")
    summary = json.loads(summary_file.read_text())
    runs = {f"members/{e}": check_run(task, root, e) for e in summary["experiments"]}
    rule = summary["rule"]
    what = {"blend": name, "members": summary["experiments"], "rule": rule,
            "setting": {k: v for k, v in summary["rules"][rule].items() if k in SAVED_RULE_KEYS},
            **({"decision": summary["decision"]} if "decision" in summary else {})}
    return name, runs, what


def fill_bundle(task, stage: Path, final: Path, name: str, runs: dict, what: dict) -> None:
    """Everything a bundle holds, into its staging folder: wheels, the runs' fold models, the spec (and its
    hooks), predict.py, the notebook and bundle.json."""
    (stage / "wheels").mkdir(parents=True)
    kit = wheels.kit_wheel(stage / "wheels")
    carried = [wheels.repack(n, stage / "wheels").name for n in CARRIED]
    for where, (paths, cfg) in runs.items():
        copy_run(task, paths, cfg, stage / where)
    spec = getattr(task, "folder", None)
    if spec is not None and (Path(spec) / "competition.yaml").is_file():
        shutil.copy2(Path(spec) / "competition.yaml", stage / "competition.yaml")
        hooks = getattr(task.spec, "hooks", None)
        if hooks:                       # what the spec's data is made with travels beside it
            shutil.copy2(Path(spec) / hooks, stage / hooks)
    (stage / "predict.py").write_text(PREDICT)
    (stage / "notebook.ipynb").write_text(json.dumps(notebook(final.name, task.slug, task.submission_ext),
                                                     indent=1) + "\n")
    (stage / "bundle.json").write_text(json.dumps({
        "competition": task.name, "slug": task.slug, "experiment": name,
        "fold_models": sum(cfg.total_folds for _, cfg in runs.values()), **what,
        "split": task.split, "python": f"{sys.version_info.major}.{sys.version_info.minor}",
        "kit_wheel": kit.name, "carried": carried,
        "assumed": {n: installed_version(n) for n in ASSUMED}}, indent=2) + "\n")


def swap_in(stage: Path, final: Path) -> None:
    """The complete staging folder in place of the bundle, an old one removed only after."""
    if final.exists():
        old = final.with_name(f".{final.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        final.rename(old)
        stage.rename(final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        final.parent.mkdir(parents=True, exist_ok=True)
        stage.rename(final)


def build_bundle(task, root: Path, *, exp: str = "", blend: str = "") -> Path:
    name, runs, what = bundled_runs(task, root, exp, blend)
    final = root / "bundles" / f"{task.name}-{name}"
    stage = final.with_name(f".{final.name}.partial")
    if len(stage.name) > 255:                           # a file name's limit: one line, not the system's error
        raise UserError(f"the bundle's folder name would be {len(stage.name)} characters, over the 255 a file name "
                        "may have; blend fewer experiments (or ones with shorter names) and bundle that blend")
    shutil.rmtree(stage, ignore_errors=True)
    try:
        fill_bundle(task, stage, final, name, runs, what)
        swap_in(stage, final)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    size = sum(f.stat().st_size for f in final.rglob("*") if f.is_file())
    print(f"wrote {final} ({size / 2**20:.1f} MiB): upload it as a Kaggle dataset and run its notebook.ipynb; it "
          f"assumes {', '.join(ASSUMED[:7])} ... present (bundle.json) and carries {', '.join(CARRIED)}",
          file=sys.stderr)
    return final
