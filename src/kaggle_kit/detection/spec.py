"""competition.yaml of a detection competition: where the boxes are (COCO train annotations, or a CSV with one
row per box), where the images are, which images to answer (`id,file_name` CSVs, one per test set, or the sample
submission's rows), the categories and the submission form (COCO results in a zip, or a CSV with a
PredictionString per image). Strict: an unknown key or a form that lacks what it needs is one line naming it."""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from kaggle_kit.config import StrictModel


class DetectionSpec(StrictModel):
    kind: Literal["detection"]
    name: str | None = None                # the short name of make targets; default: the folder's
    slug: str | None = None                # Kaggle's competition slug (download, kaggle-submit, lb);
                                           #   data/<slug>/ is where data is looked for (default: the name)
    data: str | None = None                # the download make new read (relative: to the work root);
                                           #   every command reads it unless DATA= names another
    hosted_on: str | None = None             # where it is scored when not on Kaggle: make download says so
    data_url: str | None = None              # that site's page for the files
    annotations: Literal["coco", "csv"]    # coco: a COCO json; csv: one row per box (id, width, height, bbox)
    train: str                             # the annotations file
    images: str = ""                       # coco: the folder its file_names are relative to
    splits: dict[str, str] = {}            # coco: test set -> its id,file_name CSV; the first is the default
    id: str = "image_id"                   # csv: the image id column of the annotations and the sample
    box_column: str = "bbox"               # csv: `[x, y, w, h]` in pixels
    train_images: str | None = None        # csv: path of a training image, `{id}` standing for its id
    test_images: str | None = None         # csv: path of a test image
    sample_submission: str | None = None   # csv: its rows, in its order, are the images to answer
    answer_column: str = "PredictionString"   # csv: `score x y w h ...` per image, empty for none
    categories: dict[int, str]             # category id -> name, in the order of every per-class score
    submission: Literal["coco_zip", "prediction_string"]
    sample_config: str | None = None       # the config a drawn sample trains with; default: the competition's

    @model_validator(mode="after")
    def _consistent(self):
        if not self.categories:
            raise ValueError("categories must name at least one category")
        if self.annotations == "coco":
            if not self.splits:
                raise ValueError("annotations coco needs splits: the id,file_name CSV of each test set")
            if self.submission != "coco_zip":
                raise ValueError("annotations coco answers with submission coco_zip")
            return self
        if len(self.categories) != 1:
            raise ValueError("annotations csv holds one category (a CSV of boxes has no category column)")
        for key in ("train_images", "test_images"):
            t = getattr(self, key)
            if not t or "{id}" not in t or t.count("{") != 1 or t.count("}") != 1:
                raise ValueError(f"{key} must be a path holding {{id}} once (got {t!r})")
        if not self.sample_submission:
            raise ValueError("annotations csv needs sample_submission: its rows are the images to answer")
        if self.submission != "prediction_string":
            raise ValueError("annotations csv answers with submission prediction_string")
        return self
