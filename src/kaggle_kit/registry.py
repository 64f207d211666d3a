"""Finding competitions: every folder under competitions/ whose task.py defines a Task with a `name`. Nothing
lists them by hand, and the core imports no competition by name: the modules are found by path."""

from __future__ import annotations

import importlib
import inspect
from functools import cache

from kaggle_kit.paths import PROJECT_DIR
from kaggle_kit.task import Task

COMPETITIONS_DIR = PROJECT_DIR / "competitions"


@cache
def task_classes() -> dict[str, type[Task]]:
    """Short name (as in make <name>-train) -> the Task class of every competition folder."""
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


def task_names() -> list[str]:
    return sorted(task_classes())


def get_task(name: str) -> Task:
    return task_classes()[name]()
