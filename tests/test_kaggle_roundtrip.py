"""The Kaggle round trip through the real make targets, up to the process boundary: a stand-in `kaggle` first
on PATH (tests/stand_ins/kaggle.py) records its arguments and replays the real CLI's outputs."""

import json
import shutil
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from .conftest import assert_user_error, files_under, make

pytestmark = pytest.mark.e2e       # runs the kit as a user does (make, trained models): make test-fast leaves it out

HOUSE_SLUG = "house-prices-advanced-regression-techniques"
STAND_IN = Path(__file__).parent / "stand_ins" / "kaggle.py"


@pytest.fixture
def stand_in(tmp_path, monkeypatch):
    """The stand-in on PATH; returns its folder (calls.jsonl, state.json)."""
    bin_dir, folder = tmp_path / "bin", tmp_path / "kaggle-stand-in"
    bin_dir.mkdir()
    exe = bin_dir / "kaggle"
    exe.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{STAND_IN}" "$@"\n')
    exe.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{__import__('os').environ['PATH']}")
    monkeypatch.setenv("KAGGLE_STAND_IN_DIR", str(folder))
    monkeypatch.delenv("KAGGLE_STAND_IN", raising=False)
    return folder


def calls(folder: Path) -> list[list[str]]:
    path = folder / "calls.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.is_file() else []


def zipped(folder: Path, dest: Path, *, top: str | None = None) -> Path:
    """The folder as Kaggle serves it: its files at the zip's root (or under `top`)."""
    with zipfile.ZipFile(dest, "w") as z:
        for f in sorted(folder.rglob("*")):
            if f.is_file() and not f.name.startswith("."):
                name = str(f.relative_to(folder))
                z.write(f, f"{top}/{name}" if top else name)
    return dest


def test_download_unzips_checks_and_renames_then_keeps_the_folder(tmp_path, stand_in, house_sample, monkeypatch):
    root = tmp_path / "work"
    root.mkdir()
    monkeypatch.setenv("KAGGLE_STAND_IN_ZIP", str(zipped(house_sample, tmp_path / "house.zip")))
    proc = make("house-download", root)
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = root / "data" / HOUSE_SLUG
    assert sorted(p.name for p in data.iterdir()) == sorted(p.name for p in house_sample.iterdir()
                                                             if not p.name.startswith("."))
    assert pd.read_csv(data / "train.csv").equals(pd.read_csv(house_sample / "train.csv"))
    assert "train.csv" in proc.stderr and f"wrote {data}" in proc.stderr
    assert [c[:4] for c in calls(stand_in)] == [["competitions", "download", "-c", HOUSE_SLUG]]
    assert [p.name for p in (root / "data").iterdir()] == [HOUSE_SLUG]         # no temporary folder left
    # already there: kept, nothing downloaded
    proc = make("house-download", root)
    assert proc.returncode == 0 and "already there" in proc.stderr and "FORCE=1" in proc.stderr
    assert len(calls(stand_in)) == 1
    # FORCE=1: downloaded again; a failed forced download keeps the good folder
    before = files_under(data)
    monkeypatch.setenv("KAGGLE_STAND_IN", "cut")
    assert_user_error(make("house-download", root, FORCE="1"), "network")
    assert files_under(data) == before and [p.name for p in (root / "data").iterdir()] == [HOUSE_SLUG]
    monkeypatch.setenv("KAGGLE_STAND_IN", "ok")
    assert make("house-download", root, FORCE="1").returncode == 0 and len(calls(stand_in)) == 3
    # the generic target of a spec competition, and a zip with one top folder
    monkeypatch.setenv("KAGGLE_STAND_IN_ZIP", str(zipped(house_sample, tmp_path / "top.zip", top=HOUSE_SLUG)))
    shutil.rmtree(data)
    assert make("download", root, COMP="house").returncode == 0 and (data / "train.csv").is_file()


@pytest.mark.parametrize("mode, words", [
    ("noauth", ["no credentials", "kaggle auth login", "KAGGLE_API_TOKEN"]),
    ("forbidden", ["403", "accept", f"competitions/{HOUSE_SLUG}/rules"]),
    ("offline", ["cannot reach Kaggle", "network"]),
    ("cut", ["network"]),
    ("wrong layout", ["not the layout", "nothing was written"]),
])
def test_a_failed_download_is_one_line_and_leaves_nothing(tmp_path, stand_in, house_sample, leaves_sample,
                                                          monkeypatch, mode, words):
    root = tmp_path / "work"
    root.mkdir()
    source = leaves_sample if mode == "wrong layout" else house_sample
    monkeypatch.setenv("KAGGLE_STAND_IN_ZIP", str(zipped(source, tmp_path / "d.zip")))
    monkeypatch.setenv("KAGGLE_STAND_IN", "ok" if mode == "wrong layout" else mode)
    assert_user_error(make("house-download", root), *words)
    assert not (root / "data").exists() or not any((root / "data").iterdir())


def test_cowboy_is_scored_on_codalab(tmp_path, stand_in):
    assert_user_error(make("cowboy-download", tmp_path), "CodaLab", "not Kaggle", "data/cowboyoutfits")
    assert calls(stand_in) == []


