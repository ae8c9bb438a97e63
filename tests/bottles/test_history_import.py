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
    # applied on request to a file of the same layout; another layout says it does not fit
    chosen = client.get(f"{page_url}?correspondance={mapping.id}").get_data(as_text=True)
    assert "correspondance « Mensuel » appliquée" in chosen
    other = upload_bytes(client, b"Jour;Lieu;Nombre\n31/10/2016;LONS-COMEDIE;3\n", "autre.csv")
    warned = client.get(f"{other.headers['Location']}?correspondance={mapping.id}")
    assert warned.status_code == 200
    assert "ne convient pas à ce fichier" in warned.get_data(as_text=True).replace("&#39;", "'")
    assert client.get(f"{page_url}?correspondance=999999").status_code == 404
    index = client.get("/historique/").get_data(as_text=True)
    assert "Mensuel" in index and "Mois → occurred_at" in index
    gone = client.post(f"/historique/correspondances/{mapping.id}/supprimer",
                       data={"csrf_token": csrf_from(index)})
    assert gone.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(ImportMapping)) == 0


# --- refusals: a French message naming the line and the column, a 4xx, nothing written --------

def small_book(rows: list[list[object]], merge: str | None = None) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    if merge:
        book.active.merge_cells(merge)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def mapped(client, data: bytes, filename: str, **changes: str):
    """Upload `data`, take the page's suggested mapping with `changes`, and ask to import."""
    answer = upload_bytes(client, data, filename)
    assert answer.status_code == 302, answer.get_data(as_text=True)[:2000]
    page_url = answer.headers["Location"]
    form = {**form_of(client.get(page_url).get_data(as_text=True)), "action": "import", **changes}
    return client.post(page_url, data=form)


