"""Pages, exports and PDF of a phase in progress and its comparison with a finished one (HTTP)."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from reports import report
from reports.french import fmt_value
from tests.factories import login
from tests.reports import in_progress_fixture


def _text(resp) -> str:
    return re.sub(r"\s+", " ", html.unescape(resp.get_data(as_text=True)).replace("\u202f", " "))


@pytest.fixture
def two(factory, session, client):
    two = in_progress_fixture.build(factory, session)
    login(client, factory.user("coordinator", username="coordination"))
    session.commit()
    return two


def test_dashboard_of_a_phase_in_progress(client, two, session):
    resp = client.get(f"/phases/{two.running.id}")
    assert resp.status_code == 200
    page = _text(resp)
    assert "Phase en cours : chiffres du" in page and "inclus (jusqu'à minuit, heure de Paris)" in page
    assert "soit 30 jours sur 365" in page
    # Yearly target of 1 000 bottles: 72 after 30 days, an even pace would be at 82 → behind;
    # 928 left over 335 days (11,0 months) → 85 a month.
    tile = re.search(r'data-key="bottles_collected">(.*?)</div>\s*</div>', page).group(1)
    assert "en retard" in tile and "il faut 85 par mois" in tile and "✗" not in tile
    assert "Stock propre à ce jour" in page and "Stock propre en fin de phase" not in page
    assert "Phase A (30 premiers jours)" in page     # the previous phase over as many days
    per = report.phase_period(two.running, datetime.now(UTC))
    cost = round(3650 * 30 / per.year_days, 2)
    assert fmt_value("eur", cost).replace("\u202f", " ") in page   # pro-rated fixed costs
    age = client.get(f"/phases/{two.running.id}/graphiques/age-stock.svg").get_data(as_text=True)
    assert "Âge du stock propre au" in age


def test_exports_and_pdf_say_in_progress(client, two):
    resp = client.get(f"/phases/{two.running.id}/tableaux/periode.csv")
    assert resp.status_code == 200
    assert "en-cours-au-" in resp.headers["Content-Disposition"]
    rows = {r[0]: r for r in csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff")),
                                        delimiter=";")}
    assert rows["phase_status"][2] == "in_progress" and rows["elapsed_days"][2] == "30"
    assert rows["figures_until"][2] == (two.today - timedelta(days=1)).strftime("%d/%m/%Y")
    book = load_workbook(io.BytesIO(client.get(f"/phases/{two.running.id}/tableaux.xlsx").data))
    assert book.sheetnames[0] == "periode" and book["periode"]["C2"].value == "in_progress"
    pdf = client.get(f"/phases/{two.running.id}/rapport.pdf")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Bilan intermédiaire" in text and "Phase en cours" in text and "en retard" in text
    assert "Stock propre à ce jour" in text
    done = client.get(f"/phases/{two.done.id}/tableaux/periode.csv?format=rfc4180").get_data(as_text=True)
    assert "phase_status,État de la phase,finished" in done


def test_comparison_with_a_phase_in_progress_uses_the_same_elapsed_days(client, two):
    resp = client.get(f"/phases/compare?phase={two.done.id}&phase={two.running.id}")
    assert resp.status_code == 200
    page = _text(resp)
    assert "« Phase B » est en cours" in page and "lue sur ses 30 premiers jours" in page
    # 100 bottles in Phase A's first 30 days against 72: −28 %, not 400 → 72 (−82 %).
    assert "les bouteilles collectées baissent de 28 %" in page
    assert "82 %" not in page
    assert re.search(r"Phase B <span[^>]*>\(en cours\)</span>", page)
    # Finished phases are still compared whole.
    whole = _text(client.get(f"/phases/compare?phase={two.done.id}"))
    assert "premiers jours" not in whole
