"""The offline bundle: built for a trained leaves sample run, installed without an index into a fresh virtual
environment that sees the project's packages but for the ones the bundle carries (a stand-in for Kaggle's
image), and run there: it writes exactly the file `make leaves-submit` wrote."""

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from kaggle_kit.roundtrip.bundle import CARRIED

from .conftest import HOUSE_LEARNERS, LEAVES_TINY, assert_user_error, make

pytestmark = pytest.mark.e2e       # runs the kit as a user does (make, trained models): make test-fast leaves it out


def kaggle_like_env(dest: Path) -> Path:
    """A venv whose site sees every package installed here except the kit itself and CARRIED: the python."""
    import importlib.metadata as md

    site = Path(sysconfig.get_paths()["purelib"])
    hidden = {"kaggle_kit"}
    for name in CARRIED:
        dist = md.distribution(name)
        hidden |= {str(f).split("/")[0] for f in dist.files or []}
    image = dest / "image-site"
    image.mkdir(parents=True)
    for entry in site.iterdir():
        if entry.name in hidden or entry.name.startswith(("__editable__", "kaggle_kit", "_kaggle_kit")) \
                or entry.suffix == ".pth":
            continue
        (image / entry.name).symlink_to(entry)
    env = dest / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True, capture_output=True)
    python = env / "bin" / "python"
    own = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                         check=True, capture_output=True, text=True).stdout.strip()
    Path(own, "kaggle-image.pth").write_text(f"{image}\n")
    return python


def test_bundle_installs_offline_and_writes_the_same_submission(tmp_path, leaves_trained, leaves_sample):
    root = tmp_path / "work"
    shutil.copytree(leaves_trained, root)
    common = dict(DATA=str(leaves_sample), ARGS=LEAVES_TINY, CONFIG="configs/leaves-cpu.yaml")
    proc = make("leaves-submit", root, **common)
    assert proc.returncode == 0, proc.stderr[-2000:]
    submitted = root / "submissions" / "leaves" / "leaves-cpu.csv"
    proc = make("leaves-bundle", root, EXP="leaves-cpu")
    assert proc.returncode == 0, proc.stderr[-3000:]
    bundle = root / "bundles" / "leaves-leaves-cpu"
    meta = json.loads((bundle / "bundle.json").read_text())
    assert meta["fold_models"] == 2 and "torch" in meta["assumed"] and len(meta["carried"]) == len(CARRIED)
    assert sorted(p.name for p in (bundle / "folds").iterdir()) == ["fold0", "fold1"]
    assert all((bundle / "folds" / f"fold{k}" / "best.ckpt").is_file() for k in range(2))
    notebook = json.loads((bundle / "notebook.ipynb").read_text())
    cells = ["".join(c["source"]) for c in notebook["cells"]]
    assert any("pip install --no-index --no-deps --find-links /kaggle/input/leaves-leaves-cpu/wheels" in c
               for c in cells) and any("predict.py --data /kaggle/input/classify-leaves" in c for c in cells)
    assert not any(p.name.startswith(".") for p in (root / "bundles").iterdir())      # nothing half-written

    python, env = offline_env(tmp_path, bundle)
    where = subprocess.run([str(python), "-c", "import kaggle_kit; print(kaggle_kit.__file__)"], env=env,
                           capture_output=True, text=True, cwd=tmp_path)
    assert "site-packages" in where.stdout and str(Path(__file__).parents[1] / "src") not in where.stdout
    out = tmp_path / "kaggle" / "working" / "submission.csv"
    run = subprocess.run([str(python), str(bundle / "predict.py"), "--data", str(leaves_sample), "--out", str(out)],
                         env=env, capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert out.read_bytes() == submitted.read_bytes()

    # a blend's bundle: its members' fold models and its rule
    (root / "configs").mkdir(exist_ok=True)
    (root / "configs" / "leaves-b.yaml").write_text("extends: leaves-cpu\nseed: 1\n")
    for target in ("leaves-train", "leaves-submit"):
        proc = make(target, root, **{**common, "CONFIG": str(root / "configs" / "leaves-b.yaml")})
        assert proc.returncode == 0, proc.stderr[-2000:]
    proc = make("leaves-blend", root, DATA=str(leaves_sample), EXPS="leaves-cpu leaves-b")
    assert proc.returncode == 0, proc.stderr[-2000:]
    proc = make("leaves-bundle", root, BLEND="leaves-cpu+leaves-b")
    assert proc.returncode == 0, proc.stderr[-3000:]
    bundle = root / "bundles" / "leaves-blend-leaves-cpu+leaves-b"
    meta = json.loads((bundle / "bundle.json").read_text())
    assert meta["members"] == ["leaves-cpu", "leaves-b"] and meta["rule"] == "mean" and meta["fold_models"] == 4
    out = tmp_path / "kaggle" / "working" / "blend.csv"
    run = subprocess.run([str(python), str(bundle / "predict.py"), "--data", str(leaves_sample), "--out", str(out)],
                         env=env, capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert out.read_bytes() == (root / "submissions" / "leaves" / "blend-leaves-cpu+leaves-b.csv").read_bytes()


def offline_env(tmp_path: Path, bundle: Path):
    """(python, env) of a stand-in Kaggle image with the bundle's wheels installed without an index."""
    python = kaggle_like_env(tmp_path / "kaggle")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "KIT_ROOT")}
    env.update(HF_HUB_OFFLINE="1", NO_ALBUMENTATIONS_UPDATE="1", PIP_NO_INDEX="1", PIP_FIND_LINKS="")
    missing = subprocess.run([str(python), "-c", "import ttach"], env=env, capture_output=True)
    assert missing.returncode != 0                                         # the stand-in image lacks it
    wheels = sorted(p.name for p in (bundle / "wheels").iterdir())
    install = subprocess.run([str(python), "-m", "pip", "install", "--no-index", "--no-deps", "--find-links",
                              str(bundle / "wheels"), *[w.split("-")[0] for w in wheels]],
                             env=env, capture_output=True, text=True, cwd=tmp_path)
    assert install.returncode == 0, install.stderr[-3000:]
    return python, env


