"""Read and validate the classify-leaves download: train.csv (image,label), test.csv (image), images/."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from PIL import Image

from kaggle_kit.errors import UserError
from kaggle_kit.io import tables
from kaggle_kit.io.fingerprints import data_fingerprint
from kaggle_kit.vision.images import jpeg_cut_short

SLUG = "classify-leaves"


def read_csv(path: Path, columns: list[str]) -> pd.DataFrame:
    return tables.read_csv(path, SLUG, columns=columns)


def check_images(root: Path, names: list[str]) -> list[int]:
    """Sizes of the listed images; an error naming the first few that are missing or empty."""
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
    for name, size in zip(names, sizes, strict=True):   # headers, a JPEG's end marker; pixels: when read
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


def read_download(root: Path) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    train = read_csv(root / "train.csv", ["image", "label"])
    test = read_csv(root / "test.csv", ["image"])
    empty = train.index[train["label"].str.strip() == ""]
    if len(empty):
        raise UserError(f"{root / 'train.csv'} has {len(empty)} row(s) without a label (first: {train['image'][empty[0]]}); "
                        "fix or drop them")
    for name, frame in (("train.csv", train), ("test.csv", test)):
        dup = frame["image"][frame["image"].duplicated()]
        if len(dup):
            raise UserError(f"{root / name} lists image {dup.iloc[0]} more than once; download it again")
    sizes = check_images(root, train["image"].tolist() + test["image"].tolist())
    return train, test, data_fingerprint(root / "train.csv", root / "test.csv", str(sizes))


def read_sample_submission(root: Path) -> pd.DataFrame | None:
    path = root / "sample_submission.csv"
    return read_csv(path, ["image", "label"]) if path.is_file() else None
