"""Two drivers scanning the same crate at the same moment (each line one event of the API, as the
scan stations send it), one station line or one form sent twice at once, record exactly one event.
Real concurrent connections: each thread has its own client, request, session and database
connection; a barrier releases them together. PostgreSQL serialises them with row locks; SQLite with
writing requests that begin IMMEDIATE (bottles.db)."""

from __future__ import annotations

import threading
import uuid
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from bottles.models import Crate, Event
from bottles.queries import stock
from bottles.rules import Stage
from tests.factories import csrf_from, login

ROUNDS = 5


def _race(app, users, make_request) -> list:
    """Run make_request(client, token, i) for each user at the same moment; their responses.

    Each thread signs in on its own (a thread starts without the test's app context, so each
    request gets its own app context, session and connection).
    """
    users = [SimpleNamespace(username=u.username, role=u.role) for u in users]
    barrier = threading.Barrier(len(users))
    responses: list = [None] * len(users)
    errors: list = []

    def run(i: int) -> None:
        try:
            client = app.test_client()
            login(client, users[i])
            token = csrf_from(client.get("/tournee/enlever" if users[i].role == "driver" else "/")
                              .get_data(as_text=True))
            barrier.wait(timeout=20)
            responses[i] = make_request(client, token, i)
        except Exception as error:  # surfaced below
            errors.append(error)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(users))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return responses


@pytest.fixture
def world(factory):
    washer, point = factory.washer(), factory.point()
    staff = factory.user("point", points=[point])
    drivers = [factory.user("driver"), factory.user("driver")]
    factory.session.commit()
    return washer, point, staff, drivers


@pytest.mark.parametrize("attempt", range(ROUNDS))
def test_two_drivers_scan_the_same_crate_at_once(app, session, factory, world, attempt):
    washer, point, staff, drivers = world
    crate = factory.full_crate_at(point, count=44, washer=washer, actor=staff)
    session.commit()
    code = crate.code

    def scan(client, token, i):  # each station's line: one event of the API, its own id and round
        body = {"id": str(uuid.uuid4()), "kind": "pickup", "crate": code, "round_token": str(uuid.uuid4())}
        return client.post("/api/v1/events", json=body, headers={"X-CSRFToken": token})

    responses = _race(app, drivers, scan)
    session.rollback()  # end the test's read snapshot: see what the threads committed
    assert sorted(r.status_code for r in responses) == [201, 422], [r.get_json() for r in responses]
    refused = next(r for r in responses if r.status_code == 422)
    assert refused.get_json()["code"] == "refuse" and "enlevée" in refused.get_json()["message"]
    assert refused.get_json()["crate_state"] == "in_transit"
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Event).where(
        Event.kind == "pickup", Event.crate_id == crate.id)) == 1
    assert session.get(Crate, crate.id).state == "in_transit"
    assert stock(session, Stage.IN_TRANSIT, point.id) == 44 and stock(session, Stage.AT_POINT, point.id) == 0


@pytest.mark.parametrize("attempt", range(ROUNDS))
def test_the_same_station_line_sent_twice_at_once_records_one_event(app, session, factory, world, attempt):
    """A station's line and the phone's queue resending it (same event id) at the same moment."""
    washer, point, staff, drivers = world
    crate = factory.full_crate_at(point, count=36, washer=washer, actor=staff)
    session.commit()
    body = {"id": str(uuid.uuid4()), "kind": "pickup", "crate": crate.code, "round_token": str(uuid.uuid4())}

    def send(client, token, i):
        return client.post("/api/v1/events", json=body, headers={"X-CSRFToken": token})

    responses = _race(app, [drivers[0], drivers[0]], send)
    session.rollback()
    assert sorted(r.status_code for r in responses) == [200, 201], [r.get_json() for r in responses]
    assert {r.get_json()["event"]["id"] for r in responses} == {body["id"]}
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Event).where(Event.kind == "pickup")) == 1
    assert stock(session, Stage.IN_TRANSIT, point.id) == 36


@pytest.mark.parametrize("attempt", range(ROUNDS))
def test_the_same_form_sent_twice_at_once_records_one_event(app, session, factory, world, attempt):
    washer, point, staff, drivers = world
    crate = factory.full_crate_at(point, count=30, washer=washer, actor=staff)
    session.commit()
    event_id, token_round = str(uuid.uuid4()), str(uuid.uuid4())
    code = crate.code

    def tap(client, token, i):
        return client.post(f"/c/{code}/enlevee", data={"event_id": event_id, "round_token": token_round,
                                                        "csrf_token": token})

    responses = _race(app, [drivers[0], drivers[0]], tap)
    session.rollback()  # end the test's read snapshot: see what the threads committed
    assert [r.status_code for r in responses] == [302, 302]
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Event).where(Event.kind == "pickup")) == 1
    assert stock(session, Stage.IN_TRANSIT, point.id) == 30


def test_double_tap_on_full_from_two_connections(app, session, factory, world):
    washer, point, staff, _drivers = world
    crate = factory.crate(washer=washer)
    from bottles.rules import Kind

    factory.event(Kind.CRATE_PLACED, crate=crate, point=point.id, actor=staff)
    session.commit()
    event_id = str(uuid.uuid4())
    code = crate.code

    def full(client, token, i):
        return client.post(f"/c/{code}/pleine", data={"event_id": event_id, "count": "33",
                                                       "csrf_token": token})

    responses = _race(app, [staff, staff], full)
    session.rollback()  # end the test's read snapshot: see what the threads committed
    assert [r.status_code for r in responses] == [302, 302]
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Event).where(Event.kind == "crate_full")) == 1
    assert stock(session, Stage.AT_POINT, point.id) == 33
