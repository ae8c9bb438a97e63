"""Catalogue and users' pages in real Chromium at phone and laptop sizes.

Set SHOTS=/tmp/shots/catalogue to keep screenshots of every page looked at.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.factories import PASSWORD

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("SHOTS", "")
PAGES = ("/catalogue/", "/catalogue/points/", "/catalogue/points/new", "/catalogue/models/",
         "/catalogue/crates/", "/catalogue/crates/new", "/catalogue/import/points", "/people/",
         "/people/new")


def seed(factory):
    washer = factory.washer(name="Centre de lavage de Lons-le-Saunier")
    for n in range(12):
        factory.point(code=f"POINT-{n:02d}", name=f"Cave coopérative de la Haute-Seille n°{n}",
                      territory="Bresse Haute Seille")
    factory.model()
    factory.model(code="CREM75", name="Crémant du Jura 75 cl", in_pool=False)
    for _n in range(3):
        factory.crate(washer=washer)
    factory.user("point", points=[factory.point(name="Épicerie du Bourg")])
    admin = factory.user("admin", username="admin")
    factory.session.commit()
    return admin


def sign_in(page, user) -> None:
    page.goto("/login")
    page.fill("#username", user.username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")


def look(page, size: str) -> None:
    for url in PAGES:
        response = page.goto(url)
        assert response.status == 200, url
        width = page.evaluate("document.documentElement.scrollWidth")
        viewport = page.viewport_size["width"]
        assert width <= viewport, f"{url} scrolls sideways at {viewport}px ({width}px)"
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            name = url.strip("/").replace("/", "_") or "home"
            page.screenshot(path=f"{SHOTS}/{size}-{name}.png", full_page=True)


def test_phone_pages_fit_and_tables_scroll_inside(phone, factory):
    sign_in(phone, seed(factory))
    look(phone, "phone")
    phone.goto("/catalogue/points/")
    wrap = phone.locator(".table-wrap")
    inner = wrap.evaluate("el => [el.scrollWidth, el.clientWidth]")
    assert inner[0] > inner[1], "the table should scroll inside its frame on a phone"
    # The first action button is big enough for a thumb.
    box = phone.locator(".head-actions .btn").first.bounding_box()
    assert box["height"] >= 44
    # A refused form says why, next to the field, and the page still fits.
    phone.goto("/catalogue/models/new")
    phone.fill("#code", "bourg75")
    phone.fill("#name", "Doublon")
    phone.fill("#volume_ml", "-5")
    phone.fill("#glass_mass_g", "500")
    phone.click("main button[type=submit]")
    assert "existe déjà" in phone.locator(".has-error").first.inner_text()
    assert phone.locator("small.error").count() == 2
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    if SHOTS:
        phone.screenshot(path=f"{SHOTS}/phone-model-refused.png", full_page=True)


def test_laptop_pages_fit(laptop, factory):
    sign_in(laptop, seed(factory))
    look(laptop, "laptop")