def upload_bytes(client, data: bytes, filename: str):
    token = csrf_from(client.get("/historique/").get_data(as_text=True))
    return client.post("/historique/", data={"csrf_token": token, "file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def events() -> int:
    return db.session.scalar(select(func.count()).select_from(Event))


HEAD = ["Mois", "Point de collecte", "Bourguignonne 75 cl"]


def refused(response, *fragments: str) -> str:
    text = response.get_data(as_text=True).replace("&#39;", "'")
    assert response.status_code == 422, (response.status_code, text[:2000])
    for fragment in fragments:
        assert fragment in text, (fragment, re.findall(r'<li>(.*?)</li>', text)[:10])
    assert events() == 0
    return text


def test_merged_cells_refused(client, jura):
    login(client, jura)
    book = small_book([HEAD, ["10/2016", "Cave de la Comédie", 10], ["11/2016", None, 12]], merge="B2:B3")
    refused(mapped(client, book, "fusion.xlsx"),
            "ligne 2 : cellules fusionnées B2:B3 (colonne « Point de collecte »)")


def test_total_row_refused_and_skipped_by_the_last_line(client, jura):
    login(client, jura)
    text = "Mois;Point de collecte;Bourguignonne 75 cl\n10/2016;Cave de la Comédie;10\n" \
           "11/2016;Cave de la Comédie;12\nTotal;;22\n"
    refused(mapped(client, text.encode(), "total.csv"),
            "ligne 4 : ligne de total (« Total »)", "« Dernière ligne de données » sur 3")
    assert mapped(client, text.encode(), "total.csv", last_line="3").status_code == 302
    assert events() == 2


def test_a_sum_formula_row_is_a_total_row(client, jura):
    login(client, jura)
    book = small_book([HEAD, ["10/2016", "Cave de la Comédie", 10], ["11/2016", "Cave de la Comédie", 12],
                       [None, None, "=SUM(C2:C3)"]])
    refused(mapped(client, book, "somme.xlsx"), "ligne 4 : ligne de total (« =SUM(C2:C3) »)")


def test_mapping_leaving_a_required_field_empty(client, jura):
    login(client, jura)
    text = "Mois;Point de collecte;Bourguignonne 75 cl\n10/2016;Cave de la Comédie;10\n"
    refused(mapped(client, text.encode(), "sans-date.csv", **{"field-0": ""}),
            "Le champ obligatoire « Date (occurred_at) » n'est rempli par aucune colonne")
    refused(mapped(client, text.encode(), "sans-point.csv", **{"field-1": ""}),
            "Le champ obligatoire « Point de collecte (collection_point) »")
    refused(mapped(client, text.encode(), "sans-type.csv", **{"fixed-kind": ""}),
            "Le champ obligatoire « Type d'événement (kind) »")
    refused(mapped(client, text.encode(), "double.csv", **{"field-2": "collection_point"}),
            "Le champ « Point de collecte (collection_point) » est choisi pour plusieurs colonnes")


def test_unknown_codes_and_wrong_types_name_line_and_column(client, jura):
    login(client, jura)
    text = ("Mois;Point de collecte;Bourguignonne 75 cl\n"
            "10/2016;Cave de la Comédie;10\n"
            "11/2016;Cave inconnue;12\n"
            "31/02/2017;Cave de la Comédie;12\n"
            "12/2016;Cave de la Comédie;12,5\n"
            "01/2017;Cave de la Comédie;beaucoup\n"
            "02/2017;Cave de la Comédie;-4\n")
    refused(mapped(client, text.encode(), "types.csv"),
            "ligne 3, colonne « Point de collecte » : point de collecte inconnu « Cave inconnue »",
            "ligne 4, colonne « Mois » : « 31/02/2017 » n'est pas une date qui existe",
            "ligne 5, colonne « Bourguignonne 75 cl » : « 12,5 » n'est pas un nombre entier de bouteilles",
            "ligne 6, colonne « Bourguignonne 75 cl » : « beaucoup » n'est pas un nombre entier",
            "ligne 7, colonne « Bourguignonne 75 cl » : « -4 » est négatif")
    refused(mapped(client, text.encode(), "fixe.csv",
                   **{"field-1": "", "fixed-collection_point": "NULLE-PART"}),
            "Valeur fixe du champ « Point de collecte (collection_point) » : point de collecte inconnu "
            "« NULLE-PART »")


def test_ledger_rules_refuse_the_whole_file(client, jura):
    """Rows the journal import refuses (more bottles picked up than the point holds) leave
    every other row unwritten too; the message gives the spreadsheet's line."""
    login(client, jura)
    text = ("Date;Point;Type;Quantité\n"
            "01/10/2016;LONS-COMEDIE;caisse pleine;40\n"
            "02/10/2016;LONS-COMEDIE;enlèvement;50\n")
    text_html = refused(mapped(client, text.encode(), "regles.csv"), "ligne 3 : ")
    assert "Rien ne sera importé" in text_html


def test_form_values_no_select_offers_are_400(client, jura):
    login(client, jura)
    text = "Mois;Point de collecte;Bourguignonne 75 cl\n10/2016;Cave de la Comédie;10\n"
    for changes in ({"field-2": "quantity:NOPE"}, {"field-0": "corrects"}, {"header_line": "²"},
                    {"hour": "25:00"}, {"action": "drop"}):
        answer = mapped(client, text.encode(), "champ.csv", **changes)
        assert answer.status_code == 400, changes
    assert events() == 0


@pytest.mark.parametrize("content, name, why", [
    (b"", "vide.csv", "Le fichier est vide."),
    (b"PK\x03\x04garbage", "faux.xlsx", "Classeur XLSX illisible"),
    (b"a\x00b;c\n", "nul.csv", "octets nuls"),
])
def test_unreadable_files_refused_at_upload(client, jura, content, name, why):
    login(client, jura)
    answer = upload_bytes(client, content, name)
    assert answer.status_code == 422 and why in answer.get_data(as_text=True)


# --- reading French Excel's cells ------------------------------------------------------------

@pytest.mark.parametrize("encoding, separator, bom", [
    ("utf-8", ";", True), ("utf-8", ";", False), ("cp1252", ";", False), ("utf-8", ",", False),
    ("utf-8", "\t", False)])
def test_csv_flavours_give_the_same_rows(client, jura, encoding, separator, bom):
    """Dates as 31/10/2016, 2016-11-30, 12/2016, déc. 2016 and an Excel serial number; counts
    as 1 200 (no-break space), 1200,0 or 1.200 in a `;` file: the same journal rows."""
    login(client, jura)
    lines = [["Date", "Point de collecte", "Bourguignonne 75 cl", "Remarques"],
             ["31/10/2016", "Cave de la Comédie", "1\u00a0200", "Été"],
             ["2016-11-30", "cave de la comédie", "1200,0" if separator != "," else "1200.0", ""],
             ["12/2016", "LONS-COMEDIE", "1.200" if separator != "," else "1200", ""],
             ["janv. 2017", "Cave de la Comédie", "1200", ""],
             ["42794", "Cave de la Comédie", "1200", ""]]  # 28/02/2017
    body = "\r\n".join(separator.join(f'"{cell}"' if separator in cell else cell for cell in line)
                       for line in lines)
    data = ("\ufeff" if bom else "").encode("utf-8") + body.encode(encoding)
    assert mapped(client, data, "saveurs.csv").status_code == 302
    days = [event.occurred_at.astimezone(PARIS).date().isoformat()
            for event in db.session.scalars(select(Event).order_by(Event.occurred_at))]
    assert days == ["2016-10-31", "2016-11-30", "2016-12-31", "2017-01-31", "2017-02-28"]
    assert db.session.scalar(select(func.sum(Movement.quantity))) == 6000
    assert db.session.scalar(select(Event.note).where(Event.note != "")) == "Été"
