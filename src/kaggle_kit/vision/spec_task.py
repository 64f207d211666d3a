"""An image-classification competition made from its competition.yaml: its files read by
kaggle_kit.vision.download, everything else the kind's. A `sample.py` beside the spec that defines
`build_sample(dest)` draws the competition's sample (DATA may then be left out)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from kaggle_kit.errors import UserError
from kaggle_kit.vision.kind import ImageClassificationTask, ImageData
from kaggle_kit.vision.spec import ImageSpec


class SpecImageTask(ImageClassificationTask):
    def __init__(self, name: str, spec: ImageSpec, folder: Path):
        self.name, self.spec, self.folder = name, spec, folder
        self.slug = spec.slug or name
        self.id_column = spec.id
        self.metric = spec.metric
        self.higher_is_better = spec.metric == "accuracy"
        self.submission_form = spec.submission
        self.answer_columns = list(spec.answer_columns)
        self.has_sample = (folder / "sample.py").is_file()

    def default_config(self, using_sample: bool) -> str:
        return self.spec.sample_config if using_sample and self.spec.sample_config else self.name

    def auto_experiments(self) -> list[str]:
        return [self.name]

    def build_sample(self, dest: Path) -> None:
        path = self.folder / "sample.py"
        if not path.is_file():
            raise UserError(f"{self.name} has no drawn sample; pass DATA=<the unpacked download> or unpack it into "
                            f"data/{self.slug}/")
        found = importlib.util.spec_from_file_location(f"_kit_sample_{self.folder.name}", path)
        module = importlib.util.module_from_spec(found)
        found.loader.exec_module(module)
        module.build_sample(dest)

    def load(self, data_dir: Path) -> ImageData:
        from kaggle_kit.pipeline.cross_validate import say
        from kaggle_kit.vision.download import read_image_download

        data = read_image_download(self.spec, data_dir, self.slug, say=say)
        self.use_labels(data.labels)
        return data
