"""An image-classification download the kit has never seen, from `make new` through `make train` and
`make submit` (COMP=), on each drawn layout (CIFAR-10's, dog-breed's probability columns, folder per class); and
the image downloads' bad inputs, each one line with nothing written."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from kaggle_kit.vision.samples import draw

from .conftest import files_under, make
from .test_bad_inputs import run_main

pytestmark = pytest.mark.e2e       # runs the kit as a user does (make, trained models): make test-fast leaves it out

# the written config with only model, image_size and epochs overridden (and 2 folds, to keep CI short)
ARGS = "model=resnet10t image_size=24 epochs=4 folds=2 progress_bar=false"
LAYOUTS = {  # layout: (sample submission, how the CV must beat chance)
    "cifar": ("sampleSubmission.csv", lambda s: s > 0.5),              # 5 classes: chance 0.2
    "dog_breeds": ("sample_submission.csv", lambda s: s < np.log(4) - 0.3),
    "class_folders": ("sample_submission.csv", lambda s: s > 0.6),     # 3 classes: chance 0.33
}


def new_competition(root, layout, *, in_process=False):
    data = draw(layout, root / "downloads" / layout)
    if in_process:                 # the fixtures of the bad-input cases: make new's code, without the process
        from kaggle_kit.commands.new import new_competition as new

        new(f"i-{layout}", data, root, metric=None, target=None, id_column=None, problem=None, force=False)
        return data
    proc = make("new", root, COMP=f"i-{layout}", DATA=str(data))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return data


@pytest.fixture(scope="module", params=list(LAYOUTS))
def trained(request, tmp_path_factory):
    """One layout made, trained and submitted once: (layout, root, data)."""
    layout = request.param
    root = tmp_path_factory.mktemp(f"img-{layout}")
    data = new_competition(root, layout)
    for target in ("train", "submit"):
        proc = make(target, root, COMP=f"i-{layout}", DATA=str(data), ARGS=ARGS)
        assert proc.returncode == 0, proc.stderr[-3000:]
    return layout, root, data


def test_new_train_submit_gives_a_validated_submission(trained):
    layout, root, data = trained
    name = f"i-{layout}"
    sample_name, beats_chance = LAYOUTS[layout]
    spec = (root / "competitions" / name / "competition.yaml").read_text()
    assert "kind: image_classification" in spec and f"sample_submission: {sample_name}" in spec
    config = (root / "configs" / f"{name}.yaml").read_text()
    assert "head_lr_mult: null" in config and "pretrained: false" in config
    run = root / "runs" / name / name
    cv = json.loads((run / "cv.json").read_text())
    assert beats_chance(cv["score"]), cv["score"]
    sample = pd.read_csv(data / sample_name, dtype=str)
    answer = pd.read_csv(root / "submissions" / name / f"{name}.csv", dtype=str)
    assert list(answer.columns) == list(sample.columns)
    assert answer.iloc[:, 0].tolist() == sample.iloc[:, 0].tolist()        # the sample's rows, ids verbatim
    oof = pd.read_csv(run / "oof.csv", dtype=str)
    if layout == "cifar":
        assert answer["id"].tolist()[:12] == [str(i) for i in range(1, 13)]  # never a listing's 1, 10, 11, ...
        assert cv["metric"] == "accuracy" and set(answer["label"]) <= {"airplane", "automobile", "bird", "deer", "frog"}
        assert oof["id"].tolist() == pd.read_csv(data / "trainLabels.csv", dtype=str)["id"].tolist()
    elif layout == "dog_breeds":
        assert cv["metric"] == "logloss" and cv["higher_is_better"] is False
        p = answer.iloc[:, 1:].astype(float).to_numpy()
        assert np.allclose(p.sum(1), 1, atol=1e-4) and p.min() >= 1e-15 and p.max() < 1
        breeds = list(sample.columns[1:])
        folds = [pd.read_csv(run / f"fold{k}" / "test_pred.csv")[breeds].to_numpy() for k in range(2)]
        assert np.allclose(p, np.mean(folds, axis=0), atol=1e-6)             # the fold mean, clipped only at 1e-15
        assert json.loads((run / "fold0" / "metrics.json").read_text()).get("val_loss_no_tta") is not None
    else:
        assert set(answer["species"]) <= {"Black-grass", "Charlock", "Cleavers"}
        assert oof["file"].str.startswith("train/").all()         # training ids: the images' paths


@pytest.mark.parametrize("trained", ["cifar"], indirect=True)
def test_make_auto_submits_the_trained_run(trained):
    layout, root, data = trained
    name = f"i-{layout}"
    with open(root / "configs" / f"{name}.yaml", "a") as f:   # the run above, as a config
        f.write("".join(f"{kv.split('=')[0]}: {kv.split('=')[1]}\n" for kv in ARGS.split()))
    proc = make("auto", root, COMP=name, DATA=str(data))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "training on" not in proc.stderr                     # every fold was complete
    assert (root / "submissions" / name / "auto.csv").read_bytes() == (
        root / "submissions" / name / f"{name}.csv").read_bytes()


@pytest.mark.parametrize("trained", ["dog_breeds"], indirect=True)
def test_vote_is_refused_for_log_loss(trained, monkeypatch, capsys):
    layout, root, data = trained
    for argv in (["train", f"i-{layout}", "--data", str(data), "--args", ARGS + " ensemble=vote"],
                 ["blend", f"i-{layout}", "--data", str(data), "--exps", f"i-{layout} i-{layout}-b", "--rule", "vote"]):
        before = files_under(root)
        code, line = run_main(argv, root, monkeypatch, capsys)
        assert code == 2 and "infinite log loss" in line, line
        assert files_under(root) == before


def drop(rel):
    return lambda d: (d / rel).unlink()


def rename_column(d):
    sample = pd.read_csv(d / "sample_submission.csv", dtype=str)
    sample.rename(columns={"beagle": "poodle"}).to_csv(d / "sample_submission.csv", index=False)


BAD = {  # case: (layout, breaking the download, the words of the one line; new: make new fails too)
    "labels file names a missing image": ("cifar", drop("train/7.png"), ["listed images are missing", "train/7.png"]),
    "listed test image missing": ("cifar", drop("test/5.png"), ["listed images are missing", "test/5.png"]),
    "empty class folder": ("class_folders", lambda d: (d / "train" / "Fat-hen").mkdir(),
                           ["class folder", "Fat-hen holds no images"]),
    "probability columns are not the classes": ("dog_breeds", rename_column,
                                                ["not the training classes", "differ"]),
}


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """Each layout drawn and through make new (untrained)."""
    root = tmp_path_factory.mktemp("img-new")
    for layout in LAYOUTS:
        new_competition(root, layout, in_process=True)
    return root


@pytest.mark.parametrize("case", BAD)
def test_bad_image_input(case, made, tmp_path, monkeypatch, capsys):
    layout, breaker, words = BAD[case]
    root = tmp_path / "work"
    shutil.copytree(made, root)
    data = root / "downloads" / layout
    breaker(data)
    before = files_under(root)
    for argv in (["train", f"i-{layout}", "--data", str(data), "--args", ARGS],
                 ["new", f"i-{layout}-again", "--data", str(data)]):
        if argv[0] == "new" and "missing" in case:
            continue                                     # make new probes ids; the loader checks every file
        code, line = run_main(argv, root, monkeypatch, capsys)
        assert code == 2 and all(w.lower() in line.lower() for w in words), (argv[0], line)
        assert files_under(root) == before


def test_unlisted_test_image_is_ignored_with_a_note(made, tmp_path, capsys, monkeypatch):
    from kaggle_kit.registry import get_task

    root = tmp_path / "work"
    shutil.copytree(made, root)
    data = root / "downloads" / "class_folders"
    Image.new("RGB", (48, 48)).save(data / "test" / "stray.jpg")
    monkeypatch.setenv("KIT_ROOT", str(root))
    loaded = get_task("i-class_folders").load(data)
    assert "test/stray.jpg" not in loaded.test_images and len(loaded.test_ids) == 30
    assert "note: 1 image(s) in test/ are not rows to answer (e.g. test/stray.jpg)" in capsys.readouterr().err
