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


def scan(page, code: str) -> None:
    """A handheld scanner: the code typed into the station's field, then Enter."""
    page.fill("[data-scan-input]", code)
    page.press("[data-scan-input]", "Enter")


def no_network(route) -> None:
    route.abort("internetdisconnected")


class Network:
    """The phone's network as the server sees it. Chromium's offline emulation reaches a new document
    a moment after it loads, and a page under the service worker is not seen by the context's routes:
    a request sent in that moment (the queue's send when a page loads) may still leave, be recorded,
    and lose its answer. While the network is down this switch answers such a request 503 before
    Boucle sees it, as a request lost in a valley never arrives. `reached`: the POSTs Boucle saw."""

    def __init__(self) -> None:
        self.down = False
        self.reached: list[str] = []

    def around(self, inner):
        def switched(environ, start_response):
            path = environ.get("PATH_INFO", "")
            if self.down and path.startswith("/api/"):
                start_response("503 Service Unavailable", [("Content-Type", "application/json")])
                return [b'{"code": "pas_de_reseau", "message": "pas de reseau"}']
            if environ.get("REQUEST_METHOD") == "POST":
                self.reached.append(path)
            return inner(environ, start_response)
        return switched


NETWORK = Network()


@pytest.fixture(autouse=True)
def network(app):
    """Every request of the test's phone through NETWORK's switch (up unless go_offline)."""
    NETWORK.down = False
    NETWORK.reached.clear()
    inner = app.wsgi_app
    app.wsgi_app = NETWORK.around(inner)
    yield NETWORK
    app.wsgi_app = inner


def go_offline(page) -> None:
    """No network, as a phone in a valley has none (see Network for what the emulation misses)."""
    NETWORK.down = True
    page.context.route("**/api/**", no_network)
    page.context.set_offline(True)
    page.wait_for_function("() => navigator.onLine === false")


def go_online(page) -> None:
    NETWORK.down = False
    page.context.unroute("**/api/**", no_network)
    page.context.set_offline(False)


