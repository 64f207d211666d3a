"""The bad-input sweep: every user mistake across the three competitions, the config and the commands ends
with exit 2 (130 for an interrupt), one line naming the problem and the fix, no traceback, and no artefact
created or changed. The CLI runs in this process (main() as `python -m kaggle_kit` calls it: any exception
other than a user error fails the test); the house, leaves and cowboy test modules run it as a subprocess."""

import errno
import json
import shutil
import tempfile

import pandas as pd
import pytest
import torch

from .conftest import LEAVES_TINY, REPO, assert_user_error, files_under, kit

pytestmark = pytest.mark.e2e       # runs the kit as a user does (make, trained models): make test-fast leaves it out

HOUSE = ["--args", "epochs=1 folds=2 seeds=1 mlp.hidden=[8] progress_bar=false"]
LEAVES = ["--config", str(REPO / "configs" / "leaves-cpu.yaml"), "--args",
          "epochs=1 folds=2 image_size=32 batch_size=32 num_workers=0 progress_bar=false"]
COWBOY = ["--config", str(REPO / "configs" / "cowboy-cpu.yaml"), "--args",
          "epochs=1 folds=2 image_size=64 batch_size=8 num_workers=0 progress_bar=false"]
ARGS = {"house": HOUSE, "leaves": LEAVES, "cowboy": COWBOY}


def edit_csv(path, fn, **read):
    fn(pd.read_csv(path, keep_default_na=False, dtype=str, **read)).to_csv(path, index=False)


def set_cell(name, col, row, value):
    def edit(frame):
        frame.loc[row, col] = value
        return frame
    return lambda d: edit_csv(d / name, edit)


def edit_json(name, change):
    def run(d):
        coco = json.loads((d / name).read_text())
        change(coco)
        (d / name).write_text(json.dumps(coco))
    return run


def write(name, content):
    return lambda d: (d / name).write_bytes(content) if isinstance(content, bytes) else (d / name).write_text(content)


def cut(name, keep):
    return lambda d: (d / name).write_bytes((d / name).read_bytes()[:keep])


def only_n_of_label(n):
    """Leaves: keep n training images of the first label (fewer than the folds)."""
    def edit(frame):
        first = frame["label"].iloc[0]
        return pd.concat([frame[frame["label"] != first], frame[frame["label"] == first].head(n)])
    return lambda d: edit_csv(d / "train.csv", edit)


