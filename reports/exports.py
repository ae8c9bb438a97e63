"""Tables as CSV and as one XLSX workbook (one sheet per table, numbers as numbers)."""

from __future__ import annotations

import csv
import io

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from bottles.cells import safe_cell
from reports.report import Report, Table

TABLE_NAMES = ["periode", "indicateurs", "points", "vignerons", "refus", "rebuts", "etiquettes", "mois",
               "lavage", "caisses", "parametres"]


# Each table's sheet in the workbook: the French name is the table's own, English says it in English.
SHEET_NAMES = {"periode": _l("periode"), "indicateurs": _l("indicateurs"), "points": _l("points"),
               "vignerons": _l("vignerons"), "refus": _l("refus"), "rebuts": _l("rebuts"),
               "etiquettes": _l("etiquettes"), "mois": _l("mois"), "lavage": _l("lavage"),
               "caisses": _l("caisses"), "parametres": _l("parametres")}


def _cell(value) -> object:
    """A cell as the file holds it: numbers stay numbers, labels in the person's language, no formula."""
    if value is None:
        return ""
    return safe_cell(str(value) if isinstance(value, LazyString) else value)


def table_csv(table: Table) -> str:
    """A table as CSV (comma separated, dot decimals, header row in the person's language)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([_cell(header) for header in table.headers])
    for row in table.rows:
        writer.writerow([_cell(v) for v in row])
    if table.total:
        writer.writerow([_cell(v) for v in table.total])
    return out.getvalue()


def workbook(phase_report: Report) -> bytes:
    """Every table of the report, one sheet each; numbers stay numbers."""
    book = Workbook()
    book.remove(book.active)
    for table in phase_report.tables:
        sheet = book.create_sheet(str(SHEET_NAMES.get(table.name, table.name))[:31])
        sheet.append([_cell(header) for header in table.headers])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([_cell(v) if v is not None else None for v in row])
        if table.total:
            sheet.append([_cell(v) if v is not None else None for v in table.total])
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
        for i, header in enumerate(table.headers, start=1):
            width = max([len(str(header))] + [len(str(r[i - 1])) for r in table.rows[:200] if i - 1 < len(r)])
            sheet.column_dimensions[get_column_letter(i)].width = min(max(10, width + 2), 60)
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
