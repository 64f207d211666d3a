"""`make new` on an image download: its competition.yaml inferred from the files. The sample submission is the
CSV named like one; its first column is the id, its other columns the answer (one: a label, so accuracy; one per
class: probabilities, so log loss). The labels CSV is the one whose ids resolve to image files (as paths, file
names or stems in one folder: that folder and suffix make the path template); without one, a folder of class
subfolders is the training set. The test images are where the answer's ids resolve. A question the files cannot
answer is one line naming the option that answers it (--id, --target, --metric)."""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from pathlib import Path, PurePosixPath

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


def infer_image_spec(name: str, data_dir: Path, *, metric: str | None = None, target: str | None = None,
                     id_column: str | None = None) -> Inferred:
    index = ImageIndex(data_dir)
    csvs = sorted(p.name for p in data_dir.glob("*.csv"))
    sample_name = find_sample(data_dir, csvs)
    sample = tables.read_csv(data_dir / sample_name, name) if sample_name else None
    notes, checks = [], []
    tables_with_images = []            # (csv, column, template, frame) of every other CSV column naming images
    for c in (c for c in csvs if c != sample_name):
        frame = tables.read_csv(data_dir / c, name)
        for col in frame.columns:
            if id_column is None or col == id_column:
                t = index.template(frame[col].tolist(), prefer="test" if "test" in c.lower() else "train")
                if t:
                    tables_with_images.append((c, col, t, frame))
    labelled = [t for t in tables_with_images if len(t[3].columns) >= 2]
    labelled.sort(key=lambda t: ("test" in t[0].lower(), not any(w in t[0].lower() for w in ("train", "label"))))
    files, label = {}, None
    if labelled:
        labels_csv, id_col, train_template, train = labelled[0]
        others = [c for c in train.columns if c != id_col]
        if target is None:
            if len(others) != 1:
                raise UserError(f"{labels_csv} has {len(others)} columns beside the id {id_col} "
                                f"({', '.join(others)}); name the label column with --target")
            target = others[0]
        elif target not in others:
            raise UserError(f"--target {target} is not a column of {labels_csv} (columns: {', '.join(others)})")
        layout, label, files["labels"] = "table", target, labels_csv
        train_ids, train_labels = train[id_col].tolist(), train[target].tolist()
        train_paths = [train_template.replace("{id}", i) for i in train_ids]
        notes.append(f"training images: {len(train_ids)} rows of {labels_csv} ({id_col} -> {train_template}), "
                     f"labels in {target}")
        id_column = id_column or (sample.columns[0] if sample is not None else id_col)
        test_csvs = [t for t in tables_with_images if t[0] != labels_csv and t[1] == id_column]
        if test_csvs:
            files["test"] = test_csvs[0][0]
    else:
        folder = find_class_folder(data_dir)
        if folder is None:
            raise UserError(f"{data_dir}: no CSV names the training images and no folder holds one subfolder per "
                            f"class (CSVs: {', '.join(csvs) or 'none'}); unpack the whole download, or name the id "
                            "column with --id")
        layout, train_template = "folders", folder
        train_paths, train_labels = class_folders(data_dir, folder)
        notes.append(f"training images: {len(train_paths)} in {folder}/<class>/ (folder per class)")
        id_column = id_column or (sample.columns[0] if sample is not None else "id")
    if sample is not None:
        if id_column not in sample.columns:
            raise UserError(f"{sample_name} has no column {id_column}; name the id column with --id")
        test_ids, where = sample[id_column].tolist(), sample_name
    elif "test" in files:
        test_ids, where = tables.read_csv(data_dir / files["test"], name)[id_column].tolist(), files["test"]
    else:
        test_ids, where = None, None
    if test_ids is not None:
        test_template = index.template(test_ids, prefer="test")
        if test_template is None:
            raise UserError(f"the ids of {where}'s {id_column} column do not all name images of the download (as "
                            "paths, file names or stems in one folder); unpack the whole download")
    else:
        folders = sorted({str(PurePosixPath(p).parent) for p in index.paths if "test" in p.lower()} - {"."})
        if not folders:
            raise UserError(f"{data_dir} has no sample submission, no test CSV and no test folder; unpack the whole "
                            "download")
        test_template = f"{folders[0]}/{{id}}"
        n = sum(1 for p in index.paths if str(PurePosixPath(p).parent) == folders[0])
        notes.append(f"test rows: the {n} images of {folders[0]}/ in natural order (1, 2, 10), ids their file names")
        checks.append("test rows: no sample submission says which rows to answer or in what order; check the "
                      "competition's Evaluation page")
    if test_ids is not None:
        notes.append(f"test rows: {len(test_ids)} from {where} ({id_column} -> {test_template}), in its order")
    classes = sorted(set(train_labels))
    columns = list(sample.columns[1:]) if sample is not None else [label or "label"]
    if len(columns) == 1:
        form = "labels"
    else:
        form = "probabilities"
        if sorted(columns) != classes:
            stray = sorted(set(columns) ^ set(classes))
            raise UserError(f"{sample_name} has a column per class, but its columns are not the training classes "
                            f"({len(stray)} differ, e.g. {stray[0]}); check --target")
    if metric is not None and METRIC_OF_FORM[form] != metric:
        raise UserError(f"--metric {metric} does not score a {form} submission (it takes {METRIC_OF_FORM[form]})")
    metric = METRIC_OF_FORM[form]
    notes.append(f"submission: {form} in column(s) {', '.join(columns[:4])}{' ...' if len(columns) > 4 else ''}; "
                 f"metric {metric}")
    checks.append(f"metric {metric}: the competition's Evaluation page names the real one")
    counts = pd.Series(train_labels).value_counts()
    notes.append(f"classes: {len(classes)} ({', '.join(classes[:6])}{' ...' if len(classes) > 6 else ''}), the "
                 f"rarest with {counts.min()} images")
    if sample is not None:
        files["sample_submission"] = sample_name
    spec = validate(ImageSpec, {"kind": "image_classification", "slug": name, "layout": layout, "files": files,
                                "id": id_column, "label": label, "train_images": train_template,
                                "test_images": test_template, "metric": metric, "submission": form,
                                "answer_columns": columns, "classes": classes}, "make new")
    size = max(16, min(CPU_IMAGE_SIZE, typical_size(data_dir, train_paths)) // 8 * 8)
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
