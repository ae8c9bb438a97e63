"""The phase form shows each refusal beside its own field; the list says which phase is running."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta

import pytest

from bottles.rules import PARIS
from reports.operations import PhaseInput, save_phase
from reports.phase_input import PhaseError, parse_day, parse_param, parse_target
from tests.factories import login, post_form

GOOD = {"name": "Phase 1 — 2024-2025", "start": "2024-09-01", "end": "2025-08-31",
        "description": "Premier modèle", "param_resale_price_eur": "0,30",
        "source_resale_price_eur": "Grille tarifaire", "target_collected_to_reused": "0.5"}


def _text(resp) -> str:
    return html.unescape(resp.get_data(as_text=True))


def _input(page: str, name: str) -> re.Match:
    found = re.search(rf'<input[^>]*\bname="{re.escape(name)}"[^>]*>', page)
    assert found, name
    return found


@pytest.fixture
def coordinator(factory, client):
    user = factory.user("coordinator")
    factory.session.commit()
    login(client, user)
    return user


def test_refused_target_is_shown_beside_its_field_and_the_typed_value_is_kept(client, coordinator):
    resp = post_form(client, "/phases/new", {**GOOD, "target_collected_to_reused": "52"},
                     page_url="/phases/new")
    assert resp.status_code == 422
    page = _text(resp)
    field = _input(page, "target_collected_to_reused")
    tag = field.group(0)
    assert 'aria-invalid="true"' in tag
    assert 'aria-describedby="target_collected_to_reused-error"' in tag
    assert 'value="52"' in tag
    after = page[field.end():].lstrip()
    message = re.match(r'<small class="field-error" id="target_collected_to_reused-error">(.*?)</small>',
                       after, re.S)
    assert message and "hors de l'intervalle" in message.group(1)
    # Only the refused field is marked; what else was typed stays.
    assert 'aria-invalid' not in _input(page, "name").group(0)
    assert 'value="Phase 1 — 2024-2025"' in _input(page, "name").group(0)
    assert 'value="0,30"' in _input(page, "param_resale_price_eur").group(0)
    # A short summary stays at the top and leads to the field.
    summary = re.search(r'<div class="flash flash-error[^"]*"[^>]*role="alert"[^>]*>(.*?)</div>', page, re.S)
    assert summary and 'href="#target_collected_to_reused"' in summary.group(1)


@pytest.mark.parametrize("change, name", [
    ({"name": ""}, "name"),
    ({"start": "2024-13-01"}, "start"),
    ({"end": "2024-08-01"}, "end"),
    ({"param_resale_price_eur": "beaucoup"}, "param_resale_price_eur"),
])
def test_each_refusal_marks_its_own_field(client, coordinator, change, name):
    resp = post_form(client, "/phases/new", {**GOOD, **change}, page_url="/phases/new")
    assert resp.status_code == 422
    page = _text(resp)
    tag = _input(page, name).group(0)
    assert 'aria-invalid="true"' in tag and f'aria-describedby="{name}-error"' in tag
    assert f'id="{name}-error"' in page
    assert page.count('aria-invalid="true"') == 1


def test_edit_form_marks_the_refused_field(client, session, coordinator):
    phase = save_phase(session, PhaseInput(name="P", start="2024-09-01", end="2025-08-31"))
    session.commit()
    resp = post_form(client, f"/phases/{phase.id}/edit", {**GOOD, "name": "P",
                                                          "target_collected_to_reused": "2"})
    assert resp.status_code == 422
    assert 'aria-invalid="true"' in _input(_text(resp), "target_collected_to_reused").group(0)


def test_phase_errors_name_their_field():
    with pytest.raises(PhaseError) as error:
        parse_day("demain", "Premier jour", "start")
    assert error.value.field == "start"
    with pytest.raises(PhaseError) as error:
        parse_param("cost_per_km_eur", "1000")
    assert error.value.field == "param_cost_per_km_eur"
    with pytest.raises(PhaseError) as error:
        parse_target("wash_yield", "1.5")
    assert error.value.field == "target_wash_yield"


@pytest.fixture
def listed(session, coordinator):
    today = datetime.now(PARIS).date()
    save_phase(session, PhaseInput(name="Ancienne", start=(today - timedelta(days=400)).isoformat(),
                                   end=(today - timedelta(days=40)).isoformat()))
    save_phase(session, PhaseInput(name="Courante", start=(today - timedelta(days=30)).isoformat(),
                                   end=(today + timedelta(days=300)).isoformat()))
    save_phase(session, PhaseInput(name="Prochaine", start=(today + timedelta(days=301)).isoformat(),
                                   end=(today + timedelta(days=600)).isoformat()))
    session.commit()
    return today


def _item(page: str, name: str) -> str:
    found = re.search(rf"<li>(?:(?!</li>).)*<strong>{name}</strong>.*?</li>", page, re.S)
    assert found, name
    return re.sub(r"\s+", " ", found.group(0).replace("\u202f", " ").replace("\xa0", " "))


def test_phases_list_marks_the_phase_in_progress_and_the_one_to_come(client, listed):
    page = _text(client.get("/phases/"))
    running = _item(page, "Courante")
    assert "en cours" in running and "chiffres jusqu'au" in running
    upcoming = _item(page, "Prochaine")
    assert "à venir" in upcoming and "en cours" not in upcoming
    past = _item(page, "Ancienne")
    assert "en cours" not in past and "à venir" not in past


def test_phases_list_in_english(client, listed):
    client.get("/lang/en")
    page = _text(client.get("/phases/"))
    running = _item(page, "Courante")
    # The catalogue's English for "en cours" is "under way" (dashboard banner, comparison, exports).
    assert "under way" in running and "figures until" in running
    assert "not started yet" in _item(page, "Prochaine")
