"""make tune: Optuna over k-fold runs of the house sample. A planted better region is found and its tuned config
trains and submits as any experiment; a study killed with -9 resumes without a duplicate; two workers share one
journal; a key outside the config's schema is refused before any trial."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from .conftest import REPO, assert_user_error, kit, make

pytestmark = pytest.mark.e2e       # runs the kit as a user does (make, trained models): make test-fast leaves it out

BASE = str(REPO / "configs" / "house-gbdt.yaml")
FAST = "folds=2 gbdt.n_estimators=60 progress_bar=false"
PLANTED = "folds=2 progress_bar=false"             # the planted space searches n_estimators itself


def space(tmp_path, text: str) -> str:
    path = tmp_path / "space.yaml"
    path.write_text(text)
    return str(path)


def trials(root, study="house-gbdt") -> list:
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    storage = JournalStorage(JournalFileBackend(str(root / "runs/house/tune" / study / "journal.log")))
    return optuna.load_study(study_name=study, storage=storage).get_trials()


def test_a_planted_better_region_is_found_and_its_tuned_config_is_an_ordinary_experiment(tmp_path, house_sample):
    planted = space(tmp_path, "gbdt.n_estimators: {categorical: [2, 150]}\ngbdt.learning_rate: {float: [0.05, 0.1]}\n")
    proc = make("house-tune", tmp_path, DATA=str(house_sample), CONFIG=BASE, ARGS=PLANTED, TRIALS="4", SPACE=planted)
    assert proc.returncode == 0, proc.stderr[-3000:]
    err = proc.stderr
    assert "prunes nothing until 5 trials have finished" in err and "running mean" in err
    tuned = tmp_path / "configs" / "house-gbdt-tuned.yaml"
    text = tuned.read_text()
    assert "extends: house-gbdt" in text and "n_estimators: 150" in text and 'ARGS="' in text
    assert set(trials(tmp_path)[0].params) == {"gbdt.n_estimators", "gbdt.learning_rate"}
    summary = json.loads((tmp_path / "runs/house/tune/house-gbdt/summary.json").read_text())
    assert summary["best"]["params"]["gbdt.n_estimators"] == 150 and summary["complete"] + summary["pruned"] == 4
    assert "fresh folds (fold_seed 1042)" in err and summary["fresh_folds"]["fold_seed"] == 1042
    assert {p.split("/")[-1] for p in summary["plots"]} == {"optimization_history.png", "param_importances.png"}
    page = (tmp_path / "runs/house/tune/house-gbdt/report.html").read_text()
    assert page.count("data:image/png;base64,") == 2 and "fresh folds (fold_seed 1042)" in page
    assert make("house-report", tmp_path, DATA=str(house_sample), EXP="tune/house-gbdt").returncode == 0
    board = make("house-leaderboard", tmp_path, DATA=str(house_sample))
    assert board.returncode == 0 and "## Study house-gbdt (make tune)" in board.stdout, board.stderr[-2000:]
    assert "/recheck-" in board.stdout and "-fold_seed1042 |" in board.stdout
    for target in ("house-train", "house-submit"):         # the tuned config is an ordinary experiment
        done = make(target, tmp_path, DATA=str(house_sample), CONFIG=str(tuned), ARGS=PLANTED)
        assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "submissions/house/house-gbdt-tuned.csv").is_file()
    again = make("house-tune", tmp_path, DATA=str(house_sample), CONFIG=BASE, ARGS=PLANTED, TRIALS="4", SPACE=planted)
    assert again.returncode == 0 and "nothing to run" in again.stderr, again.stderr[-2000:]
    other = make("house-tune", tmp_path, DATA=str(house_sample), CONFIG=BASE, ARGS="folds=3 progress_bar=false",
                 TRIALS="4", SPACE=planted)                  # the same study on another base: refused
    assert_user_error(other, "was run on another base")


def test_a_study_killed_mid_trial_resumes_with_every_trial_once(tmp_path, house_sample):
    rates = space(tmp_path, "gbdt.learning_rate: {float: [0.01, 0.3], log: true}\n")
    args = ["tune", "house", "--data", str(house_sample), "--config", BASE, "--args",
            "folds=3 gbdt.n_estimators=400 progress_bar=false", "--trials", "3", "--space", rates]
    env = {**os.environ, "KIT_ROOT": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "kaggle_kit", *args], cwd=tmp_path, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    study_dir = tmp_path / "runs/house/tune/house-gbdt"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and proc.poll() is None:      # the second trial, between its folds
        started = [d for d in study_dir.glob("*/") if (d / "fold0/metrics.json").is_file()]
        if len(started) >= 2 and any(not (d / "cv.json").is_file() for d in started):
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the study ended before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    rerun = kit(*args, root=tmp_path)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert "lost its process" in rerun.stderr and "complete, skipped" in rerun.stderr   # its finished folds kept
    states = [t.state.name for t in trials(tmp_path)]
    finished = [t for t in trials(tmp_path) if t.state.name in ("COMPLETE", "PRUNED")]
    assert states.count("FAIL") == 1 and len(finished) == 3, states
    assert len({t.params["gbdt.learning_rate"] for t in finished}) == 3               # no trial twice


def test_two_workers_share_one_journal_and_train_no_trial_twice(tmp_path, house_sample):
    rates = space(tmp_path, "gbdt.learning_rate: {float: [0.01, 0.3], log: true}\n")
    proc = make("house-tune", tmp_path, DATA=str(house_sample), CONFIG=BASE, ARGS=FAST, TRIALS="4", SPACE=rates,
                JOBS="2")
    assert proc.returncode == 0, proc.stderr[-3000:]
    finished = [t for t in trials(tmp_path) if t.state.name in ("COMPLETE", "PRUNED")]
    assert 4 <= len(finished) <= 5                     # MaxTrialsCallback: each worker stops once 4 are finished
    complete = [t for t in finished if t.state.name == "COMPLETE"]
    runs = [t.user_attrs["run_dir"] for t in complete]
    assert len(set(runs)) == len(runs) and all(os.path.isfile(f"{r}/cv.json") for r in runs)
    assert not list((tmp_path / "runs/house/tune/house-gbdt").glob("*/worker.json"))


def test_a_key_outside_the_schema_is_refused_before_any_trial(tmp_path, house_sample):
    typo = space(tmp_path, "gbdt.learning_rat: {float: [0.01, 0.1]}\n")
    proc = make("house-tune", tmp_path, DATA=str(house_sample), CONFIG=BASE, TRIALS="2", SPACE=typo)
    assert_user_error(proc, "gbdt.learning_rat", "did you mean 'gbdt.learning_rate'")
    bound = space(tmp_path, "gbdt.subsample: {float: [0.5, 1.5]}\n")
    assert_user_error(make("house-tune", tmp_path, DATA=str(house_sample), CONFIG=BASE, TRIALS="2", SPACE=bound),
                      "gbdt.subsample", "1.5")
    shape = space(tmp_path, "gbdt.subsample: [0.5, 1.0]\n")
    assert_user_error(make("house-tune", tmp_path, DATA=str(house_sample), CONFIG=BASE, TRIALS="2", SPACE=shape),
                      "gbdt.subsample", "float: [low, high]")
    assert_user_error(make("house-tune", tmp_path, DATA=str(house_sample), CONFIG=BASE, SPACE=typo), "TRIALS=")
    overlap = space(tmp_path, "gbdt.n_estimators: {int: [10, 100]}\n")
    assert_user_error(make("house-tune", tmp_path, DATA=str(house_sample), CONFIG=BASE, ARGS=FAST, TRIALS="2",
                           SPACE=overlap), "ARGS sets gbdt.n_estimators")
    reserved = tmp_path / "configs" / "tune.yaml"
    reserved.parent.mkdir(exist_ok=True)
    reserved.write_text("extends: house-gbdt\n")
    assert_user_error(make("house-train", tmp_path, DATA=str(house_sample), CONFIG=str(reserved)), "tune.yaml",
                      "another name")
    assert not (tmp_path / "runs" / "house" / "tune").exists()


def test_any_optuna_storage_holds_the_study(tmp_path, house_sample):
    """STORAGE=<url> (here SQLite, as a PostgreSQL URL would be on a cluster): the study lives there, no journal."""
    rates = space(tmp_path, "gbdt.learning_rate: {float: [0.01, 0.3], log: true}\n")
    url = f"sqlite:///{tmp_path / 'studies.db'}"
    proc = make("house-tune", tmp_path, DATA=str(house_sample), CONFIG=BASE, ARGS=FAST, TRIALS="2", SPACE=rates,
                STORAGE=url)
    assert proc.returncode == 0, proc.stderr[-3000:]
    import optuna

    assert len(optuna.load_study(study_name="house-gbdt", storage=url).get_trials()) == 2
    assert not (tmp_path / "runs/house/tune/house-gbdt/journal.log").exists()
