"""A detection competition made from its competition.yaml: its files read by kaggle_kit.detection.download,
everything else the kind's (names, sample and default config: from_spec.FromSpec)."""

from __future__ import annotations

from pathlib import Path

from kaggle_kit.detection.kind import DetectionData, DetectionTask
from kaggle_kit.detection.spec import DetectionSpec
from kaggle_kit.from_spec import FromSpec


class SpecDetectionTask(FromSpec, DetectionTask):
    def __init__(self, name: str, spec: DetectionSpec, folder: Path):
        super().__init__(name, spec, folder)
        self.splits = tuple(spec.splits)           # which csv a submission answers (SPLIT=); csv form: one
        self.submission_form = spec.submission
        self.submission_ext = "zip" if spec.submission == "coco_zip" else "csv"
        if spec.annotations == "csv":
            self.id_column = spec.id
            self.answer_column = spec.answer_column

    def load(self, data_dir: Path) -> DetectionData:
        from kaggle_kit.detection.download import read_detection_download

        return read_detection_download(self.spec, data_dir, self.slug)
