"""Journals written by hand or by another tool (docs/ledger.md), not exported by Boucle.

Minimal columns, rows out of order, lowercase codes, `Z` and `+01:00` offsets, no
`crate_registered` rows, receipts that name the washer but not the point.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta

from sqlalchemy import func, select

from bottles import codes
from bottles.check import check_ledger
from bottles.journal import COLUMNS, import_journal
from bottles.models import Crate, Event, StockLevel
from bottles.rules import Kind, Move, Stage
from tests.factories import T0

CRATE_1, CRATE_2 = codes.make_code(1), codes.make_code(2)


def _id(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"hand-written/{name}"))


def _journal(rows: list[dict], columns=COLUMNS) -> io.StringIO:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(name, "") for name in columns])
    out.seek(0)
    return out


def _row(name: str, at: str, kind: str, **fields) -> dict:
    return {"event_id": _id(name), "occurred_at": at, "kind": kind, **fields}


def _catalogue(factory):
    washer = factory.washer(code="LAV1")
    point = factory.point(code="LONS-COMEDIE")
    factory.model(code="BOURG75")
    factory.reason("PERTE-ECART", kind="loss")
    return washer, point


def _hand_rows() -> list[dict]:
    """A small season by another tool, rows deliberately not in time order."""
    c1, c2 = CRATE_1.lower(), CRATE_2.replace("-", "").lower()
    return [
        _row("receipt-1", "2025-03-11T15:00:00+01:00", "receipt", crate=c1, washer="lav1",
             from_stage="in_transit", to_stage="received", quantity="55"),
        _row("placed-1", "2025-03-03T08:00:00Z", "crate_placed", crate=c1,
             collection_point="lons-comedie"),
        _row("pickup-1", "2025-03-11T10:00:00Z", "pickup", crate=c1,
             collection_point="lons-comedie", from_stage="at_point", to_stage="in_transit",
             quantity="55"),
        _row("full-1", "2025-03-10T17:00:00+01:00", "crate_full", crate=c1,
             collection_point="Lons-Comedie", from_stage="outside", to_stage="at_point",
             quantity="55"),
        _row("full-2", "2025-03-05T09:00:00+01:00", "crate_full", crate=c2,
             collection_point="lons-comedie", from_stage="outside", to_stage="at_point",
             quantity="40"),
        _row("receipt-2", "2025-03-11T16:00:00+01:00", "receipt", crate=c2, washer="LAV1",
             from_stage="in_transit", to_stage="received", quantity="38"),
        _row("receipt-2", "2025-03-11T16:00:00+01:00", "receipt", crate=c2, washer="LAV1",
             from_stage="in_transit", to_stage="lost", quantity="2", reason="perte-ecart"),
        _row("pickup-2", "2025-03-11T10:05:00Z", "pickup", crate=c2,
             collection_point="LONS-COMEDIE", from_stage="at_point", to_stage="in_transit",
             quantity="40"),
    ]


def test_a_hand_written_journal_imports_and_registers_crates_at_first_use(session, factory):
    washer, point = _catalogue(factory)
    session.commit()
    report = import_journal(session, _journal(_hand_rows()), create_missing=True)
    assert report.ok, [str(e) for e in report.errors]
    assert report.registered == [CRATE_1, CRATE_2]
    assert f"enregistrées à leur première utilisation : {CRATE_1}, {CRATE_2}" in report.summary()
    session.commit()
    # codes known in another case are not created again; only the crates are new
    assert report.created == {"crate": [CRATE_1, CRATE_2]}
    assert report.imported_events == 10  # 7 of the file, 2 registrations, 1 placing
    receipts = session.scalars(select(Event).where(Event.kind == Kind.RECEIPT)).all()
    assert {e.collection_point_id for e in receipts} == {point.id}
    for code in (CRATE_1, CRATE_2):
        crate = session.scalar(select(Crate).where(Crate.code == code))
        assert crate.state == "in_pool" and crate.washer_id == washer.id
    received = session.scalar(select(StockLevel.quantity).where(
        StockLevel.stage == "received", StockLevel.site_id == washer.id))
    assert received == 93
    assert check_ledger(session) == []
    events = session.scalar(select(func.count()).select_from(Event))

    again = import_journal(session, _journal(_hand_rows()), create_missing=True)
    assert again.ok, [str(e) for e in again.errors]
    assert again.imported_events == 0 and again.skipped_events == 7 and again.registered == []
    session.commit()
    assert session.scalar(select(func.count()).select_from(Event)) == events
    assert check_ledger(session) == []


def test_without_create_missing_the_error_suggests_the_flag(session, factory):
    _catalogue(factory)
    session.commit()
    report = import_journal(session, _journal(_hand_rows()))
    assert not report.ok
    assert session.scalar(select(func.count()).select_from(Event)) == 0
    text = "\n".join(map(str, report.errors))
    assert f"caisse inconnue : « {CRATE_1} »" in text
    assert "--create-missing" in text


def test_a_known_but_unregistered_crate_is_refused_with_the_flag_suggested(session, factory):
    _catalogue(factory)
    session.add(Crate(code=CRATE_1))
    session.commit()
    rows = [_row("placed", "2025-03-03T08:00:00Z", "crate_placed", crate=CRATE_1,
                 collection_point="LONS-COMEDIE")]
    report = import_journal(session, _journal(rows))
    assert [str(e) for e in report.errors] == [
        f"ligne 2 : caisse déposée au point {_id('placed')} : caisse {CRATE_1} : Cette caisse n'est pas "
        "enregistrée. Relancez l'import avec --create-missing pour l'enregistrer à sa première "
        "utilisation."]
    done = import_journal(session, _journal(rows), create_missing=True)
    assert done.ok and done.registered == [CRATE_1]


def test_a_receipt_takes_its_point_from_a_pickup_already_in_the_database(session, factory):
    washer, point = _catalogue(factory)
    crate = factory.full_crate_at(point, count=30, washer=washer)
    factory.event(Kind.PICKUP, at=T0 + timedelta(days=2), crate=crate, point=point.id,
                  moves=[Move(Stage.AT_POINT, Stage.IN_TRANSIT, 30)])
    session.commit()
    rows = [_row("receipt", "2025-03-11T15:00:00+01:00", "receipt", crate=crate.code.lower(),
                 washer="LAV1", from_stage="in_transit", to_stage="received", quantity="30")]
    report = import_journal(session, _journal(rows))
    assert report.ok, [str(e) for e in report.errors]
    session.commit()
    receipt = session.scalar(select(Event).where(Event.kind == Kind.RECEIPT))
    assert receipt.collection_point_id == point.id
    again = import_journal(session, _journal(rows))
    assert again.ok and again.skipped_events == 1


def test_minimal_columns_in_another_order(session, factory):
    washer, point = _catalogue(factory)
    session.commit()
    columns = ("kind", "event_id", "occurred_at", "crate", "collection_point", "washer",
               "from_stage", "to_stage", "quantity", "reason")
    report = import_journal(session, _journal(_hand_rows(), columns), create_missing=True)
    assert report.ok, [str(e) for e in report.errors]
    assert report.imported_events == 10 and report.registered == [CRATE_1, CRATE_2]


def test_a_header_without_the_needed_columns_says_which(session, factory):
    report = import_journal(session, _journal([], ("event_id", "kind", "colour")))
    assert [str(e) for e in report.errors] == [
        "ligne 1 : en-tête : colonne occurred_at absente ; colonne inconnue : colour (attendu "
        "les colonnes de docs/ledger.md : " + ", ".join(COLUMNS)
        + ", puis, facultatives, round, hours, km, water_l, energy_kwh)."]


UNPLACEABLE = [
    (_row("r", "2025-03-11T15:00:00Z", "receipt", washer="LAV1", from_stage="in_transit",
          to_stage="received", quantity="5"),
     "colonne collection_point vide — attendu : le code d'un point de collecte "
     "(ex. LONS-COMEDIE), ou une caisse déjà enlevée à un point"),
    (_row("r", "2025-03-11T15:00:00Z", "receipt", collection_point="LONS-COMEDIE",
          from_stage="in_transit", to_stage="received", quantity="5"),
     "colonne washer vide — attendu : le code d'un centre de lavage (ex. LAV1)"),
    (_row("s", "2025-03-11T15:00:00Z", "sorting", washer="LAV1", from_stage="received",
          to_stage="sorted", quantity="5"),
     "colonne bottle_model vide — attendu : le code d'un modèle de bouteille (ex. BOURG75)"),
    (_row("s", "2025-03-11T15:00:00Z", "sorting", washer="LAV1", bottle_model="BOURG75",
          from_stage="received", to_stage="refused", quantity="5"),
     "colonne reason vide — attendu : le code d'un motif (ex. PERTE-ECART)"),
    (_row("v", "2025-03-11T15:00:00Z", "sale", washer="LAV1", bottle_model="BOURG75",
          from_stage="clean", to_stage="sold", quantity="5", unit_price_eur="0.30"),
     "colonne winemaker vide — attendu : le code du vigneron acheteur (ex. ARBOIS)"),
    (_row("v", "2025-03-11T15:00:00Z", "sale", washer="LAV1", bottle_model="BOURG75",
          winemaker="ARBOIS", from_stage="clean", to_stage="sold", quantity="5"),
     "colonne unit_price_eur vide — attendu : le prix unitaire en euros (ex. 0.30)"),
    (_row("p", "2025-03-11T15:00:00Z", "crate_placed", collection_point="LONS-COMEDIE"),
     f"colonne crate vide — attendu : le code d'une caisse (ex. {CRATE_1})"),
    (_row("p", "2025-03-11T15:00:00Z", "crate_placed", crate=CRATE_1),
     "colonne collection_point vide — attendu : le code d'un point de collecte "
     "(ex. LONS-COMEDIE)"),
    (_row("k", "2025-03-11T15:00:00Z", ""),
     "colonne kind vide — attendu : l'un de crate_registered"),
    (_row("d", "", "crate_placed"),
     "colonne occurred_at vide — attendu : une date ISO 8601 avec son décalage"),
    ({"event_id": "", "occurred_at": "2025-03-11T15:00:00Z", "kind": "crate_placed"},
     "colonne event_id vide — attendu : un identifiant UUID"),
]


def test_a_row_that_cannot_be_placed_names_the_missing_column(session, factory):
    _catalogue(factory)
    factory.winemaker(code="ARBOIS")
    factory.crate(number=1)
    session.commit()
    for row, message in UNPLACEABLE:
        report = import_journal(session, _journal([row]), create_missing=True)
        assert not report.ok
        text = "\n".join(map(str, report.errors))
        assert text.startswith(f"ligne 2 : {message}") or f"ligne 2 : {message}" in text, text
    assert session.scalar(select(func.count()).select_from(Event)) == 1  # the registration


def test_cli_imports_a_hand_written_journal_and_lists_the_registered_crates(app, session, factory,
                                                                          tmp_path):
    _catalogue(factory)
    session.commit()
    path = tmp_path / "autre-outil.csv"
    path.write_text(_journal(_hand_rows()).getvalue(), encoding="utf-8")
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["bottles", "import-journal", str(path)])
    assert refused.exit_code == 1
    assert f"caisse inconnue : « {CRATE_1} » (relancez l'import avec --create-missing" \
        in refused.output
    done = runner.invoke(args=["bottles", "import-journal", str(path), "--create-missing"])
    assert done.exit_code == 0, done.output
    assert f"Caisses enregistrées à leur première utilisation : {CRATE_1}, {CRATE_2}." \
        in done.output
    again = runner.invoke(args=["bottles", "import-journal", str(path), "--create-missing"])
    assert again.exit_code == 0 and "première utilisation" not in again.output
    assert "7 déjà présent(s)" in again.output
    assert runner.invoke(args=["bottles", "check-ledger"]).exit_code == 0
