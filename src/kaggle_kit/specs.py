"""competition.yaml files: read, validated by the model of their `kind` (tabular when absent), dumped back. Each
kind owns its model (kaggle_kit.tabular.spec, kaggle_kit.vision.spec) and the task made from it; this module
only maps a kind to them. Strict: an unknown key or a bad value is one line naming it."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from kaggle_kit.config import format_validation_error, with_section_defaults
from kaggle_kit.errors import UserError

KINDS = ("tabular", "image_classification", "detection")


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
    """(spec model, task class) of a kind."""
    if kind == "tabular":
        from kaggle_kit.tabular.spec import TabularSpec
        from kaggle_kit.tabular.spec_task import SpecTabularTask

        return TabularSpec, SpecTabularTask
    if kind == "image_classification":
        from kaggle_kit.vision.spec import ImageSpec
        from kaggle_kit.vision.spec_task import SpecImageTask

        return ImageSpec, SpecImageTask
    if kind == "detection":
        from kaggle_kit.detection.spec import DetectionSpec
        from kaggle_kit.detection.spec_task import SpecDetectionTask

        return DetectionSpec, SpecDetectionTask
    return None


def spec_task(path: Path):
    """The Task a competition.yaml describes."""
    data = read_mapping(path)
    kind = data.get("kind", "tabular")
    name = str(data.get("name") or path.parent.name)
    found = spec_model(kind)
    if found is None:
        raise UserError(f"{path}: kind {kind!r} is not one of {', '.join(KINDS)}")
    model, task_class = found
    return task_class(name, validate(model, data, path), path.parent)


def task_of_spec(name: str, spec: BaseModel, folder: Path):
    """The Task of a validated spec not yet written (make new checks the download with it)."""
    return spec_model(spec.kind)[1](name, spec, folder)


class FromSpec:
    """What every competition made from a competition.yaml shares, whatever its kind: its names from the spec,
    its default config (the spec's `sample_config` on the drawn sample), and its drawn sample from a `sample.py`
    beside the spec that defines `build_sample(dest)`, where there is one."""

    def __init__(self, name: str, spec: BaseModel, folder: Path):
        self.name, self.spec, self.folder = name, spec, folder
        self.slug = spec.slug or name
        self.has_sample = (folder / "sample.py").is_file()

    def kaggle_slug(self) -> str | None:
        return self.spec.slug

    def recorded_data(self, root: Path) -> Path | None:
        if not self.spec.data:
            return None
        path = Path(self.spec.data).expanduser()
        return path if path.is_absolute() else root / path

    def default_config(self, using_sample: bool) -> str:
        sample_config = getattr(self.spec, "sample_config", None)
        return sample_config if using_sample and sample_config else self.name

    def auto_experiments(self) -> list[str]:
        return [self.name]

    def build_sample(self, dest: Path) -> None:
        import importlib.util

        path = self.folder / "sample.py"
        if not path.is_file():
            raise UserError(f"{self.name} has no drawn sample; pass DATA=<the unpacked download> or unpack it into "
                            f"data/{self.slug}/")
        found = importlib.util.spec_from_file_location(f"_kit_sample_{self.folder.name}", path)
        module = importlib.util.module_from_spec(found)
        found.loader.exec_module(module)
        module.build_sample(dest)
