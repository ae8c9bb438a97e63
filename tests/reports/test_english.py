"""The reports speak English after the /lang/en switch: phases, form, dashboard, comparison, PDF,
exports and messages; French stays the default and reads as before."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from reports.operations import PhaseInput, save_phase
from tests.factories import csrf_from, login
from tests.reports import ledger_fixture

FRENCH = ("Bouteilles", "bouteilles", "collectées", "Rendement", "Phase en cours", "Phase terminée",
          "jours", "Coût", "Objectif", "Indicateur", "Paramètres", "Taux", "Écarts", "Rebuts",
          "Nouvelle phase", "Comparer", "Aucune", "Progrès", "Reculs", "passe de", "baissent de")


def _text(resp) -> str:
    return html.unescape(resp.get_data(as_text=True))


def _french_in(text: str) -> list[str]:
    return [word for word in FRENCH if re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text)]


@pytest.fixture
def made(factory, session, client):
    made = ledger_fixture.build(factory, session)
    made.phase2 = save_phase(session, PhaseInput(name="Phase 2", start="2025-09-01", end="2026-08-31"))
    user = factory.user("coordinator", username="coordination")
    session.commit()
    login(client, user)
    return made


@pytest.fixture
def english(client, made):
    client.get("/lang/en")
    return made


def _pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_french_is_the_default(client, made):
    page = _text(client.get(f"/phases/{made.phase.id}"))
    assert "Bouteilles collectées" in page and "Rendement global" in page and "Phase terminée" in page
    assert "Bottles collected" not in page and "Overall yield" not in page
    listed = _text(client.get("/phases/"))
    assert "Phases d'expérimentation" in listed and "Trial phases" not in listed
    text = _pdf_text(client.get(f"/phases/{made.phase.id}/rapport.pdf").data)
    assert "Du 1er septembre 2024 au 31 août 2025" in text and "From" not in text


def test_phases_list_and_form_in_english(client, english):
    home = _text(client.get("/"))
    assert "Phases and dashboards" in home and "Phases et tableaux de bord" not in home
    listed = _text(client.get("/phases/"))
    assert "Trial phases" in listed and "New phase" in listed and "Compare the phases" in listed
    assert "from Sep 1, 2024 to Aug 31, 2025" in listed
    assert _french_in(listed) == []
    form = _text(client.get("/phases/new"))
    assert "Yearly fixed costs" in form and "(€/year)" in form and "Save the phase" in form
    assert "Rates are written as fractions: 0.52 for 52%." in form
    assert "Cost per clean bottle" in form and "Default: 0.8 — Price paid by a Burgundy producer" in form
    assert _french_in(form) == []


def test_refusals_and_flash_in_english(client, english):
    token = csrf_from(client.get("/phases/new").get_data(as_text=True))
    resp = client.post("/phases/new", data={"csrf_token": token, "name": "P", "start": "2030-01-01",
                                            "end": "2030-12-31", "param_fixed_costs_eur": "20000000"})
    page = _text(resp)
    assert resp.status_code == 422
    assert "Yearly fixed costs: 20000000 is outside the allowed range (0 to 10,000,000)." in page
    resp = client.post("/phases/new", data={"csrf_token": token, "name": "P", "start": "2025-01-01",
                                            "end": "2025-03-01"})
    assert "These dates overlap the phase “Phase 1” (Sep 1, 2024 – Aug 31, 2025)." in _text(resp)
    resp = client.post("/phases/new", data={"csrf_token": token, "name": "P3", "start": "2027-01-01",
                                            "end": "2027-12-31"}, follow_redirects=True)
    assert "Phase “P3” created." in _text(resp)


def test_dashboard_in_english(client, english):
    page = _text(client.get(f"/phases/{english.phase.id}"))
    assert "Bottles collected" in page and "Overall yield" in page and "Where bottles are lost" in page
    assert "Phase finished: figures from September 1, 2024 to August 31, 2025 (365 days)." in page
    assert "33%" in page and "33 %" not in page            # collected_to_reused = 25 / 75
    assert "Money, environment, work" in page and "Parameters and sources" in page
    assert _french_in(page) == []
    chart = client.get(f"/phases/{english.phase.id}/graphiques/entonnoir.svg").get_data(as_text=True)
    assert "Loss funnel" in chart and "Bottles remaining" in chart and "Entonnoir" not in chart
    months = client.get(f"/phases/{english.phase.id}/graphiques/territoires.svg").get_data(as_text=True)
    assert "Sep 24" in months and "sept." not in months


def test_comparison_in_english(client, english):
    page = _text(client.get(f"/phases/compare?phase={english.phase.id}&phase={english.phase2.id}"))
    assert "Phase 1 → Phase 2" in page and "What gets worse" in page
    assert "the bottles resold fall by 72%" in page  # 25 → 7
    assert "better" in page or "worse" in page
    assert _french_in(page) == []


def test_pdf_report_in_english(client, english):
    text = _pdf_text(client.get(f"/phases/{english.phase.id}/rapport.pdf").data)
    assert "Report on Phase 1" in text and "From September 1, 2024 to August 31, 2025" in text
    assert "Bottles collected" in text and "Parameters and sources" in text and "Indicators" in text
    assert "1er" not in text and "Du " not in text
    assert _french_in(text) == []


def test_exports_in_english(client, english):
    resp = client.get(f"/phases/{english.phase.id}/tableaux.xlsx")
    assert resp.headers["Content-Disposition"].endswith('-tables.xlsx"')
    book = load_workbook(io.BytesIO(resp.data))
    assert "indicators" in book.sheetnames and "winemakers" in book.sheetnames
    assert "indicateurs" not in book.sheetnames
    sheet = book["indicators"]
    assert [c.value for c in sheet[1]][:3] == ["Key", "Indicator", "Value"]
    labels = {row[0]: row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert labels["bottles_collected"] == "Bottles collected"
    values = {row[0]: row[2] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert values["bottles_sold"] == 25    # numbers stay numbers
    headers = [cell.value for name in book.sheetnames for cell in book[name][1]]
    assert _french_in(" ".join(str(h) for h in headers)) == []
    points = list(csv.reader(io.StringIO(client.get(
        f"/phases/{english.phase.id}/tableaux/points.csv").get_data(as_text=True).lstrip("\ufeff")),
        delimiter=";"))
    assert points[0] == ["Code", "Collection point", "Territory", "Collected", "Picked up", "Received",
                         "Transport losses"]


def test_kpis_json_keys_stay_english(app, made):
    import json

    out = app.test_cli_runner().invoke(args=["reports", "kpis", "--phase", "Phase 1", "--json"]).output
    assert "bottles_collected" in json.loads(out)


def test_phase_in_progress_in_english(client, factory, session):
    from tests.reports import in_progress_fixture

    two = in_progress_fixture.build(factory, session)
    login(client, factory.user("coordinator", username="coordination"))
    session.commit()
    client.get("/lang/en")
    page = re.sub(r"\s+", " ", _text(client.get(f"/phases/{two.running.id}")))
    assert "Phase under way: figures from" in page and "that is 30 days out of 365" in page
    tile = re.search(r'data-key="bottles_collected">(.*?)</div>\s*</div>', page).group(1)
    assert "late" in tile and "85 a month are needed" in tile
    assert "Clean stock to date" in page and "Phase A (first 30 days)" in page
    assert _french_in(page) == []
    compared = _text(client.get(f"/phases/compare?phase={two.done.id}&phase={two.running.id}"))
    assert "each phase is read over its first 30 days" in compared and _french_in(compared) == []
    text = _pdf_text(client.get(f"/phases/{two.running.id}/rapport.pdf").data)
    assert "Interim report on" in text and _french_in(text) == []
