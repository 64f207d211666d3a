"""The study behind `make tune`: Optuna's storage (a journal file under runs/<comp>/tune/<study>/ unless STORAGE=
names another), its sampler and pruner, and the recovery of trials whose process died.

Optuna's journal storage has no heartbeat: a trial killed by `kill -9` would stay RUNNING for ever. So each
trial holds a lock in its folder (worker.json: host and process id), and a worker starting on the same host
marks a RUNNING trial whose process is gone FAIL and enqueues its parameters again; the trial's folder is keyed
by those parameters, so the new trial resumes its folds (and an interrupted fold its last epoch) through the
k-fold loop's own resume."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta
from pathlib import Path

from kaggle_kit.config import stable_hash
from kaggle_kit.io import atomic

STARTUP_TRIALS = 5            # MedianPruner's n_startup_trials: no pruning before this many trials have finished
LOCK = "worker.json"
UNLOCKED_GRACE_S = 120        # a RUNNING trial with no lock yet, this old, lost its process before writing one


def storage_for(study_dir: Path, url: str | None):
    """STORAGE=<url> as Optuna takes it, else a journal file in the study's folder."""
    if url:
        return url
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    study_dir.mkdir(parents=True, exist_ok=True)
    return JournalStorage(JournalFileBackend(str(study_dir / "journal.log")))


def sampler(seed: int | None):
    """TPE with constant liar: parallel workers do not sample the point a running trial holds."""
    import optuna

    return optuna.samplers.TPESampler(constant_liar=True, seed=seed)


def open_study(name: str, storage, *, maximize: bool):
    """The study (created on the first run, loaded after): TPE (a worker seeds its own: tune.work), MedianPruner
    after STARTUP_TRIALS finished trials."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.create_study(study_name=name, storage=storage, load_if_exists=True,
                               direction="maximize" if maximize else "minimize", sampler=sampler(None),
                               pruner=optuna.pruners.MedianPruner(n_startup_trials=STARTUP_TRIALS))


def trial_key(params: dict) -> str:
    """A trial's folder name: the hash of its parameters, so the same parameters find the same folder."""
    return stable_hash(params, 12)


def worker_id() -> dict:
    return {"host": socket.gethostname(), "pid": os.getpid()}


def hold(trial, run_dir: Path) -> None:
    """The trial's worker, in the study (user attribute `worker`, what recovery judges by) and in its folder
    (worker.json, for a reader of the folder)."""
    trial.set_user_attr("worker", worker_id())
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic.write_json(run_dir / LOCK, {**worker_id(), "trial": trial.number})


def release(run_dir: Path) -> None:
    (run_dir / LOCK).unlink(missing_ok=True)


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:           # someone else's process: alive
        return True
    return True


def is_stale(trial) -> bool:
    """A RUNNING trial whose worker, on this host, is gone; or one that never named its worker, long ago. A trial
    of another host's worker is never judged here (its process cannot be seen)."""
    worker = trial.user_attrs.get("worker")
    if worker is None:
        started = trial.datetime_start or datetime.now()
        return datetime.now() - started > timedelta(seconds=UNLOCKED_GRACE_S)
    return worker["host"] == socket.gethostname() and not process_alive(worker["pid"])


def recover(study, say) -> None:
    """Mark RUNNING trials whose process died FAIL, then enqueue the parameters of every trial that ended so
    (killed, or interrupted by Ctrl-C), once each: the new trial resumes the dead one's folder. Run by one
    process at a time (the command, before it starts its workers)."""
    from optuna.trial import TrialState

    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        if is_stale(t):
            study.tell(t.number, state=TrialState.FAIL, skip_if_finished=True)
            say(f"tune: trial {t.number} lost its process (killed?); marked failed, its parameters queued again "
                "(its folds resume)")
    trials = study.get_trials(deepcopy=False)
    resumed = {t.user_attrs.get("resumes") for t in trials}
    for t in trials:
        dead = t.state == TrialState.FAIL and "run_dir" in t.user_attrs and "error" not in t.user_attrs
        if dead and t.number not in resumed:
            study.enqueue_trial(t.params, user_attrs={"resumes": t.number, "run_dir": t.user_attrs["run_dir"]})


def run_dir_of(study, trial, params: dict, study_dir: Path) -> Path:
    """The folder a trial trains in: the one of the trial it resumes; else its parameters' folder, unless a live
    trial holds that one (two workers drawing the same point of a small space), then one of its own."""
    from optuna.trial import TrialState

    if "run_dir" in trial.user_attrs:                 # enqueued by recover: the dead trial's folder
        return Path(trial.user_attrs["run_dir"])
    folder = study_dir / trial_key(params)
    trial.set_user_attr("run_dir", str(folder))       # claimed first, then the lower-numbered claim wins
    busy = [t for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
            if t.number < trial.number and t.user_attrs.get("run_dir") == str(folder)]
    if busy:
        folder = study_dir / f"{trial_key(params)}-{trial.number}"
        trial.set_user_attr("run_dir", str(folder))
    return folder
