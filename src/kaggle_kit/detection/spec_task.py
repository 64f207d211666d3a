"""A detection competition made from its competition.yaml: its files read by kaggle_kit.detection.download,
everything else the kind's (names, sample and default config: from_spec.FromSpec)."""

from __future__ import annotations

from pathlib import Path

from kaggle_kit.detection.kind import DetectionData, DetectionTask
from kaggle_kit.detection.spec import DetectionSpec
from kaggle_kit.from_spec import FromSpec


class SpecDetectionTask(FromSpec, DetectionTask):
    spec: DetectionSpec

    @property
    def splits(self) -> tuple[str, ...]:
        """Which csv a submission answers (SPLIT=); csv form: one."""
        return tuple(self.spec.splits)

    @property
    def submission_form(self) -> str:
        return self.spec.submission

    @property
    def submission_ext(self) -> str:
        return "zip" if self.spec.submission == "coco_zip" else "csv"

    @property
    def id_column(self) -> str:
        return self.spec.id if self.spec.annotations == "csv" else DetectionTask.id_column

    @property
    def answer_column(self) -> str:
        return self.spec.answer_column if self.spec.annotations == "csv" else DetectionTask.answer_column

    def load(self, data_dir: Path) -> DetectionData:
        from kaggle_kit.detection.download import read_detection_download

        return read_detection_download(self.spec, data_dir, self.slug)
