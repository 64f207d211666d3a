"""Every kind of competition in one table: its name (a spec's `kind:`), its competition.yaml model, the Task
made from such a spec, and how `make new` recognises a download of that kind and infers its spec. The entries
are dotted names (`module:attribute`) loaded at first use, so reading the table loads no kind, and no torch.
Adding a kind is its folder and a row here (docs/ARCHITECTURE.md, "Adding a kind")."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel


@dataclass
class Inferred:
    """What a kind's `infer` read from a download: the spec, and what `make new` prints beside it."""
    spec: BaseModel
    notes: list[str] = field(default_factory=list)      # what was inferred, and from what
    checks: list[str] = field(default_factory=list)     # what to look at before training
    context: dict = field(default_factory=dict)         # facts the configs are sized by (an image side)


@dataclass(frozen=True)
class Kind:
    name: str
    spec: str               # its competition.yaml model (a pydantic model with `kind: Literal[name]`)
    task: str               # the Task class made from (name, spec, folder)
    infer: str              # make new: (name, data_dir, *, metric, target, id_column, problem) -> (Inferred,
    #                         {config name: text})
    recognises: str | None  # make new: data_dir -> whether a download is this kind, asked in the table's order;
    #                         None: every download no earlier kind claims

    def load(self, entry: str) -> Any:
        module, _, attribute = getattr(self, entry).partition(":")
        return getattr(importlib.import_module(module), attribute)


KINDS = (
    Kind("detection", "kaggle_kit.detection.spec:DetectionSpec", "kaggle_kit.detection.spec_task:SpecDetectionTask",
         "kaggle_kit.detection.infer:infer_download", "kaggle_kit.detection.infer:is_detection"),
    Kind("image_classification", "kaggle_kit.vision.spec:ImageSpec", "kaggle_kit.vision.spec_task:SpecImageTask",
         "kaggle_kit.vision.infer:infer_download", "kaggle_kit.vision.infer:has_images"),
    Kind("tabular", "kaggle_kit.tabular.spec:TabularSpec", "kaggle_kit.tabular.spec_task:SpecTabularTask",
         "kaggle_kit.tabular.infer:infer_download", None),
)
BY_NAME = {k.name: k for k in KINDS}
DEFAULT = "tabular"          # a spec without `kind:`


def of_download(data_dir: Path) -> Kind:
    """The kind a download's files show: the first whose `recognises` says so, else the one that takes the rest."""
    return next(k for k in KINDS if k.recognises is None or k.load("recognises")(data_dir))