@pytest.fixture(scope="module")
def house_run(tmp_path_factory, house_sample):
    """Two quick house learners trained and submitted on the sample, as if it were the download."""
    root = tmp_path_factory.mktemp("house-kaggle")
    for exp in ("house-linear", "house-svr"):
        proc = make("house-train", root, DATA=str(house_sample), CONFIG=f"configs/{exp}.yaml", ARGS="folds=2")
        assert proc.returncode == 0, proc.stderr[-2000:]
        proc = make("house-submit", root, DATA=str(house_sample), CONFIG=f"configs/{exp}.yaml", ARGS="folds=2")
        assert proc.returncode == 0, proc.stderr[-2000:]
    proc = make("house-blend", root, DATA=str(house_sample), EXPS="house-linear house-svr", RULE="mean")
    assert proc.returncode == 0, proc.stderr[-2000:]
    return root


def test_submit_records_and_the_lb_join_fills_the_scores(tmp_path, stand_in, house_sample, house_run, monkeypatch):
    root = tmp_path / "work"
    shutil.copytree(house_run, root)
    record = root / "runs" / "house" / "kaggle_submissions.csv"
    cv = json.loads((root / "runs/house/house-linear/cv.json").read_text())
    # DRY=1: the command, nothing sent or recorded
    proc = make("house-kaggle-submit", root, DATA=str(house_sample), EXP="house-linear", DRY="1")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "DRY=1" in proc.stdout and "kaggle competitions submit -c " + HOUSE_SLUG in proc.stdout
    assert f"house-linear CV {cv['score']:.5f} ± {cv['score_se']:.5f} [kk:" in proc.stdout
    assert calls(stand_in) == [] and not record.exists()
    # sent twice (the same file), and a blend
    for _ in range(2):
        proc = make("house-kaggle-submit", root, DATA=str(house_sample), EXP="house-linear")
        assert proc.returncode == 0, proc.stderr[-2000:]
    proc = make("house-kaggle-submit", root, DATA=str(house_sample), BLEND="house-linear+house-svr@mean")
    assert proc.returncode == 0, proc.stderr[-2000:]
    sent = [c for c in calls(stand_in) if c[:2] == ["competitions", "submit"]]
    assert len(sent) == 3 and sent[0][sent[0].index("-f") + 1].endswith("submissions/house/house-linear.csv")
    rows = pd.read_csv(record, dtype={"token": str})
    assert rows["experiment"].tolist() == ["house-linear", "house-linear", "blend-house-linear+house-svr@mean"]
    assert rows["sha256"][0] == rows["sha256"][1] and rows["token"][0] != rows["token"][1]   # identical file
    assert rows["cv"][0] == pytest.approx(cv["score"]) and rows["se"][0] == pytest.approx(cv["score_se"])
    assert all(f"[kk:{t}]" in m for t, m in zip(rows["token"], rows["message"], strict=True))
    # first listing: pending; second: scored, each row by its own token
    monkeypatch.setenv("KAGGLE_STAND_IN_SCORES", "0.15,0.16,0.14")
    proc = make("house-lb", root)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "3 still pending" in proc.stdout and "not sent by the kit" in proc.stdout
    assert set(pd.read_csv(record)["status"]) == {"pending"}
    proc = make("house-lb", root)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = pd.read_csv(record)
    assert rows["public_score"].tolist() == [0.15, 0.16, 0.14] and set(rows["status"]) == {"complete"}
    assert "rank correlation" in proc.stdout and (root / "runs/house/plots/cv_vs_lb.png").is_file()
    # the leaderboard shows the latest public score of each experiment
    proc = make("house-leaderboard", root, DATA=str(house_sample))
    assert proc.returncode == 0, proc.stderr[-2000:]
    table = (root / "runs/house/leaderboard.md").read_text()
    head = next(line for line in table.splitlines() if line.startswith("| #"))
    assert head.rstrip(" |").endswith("public LB")
    row = next(line for line in table.splitlines() if "| house-linear |" in line)
    assert row.rstrip(" |").endswith("0.16000")
    assert "rank correlation" in table.lower() and "more than 2 SE" in table


@pytest.mark.parametrize("mode, words", [("limit", ["daily submission limit", "UTC"]),
                                         ("code", ["code competition", "bundle"]),
                                         ("noauth", ["no credentials"])])
def test_refused_submissions_are_one_line_and_not_recorded(tmp_path, stand_in, house_sample, house_run, monkeypatch,
                                                            mode, words):
    root = tmp_path / "work"
    shutil.copytree(house_run, root)
    monkeypatch.setenv("KAGGLE_STAND_IN", mode)
    assert_user_error(make("house-kaggle-submit", root, DATA=str(house_sample), EXP="house-linear"), *words)
    assert not (root / "runs/house/kaggle_submissions.csv").exists()


def test_a_damaged_submission_file_is_not_sent(tmp_path, stand_in, house_sample, house_run):
    root = tmp_path / "work"
    shutil.copytree(house_run, root)
    sub = root / "submissions/house/house-linear.csv"
    frame = pd.read_csv(sub)
    frame.iloc[:-1].to_csv(sub, index=False)                 # a row lost
    assert_user_error(make("house-kaggle-submit", root, DATA=str(house_sample), EXP="house-linear"),
                      "no longer passes", "rows")
    assert_user_error(make("house-kaggle-submit", root, DATA=str(house_sample), EXP="nope"), "'nope'")
    assert_user_error(make("house-kaggle-submit", root, DATA=str(house_sample)), "EXP=")
    assert calls(stand_in) == []
