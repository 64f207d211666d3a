"""make cowboy-train + cowboy-submit on the sample with a tiny config, one run shared by its steps (each step's
failure reported on its own), and the cowboy bad inputs."""

import json
import shutil

import pandas as pd
import pytest

from kaggle_kit.detection.kind import read_answer
from kaggle_kit.registry import get_task

from .conftest import REPO, assert_user_error, files_under, kit, make

pytestmark = pytest.mark.e2e       # runs the kit as a user does (make, trained models): make test-fast leaves it out

TINY = ("epochs=1 folds=2 image_size=64 batch_size=8 num_workers=0 progress_bar=false val_every=1 "
        "detections_per_img=20")
CPU = "configs/cowboy-cpu.yaml"

CATEGORIES = get_task("cowboy").spec.categories


IMBALANCE = TINY + " sampler=repeat_factor repeat_threshold=0.3 class_weight_power=0.5 tta=hflip_scales"


@pytest.fixture(scope="module")
def trained(tmp_path_factory, cowboy_overlap):
    """One run shared by the steps below: the tiny config with the imbalance handling and a two-view TTA, trained
    on the sample whose test.csv repeats some valid.csv images (the slowest cowboy fit, trained once)."""
    root = tmp_path_factory.mktemp("cowboy-run")
    proc = make("cowboy-train", root, DATA=str(cowboy_overlap), ARGS=IMBALANCE, CONFIG=CPU)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return root, cowboy_overlap


def test_the_run_pools_every_image_from_its_own_fold(trained):
    root, cowboy_sample = trained
    run = root / "runs" / "cowboy" / "cowboy-cpu"
    cv = json.loads((run / "cv.json").read_text())
    assert cv["metric"] == "AP" and 0 <= cv["score"] <= 1 and 0 <= cv["AP50"] <= 1
    assert sorted(cv["per_class"]) == sorted(CATEGORIES.values()) and len(cv["folds"]) == 2
    coco = json.loads((cowboy_sample / "train.json").read_text())
    ids = [im["id"] for im in coco["images"]]
    folds_file = json.loads((run / "fingerprint.json").read_text())["folds_file"]
    folds = pd.read_csv(folds_file, dtype={"id": str})
    assert folds["id"].tolist() == [str(i) for i in ids] and "/multilabel-k2-" in folds_file
    fold_of = dict(zip(folds["id"], folds["fold"], strict=True))
    oof = json.loads((run / "oof.json").read_text())
    assert oof and all(fold_of[str(d["image_id"])] == d["fold"] for d in oof)  # each image from its own fold
    assert any(d["image_id"] > 2**63 - 1 for d in oof)
    per_image = pd.Series([d["image_id"] for d in oof]).value_counts()
    assert per_image.max() == 20 and (per_image == 20).mean() > 0.5           # kept up to the cap, not cut by score
    for k in range(2):
        val = json.loads((run / f"fold{k}" / "val_pred.json").read_text())
        assert {str(d["image_id"]) for d in val} <= {i for i, f in fold_of.items() if f == k}


def test_imbalance_handling_and_each_split_answered_once_per_image(trained):
    """Rare-class images repeat, the rarest class weighs most; on the sample whose test.csv repeats some valid.csv
    images each image is predicted once and both splits are answered in full, in exact ids."""
    root, cowboy_sample = trained
    run = root / "runs" / "cowboy" / "cowboy-cpu"
    m = json.loads((run / "fold0" / "metrics.json").read_text())
    assert m["sampler"] == "repeat_factor" and m["images_per_epoch"] > m["n_train"]   # rare-class images repeat
    weights = dict(zip(CATEGORIES.values(), m["class_weights"], strict=True))
    assert min(weights.values()) == 1.0 and max(weights, key=weights.get) == "belt"   # the rarest weighs most
    assert m["tta"] == "hflip_scales-0.8-1.2"
    valid, test = (pd.read_csv(cowboy_sample / f"{s}.csv", dtype=str)["id"].tolist() for s in ("valid", "test"))
    shared = set(valid) & set(test)
    assert shared
    fold_test = json.loads((run / "fold0" / "test_pred.json").read_text())
    per_image = pd.Series([str(d["image_id"]) for d in fold_test]).value_counts()
    assert set(per_image.index) == set(valid) | set(test) and per_image.max() <= 20    # shared images once
    answers = {}
    for split, name in (("", "cowboy-cpu"), ("test", "cowboy-cpu-test")):
        proc = make("cowboy-submit", root, DATA=str(cowboy_sample), ARGS=IMBALANCE, CONFIG=CPU, SPLIT=split)
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert "predicting" not in proc.stderr                                   # trained with this TTA
        answer = read_answer(root / "submissions" / "cowboy" / f"{name}.zip")
        answers[split or "valid"] = answer
        assert any(d["image_id"] > 2**63 - 1 for d in answer)                 # exact, unquoted, above int64
        assert {d["category_id"] for d in answer} <= set(CATEGORIES)
        assert all(set(d) == {"image_id", "category_id", "bbox", "score"} for d in answer)
        assert all(d["bbox"][2] > 0 and d["bbox"][3] > 0 and d["bbox"][0] >= 0 for d in answer)
    for split, ids in (("valid", valid), ("test", test)):                        # every row of its csv, exact ids
        assert {str(d["image_id"]) for d in answers[split]} == set(ids)
    for image_id in shared:                                                     # the same answer in both
        assert [d for d in answers["valid"] if str(d["image_id"]) == image_id] == \
            [d for d in answers["test"] if str(d["image_id"]) == image_id]
    for name in ("learning_curves.png", "per_class_ap.png", "validation_images.png"):
        assert (run / "plots" / name).read_bytes().startswith(b"\x89PNG") and (run / "plots" / name).stat().st_size > 5000


