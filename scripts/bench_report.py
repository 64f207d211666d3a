"""Replace one benchmark's section of docs/BENCHMARKS.md, keeping the others."""

import re
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
