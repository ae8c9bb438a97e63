"""Uploaded history spreadsheets kept between the mapping page's steps (upload, preview, import).

A file is stored under instance/history-stash/ named by its SHA-256, so every step re-reads
exactly the uploaded bytes (the page carries only that name). Files older than a day are
dropped on the next upload; an import drops its file.
"""

from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path

MAX_AGE_S = 24 * 3600
KEY = re.compile(r"[0-9a-f]{64}")


def _folder(instance_path: str) -> Path:
    folder = Path(instance_path) / "history-stash"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def put(instance_path: str, data: bytes) -> str:
    """Keep `data`; its key (SHA-256)."""
    folder = _folder(instance_path)
    now = time.time()
    for old in folder.glob("*.bin"):
        if now - old.stat().st_mtime > MAX_AGE_S:
            old.unlink(missing_ok=True)
    key = hashlib.sha256(data).hexdigest()
    (folder / f"{key}.bin").write_bytes(data)
    return key


def get(instance_path: str, key: str) -> bytes | None:
    """The bytes kept under `key`; None when unknown, expired or changed."""
    if not KEY.fullmatch(key or ""):
        return None
    try:
        data = (_folder(instance_path) / f"{key}.bin").read_bytes()
    except OSError:
        return None
    return data if hashlib.sha256(data).hexdigest() == key else None


def drop(instance_path: str, key: str) -> None:
    if KEY.fullmatch(key or ""):
        (_folder(instance_path) / f"{key}.bin").unlink(missing_ok=True)