def test_a_house_bundle_predicts_offline_what_make_submit_wrote(tmp_path, house_sample, house_learners):
    """The README's round trip: every house learner predicts from its saved fold models (the MLP's two seeds
    here, the lasso's coefficients with its features fitted on the fold's rows), and a blend of them. The runs
    are the session's (conftest), copied."""
    common = dict(DATA=str(house_sample))
    shutil.copytree(house_learners / "runs", tmp_path / "runs")
    for exp in ("house", "house-linear"):
        proc = make("house-submit", tmp_path, **common, CONFIG=f"configs/{exp}.yaml", ARGS=HOUSE_LEARNERS[exp])
        assert proc.returncode == 0, proc.stderr[-2000:]
    proc = make("house-blend", tmp_path, **common, EXPS="house house-linear", RULE="weighted")
    assert proc.returncode == 0, proc.stderr[-2000:]
    for what in (dict(EXP="house"), dict(BLEND="house+house-linear@weighted")):
        proc = make("house-bundle", tmp_path, **what)
        assert proc.returncode == 0, proc.stderr[-3000:]
    bundle = tmp_path / "bundles" / "house-house"
    assert sorted(p.name for p in (bundle / "folds" / "fold0").iterdir()) == ["best.ckpt", "started.json",
                                                                                "val_pred.csv"]
    python, env = offline_env(tmp_path, bundle)
    for name, submitted in (("house-house", "house.csv"), ("house-blend-house+house-linear@weighted",
                                                              "blend-house+house-linear@weighted.csv")):
        out = tmp_path / "kaggle" / "working" / submitted
        run = subprocess.run([str(python), str(tmp_path / "bundles" / name / "predict.py"), "--data",
                              str(house_sample), "--out", str(out)], env=env, capture_output=True, text=True,
                             cwd=tmp_path)
        assert run.returncode == 0, run.stderr[-3000:]
        assert out.read_bytes() == (tmp_path / "submissions" / "house" / submitted).read_bytes(), name
    assert json.loads((tmp_path / "bundles" / "house-blend-house+house-linear@weighted" / "bundle.json").read_text())[
        "rule"] == "weighted"

    # fold models meet other training rows: one line, nothing written
    other = tmp_path / "other"
    shutil.copytree(house_sample, other)
    train = (other / "train.csv").read_text().splitlines()
    (other / "train.csv").write_text("\n".join(train[:-5]) + "\n")
    out = tmp_path / "kaggle" / "working" / "other.csv"
    run = subprocess.run([str(python), str(bundle / "predict.py"), "--data", str(other), "--out", str(out)],
                         env=env, capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 2 and "trained on other training rows" in run.stderr and not out.exists()
    assert "Traceback" not in run.stderr


def test_a_bundle_needs_a_trained_run(tmp_path):
    assert_user_error(make("leaves-bundle", tmp_path, EXP="nope"), "'nope'", "no complete run")
    assert_user_error(make("leaves-bundle", tmp_path), "EXP=")
    assert_user_error(make("leaves-bundle", tmp_path, BLEND="a+b"), "no blend 'blend-a+b'")
    assert not (tmp_path / "bundles").exists()
