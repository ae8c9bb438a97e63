"""Issue 8 at phone size (Chromium): a refused split keeps what was typed beside its error, a refused
round closing keeps km and hours, the driver's refused scan offers "Déclarer pleine", labels refuse a
loopback BASE_URL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bottles.rules import Kind
from tests.collection_points.test_browser import shot, sign_in

pytestmark = pytest.mark.browser


def test_a_refused_split_keeps_what_was_typed(phone, factory):
    washer = factory.washer()
    point = factory.point(name="Cave de la Comédie")
    staff = factory.user("point", points=[point])
    crate = factory.crate(washer=washer, capacity=60)
    bourg = factory.model()
    clav = factory.model(code="CLAV62", name="Clavelin 62 cl", volume_ml=620)
    factory.event(Kind.CRATE_PLACED, crate=crate, point=point.id, actor=staff,
                  at=datetime.now(UTC) - timedelta(days=3))
    factory.session.commit()

    phone.goto(f"/c/{crate.code}")
    sign_in(phone, staff)
    phone.wait_for_url(f"**/c/{crate.code}")
    phone.fill("#count", "50")
    phone.click("text=Répartir par modèle (facultatif)")
    phone.fill(f"[name=model_{bourg.id}]", "40")
    phone.fill(f"[name=model_{clav.id}]", "20")
    phone.click("text=Pleine — demander l'enlèvement")
    phone.wait_for_selector("#split-error")
    assert "dépasse le total déclaré (50)" in phone.locator("#split-error").inner_text()
    assert phone.locator("#split-error").is_visible()
    assert phone.locator("#count").input_value() == "50"
    assert phone.locator(f"[name=model_{bourg.id}]").input_value() == "40"
    assert phone.locator(f"[name=model_{clav.id}]").input_value() == "20"
    assert phone.locator(f"[name=model_{bourg.id}]").is_visible()
    shot(phone, "30-crate-staff-split-refused")
    phone.fill(f"[name=model_{clav.id}]", "10")
    phone.click("text=Pleine — demander l'enlèvement")
    phone.wait_for_selector(".flash-success")
    assert "50 bouteilles" in phone.locator(".flash-success").first.inner_text()
    history = phone.locator(".history").inner_text()
    assert "40 bouteilles déposées dans la caisse" in history and "Bourguignonne" in history
    shot(phone, "31-crate-staff-declared-split")


def test_driver_round_scan_and_refusals_at_phone_size(phone, factory):
    washer = factory.washer()
    point = factory.point(name="Cave de la Comédie")
    factory.point(name="Épicerie de Mirebel")
    staff = factory.user("point", points=[point])
    driver = factory.user("driver")
    filling = factory.crate(washer=washer, capacity=60)
    factory.event(Kind.CRATE_PLACED, crate=filling, point=point.id, actor=staff,
                  at=datetime.now(UTC) - timedelta(days=3))
    factory.full_crate_at(point, count=1, washer=washer, actor=staff,
                          at=datetime.now(UTC) - timedelta(days=9))
    factory.session.commit()

    phone.goto("/login")
    sign_in(phone, driver)
    phone.goto("/tournee/enlever")
    field = phone.locator("[data-scan-input]")
    field.fill(filling.code)
    field.press("Enter")
    phone.click("[data-scan-submit]")
    phone.wait_for_selector(".scan-item.status-refused")
    action = phone.locator(".scan-item.status-refused .scan-action")
    assert action.inner_text() == "Déclarer pleine"
    shot(phone, "32-scan-pickup-refused-declare-full")
    action.click()
    phone.wait_for_url(f"**/c/{filling.code}#action")
    assert phone.locator("#count").input_value() == "60"
    shot(phone, "33-crate-driver-full-form")
    phone.click("text=Pleine — demander l'enlèvement")
    phone.wait_for_selector(".flash-success")

    phone.goto("/tournee")
    shot(phone, "34-round-list")
    phone.click("text=Scanner les caisses enlevées")
    field = phone.locator("[data-scan-input]")
    field.fill(filling.code)
    field.press("Enter")
    phone.click("[data-scan-submit]")
    phone.wait_for_selector(".scan-item.status-recorded")
    shot(phone, "35-scan-pickup-recorded")
    phone.goto("/tournee")
    phone.click("text=Clore la tournée (km et heures)")
    phone.fill("#km", "84,5")
    phone.fill("#hours", "quatre")
    phone.click("button:has-text('Clore la tournée')")
    phone.wait_for_selector("#hours-error")
    assert phone.locator("#km").input_value() == "84,5"
    assert phone.locator("#hours").input_value() == "quatre"
    shot(phone, "36-round-close-refused")
    phone.fill("#hours", "4h30")
    phone.click("button:has-text('Clore la tournée')")
    phone.wait_for_selector(".flash-success")
    assert "84,5 km, 4 h 30" in phone.locator(".flash-success").first.inner_text()
    shot(phone, "37-round-closed")
    phone.goto("/tournee/deposer")
    shot(phone, "38-scan-place")


def test_labels_page_at_phone_size(phone, factory, app):
    factory.crate(washer=factory.washer())
    coordinator = factory.user("coordinator")
    factory.session.commit()
    phone.goto("/login")
    sign_in(phone, coordinator)
    phone.goto("/etiquettes")
    assert "Les codes mèneront à https://boucle.test/c/" in phone.content()
    shot(phone, "39-labels")
    app.config["BASE_URL"] = "http://127.0.0.1:5000"
    phone.goto("/etiquettes")
    assert "BASE_URL" in phone.locator("#base-url-problem").inner_text()
    shot(phone, "40-labels-loopback-refused")
