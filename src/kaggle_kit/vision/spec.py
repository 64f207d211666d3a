"""competition.yaml of an image-classification competition: where the training images and their labels are (a
labels CSV with a path template, or one folder per class), which rows to answer, the submission form (a label
column, or one probability column per class) and its metric. Strict: an unknown key, a template without
`{id}` or a metric that does not fit the submission is one line naming it."""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from kaggle_kit.config import StrictModel

METRIC_OF_FORM = {"labels": "accuracy", "probabilities": "logloss"}


class ImageFiles(StrictModel):
    labels: str | None = None              # layout table: the CSV of training ids and their labels
    test: str | None = None                # a CSV listing the test ids, where the download has one
    sample_submission: str | None = None   # its rows, in its order, are the rows to answer


class ImageSpec(StrictModel):
    kind: Literal["image_classification"]
    name: str | None = None                # the short name of make targets; default: the folder's
    slug: str | None = None                # Kaggle's competition slug (download, kaggle-submit, lb);
                                           #   data/<slug>/ is where data is looked for (default: the name)
    data: str | None = None                # the download make new read (relative: to the work root);
                                           #   every command reads it unless DATA= names another
    hosted_on: str | None = None             # where it is scored when not on Kaggle: make download says so
    data_url: str | None = None              # that site's page for the files
    layout: Literal["table", "folders"]    # table: files.labels names each image; folders: train/<class>/*
    files: ImageFiles = ImageFiles()
    id: str                                # the answer's id column (and the labels and test CSVs')
    label: str | None = None               # layout table: the labels CSV's class column
    train_images: str                      # table: path of a training image, `{id}` standing for its id;
    #                                        folders: the folder holding one subfolder of images per class
    test_images: str                       # path of a test image, `{id}` standing for its id
    metric: Literal["accuracy", "logloss"]
    submission: Literal["labels", "probabilities"]
    answer_columns: list[str]              # the submission's columns after the id, as the sample names them
    classes: list[str] = []                # the classes, byte-exact; empty: every label training has, sorted
    sample_config: str | None = None       # the config a drawn sample trains with; default: the competition's

    @model_validator(mode="after")
    def _consistent(self):
        if METRIC_OF_FORM[self.submission] != self.metric:
            raise ValueError(f"metric {self.metric} does not score a {self.submission} submission (it takes "
                             f"{METRIC_OF_FORM[self.submission]})")
        templates = [("test_images", self.test_images)]
        if self.layout == "table":
            if not (self.files.labels and self.label):
                raise ValueError("layout table needs files.labels (the labels CSV) and label (its class column)")
            templates.append(("train_images", self.train_images))
        elif "{id}" in self.train_images:
            raise ValueError("layout folders: train_images is the folder of class subfolders, without {id}")
        for key, template in templates:
            if "{id}" not in template or template.count("{") != 1 or template.count("}") != 1:
                raise ValueError(f"{key} must hold {{id}} once and no other braces (got {template!r})")
        if self.submission == "labels" and len(self.answer_columns) != 1:
            raise ValueError("a labels submission has one answer column")
        if self.submission == "probabilities":
            if len(set(self.answer_columns)) < max(2, len(self.answer_columns)):
                raise ValueError("a probabilities submission has one column per class, each named once")
            if self.classes and sorted(self.answer_columns) != sorted(self.classes):
                raise ValueError("answer_columns must name exactly the classes")
        return self
