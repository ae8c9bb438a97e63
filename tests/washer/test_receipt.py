"""Receipt at the dock: one crate with its count, the scan station's list, rounds' summaries."""

from __future__ import annotations

import uuid
from datetime import date

from bottles.check import check_ledger
from bottles.models import Event, Round
from bottles.queries import stock
from bottles.rules import Kind, Move, Stage
from tests.factories import T0, csrf_from, login, post_form


def _receive(client, crate, counted, reason=None):
    page = f"/lavage/reception?code={crate.code}"
    html = client.get(page).get_data(as_text=True)
    event_id = html.split('name="event_id" value="')[1].split('"')[0]
    data = {"crate_id": crate.id, "counted": counted, "event_id": event_id}
    if reason:
        data["reason_id"] = reason.id
    return post_form(client, "/lavage/reception", data, page_url=page)


def test_receipt_form_is_prefilled_and_records_shortfall_and_surplus(client, session, dock):
    a, b, c = dock.in_transit(50, 1), dock.in_transit(30, 2), dock.in_transit(20, 3)
    session.commit()
    login(client, dock.staff)
    page = client.get(f"/lavage/reception?code={a.code}").get_data(as_text=True)
    assert 'value="50"' in page and "Annoncé" in page
    assert _receive(client, a, "50").status_code == 302
    assert _receive(client, b, "27", dock.reasons["transit_breakage"]).status_code == 302
    assert _receive(client, c, "22", dock.reasons["count_over"]).status_code == 302
    assert stock(session, Stage.RECEIVED, dock.washer.id) == 99
    assert stock(session, Stage.IN_TRANSIT) == 0
    receipt = session.query(Event).filter_by(kind="receipt", crate_id=b.id).one()
    assert receipt.washer_id == dock.washer.id and receipt.collection_point_id == dock.point.id
    moves = {(m.from_stage, m.to_stage): m.quantity for m in receipt.movements}
    assert moves == {("in_transit", "received"): 27, ("in_transit", "lost"): 3}
    session.refresh(c)
    assert c.state == "in_pool" and c.washer_id == dock.washer.id
    listing = client.get("/lavage/reception").get_data(as_text=True)
    assert "Réceptionnées aujourd'hui (3)" in listing or "(3)" in listing
    assert check_ledger(session) == []


def test_receipt_refuses_a_difference_without_reason_and_a_crate_twice(client, session, dock):
    a = dock.in_transit(40)
    session.commit()
    login(client, dock.staff)
    r = _receive(client, a, "35")
    assert r.status_code == 422 and "motif" in r.get_data(as_text=True)
    for bad in ("-3", "abc", "4.5", ""):
        assert _receive(client, a, bad).status_code == 422
    assert stock(session, Stage.RECEIVED, dock.washer.id) == 0
    assert _receive(client, a, "40").status_code == 302
    again = client.get(f"/lavage/reception?code={a.code}")
    assert again.status_code == 409 and "pas en transport" in again.get_data(as_text=True)
    assert "depuis le" in again.get_data(as_text=True)
    assert client.get("/lavage/reception?code=CJ-0000").status_code == 400
    assert check_ledger(session) == []


def test_receipt_replay_of_the_same_form_records_once(client, session, dock):
    a = dock.in_transit(40)
    session.commit()
    login(client, dock.staff)
    html = client.get(f"/lavage/reception?code={a.code}").get_data(as_text=True)
    token = csrf_from(html)
    event_id = html.split('name="event_id" value="')[1].split('"')[0]
    data = {"crate_id": a.id, "counted": "40", "event_id": event_id, "csrf_token": token}
    assert client.post("/lavage/reception", data=data).status_code == 302
    assert client.post("/lavage/reception", data=data).status_code == 302
    assert stock(session, Stage.RECEIVED, dock.washer.id) == 40


def test_receipt_needs_csrf_and_own_washer(client, session, dock):
    a = dock.in_transit(40)
    session.commit()
    login(client, dock.staff)
    r = client.post("/lavage/reception", data={"crate_id": a.id, "counted": "40",
                                               "event_id": str(uuid.uuid4())})
    assert r.status_code == 400 and "jeton" in r.get_data(as_text=True)
    r = post_form(client, "/lavage/reception", {"crate_id": a.id, "counted": "40", "w": dock.other.id,
                                                "event_id": str(uuid.uuid4())}, page_url="/lavage/reception")
    assert r.status_code == 403
    assert stock(session, Stage.RECEIVED) == 0


