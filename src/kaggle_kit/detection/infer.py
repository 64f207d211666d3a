"""`make new` on a detection download: its competition.yaml inferred from the files. A JSON with COCO's
`images`, `annotations` and `categories` is the COCO form: every `id,file_name` CSV is a test set (valid first),
the images' folder is where the file names are, the categories are the JSON's in its order, and the answer is
COCO results in a zip. A CSV with a `bbox` column is the box-CSV form (global-wheat-detection): its ids and the
sample submission's resolve to image path templates (kaggle_kit.vision.infer.ImageIndex), one category, and
the answer is a PredictionString per image in the sample's order."""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath

from kaggle_kit.errors import UserError
from kaggle_kit.io import tables
from kaggle_kit.kinds import Inferred
from kaggle_kit.specs import validate
from kaggle_kit.vision.infer import ImageIndex, find_sample

COCO_KEYS = ("images", "annotations", "categories")


def coco_file(data_dir: Path) -> str | None:
    for p in sorted(data_dir.glob("*.json")):
        try:
            head = json.loads(p.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError):
            continue
        if isinstance(head, dict) and all(isinstance(head.get(k), list) for k in COCO_KEYS):
            return p.name
    return None


def box_csv(data_dir: Path) -> str | None:
    for p in sorted(data_dir.glob("*.csv")):
        with open(p, encoding="utf-8", errors="replace") as f:
            if "bbox" in f.readline().strip().split(","):
                return p.name
    return None


def is_detection(data_dir: Path) -> bool:
    return coco_file(data_dir) is not None or box_csv(data_dir) is not None


def infer_detection_spec(name: str, data_dir: Path, *, id_column: str | None = None) -> Inferred:
    notes, checks = [], []
    coco_name = coco_file(data_dir)
    if coco_name:
        coco = json.loads((data_dir / coco_name).read_text())
        categories = {int(c["id"]): str(c["name"]) for c in coco["categories"]}
        splits = {}
        for c in sorted(data_dir.glob("*.csv"), key=lambda p: ("val" not in p.name.lower(), p.name)):
            header = c.open(encoding="utf-8", errors="replace").readline().strip().split(",")
            if header[:2] == ["id", "file_name"]:
                splits[c.stem] = c.name
        if not splits:
            raise UserError(f"{data_dir} has {coco_name} but no id,file_name CSV of the images to answer; unpack the "
                            "whole download")
        index = ImageIndex(data_dir)
        names = [im.get("file_name", "") for im in coco["images"][:200]]
        parents = {str(PurePosixPath(p).parent) for n in names for p in index.by_name.get(n, [])}
        if len(parents) != 1:
            raise UserError(f"the file names of {coco_name} are not all images of one folder of {data_dir}; unpack "
                            "the whole download")
        images = parents.pop()
        notes += [f"annotations: COCO {coco_name} ({len(coco['images'])} images, {len(coco['annotations'])} boxes), "
                  f"images in {images}/",
                  f"test sets: {', '.join(f'{s} ({f})' for s, f in splits.items())}; SPLIT= picks one, "
                  f"{next(iter(splits))} by default",
                  "submission: COCO results (answer.json) in a zip"]
        data = {"annotations": "coco", "train": coco_name, "images": "" if images == "." else images,
                "splits": splits, "submission": "coco_zip"}
    else:
        csv_name = box_csv(data_dir)
        sample_name = find_sample(data_dir, sorted(p.name for p in data_dir.glob("*.csv") if p.name != csv_name))
        if sample_name is None:
            raise UserError(f"{data_dir} has {csv_name} but no sample submission saying which images to answer")
        sample = tables.read_csv(data_dir / sample_name, name)
        id_column = id_column or sample.columns[0]
        train = tables.read_csv(data_dir / csv_name, name, columns=[id_column, "width", "height", "bbox"])
        index = ImageIndex(data_dir)
        templates = {}
        for key, ids, prefer, where in (("train_images", train[id_column].unique().tolist(), "train", csv_name),
                                        ("test_images", sample[id_column].tolist(), "test", sample_name)):
            templates[key] = index.template(ids, prefer=prefer)
            if templates[key] is None:
                raise UserError(f"the {id_column} values of {where} do not all name images of the download (as "
                                "file names or stems in one folder); unpack the whole download, or name the id "
                                "column with --id")
        categories = {1: "object"}
        notes += [f"annotations: {len(train)} boxes in {csv_name} on {train[id_column].nunique()} images "
                  f"({id_column} -> {templates['train_images']}); images of that folder without a row have no box",
                  f"test rows: {len(sample)} from {sample_name} ({id_column} -> {templates['test_images']})",
                  f"submission: {sample.columns[1]} (`score x y w h ...`) per image, in {sample_name}'s order"]
        checks.append("categories: the CSV names none; one category, `object` (rename it in the spec)")
        data = {"annotations": "csv", "train": csv_name, "id": id_column, **templates,
                "sample_submission": sample_name, "answer_column": sample.columns[1],
                "submission": "prediction_string"}
    notes.append(f"categories: {len(categories)} ({', '.join(list(categories.values())[:6])})")
    checks.append("metric: COCO AP (AP50 and per class beside it); the competition's Evaluation page names the "
                  "real one")
    from kaggle_kit.detection.spec import DetectionSpec

    spec = validate(DetectionSpec, {"kind": "detection", "slug": name, **data,
                                    "categories": categories}, "make new")
    return Inferred(spec, notes, checks)


def config_texts(name: str, spec, context: dict) -> dict[str, str]:
    """configs/<name>.yaml: a small FCOS on a timm backbone from random initialisation, sized for a CPU."""
    return {name: f"""# {name}: FCOS on a small timm backbone from random initialisation, sized for a CPU (written by make new).
# On a GPU: pretrained: true, a larger backbone (e.g. resnet50d), image_size: 1024, precision: 16-mixed,
# accelerator: gpu, tta: hflip.
seed: 0
fold_seed: 42
folds: 3
detector: fcos
backbone: resnet10t
pretrained: false
image_size: 160
fpn_channels: 64
head_convs: 2
anchor_size: 8
augment: light
sampler: class_aware      # images holding rare categories come up more often
epochs: 14
batch_size: 8
lr: 1.5e-3
optimizer: adamw
weight_decay: 1.0e-4
warmup_epochs: 2
grad_clip: 2.0
checkpoint: last
val_every: 4
num_workers: 2
"""}


def infer_download(name: str, data_dir: Path, *, metric, target, id_column, problem):
    """make new for a box download (kaggle_kit.kinds): the spec and its configs' texts."""
    if problem is not None or metric is not None or target is not None:
        raise UserError("--problem, --metric and --target are for tables and image classes; a detection "
                        "download is scored by COCO AP on its boxes")
    inferred = infer_detection_spec(name, data_dir, id_column=id_column)
    return inferred, config_texts(name, inferred.spec, inferred.context)
