"""French that reads like French on the report pages, the PDF and the commands (issue 8, point 8)."""

from __future__ import annotations

import html
import io

from pypdf import PdfReader

from tests.factories import login
from tests.reports import ledger_fixture


def test_phase_form_has_no_doubled_units_and_says_fixed_costs_are_yearly(client, factory, session):
    login(client, factory.user("coordinator", username="coordination"))
    session.commit()
    page = html.unescape(client.get("/phases/new").get_data(as_text=True))
    assert "(kg) <span" not in page and "(kg) (kg)" not in page
    assert "Coûts fixes annuels" in page and "(€/an)" in page


def test_pdf_writes_the_first_of_the_month_as_1er(client, factory, session):
    made = ledger_fixture.build(factory, session)
    login(client, factory.user("coordinator", username="coordination"))
    session.commit()
    pdf = client.get(f"/phases/{made.phase.id}/rapport.pdf")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Du 1er septembre 2024 au 31 août 2025" in text
    assert "01/09/2024" not in text


def test_commands_write_plurals_not_s_in_brackets(app, factory, session, monkeypatch):
    from datetime import timedelta

    from reports import rollup

    monkeypatch.setattr(rollup, "PG_MARGIN", timedelta(0))  # PostgreSQL: read every committed event
    ledger_fixture.build(factory, session)
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["reports", "phases"]).output
    assert "(s)" not in listed and "2 paramètres, 1 objectif" in listed
    refreshed = runner.invoke(args=["reports", "refresh-rollups"]).output
    assert "(s)" not in refreshed and "événements lus" in refreshed


def test_out_of_range_parameter_is_refused_with_french_numbers(client, factory, session):
    login(client, factory.user("coordinator", username="coordination"))
    session.commit()
    from tests.factories import csrf_from

    token = csrf_from(client.get("/phases/new").get_data(as_text=True))
    resp = client.post("/phases/new", data={"csrf_token": token, "name": "P", "start": "2026-01-01",
                                            "end": "2026-12-31", "param_fixed_costs_eur": "20000000"})
    page = html.unescape(resp.get_data(as_text=True))
    assert resp.status_code == 422 and "0 à 10\u202f000\u202f000" in page and "1e+07" not in page
    assert 'value="20000000"' in page   # what was typed is kept
