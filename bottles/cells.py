"""Cells of the CSV and XLSX files the app writes: text a spreadsheet would run as a formula is
neutralised (OWASP "CSV injection": a single quote before it); numbers stay numbers.

A cell is neutralised when it starts with `=`, `+`, `-`, `@`, a tab or a carriage return, or
with a quote followed by one of those or by another quote; reading such a file back
(`unquoted`) removes exactly that one quote, so an export imports back to the same text. A
negative number written as text ("-12", "-3.5") and the lone `-` (the catalogue import's
"clear this field") are left as they are: no spreadsheet runs them.
"""

from __future__ import annotations

import re

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
_PLAIN_NEGATIVE = re.compile(r"-(\d+([.,]\d+)?)?")


def needs_quote(text: str) -> bool:
    """Whether a spreadsheet could read this text as a formula (or it already looks quoted)."""
    if text.startswith(TRIGGERS):
        return _PLAIN_NEGATIVE.fullmatch(text) is None
    return text.startswith(QUOTE) and text[1:2] in (*TRIGGERS, QUOTE) and text[1:2] != ""


def safe_cell(value: object) -> object:
    """The value as a file cell: text that could run as a formula gets a leading quote."""
    if isinstance(value, str) and needs_quote(value):
        return QUOTE + value
    return value


def safe_row(values) -> list[object]:
    """Every cell of a row through safe_cell."""
    return [safe_cell(value) for value in values]


def unquoted(text: str) -> str:
    """A cell as written before safe_cell: its neutralising quote removed."""
    if text.startswith(QUOTE) and text[1:2] and text[1:2] in (*TRIGGERS, QUOTE):
        return text[1:]
    return text
