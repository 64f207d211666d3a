"""competition.yaml files: read, validated by the model of their `kind` (tabular when absent), dumped back. Each
kind owns its model (kaggle_kit.tabular.spec, kaggle_kit.vision.spec) and the task made from it; this module
only maps a kind to them. Strict: an unknown key or a bad value is one line naming it."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from kaggle_kit import kinds
from kaggle_kit.config import format_validation_error, with_section_defaults
from kaggle_kit.errors import UserError


def read_mapping(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError:
        raise UserError(f"{path} is not valid YAML; fix it or write it again with make new") from None
    if not isinstance(data, dict):
        raise UserError(f"{path} must be a mapping of key: value lines")
    return data


def validate(model: type[BaseModel], data: dict, where) -> BaseModel:
    try:
        return model.model_validate(with_section_defaults(model, data))
    except ValidationError as e:
        raise UserError(f"{where}: {format_validation_error(e, model).removeprefix('config: ')}") from None


def dump(spec: BaseModel) -> str:
    """The spec as YAML; top-level keys left at a null default are left out."""
    data = spec.model_dump(mode="json")
    for key, f in type(spec).model_fields.items():
        if data.get(key) is None and f.default is None:
            data.pop(key)
    return yaml.safe_dump(data, sort_keys=False)


def spec_name(path: Path) -> str:
    """The competition's name: the spec's `name`, else its folder's."""
    name = read_mapping(path).get("name")
    return str(name) if name else path.parent.name


def spec_model(kind: str):
    """(spec model, task class) of a kind (kaggle_kit.kinds), or None for a kind there is not."""
    entry = kinds.BY_NAME.get(kind)
    return None if entry is None else (entry.load("spec"), entry.load("task"))


def spec_task(path: Path):
    """The Task a competition.yaml describes."""
    data = read_mapping(path)
    kind = data.get("kind", kinds.DEFAULT)
    name = str(data.get("name") or path.parent.name)
    found = spec_model(kind)
    if found is None:
        raise UserError(f"{path}: kind {kind!r} is not one of {', '.join(kinds.BY_NAME)}")
    model, task_class = found
    return task_class(name, validate(model, data, path), path.parent)


def task_of_spec(name: str, spec: BaseModel, folder: Path):
    """The Task of a validated spec not yet written (make new checks the download with it)."""
    return spec_model(spec.kind)[1](name, spec, folder)
