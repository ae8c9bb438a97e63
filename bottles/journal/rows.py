"""A journal file's rows: where they come from, its header, and the parsing of one cell."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, BinaryIO

from bottles.cells import QUOTE, unquoted
from bottles.journal.columns import ALL_COLUMNS, COLUMNS, DECIMALS, EXTENSION_COLUMNS, REQUIRED_COLUMNS
from bottles.rules import MAX_UNIT_PRICE_CENTS
from bottles.spreadsheet import sniff_dialect


@dataclass
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"ligne {self.line} : {self.message}"


def rows_of(rows_or_path: Any,
            progress: Callable[[int], None] | None = None) -> Iterator[tuple[int, list[str]]]:
    """(line number, values) of a path, a text stream, or dicts; the header comes first (line 1).
    `progress(n)`: n more bytes read (a path) or rows (anything else)."""
    if isinstance(rows_or_path, str | Path):
        with open(rows_or_path, "rb") as raw:
            counted = _Counted(raw, progress) if progress else raw
            handle = io.TextIOWrapper(io.BufferedReader(counted) if progress else counted,
                                      encoding="utf-8-sig", newline="")
            yield from _csv_rows(handle)
        return
    if isinstance(rows_or_path, io.IOBase) or hasattr(rows_or_path, "read"):
        rows = _csv_rows(rows_or_path)
    else:
        rows = _dict_rows(rows_or_path)
    if progress is None:
        yield from rows
        return
    for row in rows:
        progress(1)
        yield row


def _dict_rows(rows: Iterable[dict]) -> Iterator[tuple[int, list[str]]]:
    yield 1, list(ALL_COLUMNS)
    for number, row in enumerate(rows, start=2):
        yield number, [_text(row.get(name)) for name in ALL_COLUMNS]


class _Counted(io.RawIOBase):
    """A binary file that reports how many bytes were read from it (a progress bar's measure)."""

    def __init__(self, raw: BinaryIO, progress: Callable[[int], None]) -> None:
        self.raw, self.progress = raw, progress

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = self.raw.readinto(buffer)
        if count:
            self.progress(count)
        return count


def _text(value: Any) -> str:
    return "" if value is None else value if isinstance(value, str) else str(value)


def _csv_rows(handle) -> Iterator[tuple[int, list[str]]]:
    """The file's rows, in either flavour (bottles.spreadsheet): its header line says which."""
    lines = iter(handle)
    first = next(lines, "")
    reader = csv.reader(itertools.chain([first], lines), delimiter=sniff_dialect(first).delimiter)
    for values in reader:
        if values:
            joined = "\n".join(values)  # one C-speed scan: most rows hold no quoted cell
            if joined.startswith(QUOTE) or "\n" + QUOTE in joined:
                values = [unquoted(value) for value in values]
            yield reader.line_num, values


def check_header(header: list[str]) -> str | None:
    """Why the header is wrong, or None."""
    return read_header(header)[1]


def read_header(header: list[str]) -> tuple[list[int] | None, str | None]:
    """(layout, problem): the header may name the journal's columns in any order and leave out
    all but event_id, occurred_at and kind; the layout then gives, for each column of
    ALL_COLUMNS, its position in the file (-1: absent). None when it is Boucle's order."""
    if header and header[0].startswith("\ufeff"):
        header[0] = header[0][1:]
    names = [name.strip().lower() for name in header]
    if tuple(names[:len(COLUMNS)]) == COLUMNS and all(
            name in EXTENSION_COLUMNS for name in names[len(COLUMNS):]) \
            and len(set(names)) == len(names):
        return None, None
    problems = [f"colonne {name} absente" for name in REQUIRED_COLUMNS if name not in names]
    unknown = [name or "(sans nom)" for name in names if name not in ALL_COLUMNS]
    if unknown:
        problems.append(("colonne inconnue : " if len(unknown) == 1 else "colonnes inconnues : ")
                        + ", ".join(unknown))
    doubled = sorted({name for name in names if names.count(name) > 1})
    if doubled:
        problems.append("colonne en double : " + ", ".join(doubled))
    if problems:
        return None, ("en-tête : " + " ; ".join(problems) + " (attendu les colonnes de "
                      "docs/ledger.md : " + ", ".join(COLUMNS) + ", puis, facultatives, "
                      + ", ".join(EXTENSION_COLUMNS) + ").")
    return [names.index(name) if name in names else -1 for name in ALL_COLUMNS], None


def laid_out(rows: Iterator[tuple[int, list[str]]], layout: list[int],
             width: int) -> Iterator[tuple[int, list[str] | str]]:
    """The rows of a file whose header has its own order, in the order of ALL_COLUMNS (a row of
    the wrong width comes out as the message saying so)."""
    for line, values in rows:
        if len(values) != width:
            yield line, f"{len(values)} colonnes au lieu de {width}."
            continue
        yield line, [values[i] if i >= 0 else "" for i in layout]


def parse_when(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("sans fuseau")
    return moment


def parse_decimal(name: str, text: str) -> Decimal:
    """A decimal column's value, with a decimal point or (French Excel's file) a decimal comma."""
    try:
        value = Decimal(text.replace(",", ".", 1) if "." not in text else text)
    except InvalidOperation:
        raise ValueError(f"{name} « {text[:20]} » n'est pas un nombre.") from None
    digits, places = DECIMALS[name]
    if not value.is_finite() or value < 0 or value >= Decimal(10) ** digits:
        raise ValueError(f"{name} « {text[:20]} » hors des limites (0 à {10 ** digits}).")
    if value.as_tuple().exponent < -places:
        raise ValueError(f"{name} « {text} » : au plus {places} décimale(s).")
    return value


def parse_cents(text: str) -> int:
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise ValueError(f"prix « {text[:20]} » illisible.") from None
    if not value.is_finite() or value.as_tuple().exponent < -2:
        raise ValueError(f"prix « {text[:20]} » : au plus deux décimales.")
    cents = int(value * 100)
    if not 0 <= cents <= MAX_UNIT_PRICE_CENTS:
        raise ValueError("le prix unitaire doit être entre 0 et 10 €.")
    return cents
