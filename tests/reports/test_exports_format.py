"""A phase's downloads open right (docs/exports.md): every table's CSV in French Excel's flavour by
default and RFC 4180 on ?format=rfc4180, the workbook typed sheet by sheet from the tables' units, the
journal's import form by default, an unknown format a French 400, and the PDF's codes never split."""

from __future__ import annotations

import csv
import io
from datetime import date
from types import SimpleNamespace

import pandas as pd
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from reportlab.platypus import SimpleDocTemplate

from bottles.spreadsheet import DATE, EUR, INT, MONTH, NUMBER_FORMATS, PERCENT, ROW
from reports import pdf
from reports.exports import TABLE_NAMES
from reports.report import Table
from tests.reports.test_dashboard import made  # noqa: F401

NUMERIC_UNITS = {INT, EUR, PERCENT, "decimal", "decimal1"}


def _get(client, made, name, query=""):  # noqa: F811
    resp = client.get(f"/phases/{made.phase.id}/tableaux/{name}.csv{query}")
    assert resp.status_code == 200, (name, query)
    assert resp.headers["Content-Type"].startswith("text/csv")
    return resp.data


@pytest.mark.parametrize("name", TABLE_NAMES)
def test_each_table_in_both_flavours(client, made, app, name):  # noqa: F811
    french, plain = _get(client, made, name), _get(client, made, name, "?format=rfc4180")
    assert french == _get(client, made, name, "?format=excel-fr")
    assert french.startswith(b"\xef\xbb\xbf") and not plain.startswith(b"\xef\xbb\xbf")
    french_rows = list(csv.reader(io.StringIO(french.decode("utf-8-sig")), delimiter=";"))
    plain_rows = list(csv.reader(io.StringIO(plain.decode("utf-8"))))
    assert len(french_rows) == len(plain_rows) and french_rows[0] == plain_rows[0]
    assert all(len(row) == len(french_rows[0]) for row in french_rows)
    with app.test_request_context():
        from bottles.db import db
        from reports import report

        table = report.build(db.session, made.phase).table(name)
    frame = pd.read_csv(io.BytesIO(french), sep=";", decimal=",", encoding="utf-8-sig",
                        dtype_backend="numpy_nullable")
    tools = pd.read_csv(io.BytesIO(plain))
    for column, unit in enumerate(table.units):
        if unit in NUMERIC_UNITS and table.rows:
            header = frame.columns[column]
            assert pd.api.types.is_numeric_dtype(frame[header]), (name, header)
            assert pd.api.types.is_numeric_dtype(tools[tools.columns[column]]), (name, header)
            assert frame[header].tolist() == tools[tools.columns[column]].tolist()
    assert b'"' not in french.split(b"\n", 1)[1] or name in ("indicateurs", "parametres")  # numbers unquoted


def test_french_excel_cells_decimal_commas_and_dates(client, made):  # noqa: F811
    rows = {r[0]: r for r in csv.reader(io.StringIO(_get(client, made, "indicateurs").decode("utf-8-sig")),
                                        delimiter=";")}
    assert rows["bottles_sold"][2] == "25" and rows["revenue_eur"][2] == "8,0"
    assert rows["collected_to_reused"][2].startswith("0,333") and rows["collected_to_reused"][6] == "0,36"
    period = {r[0]: r for r in csv.reader(io.StringIO(_get(client, made, "periode").decode("utf-8-sig")),
                                          delimiter=";")}
    assert period["first_day"][2] == made.phase.start_date.strftime("%d/%m/%Y")
    plain = _get(client, made, "periode", "?format=rfc4180").decode()
    tools = {r[0]: r for r in csv.reader(io.StringIO(plain))}
    assert tools["first_day"][2] == made.phase.start_date.isoformat()


def test_an_unknown_format_is_a_french_400(client, made):  # noqa: F811
    for url in (f"/phases/{made.phase.id}/tableaux/points.csv?format=xlsx",
                f"/phases/{made.phase.id}/journal.csv?format=excel",
                "/catalogue/import/models/example.csv?format=tsv"):
        resp = client.get(url)
        assert resp.status_code == 400, url
        assert "Format de fichier inconnu" in resp.get_data(as_text=True), url
    client.get("/lang/en")
    english = client.get(f"/phases/{made.phase.id}/tableaux/points.csv?format=xlsx")
    assert english.status_code == 400 and "Unknown file format" in english.get_data(as_text=True)
    page = client.get(f"/phases/{made.phase.id}").get_data(as_text=True)
    assert "CSV (tools)" in page and "Journal for Excel" in page and "Journal pour Excel" not in page


def test_the_journal_is_the_import_form_unless_excel_is_asked(client, made):  # noqa: F811
    plain = client.get(f"/phases/{made.phase.id}/journal.csv")
    assert plain.data.startswith(b"event_id,occurred_at,kind,")
    french = client.get(f"/phases/{made.phase.id}/journal.csv?format=excel-fr")
    assert french.data.startswith("\ufeffevent_id;occurred_at;kind;".encode())
    prices = {r["unit_price_eur"] for r in csv.DictReader(io.StringIO(french.data.decode("utf-8-sig")),
                                                          delimiter=";")}
    assert any("," in price for price in prices) and not any("." in price for price in prices)
    assert client.get(f"/phases/{made.phase.id}/journal.csv?format=rfc4180").data == plain.data


