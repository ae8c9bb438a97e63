"""The generic scan station: its JavaScript code checks agree with bottles/codes.py, and the
widget keeps a running list, warns on duplicates and sends the list once, each line as one event of
the JSON API (POST /api/v1/events)."""

from __future__ import annotations

import json
import random

import pytest
from flask import render_template_string

from bottles import codes

pytestmark = pytest.mark.browser


def _inputs() -> list[str]:
    rng = random.Random(36)
    values: list[str] = []
    for number in rng.sample(range(1, 100_000), 1500):
        prefix = rng.choice(["CJ", "CJ", "A", "ABCD", "XY"])
        code = codes.make_code(number, prefix)
        wrong = code[:-1] + codes.ALPHABET[(codes.ALPHABET.index(code[-1]) + rng.randint(1, 35)) % 36]
        azerty = code.translate(str.maketrans("0123456789-", "à&é\"'(-è_ç)"))
        values += [code, code.lower(), code.replace("-", ""), f" {code} ", wrong,
                   f"https://boucle.test/c/{code}?utm=x", f"HTTP://X/C/{code.lower()}#a", azerty]
    values += ["", "   ", "hello", "CJ-0042-1", "12345", "x" * 400, "CJ-00042", "/c/", "ABCDE-00001-0"]
    return values


def _python(raw: str) -> dict:
    try:
        return {"code": codes.normalise(raw)}
    except codes.CrateCodeError as error:
        return {"error": str(error)}


def test_javascript_checks_agree_with_python(phone):
    phone.goto("/login")
    phone.add_script_tag(url="/static/bottles/scan.js")
    values = _inputs()
    from_js = phone.evaluate("values => values.map(v => BoucleScan.parse(v))", values)
    mismatches = [(v, js, _python(v)) for v, js in zip(values, from_js, strict=True) if js != _python(v)]
    assert not mismatches, mismatches[:5]
    assert sum("error" in r for r in from_js) > 1500  # wrong check characters and garbage are caught
    checks = phone.evaluate("ps => ps.map(p => BoucleScan.checkCharacter(p))", ["CJ00042", "A00001"])
    assert checks == [codes.check_character("CJ00042"), codes.check_character("A00001")]


@pytest.fixture
def station_app(app, phone):
    """A page with the station; its events (POST /api/v1/events, one per line) answered per code
    as the API does: 201 recorded, or a JSON refusal with a French message."""
    seen: list[dict] = []

    @app.route("/_test/station")
    def _station_page():
        return render_template_string(
            '{% extends "base.html" %}{% from "bottles/scan_station.html" import scan_station %}'
            '{% block content %}{% call scan_station("pickup", submit_label="Valider", '
            'store="t", with_count=true) %}<input type="hidden" name="round_token" value="7">'
            '{% endcall %}{% endblock %}')

    def answer(route):
        body = json.loads(route.request.post_data)
        seen.append(body)
        if body["crate"] == codes.make_code(2):
            route.fulfill(status=422, content_type="application/json", body=json.dumps(
                {"code": "refuse", "message": "Refusée : caisse perdue.", "crate_state": "lost"}))
        else:
            route.fulfill(status=201, content_type="application/json",
                          body=json.dumps({"created": True, "event": {"id": body["id"]}}))

    phone.route("**/api/v1/events", answer)
    return seen


def test_station_lists_warns_and_sends_once(phone, station_app):
    phone.goto("/_test/station")
    field = phone.locator("[data-scan-input]")
    one, two = codes.make_code(1), codes.make_code(2)
    field.fill(f"https://boucle.test/c/{one.lower()}")
    field.press("Enter")
    field.fill(two.replace("-", ""))
    field.press("Enter")
    field.fill(one)
    field.press("Enter")
    assert "Déjà scanné" in phone.locator("[data-scan-message]").inner_text()
    field.fill(one[:-1] + ("0" if one[-1] != "0" else "1"))
    field.press("Enter")
    assert "contrôle" in phone.locator("[data-scan-message]").inner_text()
    assert phone.locator(".scan-item").count() == 2
    assert phone.locator("[data-scan-submit]").inner_text() == "Valider (2 caisses)"
    # the camera is offered in every browser (Boucle serves a QR reader); its view opens on a tap
    assert phone.locator("[data-camera-start]").is_visible()
    assert phone.locator("[data-camera-view]").is_hidden() and phone.locator("[data-camera-stop]").is_hidden()
    phone.locator(f".scan-item[data-code='{one}'] input").fill("48")
    phone.click("[data-scan-submit]")
    phone.wait_for_selector(".scan-item.status-recorded")
    phone.wait_for_selector(".scan-item.status-refused")
    assert len(station_app) == 2  # one event per line, each alone
    sent = {event["crate"]: event for event in station_app}
    assert set(sent) == {one, two}
    assert all(event["kind"] == "pickup" and event["round_token"] == "7" for event in station_app)
    assert sent[one]["counted"] == 48 and "counted" not in sent[two]
    assert all(len(event["id"]) == 36 and event["occurred_at"].endswith("Z") for event in station_app)
    assert "caisse perdue" in phone.locator(f".scan-item[data-code='{two}']").inner_text()
    assert "1 caisse enregistrée, 1 refusée" in phone.locator("[data-scan-message]").inner_text()
    # the refused crate stays to fix; a reload keeps it with the same event id and field time
    phone.reload()
    assert phone.locator(".scan-item").count() == 1
    phone.click("[data-scan-submit]")
    phone.wait_for_timeout(300)
    assert len(station_app) == 3
    again = station_app[2]
    assert (again["id"], again["occurred_at"]) == (sent[two]["id"], sent[two]["occurred_at"])
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
