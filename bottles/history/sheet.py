"""An uploaded history spreadsheet as a grid of cells, line numbers as the spreadsheet shows them.

XLSX through pandas.read_excel (its cells typed: dates, numbers, text), plus openpyxl for what
pandas does not say: merged ranges and SUM formulas. CSV through the csv module (a title line
above the header has fewer cells than the rows: pandas.read_csv refuses ragged lines), in UTF-8
with or without a byte order mark or in Windows-1252, separated by `;`, `,` or tabulations.
"""

from __future__ import annotations

import csv
import html
import io
import math
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _

MAX_LINES = 10_000  # a preview of 10,000 lines stays well under the workers' 30 s (docs/import.md)
MAX_COLUMNS = 60
XLSX_MAGIC = b"PK\x03\x04"
SEPARATORS = (";", ",", "\t")
SUM_FORMULA = re.compile(r"^=\s*(SUM|SOMME|SUBTOTAL|SOUS\.TOTAL)\s*\(", re.IGNORECASE)
FORMULA_CELL = re.compile(r'<(?:\w+:)?c\s+r="([A-Z]{1,3})([0-9]+)"[^>]*>\s*<(?:\w+:)?f(?:\s[^>]*)?>([^<]+)</')
MERGE_CELL = re.compile(r'<(?:\w+:)?mergeCell\s+ref="([A-Z]{1,3}[0-9]+:[A-Z]{1,3}[0-9]+)"')
CELL_RANGE = re.compile(r"\$?[A-Z]{1,3}\$?([0-9]+)\s*:\s*\$?[A-Z]{1,3}\$?([0-9]+)", re.IGNORECASE)


class SheetError(ValueError):
    """A file that cannot be read as a table: str() is the French message."""


@dataclass
class Grid:
    """Cells by line (line n is rows[n - 1]) and what the file told about itself."""

    rows: list[list[object]]
    source: str  # "xlsx" or "csv"
    encoding: str = ""
    separator: str = ""
    sheet: str = ""
    # (first line, last line, first column, last column, "B5:B7"), 1-based
    merged: list[tuple[int, int, int, int, str]] = field(default_factory=list)
    # line -> the first SUM formula found on it
    formulas: dict[int, str] = field(default_factory=dict)

    @property
    def width(self) -> int:
        return max((len(row) for row in self.rows), default=0)

    def cell(self, line: int, column: int) -> object:
        """The value at a 1-based line and 0-based column (None when empty or absent)."""
        if line < 1 or line > len(self.rows):
            return None
        row = self.rows[line - 1]
        return row[column] if column < len(row) else None


def blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_upload(data: bytes) -> Grid:
    """The grid of an uploaded XLSX or CSV file, or SheetError saying why it cannot be read."""
    if not data.strip():
        raise SheetError(_("Le fichier est vide."))
    grid = _read_xlsx(data) if data.startswith(XLSX_MAGIC) else _read_csv(data)
    if len(grid.rows) > MAX_LINES:
        raise SheetError(_("Plus de %(n)s lignes : découpez le fichier.", n=MAX_LINES))
    if grid.width > MAX_COLUMNS:
        raise SheetError(_("Plus de %(n)s colonnes : ce n'est pas un tableau d'historique.",
                           n=MAX_COLUMNS))
    while grid.rows and all(blank(value) for value in grid.rows[-1]):
        grid.rows.pop()
    if not grid.rows:
        raise SheetError(_("Le fichier ne contient aucune cellule remplie."))
    return grid


