"""The CSV and XLSX files people download, written one way by every package (docs/exports.md).

A CSV file comes in two flavours: `excel-fr` (the default of the downloads: French Excel opens it
in columns with numbers as numbers — `;` between cells, decimal comma, UTF-8 with a byte order
mark, dates dd/mm/yyyy) and `rfc4180` (for tools: `,`, decimal point, ISO dates, no mark).
A workbook sheet has its header bold and frozen, its columns fitted, and typed cells: shares as
fractions shown as %, euros, whole numbers grouped, dates as dates. Each column's unit comes from
the table that owns it, never from its header text. Text cells go through `cells.safe_cell`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TextIO

from bottles.cells import safe_cell

EXCEL_FR, RFC4180 = "excel-fr", "rfc4180"
FLAVOURS = (EXCEL_FR, RFC4180)
BOM = "\ufeff"

# Units of a column (or, for ROW, of each row: a table of mixed figures says it row by row).
TEXT, CODE, INT, DECIMAL, DECIMAL1, PERCENT, EUR, DATE, MONTH, ROW = (
    "text", "code", "int", "decimal", "decimal1", "percent", "eur", "date", "month", "row")
NUMERIC = frozenset({INT, DECIMAL, DECIMAL1, PERCENT, EUR})

# Excel number formats (written in Excel's neutral notation; each copy of Excel shows them in its
# own language: 1 234,50 € and 36,0 % in French).
NUMBER_FORMATS = {INT: "#,##0", DECIMAL: "#,##0.00", DECIMAL1: "#,##0.0", PERCENT: "0.0 %",
                  EUR: '#,##0.00\\ "€"', DATE: "DD/MM/YYYY", MONTH: "MM/YYYY"}
MIN_WIDTH, MAX_WIDTH = 8, 60


@dataclass(frozen=True)
class Dialect:
    """How a CSV flavour writes its cells."""

    flavour: str
    delimiter: str
    decimal: str
    bom: bool

    def number(self, value: float | int | Decimal) -> str:
        """A number as the flavour's spreadsheet reads it back as a number (no thousands separator)."""
        if isinstance(value, bool):
            value = int(value)
        text = str(value) if isinstance(value, int | Decimal) else repr(float(value))
        if "e" in text.lower():  # 1e-05 is read as text by French Excel
            text = format(Decimal(str(value)), "f")
        return text.replace(".", self.decimal)

    def day(self, value: date) -> str:
        return value.strftime("%d/%m/%Y") if self.flavour == EXCEL_FR else value.isoformat()


DIALECTS = {EXCEL_FR: Dialect(EXCEL_FR, ";", ",", True), RFC4180: Dialect(RFC4180, ",", ".", False)}


def csv_dialect(flavour: str) -> Dialect:
    """The dialect of a flavour (excel-fr or rfc4180)."""
    return DIALECTS[flavour]


def flavour_of(asked: str | None, default: str = EXCEL_FR) -> str | None:
    """The flavour a `?format=` asks for (its default when absent), or None when it names none."""
    if asked is None or asked == "":
        return default
    asked = asked.strip().lower()
    return asked if asked in DIALECTS else None


def requested_flavour(default: str = EXCEL_FR) -> str:
    """The flavour the request's `?format=` asks for; any other value is a 400 saying which exist."""
    from flask import abort, request
    from flask_babel import gettext

    asked = request.args.get("format")
    flavour = flavour_of(asked, default)
    if flavour is None:
        abort(400, description=gettext(
            "Format de fichier inconnu : « %(asked)s ». Choisissez format=excel-fr (Excel en "
            "français : point-virgule, virgule décimale) ou format=rfc4180 (outils : virgule, point "
            "décimal).", asked=(asked or "")[:40]))
    return flavour