# name: (competition, how the download is broken, the command and its arguments (None: train with ARGS),
#        words the one line must hold)
CASES = {
    # house prices: the CSVs
    "house: missing column": ("house", lambda d: edit_csv(d / "train.csv", lambda f: f.drop(columns=["LotArea"])),
                              None, ["train.csv lacks column(s) LotArea"]),
    "house: renamed column": ("house", lambda d: edit_csv(d / "test.csv", lambda f: f.rename(
        columns={"GrLivArea": "LivingArea"})), None, ["test.csv lacks column(s) GrLivArea", "unexpected column(s) LivingArea"]),
    "house: zero price": ("house", set_cell("train.csv", "SalePrice", 5, "0"), None,
                          ["SalePrice must be a positive number", "Id 6"]),
    "house: NaN target": ("house", set_cell("train.csv", "SalePrice", 7, "NA"), None,
                          ["SalePrice must be a positive number", "Id 8"]),
    "house: text in a numeric column": ("house", set_cell("train.csv", "LotArea", 3, "big"), None,
                                        ["column LotArea must be numeric", "'big'"]),
    "house: unreadable csv": ("house", write("train.csv", b'\xff\xfe"a,"b\n\x00\x01"\n'), None, ["train.csv"]),
    "house: empty csv": ("house", write("test.csv", ""), None, ["test.csv is empty"]),
    "house: test id also in train": ("house", set_cell("test.csv", "Id", 0, "5"), None, ["Id 5 also in train.csv"]),
    "house: duplicate training id": ("house", set_cell("train.csv", "Id", 1, "1"), None, ["train.csv", "Id"]),
    "house: missing test.csv": ("house", lambda d: (d / "test.csv").unlink(), None, ["test.csv is missing", "kaggle"]),
    "house: sample submission of other ids": ("house", set_cell("sample_submission.csv", "Id", 2, "99999"), None,
                                              ["sample_submission.csv does not list test.csv's Ids", "row 2"]),
    # classify-leaves: the CSVs and the images
    "leaves: missing images": ("leaves", lambda d: [(d / "images" / f"{n}.jpg").unlink() for n in (3, 5, 7, 9)], None,
                               ["4 listed images are missing", "images/3.jpg, images/5.jpg, images/7.jpg and 1 more"]),
    "leaves: no label column": ("leaves", lambda d: edit_csv(d / "train.csv", lambda f: f.rename(
        columns={"label": "class"})), None, ["train.csv has no column label"]),
    "leaves: corrupt image": ("leaves", write("images/2.jpg", b"\xff\xd8\xff\xe0 not really a jpeg"), None,
                              ["images/2.jpg is corrupt or truncated"]),
    "leaves: truncated image": ("leaves", cut("images/6.jpg", 3000), None, ["images/6.jpg is corrupt or truncated"]),
    "leaves: empty label": ("leaves", set_cell("train.csv", "label", 4, ""), None, ["1 row(s) without a label"]),
    "leaves: image listed twice": ("leaves", set_cell("test.csv", "image", 1, None), None, []),
    "leaves: a class with fewer images than folds": ("leaves", only_n_of_label(1), None,
                                                     ["has 1 rows, fewer than 2 folds", "lower `folds`"]),
    # cowboyoutfits: the COCO json, the csvs, the images
    "cowboy: truncated json": ("cowboy", cut("train.json", 5000), None, ["train.json is not valid JSON", "download it again"]),
    "cowboy: missing train.json": ("cowboy", lambda d: (d / "train.json").unlink(), None, ["train.json"]),
    "cowboy: annotation of an unknown image": ("cowboy", edit_json("train.json", lambda c: c["annotations"][3].update(
        image_id=12345)), None, ["annotation 4 refers to image id 12345", "not in 'images'"]),
    "cowboy: zero-width box": ("cowboy", edit_json("train.json", lambda c: c["annotations"][0]["bbox"].__setitem__(2, 0)),
                               None, ["annotation 1 has a box of width 0.0"]),
    "cowboy: box outside its image": ("cowboy", edit_json("train.json", lambda c: c["annotations"][0]["bbox"].__setitem__(
        0, 5000.0)), None, ["lies outside its"]),
    "cowboy: unknown category": ("cowboy", edit_json("train.json", lambda c: c["annotations"][2].update(category_id=999)),
                                 None, ["annotation 3 has category_id 999", "87"]),
    "cowboy: missing image": ("cowboy", lambda d: next((d / "images").iterdir()).unlink(), None,
                              ["1 listed images are missing"]),
    "cowboy: non-integer id": ("cowboy", write("valid.csv", "id,file_name\nabc,x.jpg\n"), None,
                               ["valid.csv: id 'abc' is not an unsigned 64-bit integer"]),
    "cowboy: image listed twice in one csv": ("cowboy", lambda d: edit_csv(d / "test.csv", lambda f: pd.concat(
        [f, f.iloc[[4]]])), None, ["test.csv: row 62 repeats id", "listed once"]),
    "cowboy: one id, two file names": ("cowboy", lambda d: edit_csv(d / "test.csv", lambda f: f.assign(id=[
        pd.read_csv(d / "valid.csv", dtype=str)["id"][0], *f["id"][1:]])), None, ["in valid.csv but", "in test.csv"]),
    # the config
    "config: unknown key": ("house", None, ["train", "--args", "epochs=1 dropuot=0.2"], ["unknown config key 'dropuot'"]),
    "config: wrong type": ("house", None, ["train", "--args", "batch_size=big"], ["config key 'batch_size'"]),
    "config: out of range": ("leaves", None, ["train", "--args", "lr=-1"], ["config key 'lr'"]),
    "config: missing file": ("house", None, ["train", "--config", "nope.yaml"], ["config nope.yaml does not exist"]),
    "config: not YAML": ("house", None, ["train", "--config", "{bad}"], ["is not valid YAML", "line"]),
    "config: folds outside the config": ("house", None, ["train", *HOUSE, "--folds", "0 7"], ["FOLDS has [7]"]),
    "config: no GPU for accelerator=gpu": ("cowboy", None, ["train", "--args", "accelerator=gpu"], ["no CUDA GPU"]),
    # commands in the wrong order
    "submit before train: house": ("house", None, ["submit", *HOUSE], ["no trained run", "make house-train"]),
    "submit before train: leaves": ("leaves", None, ["submit", *LEAVES], ["no trained run", "make leaves-train"]),
    "submit before train: cowboy": ("cowboy", None, ["submit", *COWBOY], ["no trained run", "make cowboy-train"]),
    "blend of untrained experiments": ("house", None, ["blend", "--exps", "house house-gbdt"],
                                       ["'house' has no run", "make house-train"]),
    "report before train": ("cowboy", None, ["report", "--exp", "cowboy-cpu"], ["'cowboy-cpu' has no complete run"]),
}


def config_file(tmp_path, text):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("case", CASES)
def test_bad_input(case, tmp_path, monkeypatch, capsys, house_sample, leaves_sample, cowboy_sample):
    comp, breaker, command, words = CASES[case]
    sample = {"house": house_sample, "leaves": leaves_sample, "cowboy": cowboy_sample}[comp]
    data = tmp_path / "download"
    shutil.copytree(sample, data)
    if case == "leaves: image listed twice":           # the second test row names the first's image
        first = pd.read_csv(data / "test.csv")["image"][0]
        breaker, words = set_cell("test.csv", "image", 1, first), [f"lists image {first} more than once"]
    if breaker:
        breaker(data)
    if command and "{bad}" in command:
        command = [c if c != "{bad}" else config_file(tmp_path / "download", "lr: [1,\nepochs 3\n") for c in command]
    before = files_under(tmp_path)
    args = command or ["train", *ARGS[comp]]
    code, line = run_main([args[0], comp, "--data", str(data), *args[1:]], tmp_path, monkeypatch, capsys)
    assert code == 2
    assert all(w.lower() in line.lower() for w in words), (words, line)
    assert files_under(tmp_path) == before


