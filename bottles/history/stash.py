"""Uploaded history spreadsheets kept between the mapping page's steps (upload, preview, import):
instance/history-stash/, named by their SHA-256 (bottles/stash.py); an import drops its file."""

from __future__ import annotations

from bottles.stash import FileStash

_KEPT = FileStash("history-stash", ".bin")
put = _KEPT.put
get = _KEPT.get
drop = _KEPT.drop