def test_catalogue_example_in_both_flavours(client, made):  # noqa: F811
    french = client.get("/catalogue/import/points/example.csv")
    assert french.status_code == 200 and french.data.startswith(b"\xef\xbb\xbfcode;name;")
    row = next(csv.DictReader(io.StringIO(french.data.decode("utf-8-sig")), delimiter=";"))
    assert row["latitude"] == "46,6742" and row["active_from"] == "2026-01-05"
    plain = client.get("/catalogue/import/points/example.csv?format=rfc4180")
    assert next(csv.DictReader(io.StringIO(plain.data.decode())))["latitude"] == "46.6742"


def test_workbook_sheets_are_typed_from_the_units(client, made, app):  # noqa: F811
    book = load_workbook(io.BytesIO(client.get(f"/phases/{made.phase.id}/tableaux.xlsx").data))
    with app.test_request_context():
        from bottles.db import db
        from reports import report

        tables = {t.name: t for t in report.build(db.session, made.phase).tables}
    assert len(book.sheetnames) == len(tables)
    for sheet, table in zip(book.worksheets, tables.values(), strict=True):
        assert sheet.freeze_panes == "A2", sheet.title
        assert all(cell.font.bold for cell in sheet[1]), sheet.title
        for column, unit in enumerate(table.units, start=1):
            letter = sheet.cell(1, column).column_letter
            assert 8 <= sheet.column_dimensions[letter].width <= 60
            for r in range(len(table.rows)):
                cell = sheet.cell(r + 2, column)
                cell_unit = table.row_units[r] if unit == ROW else unit
                if cell.value is None or isinstance(cell.value, str):
                    continue
                assert cell.number_format == NUMBER_FORMATS[cell_unit], (sheet.title, r, column)
                if cell_unit == PERCENT:
                    assert 0 <= cell.value <= 1.5
                if cell_unit in (DATE, MONTH):
                    assert cell.is_date
    indicators = {row[0].value: row for row in book["indicateurs"].iter_rows(min_row=2)}
    assert indicators["wash_yield"][2].number_format == "0.0 %" and 0 < indicators["wash_yield"][2].value <= 1
    assert indicators["revenue_eur"][2].value == 8.0 and "€" in indicators["revenue_eur"][2].number_format
    assert indicators["bottles_sold"][2].number_format == "#,##0"
    period = {row[0].value: row for row in book["periode"].iter_rows(min_row=2)}
    assert period["first_day"][2].value.date() == made.phase.start_date
    assert period["first_day"][2].number_format == "DD/MM/YYYY"
    months = book["mois"]
    assert months["A2"].is_date and months["A2"].number_format == "MM/YYYY"
    assert isinstance(months["A2"].value.date(), date)


LONG_CODES = ["CRATE-2026-000123", "POINT-ARBOIS-POLIGNY-CAVE-COOP-000042", "DOMAINE-ROLET-ARBOIS", "W1"]


def _report_with_long_codes() -> SimpleNamespace:
    tables = {
        "points": Table("points", "Points", ["Code", "Point de collecte", "Territoire", "Collectées",
                                             "Enlevées", "Réceptionnées", "Pertes"],
                        [[code, "Cave coopérative de la Haute-Seille", "Revermont", 12, 12, 11, 1]
                         for code in LONG_CODES], ["Total", "", "", 48, 48, 44, 4], {3, 4, 5, 6},
                        ["code", "text", "text", INT, INT, INT, INT]),
        "vignerons": Table("vignerons", "Vignerons", ["Code", "Domaine", "Bouteilles", "Montant (€)",
                                                      "Économie (€)", "Verre (kg)"],
                           [[code, "Domaine", 5, 1.5, 2.5, 2.8] for code in LONG_CODES], None, {2, 3, 4, 5},
                           ["code", "text", INT, EUR, EUR, "decimal1"]),
    }
    for name in ("refus", "rebuts"):
        tables[name] = Table(name, name, ["Code", "Motif", "Bouteilles", "Part"],
                             [["ETIQUETTE-PERMANENTE-SERIGRAPHIEE", "Étiquette", 3, 0.5]], None, {2, 3},
                             ["code", "text", INT, PERCENT])
    tables["etiquettes"] = Table("etiquettes", "Étiquettes", ["Code", "Domaine", "Bouteilles écartées"],
                                 [["DOMAINE-DE-LA-PINTE-ARBOIS-2026", "Domaine de la Pinte", 9]], None, {2},
                                 ["code", "text", INT])
    return SimpleNamespace(table=tables.get)


def test_pdf_tables_keep_each_code_whole_on_one_line(app):
    with app.test_request_context():
        pdf._fonts()
        out = io.BytesIO()
        SimpleDocTemplate(out).build(pdf.tables_page(_report_with_long_codes(), pdf._styles()))
    lines = [line.strip() for page in PdfReader(io.BytesIO(out.getvalue())).pages
             for line in page.extract_text().splitlines()]
    for code in [*LONG_CODES, "ETIQUETTE-PERMANENTE-SERIGRAPHIEE", "DOMAINE-DE-LA-PINTE-ARBOIS-2026"]:
        assert code in lines, (code, [line for line in lines if code[:5] in line])
