"""Finding competitions: every folder under competitions/ (the project's, and the work root's where `make new`
writes) that holds a competition.yaml (a spec of a known kind) or a task.py defining a Task with a `name`.
Nothing lists them by hand, and the core imports no competition by name: the modules are found by path."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
from collections.abc import Callable
from functools import cache
from pathlib import Path

from kaggle_kit.paths import PROJECT_DIR, user_dir, work_root
from kaggle_kit.task import Task


def _competitions_dir() -> Path:
    """The kit's own competitions/: the `competitions` package where it is importable (the project, or an
    installed wheel such as an offline bundle's), else the project's folder."""
    found = importlib.util.find_spec("competitions")
    locations = list(found.submodule_search_locations or []) if found else []
    return Path(locations[0]) if locations else PROJECT_DIR / "competitions"


COMPETITIONS_DIR = _competitions_dir()
SPEC = "competition.yaml"


@cache
def task_classes() -> dict[str, type[Task]]:
    """Short name (as in make <name>-train) -> the Task class of every competition folder with a task.py."""
    found: dict[str, type[Task]] = {}
    for task_file in sorted(COMPETITIONS_DIR.glob("*/task.py")):
        module = importlib.import_module(f"{COMPETITIONS_DIR.name}.{task_file.parent.name}.task")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Task) and cls.__module__ == module.__name__ and "name" in vars(cls):
                if cls.name in found:
                    raise RuntimeError(f"two competitions are called {cls.name!r}: {found[cls.name].__module__} "
                                       f"and {module.__name__}")
                found[cls.name] = cls
    return found


def spec_dirs() -> list[Path]:
    """Folders holding spec competitions: the project's competitions/, the work root's and the user's folder's
    (where `make new` writes), each once."""
    dirs = [COMPETITIONS_DIR, work_root() / "competitions", user_dir(work_root()) / "competitions"]
    return [d for i, d in enumerate(dirs) if d.resolve() not in {x.resolve() for x in dirs[:i]}]


def spec_files() -> dict[str, Path]:
    """Name (the spec's `name`, else its folder's) -> competition.yaml of every spec competition."""
    from kaggle_kit.specs import spec_name

    found: dict[str, Path] = {}
    for d in spec_dirs():
        for f in sorted(d.glob(f"*/{SPEC}")):
            found.setdefault(spec_name(f), f)
    return found


def competitions() -> dict[str, Callable[[], Task]]:
    """Every competition by name, as a function making its task."""
    out: dict[str, Callable[[], Task]] = {name: cls for name, cls in task_classes().items()}
    for name, path in spec_files().items():
        if name in out:
            raise RuntimeError(f"competition {name!r} has both a task.py and {path}")
        out[name] = lambda path=path: spec_task(path)
    return out


def spec_task(path: Path) -> Task:
    from kaggle_kit import specs

    return specs.spec_task(path)


def task_names() -> list[str]:
    return sorted(competitions())


def get_task(name: str) -> Task:
    return competitions()[name]()
