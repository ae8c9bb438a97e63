"""The `?page=` of every paged list, read one way: an ASCII whole number from 1 to MAX_PAGE."""

from __future__ import annotations

from flask import request

from bottles.numbers import ascii_digits, bounded

MAX_PAGE = 100_000


def page_number(maximum: int = MAX_PAGE) -> int:
    """The page asked for, within 1…maximum; 1 when it is not a whole number (bottles.numbers)."""
    text = ascii_digits(request.args.get("page", "1"))
    if text is None:
        return 1
    value = bounded(text, maximum)
    return maximum if value is None else max(value, 1)
