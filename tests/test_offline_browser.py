"""Offline first, in headless Chromium at phone size: the service worker keeps the pages visited,
actions taken with no network wait in the phone's queue (bottles/static/queue.js) with their event
id and field time, go by themselves when the network is back, and come back recorded or refused.

A service worker needs a secure context: http://127.0.0.1 is one.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bottles.models import Event
from bottles.rules import Kind
from tests.factories import PASSWORD
from tests.test_accessibility_browser import AXE, AXE_RUN, MEASURE, MIN

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("BOUCLE_SHOTS")  # a folder: save screenshots of the offline pages

CACHED = """url => caches.open("boucle-pages").then(c => c.match(new URL(url, location.href).href))
                          .then(hit => !!hit)"""
COUNT = "n => document.querySelector('[data-queue-badge]').getAttribute('data-count') === n"
GONE = CACHED.replace("!!hit", "!hit")


@pytest.fixture
def phone(browser, live_server):
    """A phone-sized page (390 × 844, touch) whose service worker runs (conftest's phone blocks it)."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, locale="fr-FR", base_url=live_server.url,
                                  service_workers="allow")
    context.add_init_script(path=str(AXE))
    yield context.new_page()
    context.close()


def shot(page, name: str) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"], \
        f"{name}: the page scrolls sideways"
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def sign_in(page, user) -> None:
    page.goto("/login")
    page.fill("#username", user.username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def visit_and_keep(page, url: str) -> None:
    """Open `url` online and wait until the worker controls the page and has kept it."""
    page.goto(url)
    page.wait_for_function("() => navigator.serviceWorker && navigator.serviceWorker.controller !== null")
    page.wait_for_function(CACHED, arg=url, polling=200)


def accessible(page, name: str) -> None:
    """Every tap target of 44 × 44 px and no serious axe violation, on the page as it is now."""
    measured = page.evaluate(MEASURE, MIN)
    assert not measured["small"], (name, measured["small"])
    violations = page.evaluate(AXE_RUN)
    assert not violations, (name, violations)


def offline_goto(page, url: str) -> None:
    """Open `url` with no network; the emulation reaches a new document a moment after it loads."""
    page.goto(url)
    page.wait_for_function("() => navigator.onLine === false")
    page.wait_for_timeout(300)


def badge(page) -> str:
    shown = page.locator("[data-queue-badge]")
    return shown.inner_text() if shown.is_visible() else ""


def world(factory):
    washer = factory.washer()
    point = factory.point(name="Cave de la Comédie")
    long_ago = datetime.now(UTC) - timedelta(days=3)
    driver = factory.user("driver")
    crates = {name: factory.crate(washer=washer, capacity=60, at=long_ago - timedelta(days=1))
              for name in ("to_fill", "never_seen", "not_full")}
    for crate in crates.values():
        factory.event(Kind.CRATE_PLACED, crate=crate, point=point.id, actor=driver, at=long_ago)
    crates["full_1"] = factory.full_crate_at(point, 40, washer=washer, actor=driver, at=long_ago)
    crates["full_2"] = factory.full_crate_at(point, 45, washer=washer, actor=driver, at=long_ago)
    factory.session.commit()
    return driver, crates


def recorded(session, event_id: str) -> Event | None:
    session.rollback()
    return session.scalar(select(Event).where(Event.id == uuid.UUID(event_id)))


def test_pages_open_offline_actions_wait_then_go_by_themselves(phone, factory, session):
    driver, crates = world(factory)
    sign_in(phone, driver)
    crate_url, station = f"/c/{crates['to_fill'].code}", "/tournee/enlever"
    visit_and_keep(phone, crate_url)
    visit_and_keep(phone, station)
    visit_and_keep(phone, "/")

    phone.context.set_offline(True)
    offline_goto(phone, crate_url)  # from the worker's copy, not the browser's error page
    assert phone.locator(".crate-code").inner_text() == crates["to_fill"].code
    phone.fill("#count", "38")
    phone.click("form[data-queue=full] button[type=submit]")
    phone.wait_for_function(COUNT, arg="1")
    assert "38" in phone.locator("[data-queue-list]").inner_text()

    offline_goto(phone, station)
    for key in ("full_1", "full_2"):
        phone.fill("[data-scan-input]", crates[key].code)
        phone.press("[data-scan-input]", "Enter")
    phone.click("[data-scan-submit]")
    phone.wait_for_function(COUNT, arg="3")
    assert badge(phone) == "3 en attente d'envoi"
    assert phone.locator("[data-queue-badge]").bounding_box()["height"] >= 44
    assert phone.locator("[data-scan-list] li").count() == 0  # moved to the queue, not lost
    shot(phone, "offline-01-badge-and-waiting-list")
    accessible(phone, "station offline, items waiting")
    offline_goto(phone, "/")  # another page kept: the badge is there too
    assert badge(phone) == "3 en attente d'envoi"
    waiting = phone.evaluate("BoucleQueue.waiting()")
    assert {item["code"] for item in waiting} == {crates[k].code for k in ("to_fill", "full_1", "full_2")}
    phone.wait_for_timeout(1500)  # the field time is when it was done, not when it is sent
    # (Chromium's offline emulation reaches a new document a moment late: a send may leave then and
    # its answer be lost; the item is sent again, answered "already", and counted once: asserted below.)

    phone.context.set_offline(False)
    phone.wait_for_function(COUNT, arg="0",
                            timeout=15000)
    assert not phone.locator("[data-queue-badge]").is_visible()
    results = phone.evaluate("BoucleQueue.results()")
    # recorded; "already" when an answer was lost while the network came back and the item went again
    assert {r["status"] for r in results} <= {"recorded", "already"} and len(results) == 3, results
    assert phone.locator("[data-queue-list] .status-recorded, [data-queue-list] .status-already").count() == 3
    session.rollback()
    assert session.scalar(select(func.count(Event.seq)).where(
        Event.id.in_([uuid.UUID(item["id"]) for item in waiting]))) == 3  # once each, never twice
    shot(phone, "offline-02-results")
    accessible(phone, "results")
    for item in waiting:
        event = recorded(session, item["id"])
        assert event is not None, item
        queued_at = datetime.fromisoformat(item["occurred_at"].replace("Z", "+00:00"))
        assert abs(event.occurred_at.replace(tzinfo=UTC) - queued_at) < timedelta(milliseconds=2)
        assert event.recorded_at.replace(tzinfo=UTC) >= queued_at - timedelta(milliseconds=2)
    full = recorded(session, next(i["id"] for i in waiting if i["kind"] == "full"))
    assert full.kind == Kind.CRATE_FULL.value and sum(m.quantity for m in full.movements) == 38

    # sent again (a second phone, a lost answer): already recorded, nothing counted twice
    phone.evaluate("""items => {
        localStorage.setItem('boucle-queue', JSON.stringify({waiting: items, results: []}));
        return BoucleQueue.flush(); }""", waiting)
    phone.wait_for_function("() => BoucleQueue.waiting().length === 0")
    assert sorted(r["status"] for r in phone.evaluate("BoucleQueue.results()")) == ["already"] * 3


def test_a_crate_never_visited_opens_offline_and_a_refused_pickup_offers_declare_full(
        phone, factory, session):
    driver, crates = world(factory)
    sign_in(phone, driver)
    visit_and_keep(phone, "/")
    phone.context.set_offline(True)
    code = crates["not_full"].code
    offline_goto(phone, f"/c/{code}")  # never opened on this phone: the offline crate page
    assert phone.locator("[data-offline-code]").inner_text() == code
    assert phone.get_by_role("button", name="Caisse pleine (nombre de bouteilles)").is_visible()
    shot(phone, "offline-03-crate-never-visited")
    accessible(phone, "offline crate page")
    phone.click(".offline-pickup")  # picked up, but it was never declared full: refused when sent
    phone.wait_for_function(COUNT, arg="1")
    empty = crates["never_seen"].code
    offline_goto(phone, f"/c/{empty.lower().replace('-', '')}")  # any spelling of the code on the label
    assert phone.locator("[data-offline-code]").inner_text() == empty
    phone.click("form[data-queue=full] button[type=submit]")  # no count yet: said, nothing queued
    assert phone.locator("[data-queue-badge]").get_attribute("data-count") == "1"
    phone.fill("#offline-count", "12")
    phone.click("form[data-queue=full] button[type=submit]")
    phone.wait_for_function(COUNT, arg="2")

    phone.context.set_offline(False)
    phone.goto("/")  # each page load sends what waits
    phone.wait_for_function(COUNT, arg="0",
                            timeout=15000)
    refused = phone.locator("[data-queue-list] .status-refused")
    assert refused.count() == 1
    assert code in refused.inner_text() and "refusée" in refused.inner_text()
    assert refused.locator(".queue-reason").inner_text().strip()
    assert phone.locator("[data-queue-list] .status-recorded").count() == 1
    shot(phone, "offline-04-refused-with-declare-full")
    accessible(phone, "a refused pickup and its action")
    refused.get_by_label("Nombre de bouteilles").fill("25")
    refused.get_by_role("button", name="Déclarer pleine").click()
    phone.wait_for_function("code => BoucleQueue.results().some(r => r.kind === 'full' && r.code === code "
                            "&& r.status === 'recorded')", arg=code, timeout=15000)
    session.rollback()
    kinds = [e.kind for e in session.scalars(select(Event).where(Event.crate_id == crates["not_full"].id)
                                             .order_by(Event.seq))]
    assert kinds[-1] == Kind.CRATE_FULL.value and Kind.PICKUP.value not in kinds


def test_after_logout_the_next_person_never_sees_the_pages_kept(phone, factory, session):
    driver, crates = world(factory)
    other = factory.user("driver", username="second-driver")
    factory.session.commit()
    sign_in(phone, driver)
    crate_url = f"/c/{crates['to_fill'].code}"
    visit_and_keep(phone, crate_url)
    phone.click(".menu summary")
    phone.click("text=Se déconnecter")
    phone.wait_for_url("**/login*")
    phone.wait_for_function(GONE, arg=crate_url, polling=200)
    sign_in(phone, other)
    phone.context.set_offline(True)
    offline_goto(phone, crate_url)
    assert phone.locator("[data-offline-crate]").count() == 1  # the generic page, not the first one's copy
    assert driver.username not in phone.content()
