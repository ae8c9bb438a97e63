"""Uploaded CSV files kept between their preview and its confirmation.

The file is stored under instance/import-stash/ named by its SHA-256, so the confirmation
re-reads exactly the bytes that were previewed; the page carries only that hash and an HMAC
of the preview's fingerprint, so a changed file, a forged form or a catalogue that changed
in between is refused instead of written.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from pathlib import Path

MAX_AGE_S = 24 * 3600
_KEY = re.compile(r"[0-9a-f]{64}")


def _folder(instance_path: str) -> Path:
    folder = Path(instance_path) / "import-stash"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def put(instance_path: str, data: bytes) -> str:
    """Keep `data`; return its key (its SHA-256). Older files are dropped on the way."""
    folder = _folder(instance_path)
    now = time.time()
    for old in folder.glob("*.csv"):
        if now - old.stat().st_mtime > MAX_AGE_S:
            old.unlink(missing_ok=True)
    key = hashlib.sha256(data).hexdigest()
    (folder / f"{key}.csv").write_bytes(data)
    return key


def get(instance_path: str, key: str) -> bytes | None:
    """The bytes kept under `key`, or None if unknown, expired or no longer matching it."""
    if not _KEY.fullmatch(key or ""):
        return None
    path = _folder(instance_path) / f"{key}.csv"
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return data if hashlib.sha256(data).hexdigest() == key else None


def drop(instance_path: str, key: str) -> None:
    if _KEY.fullmatch(key or ""):
        (_folder(instance_path) / f"{key}.csv").unlink(missing_ok=True)


def sign(secret: str, slug: str, key: str, fingerprint: str) -> str:
    """What the confirmation form must send back for this file, kind and preview."""
    message = f"{slug}\n{key}\n{fingerprint}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), (b or "").encode())