def _cell_value(value: object) -> object:
    """A pandas cell as plain Python: NaN and NaT as None, Timestamps as datetimes."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "to_pydatetime"):
        try:
            return value.to_pydatetime()
        except ValueError:
            return None
    if isinstance(value, datetime | date | int | float | str):
        return value
    return str(value)


def _read_xlsx(data: bytes) -> Grid:
    import openpyxl
    import pandas as pd
    from openpyxl.utils.cell import column_index_from_string, range_boundaries

    try:
        # read-only: its title and its XML part (merged ranges and formulas are read from the XML;
        # the cells are parsed once, by pandas)
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        sheet = book.worksheets[0]
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            part = archive.read(sheet._worksheet_path).decode("utf-8", errors="replace")
    except Exception as error:  # a zip that is not a workbook, a damaged file
        raise SheetError(_("Classeur XLSX illisible (%(why)s) : enregistrez-le de nouveau depuis "
                           "le tableur, ou en CSV.", why=type(error).__name__)) from None
    if (sheet.max_row or 0) > MAX_LINES or (sheet.max_column or 0) > MAX_COLUMNS:
        book.close()
        raise SheetError(_("Plus de %(n)s lignes : découpez le fichier.", n=MAX_LINES))
    merged = []
    for ref in MERGE_CELL.findall(part):  # a read-only sheet does not list them: its XML does
        left, top, right, bottom = range_boundaries(ref)
        merged.append((top, bottom, left, right, ref))
    formulas: dict[int, str] = {}
    written: dict[tuple[int, int], str] = {}  # every formula, by (line, column)
    for letters, line_text, formula in FORMULA_CELL.findall(part):  # no second parse of the cells
        line, value = int(line_text), "=" + html.unescape(formula)
        written[(line, column_index_from_string(letters) - 1)] = value
        if sums_a_column(value):
            formulas.setdefault(line, value)
    title = sheet.title
    book.close()
    try:
        frame = pd.read_excel(io.BytesIO(data), sheet_name=0, header=None, dtype=object,
                              engine="openpyxl")
    except Exception as error:
        raise SheetError(_("Classeur XLSX illisible (%(why)s) : enregistrez-le de nouveau depuis "
                           "le tableur, ou en CSV.", why=type(error).__name__)) from None
    rows = [[_cell_value(value) for value in values] for values in frame.itertuples(index=False)]
    # A workbook saved by a program that computes nothing (openpyxl, some exports) keeps no
    # value for its formulas: the formula itself is shown instead of an empty cell.
    for (line, column), formula in written.items():
        while len(rows) < line:
            rows.append([])
        row = rows[line - 1]
        row.extend([None] * (column + 1 - len(row)))
        if row[column] is None:
            row[column] = formula
    return Grid(rows=rows, source="xlsx", sheet=title, merged=merged, formulas=formulas)


def sums_a_column(formula: str) -> bool:
    """A SUM over cells of several lines (a total row); a sum along its own line is a total
    column, which the mapping simply ignores."""
    if not SUM_FORMULA.match(formula):
        return False
    return any(top != bottom for top, bottom in CELL_RANGE.findall(formula))


def _decode(data: bytes) -> tuple[str, str]:
    """The text and its encoding: UTF-8 (with or without its mark), else Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "UTF-8 (BOM)"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        raise SheetError(_("Encodage du fichier non reconnu : enregistrez-le en CSV UTF-8.")) from None


def sniff_separator(text: str) -> str:
    """The separator whose lines most often have the same number of cells (more than one);
    `;` first on a tie (French Excel's, whose decimal commas would fool a count of commas)."""
    sample = text.splitlines()[:40]
    best, best_score = ";", (-1.0, 0)
    for separator in SEPARATORS:
        try:
            widths = [len(cells) for cells in csv.reader(sample, delimiter=separator) if any(cells)]
        except csv.Error:  # a cell over the csv module's limit: reading the file will say so
            continue
        if not widths:
            continue
        width, count = Counter(widths).most_common(1)[0]
        score = (count / len(widths) if width > 1 else 0.0, width)
        if score > best_score:
            best, best_score = separator, score
    return best


def _read_csv(data: bytes) -> Grid:
    if b"\x00" in data:
        raise SheetError(_("Ce fichier n'est ni un classeur XLSX ni un CSV (octets nuls) : "
                           "enregistrez-le en CSV ou en XLSX."))
    text, encoding = _decode(data)
    separator = sniff_separator(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    try:
        rows: list[list[object]] = [list(cells) for cells in reader]
    except csv.Error as error:
        if "field limit" in str(error):
            raise SheetError(_("CSV illisible : une cellule de la ligne %(line)s dépasse %(n)s "
                               "caractères.", line=reader.line_num + 1,
                               n=csv.field_size_limit())) from None
        raise SheetError(_("CSV illisible à la ligne %(line)s : guillemets mal fermés ?",
                           line=reader.line_num + 1)) from None
    return Grid(rows=rows, source="csv", encoding=encoding, separator=separator)