def run_main(argv, root, monkeypatch, capsys):
    """The CLI in this process with runs/ under root: its exit code and its one error line."""
    from kaggle_kit.cli import main

    monkeypatch.setenv("KIT_ROOT", str(root))
    monkeypatch.chdir(root)
    capsys.readouterr()
    code = main(argv)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith(("error:", "interrupted"))]
    assert len(lines) == 1 and "Traceback" not in err, err
    return code, lines[0]


# The file system failing under a good run: a read-only output folder, a full disk, a write interrupted by
# Ctrl-C. Run in-process so the failure can be injected; the earlier submission must survive each.
@pytest.fixture(scope="module")
def submitted(tmp_path_factory, house_sample):
    root = tmp_path_factory.mktemp("house-run")
    for command in ("train", "submit"):
        kit(command, "house", "--data", str(house_sample), *HOUSE, root=root, check=True)
    return root


def fail_writes(monkeypatch, error):
    """Every artefact write fails: the temporary file cannot be made (read-only) or written (disk full)."""
    def no_temp(*a, **k):
        raise error
    monkeypatch.setattr(tempfile, "mkstemp", no_temp)


def interrupt_writes(monkeypatch):
    """Ctrl-C in the middle of writing the submission, after part of it is on disk."""
    real = pd.DataFrame.to_csv

    def half_then_interrupt(self, path=None, *a, **k):
        real(self.head(3), path, *a, **k)
        raise KeyboardInterrupt
    monkeypatch.setattr(pd.DataFrame, "to_csv", half_then_interrupt)


@pytest.mark.parametrize("how", ["read-only folder", "full disk", "interrupted write"])
def test_failing_writes_leave_every_artefact_as_it_was(how, tmp_path, monkeypatch, capsys, submitted, house_sample):
    root = tmp_path / "root"
    shutil.copytree(submitted, root)
    before = {p: (root / p).read_bytes() for p in files_under(root)}
    if how == "read-only folder":
        fail_writes(monkeypatch, OSError(errno.EROFS, "Read-only file system"))
        code, words = 2, ["cannot write", "Read-only file system", "writable"]
    elif how == "full disk":
        fail_writes(monkeypatch, OSError(errno.ENOSPC, "No space left on device"))
        code, words = 2, ["No space left on device"]
    else:
        interrupt_writes(monkeypatch)
        code, words = 130, ["interrupted"]
    got, line = run_main(["submit", "house", "--data", str(house_sample), *HOUSE], root, monkeypatch, capsys)
    assert got == code
    assert all(w.lower() in line.lower() for w in words), line
    assert {p: (root / p).read_bytes() for p in files_under(root)} == before     # no temp file left either


# A run's checkpoint that is not what the config says (another model, class count or label order), or damaged:
# found when a fold is predicted again from it (a submit with another tta).
@pytest.mark.parametrize("case", ["other model", "other class count", "label outside saved order", "damaged"])
def test_bad_checkpoint(case, tmp_path, leaves_sample, leaves_trained):
    shutil.copytree(leaves_trained / "runs", tmp_path / "runs")
    ckpt_path = tmp_path / "runs" / "leaves" / "leaves-cpu" / "fold1" / "best.ckpt"
    ckpt = torch.load(ckpt_path, weights_only=True)
    if case == "other model":
        ckpt["model"], words = "resnet18", ["holds a resnet18 model", "model=resnet10t", "FORCE=1"]
    elif case == "other class count":
        ckpt["state_dict"] = {k: (v[:3] if k.startswith("fc.") else v) for k, v in ckpt["state_dict"].items()}
        words = ["does not fit model=resnet10t with 8 classes", "FORCE=1"]
    elif case == "label outside saved order":
        dropped = ckpt["labels"][-1]
        ckpt["labels"] = ckpt["labels"][:-1] + ["not_a_leaf"]
        words = ["labels outside its saved label order", dropped, "FORCE=1"]
    if case == "damaged":
        ckpt_path.write_bytes(ckpt_path.read_bytes()[:1000])
        words = ["best.ckpt cannot be read", "FORCE=1"]
    else:
        torch.save(ckpt, ckpt_path)
    before = files_under(tmp_path)
    proc = kit("submit", "leaves", "--data", str(leaves_sample), "--config", str(REPO / "configs" / "leaves-cpu.yaml"),
               "--args", LEAVES_TINY.replace("tta=hflip", "tta=flips"), root=tmp_path)
    assert_user_error(proc, *words)
    assert files_under(tmp_path) == before
