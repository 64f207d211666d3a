"""Read and validate the cowboyoutfits download: train.json (COCO), images/, valid.csv and test.csv.

Image ids are unsigned 64-bit integers, many above 2**63-1: they stay Python ints (json parses them exactly)
or strings (the CSVs are read as text), never numpy int64 or float64. Tensors and pycocotools see only row
indices; the original ids come back at the edges (prediction files, answer.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from kaggle_kit.detection.kind import Images
from kaggle_kit.errors import UserError
from kaggle_kit.io import tables
from kaggle_kit.io.fingerprints import data_fingerprint

SLUG = "cowboyoutfits"
CATEGORIES = {87: "belt", 1034: "sunglasses", 131: "boot", 318: "cowboy_hat", 588: "jacket"}
SPLITS = ("valid", "test")
EDGE_TOLERANCE = 1.0        # pixels a box may reach past the image edge (2-decimal rounding); clipped


def _fail_download(msg: str) -> UserError:
    return UserError(f"{msg}; download it again (kaggle competitions download -c {SLUG})")


def read_coco(path: Path) -> dict:
    if not path.is_file():
        raise UserError(f"{path} is missing; unpack the download (kaggle competitions download -c {SLUG}) there")
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


def train_images(coco: dict, path: Path) -> Images:
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
    known = set(CATEGORIES)
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


def read_split(path: Path) -> Images:
    frame = tables.read_csv(path, SLUG, columns=["id", "file_name"])
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


def answer_images(splits: dict[str, Images]) -> Images:
    """The images any split asks about, each once (in the order first listed): nothing says the phases' csvs
    are disjoint, and an image listed in both is predicted once and answered in both. The same id under two
    file names is an error."""
    ids, files, sizes, where = [], [], [], {}
    for split, images in splits.items():
        for image_id, name, size in zip(images.ids, images.files, images.sizes, strict=True):
            if image_id in where:
                first, at = where[image_id]
                if files[at] != name:
                    raise _fail_download(f"image id {image_id} is {files[at]} in {first}.csv but {name} in "
                                         f"{split}.csv")
                continue
            where[image_id] = (split, len(ids))
            ids.append(image_id)
            files.append(name)
            sizes.append(size)
    return Images(ids, files, sizes)


def image_sizes(root: Path, images: Images) -> list[int]:
    """Fill in sizes the files say; an error naming the first few missing or unreadable images."""
    from PIL import Image

    missing, nbytes = [], []
    for i, name in enumerate(images.files):
        path = root / "images" / name
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
            raise _fail_download(f"image {path} is {w}x{h} but train.json says {images.sizes[i][0]}x"
                                 f"{images.sizes[i][1]}")
    if missing:
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        raise UserError(f"{len(missing)} listed images are missing under {root / 'images'}: "
                        f"{', '.join(missing[:3])}{more}; unpack the whole download")
    return nbytes


def read_download(root: Path) -> tuple[Images, dict[str, Images], Images, str]:
    """(train images, each split's images, the images to answer (every split's, each once), fingerprint)."""
    coco_path = root / "train.json"
    coco = read_coco(coco_path)
    train = train_images(coco, coco_path)
    splits = {s: read_split(root / f"{s}.csv") for s in SPLITS}
    nbytes = image_sizes(root, train) + [n for s in SPLITS for n in image_sizes(root, splits[s])]
    check_boxes_inside(train, coco_path)
    answer = answer_images(splits)
    # Runs made before shared images were predicted once hold them twice in test_pred.json: a download whose
    # splits share images gets a fingerprint of its own, so such a run is retrained, never submitted.
    shared = b"" if len(answer.ids) == sum(len(s.ids) for s in splits.values()) else b"answered once"
    digest = data_fingerprint(coco_path, *(root / f"{s}.csv" for s in SPLITS), str(nbytes), shared)
    return train, splits, answer, digest
