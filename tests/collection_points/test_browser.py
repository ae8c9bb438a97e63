"""Done when: point staff declare a crate full from its QR page, the driver sees the point first,
scans it on the scan station, and the crate's history shows both events (phone size, Chromium)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bottles.rules import Kind
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("BOUCLE_SHOTS")  # a folder: save a screenshot of every page visited


def shot(page, name: str) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"], \
        f"{name}: the page scrolls sideways"
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def sign_in(page, user) -> None:
    page.fill("#username", user.username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")


def sign_out(page) -> None:
    page.click(".menu summary")
    page.click("text=Se déconnecter")
    page.wait_for_url("**/login*")  # signing out writes (the session version): let it finish


def test_declare_full_then_driver_picks_it_up_on_the_scan_station(phone, factory):
    washer = factory.washer()
    point = factory.point(name="Cave de la Comédie")
    point.latitude, point.longitude = Decimal("46.674300"), Decimal("5.554600")
    quiet = factory.point(name="Déchetterie de Perrigny")
    staff = factory.user("point", points=[point])
    driver = factory.user("driver")
    crate = factory.crate(washer=washer, capacity=60)
    factory.event(Kind.CRATE_PLACED, crate=crate, point=point.id, actor=driver,
                  at=datetime.now(UTC) - timedelta(days=12))
    factory.event(Kind.CRATE_PLACED, crate=factory.crate(washer=washer), point=quiet.id, actor=driver,
                  at=datetime.now(UTC) - timedelta(days=40))
    factory.session.commit()

    phone.goto(f"/c/{crate.code}")
    assert "/login" in phone.url
    shot(phone, "01-login")
    sign_in(phone, staff)
    phone.wait_for_url(f"**/c/{crate.code}")
    assert phone.locator("#count").input_value() == "60"
    shot(phone, "02-crate-staff-full-form")
    phone.click("[data-step='-1']")
    phone.click("[data-step='-1']")
    phone.click("text=Pleine — demander l'enlèvement")
    phone.wait_for_selector(".flash-success")
    assert "58 bouteilles" in phone.locator(".flash-success").first.inner_text()
    shot(phone, "03-crate-staff-declared")
    phone.goto("/")
    assert crate.code in phone.content() and "58 bouteilles" in phone.content()
    shot(phone, "04-home-point-staff")
    sign_out(phone)

    sign_in(phone, driver)
    phone.goto("/tournee")
    first = phone.locator(".cp-stop").first
    assert "Cave de la Comédie" in first.inner_text() and "58" in first.inner_text()
    assert first.locator("a[href^='geo:']").count() == 1
    shot(phone, "05-round-list")
    phone.click("text=Scanner les caisses enlevées")
    phone.wait_for_url("**/tournee/enlever")
    field = phone.locator("[data-scan-input]")
    field.fill(f"http://boucle.test/c/{crate.code.lower()}")
    field.press("Enter")
    field.fill(crate.code)
    field.press("Enter")
    assert "Déjà scanné" in phone.locator("[data-scan-message]").inner_text()
    shot(phone, "06-scan-station-list")
    phone.click("[data-scan-submit]")
    phone.wait_for_selector(".scan-item.status-recorded")
    shot(phone, "07-scan-station-recorded")

    phone.goto(f"/c/{crate.code}")
    history = phone.locator(".history").inner_text()
    assert "Enlevée par le chauffeur" in history and "Déclarée pleine" in history
    assert history.index("Enlevée par le chauffeur") < history.index("Déclarée pleine")  # newest first
    assert "58 bouteilles déposées dans la caisse" in history
    assert "déjà enlevée" in phone.locator(".cp-panel").inner_text()
    shot(phone, "08-crate-after-pickup")


def test_every_other_page_at_phone_size(phone, factory):
    """Screens of the remaining pages: no sideways scroll, the main action visible."""
    washer = factory.washer()
    point = factory.point(name="Cave de la Comédie")
    staff = factory.user("point", points=[point])
    driver = factory.user("driver")
    coordinator = factory.user("coordinator")
    full = factory.full_crate_at(point, count=47, washer=washer, actor=staff,
                                 at=datetime.now(UTC) - timedelta(days=9))
    pool = factory.crate(washer=washer)
    retired = factory.crate(washer=washer)
    factory.event(Kind.CRATE_RETIRED, crate=retired, actor=coordinator)
    factory.session.commit()

    phone.goto("/login")
    sign_in(phone, driver)
    phone.goto(f"/c/{full.code}")
    assert phone.locator("text=Enlevée").count() >= 1
    shot(phone, "10-crate-driver-pickup")
    phone.goto(f"/c/{pool.code}")
    assert "Déposée vide" in phone.locator(".cp-panel").inner_text()
    shot(phone, "11-crate-driver-place")
    phone.goto(f"/c/{retired.code}")
    assert "ne peut plus servir" in phone.locator(".cp-panel").inner_text()
    shot(phone, "12-crate-retired")
    phone.goto("/tournee/deposer")
    shot(phone, "13-scan-place")
    phone.goto("/")
    shot(phone, "14-home-driver")
    sign_out(phone)

    sign_in(phone, coordinator)
    phone.goto("/demandes")
    assert "en retard" in phone.content()
    shot(phone, "15-requests")
    phone.goto("/etiquettes")
    shot(phone, "16-labels")
    sign_out(phone)

    factory.session.commit()  # end this test's read snapshot: signing out wrote since (SQLite WAL)
    other = factory.point(name="Fromagerie")
    stranger = factory.user("point", points=[other])
    factory.session.commit()
    sign_in(phone, stranger)
    phone.goto(f"/c/{full.code}")
    text = phone.locator(".cp-panel").inner_text()
    assert "pas à votre point" in text and "Mme Martin" in text
    shot(phone, "17-crate-other-point")


def test_coordinator_pages_on_a_laptop(laptop, factory):
    washer = factory.washer()
    staff_points = [factory.point(name=f"Point {n}") for n in range(3)]
    staff = factory.user("point", points=staff_points)
    coordinator = factory.user("coordinator")
    factory.user("driver", username="camille")
    for days, point in zip((12, 3, 1), staff_points, strict=True):
        factory.full_crate_at(point, count=40 + days, washer=washer, actor=staff,
                              at=datetime.now(UTC) - timedelta(days=days))
    factory.session.commit()
    laptop.goto("/login")
    sign_in(laptop, coordinator)
    laptop.goto("/demandes")
    cards = laptop.locator(".cp-stop")
    assert cards.count() == 3 and "en retard" in cards.first.inner_text()
    laptop.select_option(f"#driver-{staff_points[1].id}", label="Driver de test")
    laptop.click(f"#driver-{staff_points[1].id} ~ button")
    laptop.wait_for_selector(".flash-success")
    assert "Attribué à Driver de test" in laptop.content()
    shot(laptop, "20-laptop-requests")
    laptop.goto("/etiquettes")
    shot(laptop, "21-laptop-labels")
