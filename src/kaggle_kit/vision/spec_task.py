"""An image-classification competition made from its competition.yaml: its files read by
kaggle_kit.vision.download, everything else the kind's (names, sample and default config: from_spec.FromSpec)."""

from __future__ import annotations

from pathlib import Path

from kaggle_kit.from_spec import FromSpec
from kaggle_kit.vision.kind import ImageClassificationTask, ImageData
from kaggle_kit.vision.spec import ImageSpec


class SpecImageTask(FromSpec, ImageClassificationTask):
    def __init__(self, name: str, spec: ImageSpec, folder: Path):
        super().__init__(name, spec, folder)
        self.id_column = spec.id
        self.metric = spec.metric
        self.higher_is_better = spec.metric == "accuracy"
        self.submission_form = spec.submission
        self.answer_columns = list(spec.answer_columns)

    def load(self, data_dir: Path) -> ImageData:
        from kaggle_kit.pipeline.cross_validate import say
        from kaggle_kit.vision.download import read_image_download

        data = read_image_download(self.spec, data_dir, self.slug, say=say)
        self.use_labels(data.labels)
        return data
