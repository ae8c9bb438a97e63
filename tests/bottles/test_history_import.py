"""The spreadsheet history import end to end over HTTP: the shipped example (XLSX, then its
French-Excel CSV) uploaded, mapped (suggested from its headers, then from the saved mapping),
previewed and imported all or nothing into the ledger."""

from __future__ import annotations

import io
import re
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bottles.db import db
from bottles.history import example
from bottles.history.models import ImportMapping
from bottles.models import CollectionPoint, Event, Movement, StockLevel
from bottles.rules import PARIS
from tests.factories import csrf_from, login

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
XLSX = EXAMPLES / "jura_collectes_2016_2017.xlsx"
CSV = EXAMPLES / "jura_collectes_2016_2017.csv"
CODES = {"Bourguignonne 75 cl": "BOURG75", "Clavelin 62 cl (Jura)": "CLAV62",
         "Bordelaise 75 cl": "BORD75", "Fillette 37,5 cl": "FIL37"}
POINT_CODES = ["LONS-COMEDIE", "LONS-BIOCOOP", "CONLIEGE-RECYC", "VOITEUR-CAVEAU"]
TOTAL_LINE = example.TITLE_LINES + 2 + len(example.rows())  # 41: after 36 data lines from 5


@pytest.fixture
def jura(factory):
    """The catalogue the example names (models and points by their names) and a coordinator."""
    for name, code in CODES.items():
        factory.model(code, name)
    for code, (name, _opens, _pace) in zip(POINT_CODES, example.POINTS, strict=True):
        factory.point(code, name)
    user = factory.user("coordinator", "camille")
    db.session.commit()
    return user


def upload(client, path: Path, name: str | None = None):
    page = client.get("/historique/")
    token = csrf_from(page.get_data(as_text=True))
    return client.post("/historique/", data={
        "csrf_token": token, "file": (io.BytesIO(path.read_bytes()), name or path.name)},
        content_type="multipart/form-data")


def form_of(html: str) -> dict[str, str]:
    """The mapping form's values as the page sets them (selected options, inputs)."""
    data = {"csrf_token": csrf_from(html)}
    for name, body in re.findall(r'<select id="[^"]+" name="([^"]+)">(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', body)
        data[name] = chosen.group(1) if chosen else ""
    for name, value in re.findall(r'<input id="[^"]+" name="([^"]+)" type="(?:number|text)"[^>]*'
                                  r'value="([^"]*)"', html):
        data[name] = value
    return data


def test_example_files_are_what_the_script_writes(tmp_path):
    written = example.write(tmp_path)
    assert [path.read_bytes() for path in written] == [XLSX.read_bytes(), CSV.read_bytes()]


