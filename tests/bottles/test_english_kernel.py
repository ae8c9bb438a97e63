"""The kernel in English: the scan station's texts (a JSON block, no inline script), the ledger's
refusals (a crate action, a stock shortage) and code errors; French stays the default."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime

import pytest
from flask import render_template_string, session
from flask_babel import refresh

from bottles import codes
from bottles.ledger import Draft, record
from bottles.rules import CrateState, Kind, LedgerError, Move, Stage, next_crate_state
from tests.factories import login
from tests.washer.dock import make_dock

FRENCH = re.compile(r"(?<![\w'-])(?:caisses?|bouteilles?|enregistrée|refusée|valider|déjà|liste|"
                    r"stock insuffisant|disponibles|impossible|enlèvement|vide|scanner|saisie|"
                    r"caméra|réseau|retirer|ajoutée|envoi|pas|une?|les?|la|des?|du|à)(?![\w-])",
                    re.IGNORECASE)
STATION = ('{% extends "base.html" %}{% from "bottles/scan_station.html" import scan_station %}'
           '{% block content %}{{ scan_station("/_test/scan", with_count=true) }}{% endblock %}')


def _texts(value) -> list[str]:
    """Every string in a JSON value."""
    if isinstance(value, dict):
        return [text for item in value.values() for text in _texts(item)]
    if isinstance(value, list):
        return [text for item in value for text in _texts(item)]
    return [value] if isinstance(value, str) else []


@pytest.fixture
def station(app, factory, client):
    """A page holding the scan station, a coordinator signed in."""
    app.add_url_rule("/_test/station", "test_station", lambda: render_template_string(STATION))
    user = factory.user("coordinator")
    factory.session.commit()
    login(client, user)
    return client


def _strings(html: str) -> dict:
    block = re.search(r'<script type="application/json" id="scan-strings" data-scan-strings>(.*?)</script>',
                      html, re.S)
    assert block, "no JSON block of the station's texts"
    return json.loads(block.group(1))


def test_station_texts_are_french_by_default(station):
    html = station.get("/_test/station").get_data(as_text=True)
    strings = _strings(html)
    assert strings["lang"] == "fr" and strings["crates"] == ["%(num)s caisse", "%(num)s caisses"]
    assert strings["status"]["recorded"] == "enregistrée"
    assert strings["bad_check"].startswith("Code « %(code)s » : le caractère de contrôle")
    assert "Code de la caisse (scanner ou saisie)" in html and ">Valider</button>" in html


def test_station_texts_in_english(station):
    station.get("/lang/en")
    html = station.get("/_test/station").get_data(as_text=True)
    strings = _strings(html)
    assert strings["lang"] == "en"
    assert strings["crates"] == ["%(num)s crate", "%(num)s crates"]
    assert strings["recorded"] == ["%(num)s crate recorded", "%(num)s crates recorded"]
    assert strings["status"] == {"pending": "to confirm", "recorded": "recorded",
                                 "already": "already recorded", "refused": "refused",
                                 "sending": "sending…"}
    assert strings["duplicate"] == "Already scanned: %(code)s is already in the list (%(status)s)."
    leftovers = [text for text in _texts(strings) if FRENCH.search(text)]
    assert not leftovers, leftovers
    assert "Crate code (scan or type)" in html and ">Confirm</button>" in html and "Clear the list" in html
    start = html.index("data-scan-station")
    station_html = html[start:html.index("</section>", start)]
    shown = re.sub(r"<script.*?</script>|<[^>]+>", " ", station_html, flags=re.S)
    assert not FRENCH.findall(shown), FRENCH.findall(shown)
    # no inline executable script: only script files and the JSON data block
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag


def _in_english(app):
    """A request in English (the switch's session key), for messages rendered lazily."""
    context = app.test_request_context("/")
    context.push()
    session["lang"] = "en"
    refresh()
    return context


def test_refused_crate_action_in_english(app):
    with pytest.raises(LedgerError) as refused:
        next_crate_state(Kind.PICKUP, CrateState.IN_POOL)
    assert str(refused.value) == "Impossible : enlèvement d'une caisse vide, au centre de lavage."
    context = _in_english(app)
    try:
        assert str(refused.value) == "Not possible: pickup of a crate that is empty, at the washer."
        with pytest.raises(codes.CrateCodeError) as wrong:
            codes.parse("hello")
        assert str(wrong.value) == "“hello” is not a crate code (expected: CJ-00042-X)."
    finally:
        context.pop()


def test_stock_shortage_in_english(app, factory):
    dock = make_dock(factory)
    dock.bourg.name_en = "Burgundy 75 cl"
    draft = Draft(id=uuid.uuid4(), kind=Kind.WASH, occurred_at=datetime.now(UTC),
                  actor_id=None, washer_id=dock.washer.id,
                  moves=[Move(Stage.SORTED, Stage.CLEAN, 5, model_id=dock.bourg.id)])
    with pytest.raises(LedgerError) as short:
        record(factory.session, draft)
    factory.session.rollback()
    french = str(short.value)
    assert french == ("Stock insuffisant — triées (à laver) (Bourguignonne 75 cl) à Centre de lavage de "
                      "Lons : 0 bouteilles disponibles, il en faudrait 5 (5 de trop).")
    context = _in_english(app)
    try:
        english = str(short.value)
    finally:
        context.pop()
    assert english == ("Not enough stock — sorted (to wash) (Burgundy 75 cl) at Centre de lavage de Lons: "
                       "0 bottles available, 5 needed (5 too many).")
