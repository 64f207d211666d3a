"""Reading an image-classification download as its competition.yaml describes it: the training images and
their labels (a labels CSV whose ids fill a path template, or one folder per class), the rows to answer (the
sample submission's, else the test CSV's, else the test folder's in natural order), and the checks that every
listed image is there and readable. Ids stay the strings the files hold."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from kaggle_kit.errors import UserError
from kaggle_kit.io import tables
from kaggle_kit.io.fingerprints import data_fingerprint
from kaggle_kit.vision.images import jpeg_cut_short
from kaggle_kit.vision.kind import ImageData
from kaggle_kit.vision.spec import ImageSpec

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif")


def is_image(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith(".")


def natural_key(text: str) -> list:
    """Numbers in numeric order: 1, 2, 10, not 1, 10, 2."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text)]


def images_in(folder: Path) -> list[Path]:
    """The image files directly in `folder`, in natural order."""
    return sorted((p for p in folder.iterdir() if p.is_file() and is_image(p)), key=lambda p: natural_key(p.name))


def check_images(root: Path, names: list[str]) -> list[int]:
    """Sizes of the listed images; an error naming the first few that are missing or empty, or the first that is
    corrupt or a JPEG cut short (headers and end marker here; the pixels when read)."""
    sizes, missing = [], []
    for name in names:
        try:
            size = (root / name).stat().st_size
        except OSError:
            size = 0
        if not size:
            missing.append(name)
        sizes.append(size)
    if missing:
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        raise UserError(f"{len(missing)} listed images are missing or empty under {root}: "
                        f"{', '.join(missing[:3])}{more}; unpack the whole download")
    for name, size in zip(names, sizes, strict=True):
        try:
            with Image.open(root / name) as im:
                im.verify()
            with open(root / name, "rb") as f:
                head = f.read(2)
                f.seek(max(0, size - 64))
                cut_short = jpeg_cut_short(head, f.read())
        except Exception:
            cut_short = True
        if cut_short:
            raise UserError(f"image {root / name} is corrupt or truncated; download it again")
    return sizes


def class_folders(root: Path, folder: str) -> tuple[list[str], list[str]]:
    """(image paths relative to root, their labels) of a folder holding one subfolder per class."""
    top = root / folder
    if not top.is_dir():
        raise UserError(f"{top} is missing; unpack the whole download (train_images names the folder of class "
                        "subfolders)")
    classes = sorted((d for d in top.iterdir() if d.is_dir() and not d.name.startswith(".")), key=lambda d: d.name)
    if len(classes) < 2:
        raise UserError(f"{top} holds {len(classes)} class folder(s); a folder-per-class download has one "
                        "subfolder per class")
    paths, labels = [], []
    for d in classes:
        found = images_in(d)
        if not found:
            raise UserError(f"class folder {d} holds no images; remove it or unpack its images")
        paths += [str(p.relative_to(root)) for p in found]
        labels += [d.name] * len(found)
    return paths, labels


def fill(template: str, ids: list[str]) -> list[str]:
    head, tail = template.split("{id}")
    return [f"{head}{i}{tail}" for i in ids]


def template_folder(root: Path, template: str) -> Path:
    """The folder a path template's images lie in (`test/{id}.png` -> root/test)."""
    return root / Path(template.split("{id}")[0] + "x").parent


def ids_in_folder(root: Path, template: str) -> list[str]:
    """The ids of the images in the template's folder that fit it, in natural order."""
    head, tail = template.split("{id}")
    folder = template_folder(root, template)
    if not folder.is_dir():
        return []
    names = [p.relative_to(root).as_posix() for p in images_in(folder)]
    return [n[len(head):len(n) - len(tail)] for n in names if n.startswith(head) and n.endswith(tail)]


def unique_ids(frame: pd.DataFrame, column: str, path: Path) -> None:
    repeated = frame[column][frame[column].duplicated() | (frame[column].str.strip() == "")]
    if len(repeated):
        what = "an empty id" if not repeated.iloc[0].strip() else f"image {repeated.iloc[0]} more than once"
        raise UserError(f"{path} lists {what}; each image is listed once: download it again")


def training_rows(spec: ImageSpec, root: Path, slug: str) -> tuple[list[str], list[str], list[str], list]:
    """(ids, image paths, labels, fingerprint parts) of the training images."""
    if spec.layout == "folders":
        paths, labels = class_folders(root, spec.train_images)
        return paths, paths, labels, ["\n".join(paths)]
    path = root / spec.files.labels
    train = tables.read_csv(path, slug, columns=[spec.id, spec.label])
    unique_ids(train, spec.id, path)
    empty = train.index[train[spec.label].str.strip() == ""]
    if len(empty):
        raise UserError(f"{path} has {len(empty)} row(s) without a label (first: {train[spec.id][empty[0]]}); "
                        "fix or drop them")
    ids = train[spec.id].tolist()
    return ids, fill(spec.train_images, ids), train[spec.label].tolist(), [path]


