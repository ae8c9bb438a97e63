"""Issue 8 §7: what the driver counted at pickup reaches the washer's receipt and round summary."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

from bottles.models import Round
from collection_points.operations import pick_up
from tests.factories import T0, csrf_from, login
from tests.washer.helpers import submit
from washer.rules import driver_count


def _picked_up(dock, driver, count: int, counted: int | None, n: int, round_id: int | None = None):
    """A crate declared full with `count` bottles, picked up by a driver who counted `counted`."""
    crate = dock.factory.full_crate_at(dock.point, count=count, washer=dock.washer,
                                       at=T0 + timedelta(minutes=n))
    pick_up(dock.factory.session, crate=crate, actor=driver, event_id=uuid.uuid4(),
            at=T0 + timedelta(days=2, minutes=n), counted=counted, round_id=round_id)
    return crate


def test_driver_count_is_read_from_the_pickup_note():
    assert driver_count("Compté à l'enlèvement : 46 bouteilles (déclaré : 48).") == 46
    assert driver_count("Compté à l'enlèvement : 1 bouteille (déclaré : 2). casse") == 1
    assert driver_count("Compté à l'enlèvement : 1\u202f046 bouteilles (déclaré : 1\u202f048).") == 1046
    assert driver_count("") is None and driver_count("rien à signaler") is None


def test_one_crate_form_shows_the_drivers_count_beside_the_declared_one(client, session, dock, factory):
    driver = factory.user("driver")
    crate = _picked_up(dock, driver, 48, 46, 1)
    plain = _picked_up(dock, driver, 30, None, 2)
    session.commit()
    login(client, dock.staff)
    html = client.get(f"/lavage/reception?code={crate.code}").get_data(as_text=True)
    assert "Annoncé" in html and "Compté par le chauffeur" in html and "<strong>46</strong>" in html
    html = client.get(f"/lavage/reception?code={plain.code}").get_data(as_text=True)
    assert "Compté par le chauffeur" not in html


def test_scan_list_answer_gives_counted_against_declared(client, session, dock, factory):
    """The dock station's line is one API event: its answer's movements say the bottles counted
    against those declared full (what the station's line shows), whatever the driver counted."""
    driver = factory.user("driver")
    crate = _picked_up(dock, driver, 48, 46, 1)
    plain = _picked_up(dock, driver, 30, None, 2)
    session.commit()
    login(client, dock.staff)
    token = csrf_from(client.get("/lavage/reception").get_data(as_text=True))
    fields = {"kind": "receipt", "washer_id": str(dock.washer.id),
              "loss_reason_id": str(dock.reasons["transit_breakage"].id)}
    answers = [client.post("/api/v1/events", json={**fields, "id": str(uuid.uuid4()), **line},
                           headers={"X-CSRFToken": token, "Accept": "application/json"})
               for line in ({"crate": crate.code, "counted": 46}, {"crate": plain.code})]
    assert [r.status_code for r in answers] == [201, 201], [r.get_json() for r in answers]

    def counted_and_declared(answer) -> tuple[int, int]:
        moves = answer.get_json()["event"]["movements"]
        return (sum(m["quantity"] for m in moves if m["to_stage"] == "received"),
                sum(m["quantity"] for m in moves if m["from_stage"] == "in_transit"))

    assert counted_and_declared(answers[0]) == (46, 48)  # the declared count, not the driver's 46
    assert counted_and_declared(answers[1]) == (30, 30)


def test_round_summary_shows_the_drivers_counts_km_and_hours(client, session, dock, factory):
    driver = factory.user("driver")
    the_round = Round(code="R-2026-03-04", driver_id=driver.id, round_date=T0.date(),
                      washer_id=dock.washer.id, closed=True, km=Decimal("42.5"), hours=Decimal("4.5"))
    session.add(the_round)
    session.flush()
    crate = _picked_up(dock, driver, 48, 46, 1, the_round.id)
    session.commit()
    login(client, dock.staff)
    page = f"/lavage/reception?code={crate.code}"
    r = submit(client, "/lavage/reception", {"crate_id": crate.id, "counted": "45",
                                             "reason_id": dock.reasons["transit_breakage"].id},
               page_url=page)
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    html = client.get(f"/lavage/tournees/{the_round.id}").get_data(as_text=True)
    assert "chauffeur : 46" in html
    assert "42,5\u00a0km" in html or "42,5 km" in html
    assert "4 h 30" in html
