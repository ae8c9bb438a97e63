"""The model view, the pool simulator and the "does it pay" page over the hand-made ledger (HTTP):
figures shown, the proposal saved in a later phase, and every bad input a French 4xx that saves nothing."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bottles.models import BottleModel
from reports.models import Phase
from reports.operations import PhaseInput, save_phase
from tests.factories import login
from tests.reports import ledger_fixture


def _text(resp) -> str:
    return html.unescape(resp.get_data(as_text=True))


@pytest.fixture
def made(factory, session, client):
    made = ledger_fixture.build(factory, session)
    made.phase2 = save_phase(session, PhaseInput(name="Phase 2", start="2025-09-01", end="2026-08-31"))
    made.model = session.scalars(select(BottleModel)).one()
    user = factory.user("coordinator", username="coordination")
    session.commit()
    login(client, user)
    return made


def _csrf(client, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_models_page(client, made):
    resp = client.get(f"/phases/{made.phase.id}/modeles")
    assert resp.status_code == 200
    page = _text(resp)
    assert 'data-model="BOURG75"' in page and "16 novembre 2051" in page
    assert "Réservations : demande et offre par modèle" in page and "Aucune réservation ouverte." in page
    # Phase 2 has no clean inflow: never at this pace.
    assert "jamais à ce rythme" in _text(client.get(f"/phases/{made.phase2.id}/modeles"))


def test_simulator_shows_the_phase_and_a_choice(client, made):
    page = _text(client.get(f"/phases/{made.phase.id}/simulateur"))
    assert "Hypothèses" in page and "33 %" in page  # 25 ÷ 75
    w2 = made.winemakers[1]
    page = _text(client.get(f"/phases/{made.phase.id}/simulateur?choix=1&modele={made.model.id}"
                            f"&domaine={w2.id}"))
    assert "38 %" in page  # 25 ÷ 65
    resp = client.get(f"/phases/{made.phase.id}/simulateur?choix=1&modele=99999")
    assert resp.status_code == 422 and "Modèle inconnu" in _text(resp)


def _post(client, made, **form):
    url = f"/phases/{made.phase.id}/simulateur"
    data = {"csrf_token": _csrf(client, url), "choix": "1", "action": "enregistrer", **form}
    return client.post(url, data=data)


def test_saving_the_proposal_in_the_next_phase(client, made, session):
    w2 = made.winemakers[1]
    resp = _post(client, made, modele=str(made.model.id), domaine=str(w2.id), phase_cible=str(made.phase2.id))
    assert resp.status_code == 302
    session.expire_all()
    saved = session.get(Phase, made.phase2.id).parameters["pool"]
    assert saved["models"] == ["BOURG75"] and saved["labels_refused_at_point"] == ["W2"]
    assert saved["from_phase"] == "Phase 1"
    # The phase form keeps it when the phase is saved again.
    edit = client.get(f"/phases/{made.phase2.id}/edit")
    assert edit.status_code == 200


@pytest.mark.parametrize("form, message", [
    ({}, "Cochez au moins un modèle"),
    ({"modele": "99999"}, "Modèle inconnu"),
    ({"modele": "abc"}, "Modèle inconnu"),
    ({"modele": "MODEL", "domaine": "99999"}, "Domaine inconnu"),
    ({"modele": "MODEL", "phase_cible": "PHASE1"}, "Choisissez une phase qui commence après celle-ci"),
    ({"modele": "MODEL", "phase_cible": "x"}, "Choisissez une phase qui commence après celle-ci"),
])
def test_bad_proposals_save_nothing(client, made, session, form, message):
    form = {k: (str(made.model.id) if v == "MODEL" else str(made.phase.id) if v == "PHASE1" else v)
            for k, v in form.items()}
    form.setdefault("phase_cible", str(made.phase2.id))
    resp = _post(client, made, **form)
    assert resp.status_code == 422
    assert message in _text(resp)
    session.expire_all()
    assert "pool" not in (session.get(Phase, made.phase2.id).parameters or {})
    assert "pool" not in (session.get(Phase, made.phase.id).parameters or {})


def test_no_later_phase_is_a_french_refusal(client, made, session):
    url = f"/phases/{made.phase2.id}/simulateur"
    resp = client.post(url, data={"csrf_token": _csrf(client, url), "choix": "1", "action": "enregistrer",
                                  "modele": str(made.model.id)})
    assert resp.status_code == 422 and "créez d'abord la phase suivante" in _text(resp)


def test_preview_writes_nothing(client, made, session):
    url = f"/phases/{made.phase.id}/simulateur"
    resp = client.post(url, data={"csrf_token": _csrf(client, url), "choix": "1", "action": "apercu"})
    assert resp.status_code == 200
    session.expire_all()
    assert "pool" not in (session.get(Phase, made.phase2.id).parameters or {})


def test_pays_page_and_agec_exports(client, made):
    page = _text(client.get(f"/phases/{made.phase.id}/rentabilite"))
    assert 'data-verdict="no"' in page and 'data-verdict="unmeasurable"' in page
    assert "jamais à ces coûts" in page and "2025/40" in page and "Volet A" in page
    resp = client.get(f"/phases/{made.phase.id}/agec.csv")
    assert resp.status_code == 200
    text = resp.data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";" if ";" in text.splitlines()[0] else ","))
    assert rows[1][:3] == ["W1", rows[1][1], "20"] and rows[2][0] == "W2" and rows[2][2] == "5"
    assert rows[-1][2] == "25"
    book = load_workbook(io.BytesIO(client.get(f"/phases/{made.phase.id}/agec.xlsx").data))
    assert len(book.sheetnames) == 3
    definitions = [[c.value for c in row] for row in book.worksheets[1].iter_rows()]
    assert any("re-use system" in str(row[1]) for row in definitions)
