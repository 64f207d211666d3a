import os
import subprocess
import sys
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["NO_ALBUMENTATIONS_UPDATE"] = "1"

REPO = Path(__file__).resolve().parents[1]


def kit(*args: str, root: Path, check: bool = False) -> subprocess.CompletedProcess:
    """Run the CLI as a user would, with runs/, data/ and submissions/ under `root`."""
    env = {**os.environ, "KIT_ROOT": str(root)}
    proc = subprocess.run([sys.executable, "-m", "kaggle_kit", *args], cwd=root, env=env,
                          capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"kit {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    return proc


def make(target: str, root: Path, **variables: str) -> subprocess.CompletedProcess:
    """Run a real make target of the project with KIT_ROOT pointing at `root`."""
    env = {**os.environ, "KIT_ROOT": str(root)}
    cmd = ["make", "--no-print-directory", "-C", str(REPO), target, f"PY={sys.executable}"]
    cmd += [f"{k}={v}" for k, v in variables.items()]
    return subprocess.run(cmd, env=env, capture_output=True, text=True)


def files_under(root: Path) -> dict[str, int]:
    """Every file under root with its modification time, to assert that nothing was written."""
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


def assert_user_error(proc: subprocess.CompletedProcess, *words: str) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, proc.stderr
    for w in words:
        assert w.lower() in lines[0].lower(), (w, lines[0])


@pytest.fixture(scope="session")
def loans_table(tmp_path_factory):
    """The drawn loans layout (three classes, a date, free text, a 900-level branch code) as its inferred spec's
    task loads it: (task, data), read-only (tests change data through dataclasses.replace)."""
    from kaggle_kit.tabular.infer import infer_spec
    from kaggle_kit.tabular.samples import draw
    from kaggle_kit.tabular.spec_task import SpecTabularTask

    root = tmp_path_factory.mktemp("loans")
    data_dir = draw("loans", root / "loans")
    task = SpecTabularTask("loans", infer_spec("loans", data_dir).spec, root)
    return task, task.load(data_dir)


HOUSE_FAST = "folds=2 progress_bar=false"
HOUSE_LEARNERS = {   # every house learner, tiny: the e2e steps and the bundle round trip share these runs
    "house-gbdt": HOUSE_FAST + " gbdt.n_estimators=60 gbdt.threads=1", "house-linear": HOUSE_FAST,
    "house-svr": HOUSE_FAST,
    "house-catboost": HOUSE_FAST + " catboost.iterations=50 catboost.threads=1 clip_to_train_range=false",
    "house": "epochs=2 folds=2 seeds=2 batch_size=64 mlp.hidden=[16] progress_bar=false"}   # two seeds a fold


@pytest.fixture(scope="session")
def house_learners(tmp_path_factory, house_sample) -> Path:
    """Every house learner (HOUSE_LEARNERS) trained on the sample once a session: the work root. Tests copy its
    runs/ before writing beside them, or only add (blends, reports)."""
    root = tmp_path_factory.mktemp("house-learners")
    for exp, args in HOUSE_LEARNERS.items():
        kit("train", "house", "--data", str(house_sample), "--config", str(REPO / "configs" / f"{exp}.yaml"),
            "--args", args, root=root, check=True)
    return root


@pytest.fixture(scope="session")
def house_sample(tmp_path_factory) -> Path:
    from competitions.house_prices.sample import build_sample

    dest = tmp_path_factory.mktemp("house") / "house-prices-advanced-regression-techniques"
    build_sample(dest)
    return dest


@pytest.fixture(scope="session")
def leaves_sample(tmp_path_factory) -> Path:
    """The classify-leaves sample, built once per test session (tests copy it before changing it)."""
    from competitions.classify_leaves.sample import build_sample

    dest = tmp_path_factory.mktemp("leaves") / "classify-leaves"
    build_sample(dest)
    return dest


@pytest.fixture(scope="session")
def cowboy_sample(tmp_path_factory) -> Path:
    """The cowboyoutfits sample, built once per test session (tests copy it before changing it)."""
    from competitions.cowboy_outfits.sample import build_sample

    dest = tmp_path_factory.mktemp("cowboy") / "cowboyoutfits"
    build_sample(dest)
    return dest


@pytest.fixture(scope="session")
def cowboy_overlap(tmp_path_factory, cowboy_sample) -> Path:
    """The cowboy sample whose test.csv also lists some of valid.csv's images."""
    import shutil

    from competitions.cowboy_outfits.sample import share_images

    dest = tmp_path_factory.mktemp("cowboy-overlap") / "cowboyoutfits"
    shutil.copytree(cowboy_sample, dest)
    share_images(dest)
    return dest


LEAVES_TINY = "epochs=1 folds=2 image_size=32 batch_size=32 num_workers=0 progress_bar=false tta=hflip ema_decay=0.9"


@pytest.fixture(scope="session")
def leaves_trained(tmp_path_factory, leaves_sample) -> Path:
    """A tiny leaves-cpu run (LEAVES_TINY) trained once per session; tests copy its runs/ before changing it."""
    root = tmp_path_factory.mktemp("leaves-run")
    proc = make("leaves-train", root, DATA=str(leaves_sample), ARGS=LEAVES_TINY, CONFIG="configs/leaves-cpu.yaml")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return root
