"""Uploaded files kept on the server between a page's steps (upload, preview, confirmation).

A file is stored in a folder of the instance, named by its SHA-256, so each later step re-reads
exactly the uploaded bytes while the page carries only that name. Files older than a day are
dropped on the next upload; the step that consumes a file drops it.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from pathlib import Path

MAX_AGE_S = 24 * 3600
KEY = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class FileStash:
    """One page's kept uploads: instance/<folder>/<sha256><suffix>."""

    folder: str
    suffix: str

    def _path(self, instance_path: str) -> Path:
        path = Path(instance_path) / self.folder
        path.mkdir(parents=True, exist_ok=True)
        return path

    def put(self, instance_path: str, data: bytes) -> str:
        """Keep `data`; its key (its SHA-256). Files older than a day are dropped on the way."""
        folder = self._path(instance_path)
        now = time.time()
        for old in folder.glob(f"*{self.suffix}"):
            if now - old.stat().st_mtime > MAX_AGE_S:
                old.unlink(missing_ok=True)
        key = hashlib.sha256(data).hexdigest()
        (folder / f"{key}{self.suffix}").write_bytes(data)
        return key

    def get(self, instance_path: str, key: str) -> bytes | None:
        """The bytes kept under `key`; None when unknown, expired or no longer matching it."""
        if not KEY.fullmatch(key or ""):
            return None
        try:
            data = (self._path(instance_path) / f"{key}{self.suffix}").read_bytes()
        except OSError:
            return None
        return data if hashlib.sha256(data).hexdigest() == key else None

    def drop(self, instance_path: str, key: str) -> None:
        if KEY.fullmatch(key or ""):
            (self._path(instance_path) / f"{key}{self.suffix}").unlink(missing_ok=True)
