"""Data fingerprints: the one hash that says whether the files a run was trained on are still the files there.
A competition chooses what goes in (file bytes, image sizes); the hash and its length are the same for all."""

from __future__ import annotations

import hashlib
from pathlib import Path


def data_fingerprint(*parts: bytes | str | Path) -> str:
    """16 hex digits of SHA-256 over the parts in order: a Path contributes its file's bytes, a str its UTF-8."""
    h = hashlib.sha256()
    for part in parts:
        h.update(Path(part).read_bytes() if isinstance(part, Path) else part.encode() if isinstance(part, str)
                 else part)
    return h.hexdigest()[:16]
