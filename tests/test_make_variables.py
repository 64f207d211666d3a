"""Every make variable a target's help names reaches the command it runs, and a variable the target does not
read is an error naming those it reads (`make auto ARGS=...` was once dropped silently)."""

import re
import subprocess

import pytest

from .conftest import REPO

FLAGS = {"FORCE": "--force", "DRY": "--dry"}        # make variables that become a bare flag


def kit_targets() -> list[tuple[str, list[str], str]]:
    """(target, the variables it reads, its help text) of every competition command, generic and generated,
    from the table the Makefile gives `make help`."""
    def make_out(target):
        return subprocess.run(["make", "-s", "--no-print-directory", "-C", str(REPO), target], capture_output=True,
                              text=True, check=True).stdout

    shown = dict(re.findall(r"^  ([a-z][a-z-]*) +(.*)$", make_out("help"), re.M))     # what a user reads
    return [(t, v.split(), shown[t]) for t, v, _ in (line.split("|", 2) for line in make_out("kit-targets").splitlines())]


def targets() -> list[tuple[str, list[str], str]]:
    """(target, the variables its recipe declares it reads, its help text) for every target that declares them:
    the competition commands and the written-out ones (benchmarks)."""
    text = (REPO / "Makefile").read_text()
    found = re.findall(r"^([a-z][a-z-]*):[^\n]*?## ([^\n]*)\n\t@\$\(call takes,([A-Z_ ]*)\)", text, re.M)
    return kit_targets() + [(t, v.split(), h) for t, h, v in found]


def dry_run(target: str, **variables: str) -> subprocess.CompletedProcess:
    cmd = ["make", "-n", "--no-print-directory", "-C", str(REPO), target, *(f"{k}={v}" for k, v in variables.items())]
    return subprocess.run(cmd, capture_output=True, text=True)


def test_the_makefile_declares_what_each_kit_target_reads():
    declared = {t for t, _, _ in targets()}
    text = (REPO / "Makefile").read_text()
    runs_kit = set(re.findall(r"^([a-z][a-z-]*):[^\n]*\n(?:\t[^\n]*\n)*?\t\$\((?:KIT|PY)\) ", text, re.M))
    assert runs_kit and runs_kit <= declared, sorted(runs_kit - declared)


def test_each_kit_competition_has_its_own_targets_and_the_messages_name_them():
    """make <comp>-<verb> exists for each of the kit's own competitions and each verb Task.make names it for, and
    a competition `make new` wrote is named by the generic command."""
    from kaggle_kit.registry import get_task
    from kaggle_kit.task import OWN_TARGET_VERBS

    listed = {t for t, _, _ in kit_targets()}
    for name in ("house", "leaves", "cowboy"):
        for verb in OWN_TARGET_VERBS:
            assert get_task(name).make(verb) == f"make {name}-{verb}" and f"{name}-{verb}" in listed
        assert get_task(name).make("auto") == f"make auto COMP={name}"
    help_text = subprocess.run(["make", "-s", "-C", str(REPO), "help"], capture_output=True, text=True).stdout
    assert re.search(r"^  leaves-train +classify-leaves: k-fold training .*\(DATA, CONFIG, ARGS, FOLDS, FORCE\)$",
                     help_text, re.M), help_text


@pytest.mark.parametrize("target, variables, help_text", targets(), ids=[t for t, _, _ in targets()])
def test_every_variable_reaches_the_command(target, variables, help_text):
    base = {"COMP": "house"} if "COMP" in variables else {}
    for var in variables:
        if var == "COMP":
            continue
        assert var in help_text, f"make help of {target} does not name {var}"
        value = "1" if var in FLAGS else f"zq{var.lower()}9"
        proc = dry_run(target, **base, **{var: value})
        assert proc.returncode == 0, proc.stderr
        assert FLAGS.get(var, value) in proc.stdout, (target, var, proc.stdout)


@pytest.mark.parametrize("target, variables, help_text", targets(), ids=[t for t, _, _ in targets()])
def test_a_variable_the_target_does_not_read_is_an_error(target, variables, help_text):
    other = next(v for v in ("FOLDS", "EXPS", "SPLIT", "TARGET") if v not in variables)
    proc = dry_run(target, **({"COMP": "house"} if "COMP" in variables else {}), **{other: "1"})
    assert proc.returncode != 0
    assert f"make {target} reads" in proc.stderr and f"not {other}" in proc.stderr, proc.stderr


def test_auto_passes_args_and_new_passes_what_the_files_cannot_say():
    auto = dry_run("auto", COMP="x", ARGS="folds=3")
    assert '--args "folds=3"' in auto.stdout
    new = dry_run("new", COMP="x", DATA="d", METRIC="log_loss", TARGET="y", ID="key", PROBLEM="binary", SLUG="s")
    for flag in ('--metric "log_loss"', '--target "y"', '--id "key"', '--problem "binary"', '--slug "s"'):
        assert flag in new.stdout, new.stdout
