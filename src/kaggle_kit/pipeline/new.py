"""`make new COMP=<name> DATA=<dir>`: a competition's spec and configs, inferred from its download (tables
today: kaggle_kit.tabular.infer). Prints what it inferred and what to check; writes nothing when it stops."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from kaggle_kit.errors import UserError
from kaggle_kit.io import atomic

NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")


def new_competition(name: str, data_dir: Path, root: Path, *, metric: str | None, target: str | None,
                    id_column: str | None, problem: str | None, force: bool) -> Path:
    from kaggle_kit.registry import SPEC, competitions
    from kaggle_kit.tabular.infer import config_texts, infer_spec
    from kaggle_kit.tabular.spec import dump_spec

    if not NAME.fullmatch(name):
        raise UserError(f"COMP={name}: a name is lower-case letters, digits, '-' and '_', starting with a letter or "
                        "digit")
    if not data_dir.is_dir():
        raise UserError(f"DATA={data_dir} is not a folder; unpack the Kaggle download there")
    spec_path = root / "competitions" / name / SPEC
    if name in competitions() and not (force and spec_path.is_file()):
        raise UserError(f"a competition called {name} exists already; choose another name"
                        + (" or pass FORCE=1 to write its spec again" if spec_path.is_file() else ""))
    inferred = infer_spec(name, data_dir, metric=metric, target=target, id_column=id_column, problem=problem)
    configs = config_texts(name, inferred.spec)
    atomic.write_text(spec_path, f"# {name}: inferred by make new from {data_dir}; every key is checked on load.\n"
                      + dump_spec(inferred.spec))
    for stem, text in configs.items():
        atomic.write_text(root / "configs" / f"{stem}.yaml", text)
    lines = [f"wrote {spec_path} and configs/{name}.yaml, " + ", ".join(f"configs/{s}.yaml" for s in configs
                                                                      if s != name), "inferred:"]
    lines += [f"  {n}" for n in inferred.notes] + ["check:"] + [f"  {c}" for c in inferred.checks]
    lines.append(f"then: make auto COMP={name} DATA={data_dir}")
    print("\n".join(lines), file=sys.stderr)
    return spec_path
