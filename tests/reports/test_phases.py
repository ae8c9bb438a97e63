"""Phases: creation and editing by form and command line; bad input changes nothing."""

from __future__ import annotations

import html
import json

import pytest
from sqlalchemy import func, select

from reports.models import Phase
from tests.factories import login, post_form

GOOD = {"name": "Phase 1 — 2024-2025", "start": "2024-09-01", "end": "2025-08-31",
        "description": "Premier modèle", "param_resale_price_eur": "0,30",
        "source_resale_price_eur": "Grille tarifaire", "target_collected_to_reused": "0.5"}


def _count(session) -> int:
    return session.scalar(select(func.count()).select_from(Phase))


@pytest.fixture
def coordinator(factory, client):
    user = factory.user("coordinator")
    factory.session.commit()
    login(client, user)
    return user


def test_create_and_edit_phase_through_the_form(client, session, coordinator):
    page = client.get("/phases/new")
    assert page.status_code == 200 and "Prix de revente prévu" in page.get_data(as_text=True)
    resp = post_form(client, "/phases/new", GOOD)
    assert resp.status_code == 302
    phase = session.scalar(select(Phase))
    assert phase.parameters == {"resale_price_eur": {"value": 0.3, "source": "Grille tarifaire"}}
    assert phase.targets == {"collected_to_reused": 0.5}
    listing = client.get("/phases/").get_data(as_text=True)
    assert "Phase 1 — 2024-2025" in listing
    edit_url = f"/phases/{phase.id}/edit"
    assert "Grille tarifaire" in client.get(edit_url).get_data(as_text=True)
    resp = post_form(client, edit_url,
                     {**GOOD, "description": "Modèle revu", "param_fixed_costs_eur": "1200"})
    assert resp.status_code == 302
    session.expire_all()
    phase = session.get(Phase, phase.id)
    assert phase.description == "Modèle revu"
    assert phase.parameters["fixed_costs_eur"]["value"] == 1200


@pytest.mark.parametrize("change, message", [
    ({"end": "2024-08-01"}, "doit précéder"),
    ({"start": "2024-13-01"}, "n'est pas une date"),
    ({"param_resale_price_eur": "beaucoup"}, "n'est pas un nombre"),
    ({"param_resale_price_eur": "-1"}, "hors de l'intervalle"),
    ({"param_bottles_on_market": "12.5"}, "nombre entier"),
    ({"target_collected_to_reused": "52"}, "hors de l'intervalle"),
    ({"target_nonsense": "1"}, "Objectif inconnu"),
    ({"name": ""}, "1 à 80 caractères"),
])
def test_bad_input_is_refused_in_french_and_changes_nothing(client, session, coordinator, change, message):
    resp = post_form(client, "/phases/new", {**GOOD, **change}, page_url="/phases/new")
    assert resp.status_code == 422
    assert message in html.unescape(resp.get_data(as_text=True))
    assert _count(session) == 0


def test_overlapping_phases_are_refused(client, session, coordinator):
    assert post_form(client, "/phases/new", GOOD).status_code == 302
    resp = post_form(client, "/phases/new", {**GOOD, "name": "Autre", "start": "2025-08-31",
                                             "end": "2026-08-31"})
    assert resp.status_code == 422 and "chevauchent" in html.unescape(resp.get_data(as_text=True))
    assert _count(session) == 1
    phase = session.scalar(select(Phase))
    # Editing a phase does not clash with itself, but may not overlap another one.
    assert post_form(client, "/phases/new", {**GOOD, "name": "Phase 2", "start": "2025-09-01",
                                             "end": "2026-08-31"}).status_code == 302
    resp = post_form(client, f"/phases/{phase.id}/edit", {**GOOD, "end": "2025-09-15"})
    assert resp.status_code == 422
    session.expire_all()
    assert session.get(Phase, phase.id).end_date.isoformat() == "2025-08-31"


def test_missing_csrf_is_refused(client, session, coordinator):
    resp = client.post("/phases/new", data=GOOD)
    assert resp.status_code == 400
    assert _count(session) == 0


def test_other_roles_may_not_see_phases(client, factory):
    user = factory.user("point", points=[factory.point()])
    factory.session.commit()
    login(client, user)
    assert client.get("/phases/").status_code == 403
    assert client.get("/phases/new").status_code == 403


def test_unknown_phase_is_404(client, coordinator):
    resp = client.get("/phases/999")
    assert resp.status_code == 404 and "n'existe pas" in html.unescape(resp.get_data(as_text=True))


def test_add_phase_and_list_from_the_command_line(app, session):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["reports", "add-phase", "--name", "Phase 1", "--start", "2024-09-01",
                                 "--end", "2025-08-31", "--param", "fixed_costs_eur=18000",
                                 "--source", "fixed_costs_eur=comptes 2024", "--target", "wash_yield=0.95"])
    assert result.exit_code == 0, result.output
    assert "Phase « Phase 1 » créée" in result.output
    listed = runner.invoke(args=["reports", "phases", "--json"])
    data = json.loads(listed.output)
    assert data[0]["parameters"]["fixed_costs_eur"] == {"value": 18000.0, "source": "comptes 2024"}
    assert data[0]["targets"] == {"wash_yield": 0.95}
    assert "Phase 1\t2024-09-01 → 2025-08-31" in runner.invoke(args=["reports", "phases"]).output


@pytest.mark.parametrize("extra, message", [
    (["--param", "unknown_key=1"], "Paramètre inconnu"),
    (["--param", "cost_per_km_eur=abc"], "n'est pas un nombre"),
    (["--param", "cost_per_km_eur=1000"], "hors de l'intervalle"),
    (["--param", "cost_per_km_eur"], "clé=valeur"),
    (["--target", "nothing=1"], "Objectif inconnu"),
    (["--target", "wash_yield=1.5"], "hors de l'intervalle"),
    (["--end", "2023-01-01"], "doit précéder"),
])
def test_add_phase_bad_input_exits_non_zero(app, session, extra, message):
    args = ["reports", "add-phase", "--name", "P", "--start", "2024-09-01", "--end", "2025-08-31"]
    if "--end" in extra:
        args = args[:-2]
    result = app.test_cli_runner().invoke(args=args + extra)
    assert result.exit_code != 0
    assert message in result.output
    assert _count(session) == 0


def test_add_phase_overlap_exits_non_zero(app, session):
    runner = app.test_cli_runner()
    base = ["reports", "add-phase", "--start", "2024-09-01", "--end", "2025-08-31"]
    assert runner.invoke(args=base + ["--name", "A"]).exit_code == 0
    result = runner.invoke(args=base + ["--name", "B"])
    assert result.exit_code != 0 and "chevauchent" in result.output
    assert _count(session) == 1
