"""What every competition made from a competition.yaml shares, whatever its kind (each kind's spec task mixes it
in): its names and default config from the spec, and its drawn sample from a `sample.py` beside it."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from kaggle_kit.errors import UserError


class FromSpec:
    """What every competition made from a competition.yaml shares, whatever its kind: its names from the spec,
    its default config (the spec's `sample_config` on the drawn sample), and its drawn sample from a `sample.py`
    beside the spec that defines `build_sample(dest)`, where there is one."""

    def __init__(self, name: str, spec: BaseModel, folder: Path):
        self.name, self.spec, self.folder = name, spec, folder

    # what a kind declares as class attributes, a spec competition reads from its spec (never set per instance)
    @property
    def slug(self) -> str:
        return self.spec.slug or self.name

    @property
    def has_sample(self) -> bool:
        return (self.folder / "sample.py").is_file()

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


class SpecIdAndMetric:
    """The id column and the metric of a spec that names both (tables, image classes)."""

    @property
    def id_column(self) -> str:
        return self.spec.id

    @property
    def metric(self) -> str:
        return self.spec.metric
