"""The one door to Kaggle: the official `kaggle` CLI run as a subprocess, with whatever credentials it is set up
with (KAGGLE_API_TOKEN, ~/.kaggle/access_token, `kaggle auth login`, or the legacy kaggle.json /
KAGGLE_USERNAME + KAGGLE_KEY: the CLI looks for them, never the kit). A subprocess rather than the Python
module, because some versions of the module authenticate as soon as they are imported; and a subprocess is
what tests stand in for with an executable of the same name on PATH.

Its failures become one line saying what to do: no credentials, rules not accepted (403), no network, the
daily submission limit, a code competition."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from kaggle_kit.errors import UserError

NO_CREDENTIALS = ("authentication required", "401", "unauthorized", "could not find kaggle.json",
                  "kaggle_username", "kaggle_key", "kaggle auth login")
FORBIDDEN = ("403", "forbidden", "accept its rules", "must accept", "rules")
OFFLINE = ("connectionerror", "connection error", "max retries exceeded", "name or service not known",
           "temporary failure in name resolution", "failed to establish a new connection", "network is unreachable",
           "nodename nor servname", "connection refused", "timed out")
DAILY_LIMIT = ("daily submission", "submission limit", "daily limit", "allowance", "too many submissions")
CODE_COMPETITION = ("code competition", "notebook", "kernel")


def slug_of(task) -> str:
    """The Kaggle slug the kaggle CLI is called with; a spec that names none is one line saying how to set it."""
    slug = task.kaggle_slug()
    if slug:
        return slug
    spec = getattr(task, "folder", None)
    where = f"{spec}/competition.yaml" if spec else f"{task.name}'s spec"
    raise UserError(f"{where} has no Kaggle slug: add `slug: <slug>` to it (the <slug> of "
                    f"kaggle.com/competitions/<slug>), or write it again with make new COMP={task.name} DATA=<dir> "
                    "SLUG=<slug> FORCE=1")


def classify(text: str, slug: str) -> str:
    """The one line for a failed `kaggle` call, from what it printed."""
    low = text.lower()
    if any(k in low for k in OFFLINE):
        return "cannot reach Kaggle (no network?); check the connection and rerun"
    if any(k in low for k in NO_CREDENTIALS):
        return ("Kaggle has no credentials for you: run `kaggle auth login`, or put a token from "
                "https://www.kaggle.com/settings/api in KAGGLE_API_TOKEN or ~/.kaggle/access_token (a legacy "
                "~/.kaggle/kaggle.json works too), then rerun")
    if any(k in low for k in DAILY_LIMIT):
        return f"{slug}: the daily submission limit is reached; submit again after midnight UTC"
    if any(k in low for k in CODE_COMPETITION) and ("submi" in low or "only" in low):
        return (f"{slug} is a code competition: it takes no file. Upload the folder of `make bundle` as a Kaggle "
                "dataset and submit from a notebook")
    if any(k in low for k in FORBIDDEN):
        return (f"Kaggle refused access to {slug} (403): accept the competition's rules on "
                f"https://www.kaggle.com/competitions/{slug}/rules, then rerun")
    first = next((line.strip() for line in text.splitlines() if line.strip()), "no output")
    return f"kaggle failed: {first[:200]}"


def kaggle(args: list[str], *, slug: str) -> str:
    """Run `kaggle <args>`; its standard output, or a UserError with the one line for its failure."""
    exe = shutil.which("kaggle") or shutil.which("kaggle", path=str(Path(sys.executable).parent))  # PATH, or .venv
    if exe is None:
        raise UserError("the kaggle CLI is not installed; `make setup` installs it (pip install kaggle)")
    try:
        proc = subprocess.run([exe, *args], capture_output=True, text=True)
    except OSError as e:
        raise UserError(f"the kaggle CLI could not be started ({e.strerror}); reinstall it with make setup") from None
    text = proc.stdout + "\n" + proc.stderr
    if proc.returncode != 0 or re.search(r"^\s*(\d{3} Client Error|Authentication required)", text, re.M):
        raise UserError(classify(text, slug))
    return proc.stdout


def command_line(args: list[str]) -> str:
    """The command as a user would type it (for DRY=1)."""
    import shlex

    return " ".join(shlex.quote(a) for a in ["kaggle", *args])