def as_day(value: object) -> date | None:
    """A date cell's day (a date, a datetime's day, or an ISO text), None when it is not one."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def as_month(value: object) -> date | None:
    """A month cell ("2025-09") as the first day of that month, None when it is not one."""
    if isinstance(value, str) and len(value) == 7:
        return as_day(value + "-01")
    return None


def is_number(value: object) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def csv_cell(value: object, unit: str, dialect: Dialect) -> object:
    """One cell as the flavour writes it: numbers and dates in its notation, text neutralised."""
    if value is None:
        return ""
    if is_number(value) and unit != CODE:
        return dialect.number(value)
    if unit == DATE and (day := as_day(value)) is not None:
        return dialect.day(day)
    return safe_cell(str(value))


@dataclass
class Sheet:
    """A table to write: headers, rows, a unit per column, and the units of rows of mixed figures."""

    title: str
    headers: Sequence[object]
    rows: Sequence[Sequence[object]]
    units: Sequence[str]
    row_units: Sequence[str] | None = None
    total: Sequence[object] | None = None

    def unit(self, row: int | None, column: int) -> str:
        """The unit of a cell (`row` None: the total row, whose mixed columns are plain numbers)."""
        unit = self.units[column] if column < len(self.units) else TEXT
        if unit != ROW:
            return unit
        if row is None or not self.row_units:
            return DECIMAL
        return self.row_units[row]

    def lines(self) -> Iterable[tuple[int | None, Sequence[object]]]:
        """(row index or None for the total, values) of the body."""
        yield from enumerate(self.rows)
        if self.total:
            yield None, self.total


def write_csv_rows(out: TextIO, dialect: Dialect, headers: Sequence[object],
                   rows: Iterable[Sequence[object]]) -> csv.writer:
    """Write already-formatted rows in a flavour (the byte order mark first if it has one)."""
    if dialect.bom:
        out.write(BOM)
    writer = csv.writer(out, delimiter=dialect.delimiter, lineterminator="\n")
    writer.writerow([safe_cell(str(header)) for header in headers])
    writer.writerows(rows)
    return writer


def sheet_csv(sheet: Sheet, flavour: str = EXCEL_FR) -> bytes:
    """A table as a CSV file in a flavour, encoded UTF-8."""
    dialect = csv_dialect(flavour)
    out = io.StringIO()
    write_csv_rows(out, dialect, sheet.headers,
                   ([csv_cell(value, sheet.unit(r, c), dialect) for c, value in enumerate(values)]
                    for r, values in sheet.lines()))
    return out.getvalue().encode("utf-8")


def _xlsx_value(value: object, unit: str) -> object:
    """A cell as the workbook holds it: numbers, dates and months typed; text neutralised."""
    if value is None or value == "":
        return None
    if is_number(value) and unit != CODE:
        return float(value) if isinstance(value, Decimal) else value
    if unit == DATE and (day := as_day(value)) is not None:
        return day
    if unit == MONTH and (month := as_month(value)) is not None:
        return month
    return safe_cell(str(value))


def _shown_width(value: object, unit: str) -> int:
    """About how many characters the cell shows (for fitting its column)."""
    if value is None:
        return 0
    if unit in (DATE, MONTH) and isinstance(value, date):
        return 10 if unit == DATE else 7
    if is_number(value):
        text = f"{value:,.2f}" if isinstance(value, float) else f"{value:,}"
        return len(text) + (2 if unit in (EUR, PERCENT) else 0)
    return max((len(line) for line in str(value).splitlines()), default=0)


def add_sheet(book, sheet: Sheet) -> None:
    """A table as a sheet: bold frozen header, typed cells with number formats, fitted widths."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    ws = book.create_sheet(str(sheet.title)[:31])
    ws.append([safe_cell(str(header)) for header in sheet.headers])
    bold = Font(bold=True)
    for cell in ws[1]:
        cell.font = bold
    widths = [len(str(header)) for header in sheet.headers]
    for r, values in sheet.lines():
        row = []
        for c, value in enumerate(values):
            unit = sheet.unit(r, c)
            row.append(_xlsx_value(value, unit))
        ws.append(row)
        for c, cell in enumerate(ws[ws.max_row]):
            unit = sheet.unit(r, c)
            if cell.value is not None and unit in NUMBER_FORMATS and not isinstance(cell.value, str):
                cell.number_format = NUMBER_FORMATS[unit]
            if r is None:
                cell.font = bold
            if c < len(widths):
                widths[c] = max(widths[c], _shown_width(cell.value, unit))
    for c, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = min(max(MIN_WIDTH, width + 2), MAX_WIDTH)
    ws.freeze_panes = "A2"


def workbook(sheets: Iterable[Sheet]) -> bytes:
    """Sheets as one XLSX workbook."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for sheet in sheets:
        add_sheet(book, sheet)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def sniff_dialect(first_line: str) -> Dialect:
    """The flavour a file was written in, read from its header line (more `;` than `,`: excel-fr)."""
    line = first_line.lstrip(BOM)
    return DIALECTS[EXCEL_FR] if line.count(";") > line.count(",") else DIALECTS[RFC4180]
