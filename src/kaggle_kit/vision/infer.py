"""`make new` on an image download: its competition.yaml inferred from the files. The sample submission is the
CSV named like one; its first column is the id, its other columns the answer (one: a label, so accuracy; one per
class: probabilities, so log loss). The labels CSV is the one whose ids resolve to image files (as paths, file
names or stems in one folder: that folder and suffix make the path template); without one, a folder of class
subfolders is the training set. The test images are where the answer's ids resolve. A question the files cannot
answer is one line naming the option that answers it (--id, --target, --metric)."""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import NamedTuple

import pandas as pd
from PIL import Image

from kaggle_kit.errors import UserError
from kaggle_kit.io import tables
from kaggle_kit.kinds import Inferred
from kaggle_kit.specs import validate
from kaggle_kit.vision.download import class_folders, is_image
from kaggle_kit.vision.spec import METRIC_OF_FORM, ImageSpec

PROBE = 400             # ids checked per column when looking for the images they name (the loader checks all)
CPU_IMAGE_SIZE = 64     # the written config's resolution at most: small enough to train on a CPU


def has_images(data_dir: Path) -> bool:
    for _, _, files in os.walk(data_dir):
        if any(is_image(Path(f)) for f in files):
            return True
    return False


class ImageIndex:
    """Every image file of the download by relative path, by file name and by stem."""

    def __init__(self, root: Path):
        self.paths: set[str] = set()
        self.by_name: dict[str, list[str]] = defaultdict(list)
        self.by_stem: dict[str, list[str]] = defaultdict(list)
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for f in files:
                if is_image(Path(f)):
                    rel = PurePosixPath(Path(folder, f).relative_to(root).as_posix())
                    self.paths.add(str(rel))
                    self.by_name[rel.name].append(str(rel))
                    self.by_stem[rel.stem].append(str(rel))

    def template(self, ids: list[str], prefer: str) -> str | None:
        """The one path template (`{id}`, `<dir>/{id}` or `<dir>/{id}<suffix>`) every probed id resolves to; ties
        go to a folder whose name holds `prefer` (train, test)."""
        step = max(1, len(ids) // PROBE)
        probe = [str(i) for i in ids[::step]]
        found: Counter = Counter()
        for i in probe:
            hits = {"{id}"} if i in self.paths else set()
            hits |= {str(PurePosixPath(p).parent / "{id}") for p in self.by_name.get(i, ())}
            hits |= {str(PurePosixPath(p).parent / "{id}") + PurePosixPath(p).suffix for p in self.by_stem.get(i, ())}
            found.update(h.removeprefix("./") for h in hits)
        full = [t for t, n in found.items() if n == len(probe)]
        return max(full, key=lambda t: (prefer in t.lower(), -len(t)), default=None)


def find_sample(data_dir: Path, csvs: list[str]) -> str | None:
    samples = [c for c in csvs if "sample" in c.lower() or "submission" in c.lower()]
    if len(samples) > 1:
        raise UserError(f"{data_dir} has several sample submissions ({', '.join(samples)}); keep the one Kaggle "
                        "scores against")
    return samples[0] if samples else None


def find_class_folder(data_dir: Path) -> str | None:
    """A folder (up to two levels down) whose subfolders hold images: the training set of a folder-per-class
    download; ties go to one named train."""
    found = []
    for d in [p for p in data_dir.iterdir() if p.is_dir()] + [p for p in data_dir.glob("*/*") if p.is_dir()]:
        subs = [s for s in d.iterdir() if s.is_dir() and not s.name.startswith(".")]
        if len(subs) >= 2 and any(is_image(f) for s in subs[:50] for f in s.iterdir()):
            found.append(str(d.relative_to(data_dir).as_posix()))
    return max(found, key=lambda f: ("train" in f.lower(), -len(f)), default=None)


def typical_size(data_dir: Path, paths: list[str]) -> int:
    """The shorter side of the median probed training image."""
    sides = []
    for p in paths[:: max(1, len(paths) // 20)][:20]:
        with Image.open(data_dir / p) as im:
            sides.append(min(im.size))
    return sorted(sides)[len(sides) // 2]


class ImageTable(NamedTuple):
    """A CSV of the download with a column naming images."""
    csv: str
    column: str
    template: str          # how the column's values name image files ({id} in it)
    frame: pd.DataFrame


@dataclass
class TrainingImages:
    """Where the training images and their labels are: a labels table, or a folder per class."""
    layout: str            # table | folders
    template: str
    paths: list[str]
    labels: list
    id_column: str
    label: str | None = None
    files: dict = field(default_factory=dict)
    note: str = ""


def image_tables(name: str, data_dir: Path, index: ImageIndex, csvs: list[str], sample_name: str | None,
                 id_column: str | None) -> list[ImageTable]:
    """Every CSV column (but the sample's) whose values name images of the download."""
    found = []
    for c in (c for c in csvs if c != sample_name):
        frame = tables.read_csv(data_dir / c, name)
        for col in frame.columns:
            if id_column is None or col == id_column:
                t = index.template(frame[col].tolist(), prefer="test" if "test" in c.lower() else "train")
                if t:
                    found.append(ImageTable(c, col, t, frame))
    return found


def training_images(data_dir: Path, found: list[ImageTable], csvs: list[str], sample, *, target: str | None,
                    id_column: str | None) -> TrainingImages:
    """The labels table (the image table with a column beside the id; a train or labels file first), else the
    folder holding one subfolder per class."""
    labelled = sorted((t for t in found if len(t.frame.columns) >= 2),
                      key=lambda t: ("test" in t.csv.lower(), not any(w in t.csv.lower() for w in ("train", "label"))))
    if labelled:
        table = labelled[0]
        others = [c for c in table.frame.columns if c != table.column]
        if target is None:
            if len(others) != 1:
                raise UserError(f"{table.csv} has {len(others)} columns beside the id {table.column} "
                                f"({', '.join(others)}); name the label column with --target")
            target = others[0]
        elif target not in others:
            raise UserError(f"--target {target} is not a column of {table.csv} (columns: {', '.join(others)})")
        ids = table.frame[table.column].tolist()
        id_column = id_column or (sample.columns[0] if sample is not None else table.column)
        files = {"labels": table.csv}
        test_csvs = [t for t in found if t.csv != table.csv and t.column == id_column]
        if test_csvs:
            files["test"] = test_csvs[0].csv
        return TrainingImages("table", table.template, [table.template.replace("{id}", i) for i in ids],
                              table.frame[target].tolist(), id_column, target, files,
                              f"training images: {len(ids)} rows of {table.csv} ({table.column} -> {table.template}), "
                              f"labels in {target}")
    folder = find_class_folder(data_dir)
    if folder is None:
        raise UserError(f"{data_dir}: no CSV names the training images and no folder holds one subfolder per "
                        f"class (CSVs: {', '.join(csvs) or 'none'}); unpack the whole download, or name the id "
                        "column with --id")
    paths, labels = class_folders(data_dir, folder)
    return TrainingImages("folders", folder, paths, labels, id_column or (sample.columns[0] if sample is not None
                                                                            else "id"),
                          note=f"training images: {len(paths)} in {folder}/<class>/ (folder per class)")


def find_test_rows(name: str, data_dir: Path, index: ImageIndex, sample, sample_name: str | None, files: dict,
              id_column: str) -> tuple[str, list[str], list[str]]:
    """(the test images' template, notes, checks): from the sample submission's ids, a test CSV's, or else the
    images of a test folder in natural order."""
    if sample is not None:
        if id_column not in sample.columns:
            raise UserError(f"{sample_name} has no column {id_column}; name the id column with --id")
        test_ids, where = sample[id_column].tolist(), sample_name
    elif "test" in files:
        test_ids, where = tables.read_csv(data_dir / files["test"], name)[id_column].tolist(), files["test"]
    else:
        folders = sorted({str(PurePosixPath(p).parent) for p in index.paths if "test" in p.lower()} - {"."})
        if not folders:
            raise UserError(f"{data_dir} has no sample submission, no test CSV and no test folder; unpack the whole "
                            "download")
        n = sum(1 for p in index.paths if str(PurePosixPath(p).parent) == folders[0])
        return (f"{folders[0]}/{{id}}",
                [f"test rows: the {n} images of {folders[0]}/ in natural order (1, 2, 10), ids their file names"],
                ["test rows: no sample submission says which rows to answer or in what order; check the "
                 "competition's Evaluation page"])
    template = index.template(test_ids, prefer="test")
    if template is None:
        raise UserError(f"the ids of {where}'s {id_column} column do not all name images of the download (as "
                        "paths, file names or stems in one folder); unpack the whole download")
    return template, [f"test rows: {len(test_ids)} from {where} ({id_column} -> {template}), in its order"], []


def answer_form(sample, sample_name: str | None, label: str | None, classes: list[str],
                metric: str | None) -> tuple[str, list[str], str]:
    """(the submission form, its answer columns, the metric that scores it): one column is labels, a column per
    class probabilities."""
    columns = list(sample.columns[1:]) if sample is not None else [label or "label"]
    form = "labels" if len(columns) == 1 else "probabilities"
    if form == "probabilities" and sorted(columns) != classes:
        stray = sorted(set(columns) ^ set(classes))
        raise UserError(f"{sample_name} has a column per class, but its columns are not the training classes "
                        f"({len(stray)} differ, e.g. {stray[0]}); check --target")
    if metric is not None and METRIC_OF_FORM[form] != metric:
        raise UserError(f"--metric {metric} does not score a {form} submission (it takes {METRIC_OF_FORM[form]})")
    return form, columns, METRIC_OF_FORM[form]


def infer_image_spec(name: str, data_dir: Path, *, metric: str | None = None, target: str | None = None,
                     id_column: str | None = None) -> Inferred:
    index = ImageIndex(data_dir)
    csvs = sorted(p.name for p in data_dir.glob("*.csv"))
    sample_name = find_sample(data_dir, csvs)
    sample = tables.read_csv(data_dir / sample_name, name) if sample_name else None
    found = image_tables(name, data_dir, index, csvs, sample_name, id_column)
    train = training_images(data_dir, found, csvs, sample, target=target, id_column=id_column)
    test_template, notes, checks = find_test_rows(name, data_dir, index, sample, sample_name, train.files, train.id_column)
    notes = [train.note, *notes]
    classes = sorted(set(train.labels))
    form, columns, metric = answer_form(sample, sample_name, train.label, classes, metric)
    notes.append(f"submission: {form} in column(s) {', '.join(columns[:4])}{' ...' if len(columns) > 4 else ''}; "
                 f"metric {metric}")
    checks.append(f"metric {metric}: the competition's Evaluation page names the real one")
    counts = pd.Series(train.labels).value_counts()
    notes.append(f"classes: {len(classes)} ({', '.join(classes[:6])}{' ...' if len(classes) > 6 else ''}), the "
                 f"rarest with {counts.min()} images")
    files = {**train.files, **({"sample_submission": sample_name} if sample is not None else {})}
    spec = validate(ImageSpec, {"kind": "image_classification", "slug": name, "layout": train.layout, "files": files,
                                "id": train.id_column, "label": train.label, "train_images": train.template,
                                "test_images": test_template, "metric": metric, "submission": form,
                                "answer_columns": columns, "classes": classes}, "make new")
    size = max(16, min(CPU_IMAGE_SIZE, typical_size(data_dir, train.paths)) // 8 * 8)
    checks.append(f"configs/{name}.yaml: a small CNN from random initialisation at {size} px for a CPU; on a GPU "
                  "set pretrained: true, a larger model and image_size")
    return Inferred(spec, notes, checks, context={"image_size": size})


def config_texts(name: str, spec: ImageSpec, context: dict) -> dict[str, str]:
    """configs/<name>.yaml: a CPU-sized timm CNN from random initialisation; nothing that only helps pretrained
    weights (the head's rate is 1 unless they are pretrained; eval at the training resolution without
    augmentation)."""
    size = context.get("image_size", CPU_IMAGE_SIZE)
    smoothing = 0.0 if spec.metric == "logloss" else 0.1      # smoothed targets cost log loss
    text = f"""# {name}: a small timm CNN from random initialisation, sized for a CPU (written by make new).
# On a GPU: pretrained: true, a larger model (e.g. resnet50d), image_size: 224, precision: 16-mixed,
# accelerator: gpu, tta: flips.
seed: 0
fold_seed: 42
folds: 5
model: resnet10t
pretrained: false
image_size: {size}
epochs: 15
batch_size: 32
lr: 3.0e-3
optimizer: adamw
weight_decay: 0.05
warmup_epochs: 1
augment: light
eval_resize: null        # the training resolution with augment none, else 1.14
head_lr_mult: null       # 10 with pretrained weights, else 1
label_smoothing: {smoothing}
duplicate_distance: 2    # near-duplicate images (perceptual hash within 2 bits) share a fold
tta: hflip
ensemble: mean
num_workers: 2
"""
    return {name: text}


def infer_download(name: str, data_dir: Path, *, metric, target, id_column, problem):
    """make new for an image download (kaggle_kit.kinds): the spec and its configs' texts."""
    if problem is not None:
        raise UserError("--problem is for tables; an image download is a classification by its labels")
    inferred = infer_image_spec(name, data_dir, metric=metric, target=target, id_column=id_column)
    return inferred, config_texts(name, inferred.spec, inferred.context)
