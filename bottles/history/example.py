"""The example history spreadsheet shipped in docs/examples/: the first phase's Jura collections,
October 2016 to June 2017, bottles collected per point and month by bottle model, as the
association kept them in Excel (a title, a source line, French headers, a Total row with SUM
formulas). Deterministic: `python -m bottles.history.example docs/examples` writes the same
XLSX and French-Excel CSV (`;`, decimal comma, Windows-1252, dates 31/10/2016, 1 200) every time.
"""

from __future__ import annotations

import calendar
import csv
import io
import random
import re
import sys
from datetime import date
from pathlib import Path

TITLE = "Consigne Jura — phase 1 : bouteilles collectées par point et par mois (2016-2017)"
SOURCE = "Source : fiches de collecte des points, saisies par l'association (export du 15/07/2017)"
# point name (as in the catalogue), month it opened, bottles a month at full pace
POINTS = [
    ("Cave de la Comédie", date(2016, 10, 1), 520),
    ("Biocoop Les Salines", date(2016, 10, 1), 760),
    ("Recyclerie du Revermont", date(2016, 11, 1), 1_150),
    ("Caveau des Coteaux de la Haute Seille", date(2017, 1, 1), 340),
]
# header (the catalogue's model name), share of the bottles
MODELS = [
    ("Bourguignonne 75 cl", 0.46),
    ("Clavelin 62 cl (Jura)", 0.27),
    ("Bordelaise 75 cl", 0.15),
    ("Fillette 37,5 cl", 0.12),
]
MONTHS = [(2016, month) for month in (10, 11, 12)] + [(2017, month) for month in range(1, 7)]
SEASON = {10: 0.8, 11: 0.9, 12: 1.35, 1: 1.5, 2: 0.85, 3: 0.9, 4: 0.95, 5: 0.9, 6: 1.0}
HEADERS = ["Mois", "Point de collecte", *[name for name, _share in MODELS], "Total", "Remarques"]
NOTES = {(2016, 12, 2): "Fêtes : deux caisses en plus", (2017, 2, 0): "Fermé 15 jours (travaux)",
         (2017, 1, 3): "Ouverture du point"}
TITLE_LINES = 3  # title, source, blank: the header is line 4


def rows() -> list[list[object]]:
    """Month, point, a count per model, the row's total, a remark: one row per point and month
    (a point not yet open has its row, all zero, as in the association's file)."""
    generator = random.Random(2016)
    table = []
    for year, month in MONTHS:
        last = date(year, month, calendar.monthrange(year, month)[1])
        for index, (point, opens, pace) in enumerate(POINTS):
            counts = [0] * len(MODELS)
            if date(year, month, 1) >= opens:
                bottles = round(pace * SEASON[month] * generator.uniform(0.85, 1.15))
                counts = [round(bottles * share * generator.uniform(0.9, 1.1)) for _n, share in MODELS]
            table.append([last, point, *counts, sum(counts), NOTES.get((year, month, index), "")])
    return table


def workbook() -> bytes:
    """The XLSX file: title merged over the table, dates as dates, a Total row of SUM formulas."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = "Collectes 2016-2017"
    sheet.append([TITLE])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([SOURCE])
    sheet.append([])
    sheet.append(HEADERS)
    for cell in sheet[TITLE_LINES + 1]:
        cell.font = Font(bold=True)
    body = rows()
    first = TITLE_LINES + 2
    for values in body:
        sheet.append(values)
        line = sheet.max_row
        sheet.cell(line, 1).number_format = "mmm yyyy"
        sheet.cell(line, len(HEADERS) - 1).value = (
            f"=SUM(C{line}:{get_column_letter(len(HEADERS) - 2)}{line})")
    last = sheet.max_row
    total = ["Total", None]
    for column in range(3, len(HEADERS)):
        letter = get_column_letter(column)
        total.append(f"=SUM({letter}{first}:{letter}{last})")
    sheet.append(total)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for column, width in zip("ABCDEFGH", (11, 36, 12, 12, 12, 12, 9, 30), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = f"A{first}"
    book.properties.creator = "Boucle (exemple)"
    book.properties.created = book.properties.modified = _fixed_time()
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _fixed_time():
    from datetime import datetime

    return datetime(2017, 7, 15, 10, 0)


def _french(value: object) -> str:
    """A cell as French Excel writes it in a CSV: 31/10/2016, 1 200 (no-break space)."""
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, int):
        return f"{value:,}".replace(",", "\u00a0")
    return str(value)


def french_csv() -> bytes:
    """The same table as French Excel's "CSV (séparateur : point-virgule)": Windows-1252."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([TITLE])
    writer.writerow([SOURCE])
    writer.writerow([])
    writer.writerow(HEADERS)
    body = rows()
    for values in body:
        writer.writerow([_french(value) for value in values])
    totals = [sum(values[column] for values in body) for column in range(2, len(HEADERS) - 1)]
    writer.writerow(["Total", "", *[_french(value) for value in totals], ""])
    return out.getvalue().encode("cp1252")


def write(folder: Path) -> list[Path]:
    """Write both files into `folder`; their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    xlsx = folder / "jura_collectes_2016_2017.xlsx"
    text = folder / "jura_collectes_2016_2017.csv"
    xlsx.write_bytes(_stable_zip(workbook()))
    text.write_bytes(french_csv())
    return [xlsx, text]


def _stable_zip(data: bytes) -> bytes:
    """The workbook with fixed member times, so regenerating it gives the same bytes."""
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2017, 7, 15, 10, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time there
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2017-07-15T10:00:00Z",
                                 content)
            target.writestr(fixed, content)
    return out.getvalue()


if __name__ == "__main__":
    for path in write(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/examples")):
        print(path)
