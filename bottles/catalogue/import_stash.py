"""Uploaded CSV files kept between their preview and its confirmation.

The file is stored under instance/import-stash/ named by its SHA-256, so the confirmation
re-reads exactly the bytes that were previewed; the page carries only that hash and an HMAC
of the preview's fingerprint, so a changed file, a forged form or a catalogue that changed
in between is refused instead of written.
"""

from __future__ import annotations

import hashlib
import hmac

from bottles.stash import FileStash

_KEPT = FileStash("import-stash", ".csv")
put = _KEPT.put
get = _KEPT.get
drop = _KEPT.drop


def sign(secret: str, slug: str, key: str, fingerprint: str) -> str:
    """What the confirmation form must send back for this file, kind and preview."""
    message = f"{slug}\n{key}\n{fingerprint}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), (b or "").encode())
