"""Replace one benchmark's section of docs/BENCHMARKS.md, keeping the others."""

import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

HEADER = ("# Benchmarks\n\nWritten by `make bench`: each section is replaced when its benchmark runs again. "
          "Ratios compare figures measured side by side in the same run.\n")


def write_section(path: Path, key: str, title: str, body: str) -> None:
    text = path.read_text() if path.is_file() else HEADER
    block = f"<!-- {key}:start -->\n## {title}\n\nMeasured {date.today().isoformat()}.\n\n{body}\n<!-- {key}:end -->"
    pattern = re.compile(rf"<!-- {key}:start -->.*?<!-- {key}:end -->", re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def kit(*args: str, root: Path) -> subprocess.CompletedProcess:
    """The kit's CLI in a work root (KIT_ROOT), as a user runs it; a failure stops the benchmark with its stderr."""
    env = {**os.environ, "KIT_ROOT": str(root), "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run([sys.executable, "-m", "kaggle_kit", *args], cwd=root, env=env, capture_output=True,
                          text=True)
    if proc.returncode:
        raise SystemExit(f"kit {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    return proc
