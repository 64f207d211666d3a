"""`make new COMP=<name> DATA=<dir>`: a competition's spec and configs, inferred from its download by the kind
its files show (kaggle_kit.kinds: boxes, images, else a table). Prints what it inferred
and what to check; writes nothing when it stops."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from pydantic import BaseModel

from kaggle_kit import kinds
from kaggle_kit.errors import UserError
from kaggle_kit.io import atomic
from kaggle_kit.kinds import Inferred

NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")


def infer(name: str, data_dir: Path, *, metric, target, id_column, problem) -> tuple[Inferred, dict[str, str]]:
    """The spec and its config texts, by the kind the download's files show (kaggle_kit.kinds)."""
    return kinds.of_download(data_dir).load("infer")(name, data_dir, metric=metric, target=target,
                                                     id_column=id_column, problem=problem)


def recorded_path(data_dir: Path, root: Path) -> str:
    """The download's folder as the spec records it: relative to the work root when inside it, else absolute."""
    full = data_dir.resolve()
    return str(full.relative_to(root.resolve())) if full.is_relative_to(root.resolve()) else str(full)


def check_loads(name: str, spec: BaseModel, data_dir: Path, folder: Path) -> None:
    """The checks every later command runs on the download (the kind's loader), before anything is written."""
    from kaggle_kit.specs import task_of_spec

    task_of_spec(name, spec, folder).load(data_dir)


def new_competition(name: str, data_dir: Path, root: Path, *, metric: str | None, target: str | None,
                    id_column: str | None, problem: str | None, slug: str | None = None, force: bool) -> Path:
    from kaggle_kit.paths import RESERVED, user_dir
    from kaggle_kit.registry import SPEC, competitions
    from kaggle_kit.specs import dump

    if not NAME.fullmatch(name):
        raise UserError(f"COMP={name}: a name is lower-case letters, digits, '-' and '_', starting with a letter or "
                        "digit")
    if name in RESERVED:
        raise UserError(f"COMP={name}: {', '.join(RESERVED)} name folders of every competition's runs/, so no "
                        "competition (nor its default experiment) may take one; choose another name")
    if not data_dir.is_dir():
        raise UserError(f"DATA={data_dir} is not a folder; unpack the Kaggle download there")
    home = user_dir(root)
    spec_path = home / "competitions" / name / SPEC
    if name in competitions() and not (force and spec_path.is_file()):
        raise UserError(f"a competition called {name} exists already; choose another name"
                        + (" or pass FORCE=1 to write its spec again" if spec_path.is_file() else ""))
    from kaggle_kit.tabular.metrics import canonical_metric

    inferred, configs = infer(name, data_dir, metric=canonical_metric(metric), target=target, id_column=id_column, problem=problem)
    spec = inferred.spec.model_copy(update={"slug": slug or None, "data": recorded_path(data_dir, root)})
    check_loads(name, spec, data_dir, spec_path.parent)
    atomic.write_text(spec_path, f"# {name}: inferred by make new from {data_dir}; every key is checked on load.\n"
                      + dump(spec))
    for stem, text in configs.items():
        atomic.write_text(home / "configs" / f"{stem}.yaml", text)
    where = spec_path.parent.parent.parent
    shown = where if where.resolve() != root.resolve() else Path(".")
    written = [f"{shown / 'configs' / s}.yaml" for s in configs]
    lines = [f"wrote {spec_path} and " + ", ".join(written), "inferred:"]
    lines += [f"  {n}" for n in inferred.notes] + ["check:"] + [f"  {c}" for c in inferred.checks]
    if not slug:
        lines.append("  slug: none given; `make download` and `make kaggle-submit` need one (SLUG=<slug> of "
                     "kaggle.com/competitions/<slug>, or `slug:` in the spec)")
    lines.append(f"then: make auto COMP={name}   (the data folder is recorded in the spec; DATA= reads another)")
    print("\n".join(lines), file=sys.stderr)
    return spec_path
