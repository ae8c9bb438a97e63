"""The dock in a phone-sized headless Chromium: receipt by scanning, then sorting with counters."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bottles.queries import stock
from bottles.rules import Stage
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("SHOTS_DIR")


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, page.url


def _line(page, code: str) -> str:
    """What the scan station's line of `code` says under its status."""
    return page.locator(f".scan-item[data-code='{code}'] .scan-reason").inner_text().strip()


def _sign_in(page, user, url: str) -> None:
    page.goto(url)
    page.fill("#username", user.username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{url}")


def test_dock_station_says_counted_against_declared_on_each_line(phone, session, dock):
    """Counted as declared, fewer, more (each gap with its reason); a line sent again by the phone's
    queue (the same event id) is answered with the recorded event and says the same; a refused line
    keeps its reason. The comparison is read from the API's answer (the receipt's movements)."""
    same, fewer, more = dock.in_transit(44, 1), dock.in_transit(44, 2), dock.in_transit(1, 3)
    session.commit()
    _sign_in(phone, dock.staff, "/lavage/reception")
    scan = phone.locator("[data-scan-input]")
    for crate in (same, fewer, more):
        scan.fill(crate.code)
        scan.press("Enter")
    phone.fill(f"[aria-label='Compté (vide = annoncé) {fewer.code}']", "42")
    phone.fill(f"[aria-label='Compté (vide = annoncé) {more.code}']", "2")
    phone.locator("details.gap-reasons summary").click()
    phone.select_option("#loss_reason", label="transit breakage")
    phone.select_option("#surplus_reason", label="count over")
    sent: dict[str, dict] = {}
    phone.on("request", lambda r: sent.setdefault(r.post_data_json["crate"], r.post_data_json)
             if r.url.endswith("/api/v1/events") and r.method == "POST" else None)
    phone.click("[data-scan-submit]")
    phone.wait_for_selector(".scan-item.status-recorded >> nth=2")
    assert _line(phone, same.code) == "Réceptionnée : 44 bouteilles comptées sur 44 annoncées."
    assert _line(phone, fewer.code) == "Réceptionnée : 42 bouteilles comptées sur 44 annoncées, 2 manquantes."
    assert _line(phone, more.code) == "Réceptionnée : 2 bouteilles comptées sur 1 annoncée, 1 en plus."
    assert phone.locator("[data-scan-message]").inner_text().startswith("3 caisses enregistrées")
    _no_sideways_scroll(phone)
    _shot(phone, "03b-reception-counted-declared")
    assert sent[same.code]["kind"] == "receipt" and "counted" not in sent[same.code]  # as declared
    assert sent[fewer.code]["counted"] == 42
    assert sent[fewer.code]["loss_reason_id"] == str(dock.reasons["transit_breakage"].id)

    # the phone sends a line again (its answer was lost): already recorded, the same comparison
    session.rollback()
    phone.evaluate("""([id, code, washer]) => localStorage.setItem('boucle-scan:receipt-' + washer,
        JSON.stringify([{code: code, event_id: id, count: '42', status: 'pending', message: '',
                         occurred_at: new Date().toISOString()}]))""",
                   [_event_id(session, fewer), fewer.code, dock.washer.id])
    phone.reload()
    phone.click("[data-scan-submit]")
    phone.wait_for_selector(f".scan-item.status-already[data-code='{fewer.code}']")
    assert _line(phone, fewer.code) == "Réceptionnée : 42 bouteilles comptées sur 44 annoncées, 2 manquantes."

    # a crate received already, scanned anew (a new event): refused with the ledger's reason, no count
    scan.fill(same.code)
    scan.press("Enter")
    phone.click("[data-scan-submit]")
    phone.wait_for_selector(f".scan-item.status-refused[data-code='{same.code}']")
    assert "n'est pas en transport" in _line(phone, same.code)
    assert "comptée" not in _line(phone, same.code)
    session.rollback()
    assert stock(session, Stage.RECEIVED, dock.washer.id) == 88


def _event_id(session, crate) -> str:
    from sqlalchemy import select

    from bottles.models import Event

    return str(session.scalar(select(Event.id).where(Event.kind == "receipt", Event.crate_id == crate.id)))


def test_dock_receipt_by_scanning_then_sorting_with_counters(phone, session, dock):
    a, b = dock.in_transit(48, 1), dock.in_transit(30, 2)
    session.commit()
    phone.goto("/lavage/reception")
    phone.fill("#username", dock.staff.username)
    phone.fill("#password", PASSWORD)
    phone.click("button[type=submit]")
    phone.wait_for_url("**/lavage/reception")
    _shot(phone, "01-reception")
    scan = phone.locator("[data-scan-input]")
    scan.fill(a.code.lower().replace("-", ""))  # a handheld scanner types, then Enter
    scan.press("Enter")
    scan.fill(f"https://boucle.test/c/{b.code}")
    scan.press("Enter")
    scan.fill(a.code)
    scan.press("Enter")  # the same crate again: warned, not added twice
    assert phone.locator(".scan-item").count() == 2
    phone.fill(f"[aria-label='Compté (vide = annoncé) {b.code}']", "29")
    phone.locator("details.gap-reasons summary").click()
    phone.select_option("#loss_reason", label="transit breakage")
    _shot(phone, "02-reception-list")
    _no_sideways_scroll(phone)
    phone.click("[data-scan-submit]")
    phone.wait_for_selector(".scan-item.status-recorded >> nth=1")
    _shot(phone, "03-reception-done")
    # each line: the bottles counted against those declared full, from the API's answer
    assert _line(phone, a.code) == "Réceptionnée : 48 bouteilles comptées sur 48 annoncées."
    assert _line(phone, b.code) == "Réceptionnée : 29 bouteilles comptées sur 30 annoncées, 1 manquante."
    session.rollback()  # end the test's read snapshot: see what the server committed since
    assert stock(session, Stage.RECEIVED, dock.washer.id) == 77

    phone.goto("/lavage/tri")
    _shot(phone, "04-tri")
    _no_sideways_scroll(phone)
    bourg = phone.locator(f"#m-{dock.bourg.id}")
    plus = bourg.locator("xpath=..").locator("[data-step='10']")
    for _ in range(6):
        plus.click()
    bourg.locator("xpath=..").locator("[data-step='1']").click()
    bourg.locator("xpath=..").locator("[data-step='-1']").click()
    bourg.locator("xpath=..").locator("[data-step='-1']").click()
    assert bourg.input_value() == "59"
    clav = phone.locator(f"#m-{dock.clav.id}")
    clav.fill("10")
    clav.press("ArrowUp")
    assert clav.input_value() == "11"
    phone.fill(f"#r-{dock.reasons['cremant'].id}", "7")
    assert phone.locator(".total").inner_text() == "77"
    phone.reload()  # a reload (or a dropped connection) keeps the session's counts on the phone
    assert phone.locator(f"#m-{dock.bourg.id}").input_value() == "59"
    assert phone.locator(".total").inner_text() == "77"
    _shot(phone, "05-tri-filled")
    phone.click("text=Enregistrer le tri")
    phone.wait_for_selector(".flash-success")
    assert "70 bouteilles triées, 7 écartées" in phone.locator(".flash-success").inner_text()
    session.rollback()
    assert stock(session, Stage.SORTED, dock.washer.id, dock.bourg.id) == 59
    assert stock(session, Stage.SORTED, dock.washer.id, dock.clav.id) == 11
    assert stock(session, Stage.RECEIVED, dock.washer.id) == 0
    _shot(phone, "06-tri-done")
    assert phone.locator(f"#m-{dock.bourg.id}").input_value() == ""  # sent: the phone forgets it


def test_every_washer_page_fits_a_phone(phone, session, dock):
    """Screenshots of each page at 390 px (SHOTS_DIR set) and no sideways scrolling."""
    from tests.washer.helpers import seed_history

    seed_history(session, dock)
    phone.goto("/login")
    phone.fill("#username", dock.coordinator.username)
    phone.fill("#password", PASSWORD)
    phone.click("button[type=submit]")
    phone.wait_for_url("**/")
    for name, url in (("10-lot", "/lavage/lot"), ("11-stock", "/lavage/stock"),
                      ("12-inventaire", "/lavage/inventaire?etape=sorted"),
                      ("13-historique", "/lavage/historique"), ("14-tournees", "/lavage/tournees"),
                      ("14b-tournee", f"/lavage/tournees/{dock.round_id}"),
                      ("15-ventes", "/ventes/"), ("16-vente-nouvelle", "/ventes/nouvelle"),
                      ("17-vigneron", f"/ventes/vigneron/{dock.winemaker.id}"),
                      ("18-reception-caisse", "/lavage/reception?code=" + dock.spare.code)):
        response = phone.goto(url)
        assert response.status == 200, url
        _no_sideways_scroll(phone)
        _shot(phone, name)
    phone.goto("/ventes/")
    phone.locator("table a").first.click()
    phone.wait_for_selector("text=Bon de livraison")
    _no_sideways_scroll(phone)
    _shot(phone, "19-bon-livraison")
    phone.goto("/lavage/historique")
    phone.locator("text=Corriger…").first.click()
    _shot(phone, "20-correction")
    phone.context.clear_cookies()
    phone.goto("/login")
    phone.fill("#username", dock.staff.username)
    phone.fill("#password", PASSWORD)
    phone.click("button[type=submit]")
    phone.wait_for_url("**/")
    _no_sideways_scroll(phone)
    _shot(phone, "21-accueil-laveur")


def test_coordinator_sales_pages_on_a_laptop(laptop, session, dock):
    from tests.washer.helpers import seed_history

    seed_history(session, dock)
    laptop.goto("/login")
    laptop.fill("#username", dock.coordinator.username)
    laptop.fill("#password", PASSWORD)
    laptop.click("button[type=submit]")
    laptop.wait_for_url("**/")
    for name, url in (("30-ventes-laptop", "/ventes/"), ("31-stock-laptop", "/lavage/stock"),
                      ("32-vignerons-laptop", "/ventes/vignerons")):
        assert laptop.goto(url).status == 200
        _shot(laptop, name)
    laptop.goto("/ventes/")
    laptop.locator("table a").first.click()
    laptop.wait_for_selector("text=Bon de livraison")
    assert laptop.locator("tfoot").inner_text().count("€") == 1
    _shot(laptop, "33-bon-livraison-laptop")


def test_a_refused_correction_looks_refused_and_leads_to_what_to_correct_first(phone, session, dock):
    """Issue 8 §1 at phone size: the receipt's bottles were sorted; the page says so and links there."""
    import uuid
    from datetime import UTC, datetime, timedelta

    from bottles.models import Event
    from washer import operations

    now = datetime.now(UTC)
    crate = dock.in_transit(48, 1)
    operations.receive(session, actor=dock.staff, at=now - timedelta(hours=3), event_id=uuid.uuid4(),
                       washer_id=dock.washer.id, crate=crate, counted=48)
    operations.sort(session, actor=dock.staff, at=now - timedelta(hours=2), event_id=uuid.uuid4(),
                    washer_id=dock.washer.id, eligible={dock.bourg.id: 40},
                    refusals=[operations.Refusal(dock.reasons["cremant"].id, 8)])
    session.commit()
    receipt = session.query(Event).filter_by(kind="receipt").one()
    sorting = session.query(Event).filter_by(kind="sorting").one()
    phone.goto("/login")
    phone.fill("#username", dock.staff.username)
    phone.fill("#password", PASSWORD)
    phone.click("button[type=submit]")
    phone.wait_for_url("**/")
    phone.goto(f"/lavage/corriger/{receipt.seq}")
    phone.fill("#note", "mauvaise caisse")
    phone.click("text=Annuler cet événement")
    phone.wait_for_selector(".flash-error")
    _shot(phone, "40-correction-refusee")
    _no_sideways_scroll(phone)
    assert "Stock insuffisant" in phone.locator(".flash-error").inner_text()
    assert phone.locator(".corrected").count() == 0 and phone.locator(".badge").count() == 0
    assert "déjà été corrigé" not in phone.content()
    assert phone.input_value("#note") == "mauvaise caisse"
    phone.reload()  # a reload shows the same: not corrected
    assert phone.locator("#note").count() == 1 and phone.locator(".corrected").count() == 0
    phone.click(f"#blockers a[href='/lavage/corriger/{sorting.seq}']")
    phone.wait_for_url(f"**/lavage/corriger/{sorting.seq}")
    phone.fill("#note", "tri à refaire")
    phone.click("text=Annuler cet événement")
    phone.wait_for_selector(".flash-success")
    phone.goto(f"/lavage/corriger/{receipt.seq}")
    assert phone.locator("#blockers").count() == 0
    phone.fill("#note", "mauvaise caisse")
    phone.click("text=Annuler cet événement")
    phone.wait_for_selector(".flash-success")
    _shot(phone, "41-correction-faite")
    session.rollback()
    assert stock(session, Stage.RECEIVED, dock.washer.id) == 0
    assert stock(session, Stage.IN_TRANSIT) == 48


def test_stocktake_review_refused_batch_and_drivers_count_at_phone_size(phone, session, dock):
    """Issue 8 §7, §8, §9 pages at 390 px: round summary, one-crate form, stock-take, batch refusal."""
    import uuid
    from datetime import UTC, datetime, timedelta
    from decimal import Decimal

    from bottles.models import Round
    from collection_points.operations import pick_up
    from tests.factories import T0
    from tests.washer.helpers import seed_history
    from washer import operations

    seed_history(session, dock)
    the_round = session.get(Round, dock.round_id)
    the_round.km, the_round.hours, the_round.closed = Decimal("42.5"), Decimal("4.5"), True
    driver = dock.factory.user("driver", username="chauffeur2")
    counted = dock.factory.full_crate_at(dock.point, count=48, washer=dock.washer, at=T0)
    pick_up(session, crate=counted, actor=driver, event_id=uuid.uuid4(), at=T0 + timedelta(days=1),
            counted=46, round_id=the_round.id)
    waiting = dock.factory.full_crate_at(dock.point, count=30, washer=dock.washer,
                                         at=T0 + timedelta(minutes=5))
    pick_up(session, crate=waiting, actor=driver, event_id=uuid.uuid4(), at=T0 + timedelta(days=1),
            counted=29, round_id=the_round.id)
    operations.receive(session, actor=dock.staff, at=datetime.now(UTC), event_id=uuid.uuid4(),
                       washer_id=dock.washer.id, crate=counted, counted=45,
                       reason_id=dock.reasons["transit_breakage"].id)
    operations.sort(session, actor=dock.staff, at=datetime.now(UTC), event_id=uuid.uuid4(),
                    washer_id=dock.washer.id, eligible={dock.bourg.id: 45}, refusals=[])
    session.commit()
    phone.goto("/login")
    phone.fill("#username", dock.staff.username)
    phone.fill("#password", PASSWORD)
    phone.click("button[type=submit]")
    phone.wait_for_url("**/")
    phone.goto(f"/lavage/tournees/{the_round.id}")
    assert "chauffeur : 46" in phone.content() and "4 h 30" in phone.content()
    _no_sideways_scroll(phone)
    _shot(phone, "50-tournee-chauffeur")
    phone.goto(f"/lavage/reception?code={waiting.code}")
    assert "Compté par le chauffeur" in phone.content()
    _shot(phone, "51-reception-chauffeur")

    phone.goto("/lavage/inventaire?etape=sorted")
    phone.fill(f"#c-{dock.bourg.id}", "40")
    phone.click("text=Comparer au stock attendu")
    phone.wait_for_selector("text=Confirmer l'inventaire")
    assert phone.input_value(f"#c-{dock.bourg.id}") == "40"
    assert "non compté" in phone.content()
    _no_sideways_scroll(phone)
    _shot(phone, "52-inventaire-ecarts")

    phone.goto("/lavage/lot")
    phone.fill(f"#t-{dock.bourg.id}", "10")
    phone.fill(f"#a-{dock.bourg.id}", "8")
    phone.locator("details.more summary").click()
    phone.fill("#hours", "1h15")
    phone.click("text=Enregistrer le lot")
    phone.wait_for_selector(".flash-error")
    assert phone.locator("small.error").count() >= 1
    assert phone.input_value(f"#a-{dock.bourg.id}") == "8" and phone.input_value("#hours") == "1h15"
    _no_sideways_scroll(phone)
    _shot(phone, "53-lot-refuse")