def test_offline_station_reloaded_three_scans_and_a_full_crate_recorded_by_themselves_with_field_times(
        phone, factory, session):
    """Issue 11's 'done when': offline, reload the scan station (it opens from the worker), scan three
    crates, declare a fourth full from its QR code's page; back online, without a tap, all four are
    recorded through POST /api/v1/events with the times they were done, and listed as recorded."""
    driver, crates = world(factory)
    crates["full_3"] = factory.full_crate_at(factory.point(name="Domaine des Bodines"), 50,
                                             washer=crates["full_1"].washer,
                                             actor=driver, at=datetime.now(UTC) - timedelta(days=3))
    session.commit()
    scanned = [crates[k].code for k in ("full_1", "full_2", "full_3")]
    filling = crates["to_fill"].code
    before = session.scalar(select(func.count(Event.seq)))
    sign_in(phone, driver)
    station, crate_url = "/tournee/enlever", f"/c/{filling}"  # the label's QR code: BASE_URL/c/<CODE>
    visit_and_keep(phone, crate_url)
    visit_and_keep(phone, station)

    go_offline(phone)
    phone.reload()  # from the service worker's copy, not the browser's error page
    phone.wait_for_function("() => navigator.onLine === false")
    assert phone.locator("[data-scan-station]").is_visible()
    assert phone.locator("h1").inner_text() == "Caisses enlevées"
    for code in scanned:
        scan(phone, code)
    assert phone.locator("[data-scan-list] li").count() == 3
    shot(phone, "offline-05-station-reloaded-offline-three-scanned")
    phone.click("[data-scan-submit]")  # the station's one confirmation: with no network, to the queue
    phone.wait_for_function(COUNT, arg="3")
    shot(phone, "offline-06-station-three-waiting")
    offline_goto(phone, crate_url)
    assert phone.locator(".crate-code").inner_text() == filling
    phone.fill("#count", "44")
    phone.click("form[data-queue=full] button[type=submit]")
    phone.wait_for_function(COUNT, arg="4")
    assert badge(phone) == "4 en attente d'envoi"
    shot(phone, "offline-07-queue-four-waiting")
    waiting = phone.evaluate("BoucleQueue.waiting()")
    assert sorted(item["code"] for item in waiting) == sorted([*scanned, filling])
    phone.wait_for_timeout(1500)  # the field times must differ from the times they are sent
    session.rollback()
    assert session.scalar(select(func.count(Event.seq))) == before  # nothing has left the phone
    assert not [path for path in NETWORK.reached if path.startswith("/api/")]

    online_at = datetime.now(UTC)
    go_online(phone)  # no tap from here: the "online" event sends the queue
    phone.wait_for_function(COUNT, arg="0", timeout=15000)
    phone.wait_for_function("() => BoucleQueue.results().length === 4")
    results = phone.evaluate("BoucleQueue.results()")
    assert sorted(r["status"] for r in results) == ["recorded"] * 4, results
    assert phone.locator("[data-queue-list] .status-recorded").count() == 4
    assert phone.locator("[data-queue-list]").inner_text().count("enregistrée") == 4
    shot(phone, "offline-08-four-recorded")
    accessible(phone, "four recorded")
    sent = [path for path in NETWORK.reached if path == "/api/v1/events"]
    assert len(sent) == 4 and all(path == "/api/v1/events" for path in NETWORK.reached if path != "/login")

    session.rollback()
    assert session.scalar(select(func.count(Event.seq))) == before + 4  # four events, nothing else
    ids = {crate.code: crate.id for crate in crates.values()}
    for item in waiting:
        event = recorded(session, item["id"])
        assert event is not None and event.crate_id == ids[item["code"]], item
        done_at = datetime.fromisoformat(item["occurred_at"].replace("Z", "+00:00"))
        assert abs(event.occurred_at.replace(tzinfo=UTC) - done_at) < timedelta(milliseconds=2)
        assert done_at < online_at <= event.recorded_at.replace(tzinfo=UTC) + timedelta(milliseconds=50)
        assert event.kind == (Kind.CRATE_FULL.value if item["code"] == filling else Kind.PICKUP.value)
    full = recorded(session, next(i["id"] for i in waiting if i["code"] == filling))
    assert sum(m.quantity for m in full.movements) == 44
    rounds = {recorded(session, i["id"]).round_id for i in waiting if i["code"] != filling}
    assert len(rounds) == 1 and None not in rounds  # one round opened by the first pickup

    # the queue sent twice (a lost answer, a second tab): already recorded, nothing written twice
    phone.evaluate("""items => {
        localStorage.setItem('boucle-queue', JSON.stringify({waiting: items, results: []}));
        return Promise.all([BoucleQueue.flush(), BoucleQueue.flush()]).then(() => BoucleQueue.flush()); }""",
                   waiting)
    phone.wait_for_function("() => BoucleQueue.waiting().length === 0 && BoucleQueue.results().length === 4")
    assert sorted(r["status"] for r in phone.evaluate("BoucleQueue.results()")) == ["already"] * 4
    assert phone.locator("[data-queue-list] .status-already").count() == 4
    session.rollback()
    assert session.scalar(select(func.count(Event.seq))) == before + 4


def test_a_refused_entry_stays_with_its_french_reason_until_removed(phone, factory, session):
    driver, crates = world(factory)
    sign_in(phone, driver)
    station = "/tournee/enlever"
    visit_and_keep(phone, station)
    go_offline(phone)
    phone.reload()
    phone.wait_for_function("() => navigator.onLine === false")
    code = crates["not_full"].code  # placed at its point, never declared full: no pickup
    scan(phone, code)
    phone.click("[data-scan-submit]")
    phone.wait_for_function(COUNT, arg="1")
    go_online(phone)
    phone.wait_for_function("() => BoucleQueue.results().length === 1", timeout=15000)
    refused = phone.locator("[data-queue-list] .status-refused")
    assert refused.count() == 1 and "refusée" in refused.inner_text()
    reason = refused.locator(".queue-reason").inner_text().strip()
    assert "pleine" in reason.lower(), reason  # the pages' French sentence, from the API's JSON refusal
    assert refused.get_by_role("button", name="Déclarer pleine").is_visible()  # a driver may
    shot(phone, "offline-09-refused-with-reason")
    for _ in range(2):  # it stays, page after page, until the person removes it
        phone.reload()
        phone.wait_for_function("() => BoucleQueue.results().length === 1")
        assert phone.locator("[data-queue-list] .status-refused .queue-reason").inner_text().strip() == reason
    phone.get_by_role("button", name=f"Retirer ce résultat de la liste {code}").click()
    phone.wait_for_function("() => BoucleQueue.results().length === 0")
    phone.reload()
    assert phone.evaluate("BoucleQueue.results().length") == 0
    assert not phone.locator("[data-queue-panel]").is_visible()
    session.rollback()
    assert not session.scalars(select(Event).where(Event.crate_id == crates["not_full"].id,
                                                   Event.kind == Kind.PICKUP.value)).all()