def test_another_tta_predicts_every_fold_again_into_its_own_set(trained):
    root, cowboy_sample = trained
    run = root / "runs" / "cowboy" / "cowboy-cpu"
    cv = json.loads((run / "cv.json").read_text())
    proc = make("cowboy-submit", root, DATA=str(cowboy_sample), ARGS=TINY + " sampler=repeat_factor "
                "repeat_threshold=0.3 class_weight_power=0.5 tta=hflip", CONFIG=CPU)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stderr.count("predicting validation and test rows with tta-hflip") == 2
    assert (run / "fold0" / "tta-hflip" / "test_pred.json").is_file()
    cv_flip = json.loads((run / "cv-tta-hflip.json").read_text())
    assert cv_flip["predictions"] == "tta-hflip" and f"{cv_flip['score']:.5f}" in proc.stderr
    assert json.loads((run / "cv.json").read_text()) == cv                      # the trained set is untouched


def test_a_blend_of_two_runs_fuses_their_boxes_and_reports(trained):
    """A second experiment (a copy with the boxes of one member moved) blended with the first by WBF."""
    root, cowboy_sample = trained
    run = root / "runs" / "cowboy" / "cowboy-cpu"
    valid, test = (pd.read_csv(cowboy_sample / f"{s}.csv", dtype=str)["id"].tolist() for s in ("valid", "test"))
    other = run.with_name("cowboy-b")
    shutil.copytree(run, other)
    oof = json.loads((other / "oof.json").read_text())
    for d in oof:
        d["bbox"][0] = round(d["bbox"][0] * 0.5, 2)
    (other / "oof.json").write_text(json.dumps(oof))
    proc = make("cowboy-blend", root, DATA=str(cowboy_sample), EXPS="cowboy-cpu cowboy-b")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "blend: weighted" in proc.stderr and "AP50" in proc.stderr and "rule:" in proc.stderr
    answer = read_answer(root / "submissions" / "cowboy" / "blend-cowboy-cpu+cowboy-b.zip")
    assert answer and {d["category_id"] for d in answer} <= set(CATEGORIES)
    assert {str(d["image_id"]) for d in answer} == set(valid)
    proc = make("cowboy-blend", root, DATA=str(cowboy_sample), EXPS="cowboy-cpu cowboy-b", RULE="mean",
                SPLIT="test")
    assert proc.returncode == 0, proc.stderr[-3000:]
    answer = read_answer(root / "submissions" / "cowboy" / "blend-cowboy-cpu+cowboy-b@mean-test.zip")
    assert {str(d["image_id"]) for d in answer} == set(test)
    summary = json.loads((run.parent / "blends" / "blend-cowboy-cpu+cowboy-b.json").read_text())
    tuned = summary["rules"]["weighted"]
    assert tuned["weights"][0] >= tuned["weights"][1] and tuned["oof"] >= summary["members"]["cowboy-b"]
    assert summary["members"]["cowboy-cpu"] > summary["members"]["cowboy-b"]      # moved boxes score lower
    proc = make("cowboy-leaderboard", root, DATA=str(cowboy_sample))
    assert proc.returncode == 0 and "blend-cowboy-cpu+cowboy-b" in proc.stdout and "| cowboy-b |" in proc.stdout
    proc = make("cowboy-report", root, DATA=str(cowboy_sample), EXP="cowboy-cpu")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (run / "report.html").read_text().count("data:image/png;base64,") == 3


def test_unknown_split(tmp_path, cowboy_sample):
    proc = kit("submit", "cowboy", "--data", str(cowboy_sample), "--config", str(REPO / CPU), "--args", TINY,
               "--split", "public", root=tmp_path)
    assert_user_error(proc, "SPLIT=public", "valid or test")


def test_fcos_needs_fpn_channels_in_groups_of_32(tmp_path, cowboy_sample):
    before = files_under(tmp_path)
    proc = kit("train", "cowboy", "--data", str(cowboy_sample), "--config", str(REPO / CPU), "--args",
               TINY + " fpn_channels=48", root=tmp_path)
    assert_user_error(proc, "fpn_channels must be a multiple of 32")
    assert files_under(tmp_path) == before
