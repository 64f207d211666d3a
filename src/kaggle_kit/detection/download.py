"""Reading a detection download as its competition.yaml describes it: COCO train annotations with an
`id,file_name` CSV per test set, or a CSV with one row per box (`image_id,width,height,bbox`,
global-wheat-detection) with the sample submission's rows to answer. Boxes are checked (four numbers, inside
their image), every listed image is read for its size, and ids are kept exact: COCO's unsigned 64-bit integers
stay Python ints (json parses them exactly) and CSV ids stay the strings the files hold, never numpy int64 or
float64. Tensors and pycocotools see only row indices; the original ids come back at the edges."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from kaggle_kit.detection.coco_eval import coco_ground_truth
from kaggle_kit.detection.kind import DetectionData, Images
from kaggle_kit.detection.spec import DetectionSpec
from kaggle_kit.errors import UserError
from kaggle_kit.io import tables
from kaggle_kit.io.fingerprints import data_fingerprint
from kaggle_kit.vision.download import fill, ids_in_folder

EDGE_TOLERANCE = 1.0        # pixels a box may reach past the image edge (2-decimal rounding); clipped


def _fail_download(msg: str, slug: str = "") -> UserError:
    return UserError(f"{msg}; download it again" + (f" (kaggle competitions download -c {slug})" if slug else ""))


def read_coco(path: Path, slug: str) -> dict:
    if not path.is_file():
        raise UserError(f"{path} is missing; unpack the download (kaggle competitions download -c {slug}) there")
    try:
        coco = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise _fail_download(f"{path} is not valid JSON ({e.msg} at line {e.lineno}, column {e.colno})") from None
    except UnicodeDecodeError:
        raise _fail_download(f"{path} is not a text file") from None
    if not isinstance(coco, dict) or not all(isinstance(coco.get(k), list) for k in
                                             ("images", "annotations", "categories")):
        raise _fail_download(f"{path} is not a COCO file (it needs lists 'images', 'annotations', 'categories')")
    return coco


def is_uint64(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**64


def train_images(coco: dict, path: Path, categories: dict[int, str]) -> Images:
    ids, files, sizes, where = [], [], [], {}
    for im in coco["images"]:
        if not (isinstance(im, dict) and is_uint64(im.get("id")) and isinstance(im.get("file_name"), str)):
            raise _fail_download(f"{path}: image entry {str(im)[:80]} needs an unsigned 64-bit integer 'id' and a "
                                 "'file_name'")
        if im["id"] in where:
            raise _fail_download(f"{path}: image id {im['id']} appears twice in 'images'")
        where[im["id"]] = len(ids)
        ids.append(im["id"])
        files.append(im["file_name"])
        sizes.append((int(im.get("width") or 0), int(im.get("height") or 0)))
    known = set(categories)
    boxes: list[list] = [[] for _ in ids]
    for ann in coco["annotations"]:
        aid = ann.get("id") if isinstance(ann, dict) else None
        if aid is None or ann.get("image_id") not in where:
            raise _fail_download(f"{path}: annotation {aid} refers to image id {ann.get('image_id')}, which is not "
                                 "in 'images'")
        if ann.get("category_id") not in known:
            raise _fail_download(f"{path}: annotation {aid} has category_id {ann.get('category_id')}; the "
                                 f"categories are {sorted(known)}")
        bbox = ann.get("bbox")
        if not (isinstance(bbox, list) and len(bbox) == 4 and all(isinstance(v, int | float) for v in bbox)):
            raise _fail_download(f"{path}: annotation {aid} has bbox {bbox}; COCO boxes are [x, y, w, h]")
        x, y, w, h = (float(v) for v in bbox)
        if w <= 0 or h <= 0:
            raise _fail_download(f"{path}: annotation {aid} has a box of width {w} and height {h}; both must be "
                                 "positive")
        i = where[ann["image_id"]]
        boxes[i].append([x, y, x + w, y + h, ann["category_id"]])
    return Images(ids, files, sizes, boxes)


def check_boxes_inside(images: Images, path: Path) -> None:
    for (width, height), boxes, image_id in zip(images.sizes, images.boxes, images.ids, strict=True):
        for b in boxes:
            if b[0] < -EDGE_TOLERANCE or b[1] < -EDGE_TOLERANCE or b[2] > width + EDGE_TOLERANCE or \
                    b[3] > height + EDGE_TOLERANCE:
                raise _fail_download(f"{path}: a box of image {image_id}, [x1 y1 x2 y2] = "
                                     f"{[round(v, 2) for v in b[:4]]}, lies outside its {width}x{height} image")
            b[0], b[1], b[2], b[3] = max(0.0, b[0]), max(0.0, b[1]), min(float(width), b[2]), min(float(height), b[3])


def read_split(path: Path, slug: str) -> Images:
    frame = tables.read_csv(path, slug, columns=["id", "file_name"])
    bad = [v for v in frame["id"] if not (v.isdigit() and int(v) < 2**64)]
    if bad:
        raise _fail_download(f"{path}: id {bad[0]!r} is not an unsigned 64-bit integer ({len(bad)} such ids)")
    ids = [int(v) for v in frame["id"]]
    for column, values in (("id", pd.Series(ids)), ("file_name", frame["file_name"])):
        repeated = values[values.duplicated()]
        if len(repeated):
            row = int(repeated.index[0])
            raise _fail_download(f"{path}: row {row + 2} repeats {column} {frame[column][row]} of an earlier row; "
                                 "each image is listed once")
    return Images(ids, frame["file_name"].tolist(), [(0, 0)] * len(frame))


def answer_images(splits: dict[str, Images], files_of: dict[str, str]) -> Images:
    """The images any split asks about, each once (in the order first listed): nothing says the phases' csvs
    are disjoint, and an image listed in both is predicted once and answered in both. The same id under two
    file names is an error."""
    ids, files, sizes, where = [], [], [], {}
    for split, images in splits.items():
        for image_id, name, size in zip(images.ids, images.files, images.sizes, strict=True):
            if image_id in where:
                first, at = where[image_id]
                if files[at] != name:
                    raise _fail_download(f"image id {image_id} is {files[at]} in {files_of[first]} but {name} in "
                                         f"{files_of[split]}")
                continue
            where[image_id] = (split, len(ids))
            ids.append(image_id)
            files.append(name)
            sizes.append(size)
    return Images(ids, files, sizes)


def image_sizes(root: Path, images: Images, said_by: str) -> list[int]:
    """Fill in sizes the files say (files relative to root); an error naming the first few missing or unreadable
    images, or one whose size differs from what `said_by` says."""
    from PIL import Image

    missing, nbytes = [], []
    for i, name in enumerate(images.files):
        path = root / name
        try:
            with Image.open(path) as im:
                w, h = im.size
            nbytes.append(path.stat().st_size)
        except FileNotFoundError:
            missing.append(name)
            continue
        except Exception:
            raise _fail_download(f"image {path} is corrupt or not an image") from None
        if images.sizes[i] == (0, 0):
            images.sizes[i] = (w, h)
        elif images.sizes[i] != (w, h):
            raise _fail_download(f"image {path} is {w}x{h} but {said_by} says {images.sizes[i][0]}x"
                                 f"{images.sizes[i][1]}")
    if missing:
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        raise UserError(f"{len(missing)} listed images are missing under {root}: "
                        f"{', '.join(missing[:3])}{more}; unpack the whole download")
    return nbytes


def read_coco_download(spec: DetectionSpec, root: Path, slug: str) -> tuple[Images, dict[str, Images], Images, str]:
    """(train images, each split's images, the images to answer (every split's, each once), fingerprint)."""
    coco_path = root / spec.train
    coco = read_coco(coco_path, slug)
    train = train_images(coco, coco_path, spec.categories)
    splits = {s: read_split(root / f, slug) for s, f in spec.splits.items()}
    images_dir = root / spec.images
    nbytes = image_sizes(images_dir, train, coco_path.name) + [
        n for s in splits for n in image_sizes(images_dir, splits[s], coco_path.name)]
    check_boxes_inside(train, coco_path)
    answer = answer_images(splits, spec.splits)
    # Runs made before shared images were predicted once hold them twice in test_pred.json: a download whose
    # splits share images gets a fingerprint of its own, so such a run is retrained, never submitted.
    shared = b"" if len(answer.ids) == sum(len(s.ids) for s in splits.values()) else b"answered once"
    digest = data_fingerprint(coco_path, *(root / f for f in spec.splits.values()), str(nbytes), shared)
    return train, splits, answer, digest


NUMBER = r"\s*-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*"
BOX = re.compile(rf"\[{NUMBER},{NUMBER},{NUMBER},{NUMBER}\]")


def parse_box(text: str, row: int, path: Path) -> list[float]:
    if not BOX.fullmatch(text.strip()):
        raise _fail_download(f"{path}: row {row} has bbox {text!r}, not four numbers [x, y, w, h]")
    x, y, w, h = json.loads(text)
    if w <= 0 or h <= 0:
        raise _fail_download(f"{path}: row {row} has a box of width {w} and height {h}; both must be positive")
    return [float(x), float(y), float(x) + float(w), float(y) + float(h)]


def read_box_csv(spec: DetectionSpec, root: Path, slug: str) -> tuple[Images, Images, pd.DataFrame, str]:
    """(train images with their boxes, the images to answer, the sample submission, fingerprint)."""
    path = root / spec.train
    frame = tables.read_csv(path, slug, columns=[spec.id, "width", "height", spec.box_column])
    category = next(iter(spec.categories))
    where, ids, sizes, boxes = {}, [], [], []
    for row, (i, w, h, box) in enumerate(zip(frame[spec.id], frame["width"], frame["height"],
                                             frame[spec.box_column], strict=True), start=2):
        try:
            size = (int(float(w)), int(float(h)))
        except ValueError:
            raise _fail_download(f"{path}: row {row} has width {w!r} and height {h!r}; both are pixel counts",
                                 slug) from None
        if i not in where:
            where[i] = len(ids)
            ids.append(i)
            sizes.append(size)
            boxes.append([])
        elif sizes[where[i]] != size:
            raise _fail_download(f"{path}: row {row} gives image {i} the size {size[0]}x{size[1]}, an earlier row "
                                 f"{sizes[where[i]][0]}x{sizes[where[i]][1]}", slug)
        boxes[where[i]].append([*parse_box(box, row, path), category])
    unboxed = [i for i in ids_in_folder(root, spec.train_images) if i not in where]   # images without a box
    ids += unboxed
    sizes += [(0, 0)] * len(unboxed)
    boxes += [[] for _ in unboxed]
    train = Images(ids, fill(spec.train_images, ids), sizes, boxes)
    sample_path = root / spec.sample_submission
    sample = tables.read_csv(sample_path, slug, columns=[spec.id, spec.answer_column])
    repeated = sample[spec.id][sample[spec.id].duplicated()]
    if len(repeated):
        raise _fail_download(f"{sample_path}: row {int(repeated.index[0]) + 2} repeats {spec.id} {repeated.iloc[0]} "
                             "of an earlier row; each image is listed once", slug)
    test_ids = sample[spec.id].tolist()
    test = Images(test_ids, fill(spec.test_images, test_ids), [(0, 0)] * len(test_ids))
    nbytes = image_sizes(root, train, spec.train) + image_sizes(root, test, spec.train)
    check_boxes_inside(train, path)
    return train, test, sample, data_fingerprint(path, sample_path, str(nbytes), "\n".join(unboxed))


def read_detection_download(spec: DetectionSpec, root: Path, slug: str) -> DetectionData:
    categories = dict(spec.categories)
    if spec.annotations == "coco":
        train, splits, test, fingerprint = read_coco_download(spec, root, slug)
        split_ids = {s: {str(i) for i in splits[s].ids} for s in spec.splits}
        images_dir, sample = root / spec.images, None
    else:
        train, test, sample, fingerprint = read_box_csv(spec, root, slug)
        split_ids, images_dir = {"test": {str(i) for i in test.ids}}, root
    present = np.zeros((len(train.ids), len(categories)), dtype=int)
    column = {c: k for k, c in enumerate(categories)}
    for i, boxes in enumerate(train.boxes):
        for b in boxes:
            present[i, column[b[4]]] = 1
    return DetectionData(ids=[str(i) for i in train.ids], test_ids=[str(i) for i in test.ids],
                         fingerprint=fingerprint, stratify=present, images_dir=images_dir, categories=categories,
                         train=train, test=test, split_ids=split_ids, sample_submission=sample,
                         gt=coco_ground_truth(train.sizes, train.boxes, categories))
