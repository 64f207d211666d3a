"""An image-classification competition made from its competition.yaml: its files read by
kaggle_kit.vision.download, everything else the kind's (names, sample and default config: from_spec.FromSpec)."""

from __future__ import annotations

from pathlib import Path

from kaggle_kit.from_spec import FromSpec, SpecIdAndMetric
from kaggle_kit.vision.kind import ImageClassificationTask, ImageData
from kaggle_kit.vision.spec import ImageSpec


class SpecImageTask(SpecIdAndMetric, FromSpec, ImageClassificationTask):
    spec: ImageSpec

    @property
    def higher_is_better(self) -> bool:
        return self.spec.metric == "accuracy"

    @property
    def submission_form(self) -> str:
        return self.spec.submission

    @property
    def answer_columns(self) -> list[str]:
        return list(self.spec.answer_columns)

    def load(self, data_dir: Path) -> ImageData:
        from kaggle_kit.pipeline.cross_validate import say
        from kaggle_kit.vision.download import read_image_download

        return read_image_download(self.spec, data_dir, self.slug, say=say)
