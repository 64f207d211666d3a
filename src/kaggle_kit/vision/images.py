"""Reading images from disk: OpenCV decode (libjpeg-turbo) straight to RGB uint8, with a clear error for a
corrupt file or a JPEG cut short (OpenCV may decode a truncated JPEG into grey without complaint)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from kaggle_kit.errors import UserError

JPEG_START, JPEG_END = b"\xff\xd8", b"\xff\xd9"
COLOR_RGB = getattr(cv2, "IMREAD_COLOR_RGB", None)       # OpenCV >= 4.11 decodes straight to RGB


def jpeg_cut_short(head: bytes, tail: bytes) -> bool:
    """A JPEG whose end-of-image marker is missing from its last bytes was cut short."""
    return head.startswith(JPEG_START) and JPEG_END not in tail


def read_rgb(path: Path) -> np.ndarray:
    """RGB uint8 (H, W, 3); a UserError naming the file if it is corrupt or truncated."""
    buf = np.fromfile(path, np.uint8)
    image = None
    if buf.size and not jpeg_cut_short(buf[:2].tobytes(), buf[-64:].tobytes()):
        image = cv2.imdecode(buf, COLOR_RGB if COLOR_RGB is not None else cv2.IMREAD_COLOR)
    if image is None:
        raise UserError(f"image {path} is corrupt or truncated; download it again")
    return image if COLOR_RGB is not None else cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
