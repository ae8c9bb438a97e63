"""The `?page=` of every paged list, read one way: an ASCII whole number from 1 to MAX_PAGE."""

from __future__ import annotations

from flask import request

MAX_PAGE = 100_000


def page_number(maximum: int = MAX_PAGE) -> int:
    """The page asked for, within 1…maximum; 1 when it is not a whole number.

    ASCII digits only: "²".isdigit() is true yet int("²") fails.
    """
    raw = request.args.get("page", "1").strip()
    if not (raw.isascii() and raw.isdigit()):
        return 1
    if len(raw) > len(str(maximum)):
        return maximum
    return min(max(int(raw), 1), maximum)
