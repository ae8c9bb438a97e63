"""Tables as CSV and as one XLSX workbook (one sheet per table, numbers as numbers), written by the
kernel's bottles.spreadsheet from each table's column units."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from bottles import spreadsheet
from bottles.spreadsheet import EXCEL_FR, sheet_csv
from reports.report import Report, Table

TABLE_NAMES = ["periode", "indicateurs", "points", "vignerons", "refus", "rebuts", "etiquettes", "mois",
               "lavage", "caisses", "parametres"]


# Each table's sheet in the workbook: the French name is the table's own, English says it in English.
SHEET_NAMES = {"periode": _l("periode"), "indicateurs": _l("indicateurs"), "points": _l("points"),
               "vignerons": _l("vignerons"), "refus": _l("refus"), "rebuts": _l("rebuts"),
               "etiquettes": _l("etiquettes"), "mois": _l("mois"), "lavage": _l("lavage"),
               "caisses": _l("caisses"), "parametres": _l("parametres")}


def table_csv(table: Table, flavour: str = EXCEL_FR) -> bytes:
    """A table as a CSV file: French Excel's by default, RFC 4180 for tools (bottles.spreadsheet)."""
    return sheet_csv(table.sheet(), flavour)


def workbook(phase_report: Report) -> bytes:
    """Every table of the report, one sheet each: typed cells with number formats, bold frozen header."""
    return spreadsheet.workbook(table.sheet(SHEET_NAMES.get(table.name, table.name))
                                for table in phase_report.tables)