def test_scan_station_receives_a_list(client, session, dock):
    """The dock's station sends each line as one API event (its page's fields: washer_id and the gap's
    reasons); the answer's movements carry what the line says: counted against declared, the gap."""
    a, b, c = dock.in_transit(50, 1), dock.in_transit(30, 2), dock.in_transit(20, 3)
    session.commit()
    login(client, dock.staff)
    page = client.get("/lavage/reception").get_data(as_text=True)
    assert "data-scan-station" in page and 'data-queue-kind="receipt"' in page
    assert f'name="washer_id" value="{dock.washer.id}"' in page and 'name="loss_reason_id"' in page
    token = csrf_from(page)
    headers = {"X-CSRFToken": token, "Accept": "application/json"}
    fields = {"kind": "receipt", "washer_id": str(dock.washer.id),
              "loss_reason_id": str(dock.reasons["transit_breakage"].id)}
    lines = [{"crate": a.code.lower().replace("-", "")}, {"crate": b.code, "counted": 28},
             {"crate": c.code, "counted": "abc"}, {"crate": "CJ-99999-0"}]
    bodies = [{**fields, "id": str(uuid.uuid4()), **line} for line in lines]
    answers = [client.post("/api/v1/events", json=body, headers=headers) for body in bodies]
    assert [r.status_code for r in answers] == [201, 201, 422, 404], [r.get_json() for r in answers]
    moves = [{(m["from_stage"], m["to_stage"]): m["quantity"] for m in r.get_json()["event"]["movements"]}
             for r in answers[:2]]
    assert moves[0] == {("in_transit", "received"): 50}  # counted as declared
    assert moves[1] == {("in_transit", "received"): 28, ("in_transit", "lost"): 2}  # 28 of 30: 2 missing
    lost = next(m for m in answers[1].get_json()["event"]["movements"] if m["to_stage"] == "lost")
    assert lost["reason_id"] == dock.reasons["transit_breakage"].id
    assert "counted" in answers[2].get_json()["errors"]
    assert answers[3].get_json()["code"] == "caisse_inconnue"
    assert stock(session, Stage.RECEIVED, dock.washer.id) == 78
    again = client.post("/api/v1/events", json=bodies[0], headers=headers)
    assert again.status_code == 200 and again.get_json()["created"] is False
    assert again.get_json()["event"]["movements"] == answers[0].get_json()["event"]["movements"]
    no_csrf = client.post("/api/v1/events", json={**bodies[2], "counted": 20})
    assert no_csrf.status_code == 400 and no_csrf.get_json()["code"] == "jeton_csrf_invalide"
    assert stock(session, Stage.RECEIVED, dock.washer.id) == 78
    assert check_ledger(session) == []


def test_round_summary_declared_against_counted(client, session, dock, factory):
    driver = factory.user("driver")
    the_round = Round(code="R-2026-03-04", driver_id=driver.id, round_date=date(2026, 3, 4),
                      washer_id=dock.washer.id)
    session.add(the_round)
    session.flush()
    crates = []
    for count in (50, 40, 30):
        crate = factory.full_crate_at(dock.point, count=count, washer=dock.washer)
        factory.event(Kind.PICKUP, at=T0.replace(day=4), crate=crate, point=dock.point.id,
                      round_id=the_round.id, moves=[Move(Stage.AT_POINT, Stage.IN_TRANSIT, count)])
        crates.append(crate)
    session.commit()
    login(client, dock.staff)
    _receive(client, crates[0], "50")
    _receive(client, crates[1], "37", dock.reasons["transit_breakage"])
    overview = client.get("/lavage/tournees").get_data(as_text=True)
    assert "90" in overview and "87" in overview and "-3" in overview
    detail = client.get(f"/lavage/tournees/{the_round.id}")
    text = detail.get_data(as_text=True)
    assert detail.status_code == 200 and crates[1].code in text and "-3" in text
    assert crates[2].code in text and "Pas encore réceptionnées" in text
    assert client.get("/lavage/tournees/9999").status_code == 404