def test_example_imported_through_the_pages(client, jura):
    login(client, jura)
    answer = upload(client, XLSX)
    assert answer.status_code == 302
    page_url = answer.headers["Location"]
    page = client.get(page_url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    data = form_of(html)
    # suggested from the headers: the date, the point by name, one quantity column per model
    assert data["header_line"] == "4" and data["first_line"] == "5"
    assert data["field-0"] == "occurred_at" and data["field-1"] == "collection_point"
    assert [data[f"field-{i}"] for i in range(2, 6)] == [f"quantity:{c}" for c in CODES.values()]
    assert data["field-6"] == "" and data["field-7"] == "note"  # Total ignored
    assert data["fixed-kind"] == "crate_full" and data["fixed-actor"] == "camille"
    assert "nombre entier" in html and "date (cellule date du tableur)" in html
    assert "Cave de la Comédie" in html  # sample values

    # The Total row is among the data lines: refused, with the line to stop at.
    assert data["last_line"] == str(TOTAL_LINE)
    refused = client.post(page_url, data={**data, "action": "preview"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert f"ligne {TOTAL_LINE} : ligne de total" in text
    assert f"« Dernière ligne de données » sur {TOTAL_LINE - 1}" in text
    assert db.session.scalar(select(func.count()).select_from(Event)) == 0

    data["last_line"] = str(TOTAL_LINE - 1)
    preview = client.post(page_url, data={**data, "action": "preview"})
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200, text[:3000]
    assert "Vérifié avec les règles du journal" in text
    assert db.session.scalar(select(func.count()).select_from(Event)) == 0  # a preview writes nothing

    saved = client.post(page_url, data={**data, "action": "save", "name": "Collectes Jura 2016-17"})
    assert saved.status_code == 302
    done = client.post(page_url, data={**data, "action": "import"})
    assert done.status_code == 302
    assert "Import terminé" in client.get("/historique/").get_data(as_text=True)

    # The ledger holds one crate_full event per point and month that collected bottles, with a
    # movement per model, dated the month's last day at 18:00 Paris time.
    rows = example.rows()
    collecting = [row for row in rows if row[-2] > 0]
    events = db.session.scalars(select(Event).order_by(Event.occurred_at)).all()
    assert len(events) == len(collecting) == 32
    assert {event.kind for event in events} == {"crate_full"}
    assert events[0].occurred_at == datetime(2016, 10, 31, 18, 0, tzinfo=PARIS)
    assert events[-1].occurred_at == datetime(2017, 6, 30, 18, 0, tzinfo=PARIS)
    total = sum(row[-2] for row in rows)
    assert db.session.scalar(select(func.sum(Movement.quantity))) == total
    codes = dict(db.session.execute(select(CollectionPoint.id, CollectionPoint.code)).all())
    at_points = Counter()
    for stock in db.session.scalars(select(StockLevel).where(StockLevel.stage == "at_point")):
        at_points[codes[stock.site_id]] += stock.quantity
    expected = Counter()
    for row in rows:
        expected[POINT_CODES[[p[0] for p in example.POINTS].index(row[1])]] += row[-2]
    assert at_points == +expected
    by_model = dict(db.session.execute(select(Movement.bottle_model_id, func.sum(Movement.quantity))
                                       .group_by(Movement.bottle_model_id)).all())
    assert sorted(by_model.values()) == sorted(sum(row[2 + i] for row in rows) for i in range(4))
    notes = {event.note for event in events}
    assert "Fêtes : deux caisses en plus" in notes

    # The same table as French Excel's CSV (cp1252, ';', dates 31/10/2016, 1 200): the saved
    # mapping is applied (same headers), and every line is already in the ledger.
    answer = upload(client, CSV)
    page_url = answer.headers["Location"]
    html = client.get(page_url).get_data(as_text=True)
    assert "correspondance « Collectes Jura 2016-17 » appliquée" in html
    assert "CSV Windows-1252, séparateur « ; »" in html
    data = form_of(html)
    assert data["last_line"] == str(TOTAL_LINE - 1)  # the saved mapping stops before the Total
    again = client.post(page_url, data={**data, "action": "import"})
    assert again.status_code == 302
    assert "0 événement(s) et 0 mouvement(s) inscrits au journal, 32 déjà présent(s)" in \
        client.get("/historique/").get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Event)) == 32


def test_saved_mapping_listed_and_deleted(client, jura):
    login(client, jura)
    page_url = upload(client, XLSX).headers["Location"]
    data = form_of(client.get(page_url).get_data(as_text=True))
    client.post(page_url, data={**data, "action": "save", "name": "Mensuel"})
    mapping = db.session.scalar(select(ImportMapping))
    assert mapping.name == "Mensuel" and mapping.created_by_id == jura.id
    assert {"header": "Mois", "field": "occurred_at", "format": "date-excel"} in mapping.columns
    index = client.get("/historique/").get_data(as_text=True)
    assert "Mensuel" in index and "Mois → occurred_at" in index
    gone = client.post(f"/historique/correspondances/{mapping.id}/supprimer",
                       data={"csrf_token": csrf_from(index)})
    assert gone.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(ImportMapping)) == 0
