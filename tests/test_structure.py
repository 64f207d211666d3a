"""The shape of the code: the core imports no competition and names none, config modules load no torch, and
every competition folder is found from its files."""

import ast
import re
import subprocess
import sys
from pathlib import Path

from kaggle_kit.registry import get_task, task_classes, task_names
from kaggle_kit.task import Task

from .conftest import REPO

CORE = REPO / "src" / "kaggle_kit"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_the_core_imports_no_competition():
    offenders = [str(p.relative_to(REPO)) for p in CORE.rglob("*.py")
                 if any(m == "competitions" or m.startswith("competitions.") for m in imported_modules(p))]
    assert not offenders


def test_the_core_names_no_competition():
    """No competition's slug or file names appear in the core's code, docstrings or messages, nor its short
    name as a name ("cowboy:", "leaves-train", 'house'); "leaves" the verb is English."""
    tasks = [get_task(n) for n in task_names()]             # task.py competitions and specs alike
    slugs = {t.slug for t in tasks} | {"valid.csv", "SalePrice", "train.json"}
    names = {t.name for t in tasks}
    pattern = re.compile("|".join([*(re.escape(w) for w in slugs),
                                   *(rf"[\"'`/(]{re.escape(n)}[-\"'`:/)]" for n in names)]))
    hits = [f"{p.relative_to(REPO)}:{i}: {line.strip()}" for p in CORE.rglob("*.py")
            for i, line in enumerate(p.read_text().splitlines(), 1) if pattern.search(line)]
    assert not hits, "\n".join(hits)


def test_config_modules_and_kinds_load_no_torch():
    """A config module, a kind and the CLI's parser import their mode names without torch or torchvision."""
    code = ("import sys\n"
            "import kaggle_kit.vision.config, kaggle_kit.detection.config, kaggle_kit.tabular.learners\n"
            "import kaggle_kit.vision.kind, kaggle_kit.detection.kind, kaggle_kit.tabular.kind\n"
            "from kaggle_kit.registry import task_classes\n"
            "task_classes()\n"
            "import kaggle_kit.cli\n"
            "kaggle_kit.cli._parser()\n"
            "heavy = sorted(m for m in ('torch', 'torchvision', 'timm', 'lightning') if m in sys.modules)\n"
            "assert not heavy, heavy\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_every_competition_folder_is_found_and_is_an_instance_of_a_kind():
    from kaggle_kit.detection.kind import DetectionTask
    from kaggle_kit.tabular.kind import TabularTask
    from kaggle_kit.vision.kind import ImageClassificationTask

    folders = {p.parent.name for p in (REPO / "competitions").glob("*/task.py")}
    found = task_classes()
    assert {cls.__module__.split(".")[1] for cls in found.values()} == folders
    specs = {p.parent.name for p in (REPO / "competitions").glob("*/competition.yaml")}
    assert specs == {"classify_leaves", "cowboy_outfits", "house_prices"} and not specs & folders   # a spec each
    tasks = {n: get_task(n) for n in task_names()}
    kinds = {name: next(k.__name__ for k in (TabularTask, ImageClassificationTask, DetectionTask) if isinstance(t, k))
             for name, t in tasks.items()}
    assert kinds == {"house": "TabularTask", "leaves": "ImageClassificationTask", "cowboy": "DetectionTask"}
    assert all(isinstance(t, Task) for t in tasks.values())


def private_uses(source: str) -> list[str]:
    """A module's reaches into what a dependency keeps private or changes under it: a `_name` attribute of
    anything but self or cls, an import of a `_name` or from a `_module`, an assignment to an imported module's
    attribute (a patch)."""
    tree = ast.parse(source)
    imported, found = set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module != "__future__":
            imported |= {a.asname or a.name for a in node.names}
            private = [a.name for a in node.names if re.match(r"_[^_]", a.name)]
            if private or any(re.match(r"_[^_]", part) for part in (node.module or "").split(".")):
                found.append(f"line {node.lineno}: from {node.module} import {', '.join(a.name for a in node.names)}")
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and re.match(r"_[^_]", node.attr)
                and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))):
            found.append(f"line {node.lineno}: {ast.unparse(node)}")
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, ast.AugAssign | ast.AnnAssign) else []
        for t in targets:
            if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id in imported:
                found.append(f"line {node.lineno}: {ast.unparse(t)} = ... (patches {t.value.id})")
    return found


def test_the_code_uses_its_dependencies_public_apis_only():
    """No private name of Lightning, torch or any other dependency, and no patch of one, in the kit or a
    competition folder; the check itself finds each kind it looks for."""
    planted = ("import lightning\nfrom torch import _C\nfrom torch._dynamo import x\nfrom a import b\n"
               "opt._on_before_step()\nlightning.registry = None\nb.entry_points = 1\nself._fine = 2\n")
    assert len(private_uses(planted)) == 5, private_uses(planted)
    offenders = {str(f.relative_to(REPO)): found for f in sorted([*(REPO / "src").rglob("*.py"),
                                                                 *(REPO / "competitions").rglob("*.py")])
                 if (found := private_uses(f.read_text()))}
    assert offenders == {}


def kit_imports() -> dict[str, set[str]]:
    """Each kaggle_kit module -> the kaggle_kit modules it imports, at its top or inside a function."""
    modules = {".".join(("kaggle_kit", *p.relative_to(CORE).with_suffix("").parts)).removesuffix(".__init__"): p
               for p in CORE.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("kaggle_kit"):
                found |= {f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module
                          for a in node.names}
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name.startswith("kaggle_kit")}
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def test_no_two_modules_import_each_other_even_through_others():
    graph = kit_imports()

    def reaches(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for m in graph[todo.pop()] - seen:
                seen.add(m)
                todo.append(m)
        return seen

    circles = sorted(m for m in graph if m in reaches(m))
    assert circles == []


def test_every_kind_of_the_table_loads_and_its_spec_names_it():
    from kaggle_kit import kinds

    assert kinds.DEFAULT in kinds.BY_NAME and kinds.KINDS[-1].recognises is None      # the last takes the rest
    for kind in kinds.KINDS:
        spec, task = kind.load("spec"), kind.load("task")
        assert spec.model_fields["kind"].annotation.__args__ == (kind.name,) and issubclass(task, Task)
        assert callable(kind.load("infer")) and (kind.recognises is None or callable(kind.load("recognises")))
