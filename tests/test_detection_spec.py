"""A detection download the kit has never seen, in the box-CSV form (global-wheat-detection), from `make new`
through `make train` and `make submit` (COMP=); make new on cowboy's COCO form; and the box CSV's bad inputs,
each one line with nothing written."""

import json
import shutil

import pandas as pd
import pytest

from kaggle_kit.detection.samples import draw

from .conftest import files_under, make
from .test_bad_inputs import run_main

pytestmark = pytest.mark.e2e       # runs the kit as a user does (make, trained models): make test-fast leaves it out

ARGS = "epochs=1 folds=2 image_size=64 batch_size=8 num_workers=0 progress_bar=false val_every=1"


@pytest.fixture(scope="module")
def wheat(tmp_path_factory):
    """The drawn wheat download made, trained and submitted once: (root, data)."""
    root = tmp_path_factory.mktemp("wheat")
    data = draw("wheat", root / "downloads" / "wheat")
    proc = make("new", root, COMP="d-wheat", DATA=str(data))
    assert proc.returncode == 0, proc.stderr[-3000:]
    for target in ("train", "submit"):
        proc = make(target, root, COMP="d-wheat", DATA=str(data), ARGS=ARGS)
        assert proc.returncode == 0, proc.stderr[-3000:]
    return root, data


def test_new_train_submit_gives_a_prediction_string_per_image(wheat):
    root, data = wheat
    spec = (root / "competitions" / "d-wheat" / "competition.yaml").read_text()
    assert "annotations: csv" in spec and "train_images: train/{id}.jpg" in spec and "prediction_string" in spec
    sample = pd.read_csv(data / "sample_submission.csv", dtype=str, keep_default_na=False)
    answer = pd.read_csv(root / "submissions" / "d-wheat" / "d-wheat.csv", dtype=str, keep_default_na=False)
    assert list(answer.columns) == ["image_id", "PredictionString"]
    assert answer["image_id"].tolist() == sample["image_id"].tolist()        # the sample's order, ids verbatim
    for text in answer["PredictionString"]:
        values = [float(v) for v in text.split()]
        assert len(values) % 5 == 0
        scores = values[::5]
        assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)
        for x, y, w, h in zip(values[1::5], values[2::5], values[3::5], values[4::5], strict=True):
            assert w > 0 and h > 0 and x >= 0 and y >= 0 and x + w <= 128.1 and y + h <= 128.1
    run = root / "runs" / "d-wheat" / "d-wheat"
    cv = json.loads((run / "cv.json").read_text())
    assert cv["metric"] == "AP" and set(cv["per_class"]) == {"object"}
    trained_on = pd.read_csv(root / "runs" / "d-wheat" / "folds" / next(
        p.name for p in (root / "runs" / "d-wheat" / "folds").iterdir()), dtype=str)["id"]
    boxed = set(pd.read_csv(data / "train.csv", dtype=str)["image_id"])
    assert len(trained_on) == len(boxed) + 3 and boxed < set(trained_on)   # images without a box train too


def test_make_new_reads_cowboys_coco_form(cowboy_sample, tmp_path):
    from kaggle_kit.detection.infer import infer_detection_spec
    from kaggle_kit.registry import get_task

    inferred = infer_detection_spec("c", cowboy_sample).spec
    cowboy = get_task("cowboy").spec
    assert inferred.annotations == "coco" and inferred.submission == "coco_zip"
    assert list(inferred.categories.items()) == list(cowboy.categories.items())     # the JSON's ids and order
    assert inferred.splits == cowboy.splits == {"valid": "valid.csv", "test": "test.csv"}
    assert inferred.images == "images"


def set_bbox(value):
    def edit(d):
        f = pd.read_csv(d / "train.csv", dtype=str)
        f.loc[3, "bbox"] = value
        f.to_csv(d / "train.csv", index=False)
    return edit


def repeat_sample_row(d):
    f = pd.read_csv(d / "sample_submission.csv", dtype=str, keep_default_na=False)
    pd.concat([f, f.iloc[[2]]]).to_csv(d / "sample_submission.csv", index=False)


BAD = {
    "box outside its image": (set_bbox("[120.0, 10.0, 40.0, 20.0]"), ["lies outside its 128x128 image"]),
    "bbox not four numbers": (set_bbox("[12.0, 10.0, 40.0]"), ["row 5 has bbox", "not four numbers"]),
    "image listed twice in one CSV": (repeat_sample_row, ["sample_submission.csv: row", "repeats image_id",
                                                          "listed once"]),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_box_csv(case, wheat, tmp_path, monkeypatch, capsys):
    breaker, words = BAD[case]
    root = tmp_path / "work"
    shutil.copytree(wheat[0] / "competitions", root / "competitions")
    shutil.copytree(wheat[0] / "configs", root / "configs")
    data = root / "downloads" / "wheat"
    shutil.copytree(wheat[1], data)
    breaker(data)
    before = files_under(root)
    code, line = run_main(["train", "d-wheat", "--data", str(data), "--args", ARGS], root, monkeypatch, capsys)
    assert code == 2 and all(w.lower() in line.lower() for w in words), line
    assert files_under(root) == before
