"""Dashboard, comparison and exports over the hand-made ledger (HTTP level)."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from reports.operations import PhaseInput, save_phase
from tests.factories import login
from tests.reports import ledger_fixture


def _text(resp) -> str:
    return html.unescape(resp.get_data(as_text=True))


@pytest.fixture
def made(factory, session, client):
    made = ledger_fixture.build(factory, session)
    # A second phase: the 7 bottles sold at 00:00 on 1 September 2025 belong to it.
    made.phase2 = save_phase(session, PhaseInput(name="Phase 2", start="2025-09-01", end="2026-08-31"))
    user = factory.user("coordinator", username="coordination")
    session.commit()
    login(client, user)
    return made


def test_dashboard_shows_indicators_charts_and_tables(client, made):
    resp = client.get(f"/phases/{made.phase.id}")
    assert resp.status_code == 200
    page = _text(resp)
    charts = re.findall(r'<img class="chart" src="([^"]+)"', page)
    assert len(charts) == 6
    for url in charts:
        svg = client.get(url)
        assert svg.status_code == 200 and svg.mimetype == "image/svg+xml", url
        assert b"<svg" in svg.data
    funnel = client.get(f"/phases/{made.phase.id}/graphiques/entonnoir.svg").get_data(as_text=True)
    assert "Entonnoir des pertes" in funnel and "Collectées" in funnel
    assert client.get(f"/phases/{made.phase.id}/graphiques/nope.svg").status_code == 404
    assert "33 %" in page                      # collected_to_reused = 25 / 75
    assert "Étiquette permanente : 10" in page  # refusals by reason in the funnel
    assert "Domaine n°" in page or "W2" in page  # refusals for permanent labels by estate
    assert "Par point de collecte" in page and "Par vigneron acheteur" in page
    assert "Parc de caisses" in page


def test_dashboard_filtered_by_territory(client, made):
    resp = client.get(f"/phases/{made.phase.id}?territoire=Revermont")
    page = _text(resp)
    assert resp.status_code == 200
    assert "Filtré sur Revermont" in page
    assert "75" in page  # P2 45 + P3 30, both in Revermont


def test_second_phase_has_the_edge_sale_and_previous_phase(client, made):
    page = _text(client.get(f"/phases/{made.phase2.id}"))
    assert "Phase 1" in page  # previous phase column
    resp = client.get(f"/phases/{made.phase2.id}/tableaux/vignerons.csv?format=rfc4180")
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True))))
    assert rows[0][:3] == ["Code", "Domaine", "Bouteilles achetées"]
    assert rows[1][0] == "W1" and rows[1][2] == "7"


def test_comparison_side_by_side_with_summary(client, made):
    resp = client.get(f"/phases/compare?phase={made.phase.id}&phase={made.phase2.id}")
    assert resp.status_code == 200
    page = _text(resp)
    assert "Phase 1 → Phase 2" in page
    assert "les bouteilles revendues baissent de 72 %" in page  # 25 → 7
    assert "Ce qui se dégrade" in page
    assert client.get("/phases/compare?phase=999&phase=1").status_code == 404


def test_every_table_as_csv_and_one_workbook(client, made):
    for name in ("indicateurs", "points", "vignerons", "refus", "rebuts", "etiquettes", "mois",
                 "lavage", "caisses", "parametres"):
        resp = client.get(f"/phases/{made.phase.id}/tableaux/{name}.csv")
        assert resp.status_code == 200, name
        assert resp.headers["Content-Type"].startswith("text/csv")
    french = client.get(f"/phases/{made.phase.id}/tableaux/points.csv").get_data(as_text=True)
    assert french.startswith("\ufeff")  # French Excel's file by default (docs/exports.md)
    points = list(csv.reader(io.StringIO(french[1:]), delimiter=";"))
    assert points[0] == ["Code", "Point de collecte", "Territoire", "Collectées", "Enlevées",
                         "Réceptionnées", "Pertes en transport"]
    assert points[-1][0] == "Total" and points[-1][3] == "75"
    assert client.get(f"/phases/{made.phase.id}/tableaux/nope.csv").status_code == 404
    resp = client.get(f"/phases/{made.phase.id}/tableaux.xlsx")
    book = load_workbook(io.BytesIO(resp.data))
    assert "indicateurs" in book.sheetnames and "points" in book.sheetnames
    sheet = book["indicateurs"]
    assert [c.value for c in sheet[1]][:3] == ["Clé", "Indicateur", "Valeur"]
    values = {row[0]: row[2] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert values["bottles_sold"] == 25 and isinstance(values["wash_yield"], float)
    assert values["revenue_eur"] == 8.0


def test_pdf_report_has_several_pages(client, made):
    resp = client.get(f"/phases/{made.phase.id}/rapport.pdf")
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(resp.data))
    assert len(reader.pages) >= 5
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Bilan de la Phase 1" in text
    assert "Paramètres et sources" in text and "estimation" in text


def test_pdf_command(app, made, tmp_path):
    out = tmp_path / "r.pdf"
    result = app.test_cli_runner().invoke(args=["reports", "export-pdf", "--phase", "Phase 1", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")


def test_phase_journal_uses_the_phase_bounds(client, made):
    resp = client.get(f"/phases/{made.phase.id}/journal.csv")
    assert resp.status_code == 200
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    times = {r["occurred_at"] for r in rows}
    assert "2025-08-31T23:30:00+02:00" in times          # last sale inside
    assert "2025-09-01T00:00:00+02:00" not in times      # first instant of the next phase
    assert "2024-08-31T23:59:00+02:00" not in times      # before the first day
    assert "2024-09-01T00:00:00+02:00" in times


def test_dashboard_on_a_phone_has_no_sideways_scroll(phone, made, live_server):
    from tests.factories import PASSWORD

    phone.goto("/login")
    phone.fill("#username", "coordination")
    phone.fill("#password", PASSWORD)
    phone.click("button[type=submit]")
    phone.goto(f"/phases/{made.phase.id}")
    assert phone.locator("h1").inner_text() == "Phase 1"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    # Sorting a table by a numeric column puts the biggest first on the second tap.
    column = phone.locator("#table-points thead th").nth(3)
    header = column.locator("button")
    # Tap until the column reads descending: a lazy chart loading above may shift the layout
    # under a tap on a loaded machine, and a lost tap must not read as a wrong sort.
    for _tap in range(4):
        header.click()
        if column.get_attribute("aria-sort") == "descending":
            break
    assert column.get_attribute("aria-sort") == "descending"
    first = phone.locator("#table-points tbody tr").first.locator("td").first.inner_text()
    assert first == "P2"