def answer_rows(spec: ImageSpec, root: Path, slug: str, labels: list[str]) -> tuple[list[str], pd.DataFrame | None, list]:
    """(test ids in answer order, the sample submission, fingerprint parts)."""
    sample = test = None
    path = root / spec.files.sample_submission if spec.files.sample_submission else None
    if path is not None and (path.is_file() or not spec.files.test):   # beside a test CSV it is only a check
        sample = tables.read_csv(path, slug, columns=[spec.id])
        unique_ids(sample, spec.id, path)
        if spec.submission == "probabilities" and sorted(sample.columns[1:]) != labels:
            stray = sorted(set(sample.columns[1:]) ^ set(labels))
            raise UserError(f"{path}: its probability columns are not the training classes ({len(stray)} differ, "
                            f"e.g. {stray[0]}); check the sample submission against the training labels")
        if list(sample.columns[1:]) != spec.answer_columns:
            raise UserError(f"{path} has the columns {', '.join(sample.columns[1:])}, the competition.yaml says "
                            f"{', '.join(spec.answer_columns)}; write the spec again with make new")
    if spec.files.test:
        path = root / spec.files.test
        test = tables.read_csv(path, slug, columns=[spec.id])
        unique_ids(test, spec.id, path)
        ids = test[spec.id].tolist()
        if sample is None or sample[spec.id].tolist() == ids:
            return ids, sample, [path]
        stray = sorted(set(sample[spec.id]) ^ set(ids))
        if stray:
            raise UserError(f"{root / spec.files.sample_submission} lists other ids than {path} ({len(stray)} differ, "
                            f"e.g. {stray[0]}); download both again")
        return sample[spec.id].tolist(), sample, [path, root / spec.files.sample_submission]   # the sample's order
    if sample is not None:
        return sample[spec.id].tolist(), sample, [root / spec.files.sample_submission]
    folder = template_folder(root, spec.test_images)          # no list of test rows: the folder's
    if not folder.is_dir():
        raise UserError(f"{folder} is missing; unpack the whole download")
    ids = ids_in_folder(root, spec.test_images)
    if not ids:
        raise UserError(f"{folder} holds no images matching {spec.test_images}")
    return ids, None, ["\n".join(ids)]


def unlisted_test_images(spec: ImageSpec, root: Path, listed: set[str]) -> list[str]:
    """Images in the test folder that no row asks about (and no training row uses)."""
    folder = template_folder(root, spec.test_images)
    if not folder.is_dir() or folder.resolve() == root.resolve():
        return []
    return [n for n in (str(p.relative_to(root)) for p in images_in(folder)) if n not in listed]


def read_image_download(spec: ImageSpec, root: Path, slug: str, say=None) -> ImageData:
    ids, images, label_of, train_parts = training_rows(spec, root, slug)
    labels = list(spec.classes) or sorted(set(label_of))   # the label order: sorted strings, byte-exact
    unknown = sorted(set(label_of) - set(labels))
    if unknown:
        raise UserError(f"training labels outside the competition.yaml's classes: {', '.join(unknown[:3])}; write "
                        "the spec again with make new")
    if spec.submission == "probabilities" and sorted(spec.answer_columns) != labels:
        stray = sorted(set(spec.answer_columns) ^ set(labels))
        raise UserError(f"the submission's probability columns are not the training classes ({len(stray)} differ, "
                        f"e.g. {stray[0]}); check the sample submission against the training labels")
    test_ids, sample, test_parts = answer_rows(spec, root, slug, labels)
    test_images = fill(spec.test_images, test_ids)
    unlisted = unlisted_test_images(spec, root, set(test_images) | set(images))
    if unlisted and say is not None:
        say(f"note: {len(unlisted)} image(s) in {Path(unlisted[0]).parent}/ are not rows to answer (e.g. "
            f"{unlisted[0]}); they are ignored")
    sizes = check_images(root, images + test_images)
    return ImageData(ids=ids, test_ids=test_ids, fingerprint=data_fingerprint(*train_parts, *test_parts, str(sizes)),
                     stratify=np.asarray(label_of, dtype=object), sample_submission=sample, root=root,
                     images=images, y=pd.Index(labels).get_indexer(label_of), labels=labels, test_images=test_images)
