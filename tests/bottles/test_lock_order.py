"""Writers that share crates and stock rows never deadlock, and their ledger always restores.

On PostgreSQL a driver's scan station sending 31 pickups (one event of the JSON API per line, one
after the other, as bottles/static/scan.js sends them) races staff declaring crates of the same
point full (issue 10, points 9 and 10): every request is answered (no 5xx), every acknowledged
event is stored, no event is dated before the event it follows, and the journal exported in seq order
imports into an empty database and exports again byte for byte.
"""

from __future__ import annotations

import io
import logging
import os
import threading
import time
import uuid
from types import SimpleNamespace

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bottles.check import check_ledger, time_inversions
from bottles.journal import export_journal, import_journal
from bottles.ledger import Draft, live, record
from bottles.models import Crate, Event, utcnow
from bottles.rules import Kind, Move, Stage
from tests.bottles.test_journal import other_session  # noqa: F401 - the fixture
from tests.conftest import ON_POSTGRES
from tests.factories import T0, csrf_from, login, post_form

BATCH = 31
DECLARED = 2  # crates of the batch still filling, declared full while the batch runs
ROUNDS = int(os.environ.get("BOUCLE_RACE_ROUNDS", "5"))
FULL_DELAY = 0.04  # the staff's "full" arrives 40 ms after the driver's batch

on_postgres = pytest.mark.skipif(not ON_POSTGRES, reason="real concurrency needs PostgreSQL")


def _export(session) -> str:
    out = io.StringIO()
    export_journal(session, out)
    return out.getvalue()


def _run_together(app, jobs: list[tuple[object, float, object]]) -> list[object]:
    """Each (user, delay, request) in its own thread, client and connection; their responses (a
    station's job: the list of its lines' responses).

    A request that raised (a 500 under TESTING) is returned as the exception.
    """
    people = [SimpleNamespace(username=user.username, role=user.role) for user, _d, _r in jobs]
    barrier = threading.Barrier(len(jobs))
    outcomes: list[object] = [None] * len(jobs)

    def run(i: int) -> None:
        _user, delay, make_request = jobs[i]
        client = app.test_client()
        login(client, people[i])
        page = "/tournee/enlever" if people[i].role == "driver" else "/"
        token = csrf_from(client.get(page).get_data(as_text=True))
        barrier.wait(timeout=30)
        time.sleep(delay)
        try:
            outcomes[i] = make_request(client, token)
        except Exception as error:  # noqa: BLE001 - a 500: counted by the test
            outcomes[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def _station_lines(codes: list[str]) -> list[dict]:
    """A driver's scanned list: a pickup event per crate, its own id, one round for the list."""
    round_token = str(uuid.uuid4())
    return [{"id": str(uuid.uuid4()), "kind": "pickup", "crate": code, "round_token": round_token,
             "occurred_at": utcnow().isoformat()} for code in codes]


def _station(lines: list[dict]):
    """The station's confirmation: each line POSTed alone to the API, one after the other."""
    def send(client, token) -> list:
        return [client.post("/api/v1/events", json=line, headers={"X-CSRFToken": token}) for line in lines]
    return send


def _acknowledged(lines: list[dict], outcome) -> list[str]:
    """The event ids of the lines the API answered recorded (201) or already recorded (200)."""
    if isinstance(outcome, Exception):
        return []
    return [line["id"] for line, response in zip(lines, outcome, strict=True)
            if response.status_code in (200, 201)]


def _failures(outcomes: list) -> list:
    """The requests that raised or answered 5xx (a station's lines each on their own)."""
    responses = [r for o in outcomes for r in (o if isinstance(o, list) else [o])]
    return [r for r in responses if isinstance(r, Exception) or r.status_code >= 500]


def _one_round(app, session, factory, washer, driver):
    """A point with 29 full crates and 2 still filling; the driver scans all 31 while the point's
    staff declares the 2 full. Returns (outcomes, acknowledged event ids)."""
    point = factory.point()
    staff = [factory.user("point", points=[point]) for _ in range(DECLARED)]
    full = [factory.full_crate_at(point, count=20, washer=washer) for _ in range(BATCH - DECLARED)]
    filling = []
    for _ in range(DECLARED):
        crate = factory.crate(washer=washer)
        factory.event(Kind.CRATE_PLACED, crate=crate, point=point.id)
        filling.append(crate)
    session.commit()
    batch = _station_lines([crate.code for crate in full + filling])
    fulls = {crate.code: str(uuid.uuid4()) for crate in filling}
    scan = _station(batch)

    def declare(code):
        def post(client, token):
            return client.post(f"/c/{code}/pleine", data={"event_id": fulls[code], "count": "17",
                                                            "csrf_token": token})
        return post

    jobs = [(driver, 0.0, scan)] + [(person, FULL_DELAY, declare(crate.code))
                                    for person, crate in zip(staff, filling, strict=True)]
    outcomes = _run_together(app, jobs)
    acknowledged = _acknowledged(batch, outcomes[0])
    for crate, outcome in zip(filling, outcomes[1:], strict=True):
        if not isinstance(outcome, Exception) and outcome.status_code == 302:
            acknowledged.append(fulls[crate.code])
    return outcomes, acknowledged


@on_postgres
def test_a_pickup_batch_and_full_declarations_at_one_point_never_deadlock(
        app, session, factory, other_session, caplog):  # noqa: F811 - the fixture
    washer = factory.washer()
    driver = factory.user("driver")
    session.commit()
    failures, acknowledged = [], []
    with caplog.at_level(logging.WARNING, logger="boucle.ledger"):
        for _ in range(ROUNDS):
            outcomes, ids = _one_round(app, session, factory, washer, driver)
            failures += _failures(outcomes)
            acknowledged += ids
    retries = sum("run again" in record.getMessage() for record in caplog.records)
    print(f"\n{ROUNDS} rounds of {BATCH} pickups against {DECLARED} 'full': {len(failures)} failed "
          f"request(s), {retries} unit(s) of work run again after a deadlock")  # the measure (-s)
    assert not failures, f"{len(failures)} request(s) failed in {ROUNDS} rounds: {failures[:3]}"
    session.rollback()  # see what the threads committed
    stored = set(map(str, session.scalars(select(Event.id))))
    assert not set(acknowledged) - stored
    assert len(acknowledged) >= ROUNDS * BATCH  # every full declared; every full crate picked up
    assert check_ledger(session) == []
    assert time_inversions(session) == []
    # the journal, in seq order, restores into an empty database and exports again identically
    journal = _export(session)
    report = import_journal(other_session, io.StringIO(journal), create_missing=True)
    assert report.ok, report.errors[:5]
    other_session.commit()
    assert _export(other_session) == journal
    assert check_ledger(other_session) == []


def _crossing_round(app, session, factory, washer, drivers):
    """Two points; each driver's batch takes crates of both, in opposite orders of points, while
    each point's staff declares a crate full. Returns (outcomes, acknowledged event ids)."""
    points = [factory.point(), factory.point()]
    staff = [factory.user("point", points=[point]) for point in points]
    halves = {(p, d): [factory.full_crate_at(point, count=12, washer=washer) for _ in range(8)]
              for p, point in enumerate(points) for d in range(2)}
    filling = []
    for point in points:
        crate = factory.crate(washer=washer)
        factory.event(Kind.CRATE_PLACED, crate=crate, point=point.id)
        filling.append(crate)
    session.commit()
    batches = [_station_lines([c.code for c in halves[(0, 0)] + halves[(1, 0)]]),
               _station_lines([c.code for c in halves[(1, 1)] + halves[(0, 1)]])]
    fulls = {crate.code: str(uuid.uuid4()) for crate in filling}

    def declare(code):
        def post(client, token):
            return client.post(f"/c/{code}/pleine", data={"event_id": fulls[code], "count": "9",
                                                            "csrf_token": token})
        return post

    jobs = [(driver, 0.0, _station(batch)) for driver, batch in zip(drivers, batches, strict=True)]
    jobs += [(person, FULL_DELAY, declare(crate.code)) for person, crate in zip(staff, filling, strict=True)]
    outcomes = _run_together(app, jobs)
    acknowledged = []
    for batch, outcome in zip(batches, outcomes[:2], strict=True):
        acknowledged += _acknowledged(batch, outcome)
    for crate, outcome in zip(filling, outcomes[2:], strict=True):
        if not isinstance(outcome, Exception) and outcome.status_code == 302:
            acknowledged.append(fulls[crate.code])
    return outcomes, acknowledged


@on_postgres
def test_two_batches_crossing_two_points_and_full_declarations_never_deadlock(app, session, factory):
    """Stock rows are locked by key, whatever order the crates were scanned in."""
    washer = factory.washer()
    drivers = [factory.user("driver"), factory.user("driver")]
    session.commit()
    failures, acknowledged = [], []
    for _ in range(ROUNDS):
        outcomes, ids = _crossing_round(app, session, factory, washer, drivers)
        failures += _failures(outcomes)
        acknowledged += ids
    assert not failures, f"{len(failures)} request(s) failed in {ROUNDS} rounds: {failures[:3]}"
    session.rollback()
    stored = set(map(str, session.scalars(select(Event.id))))
    assert not set(acknowledged) - stored
    assert len(acknowledged) == ROUNDS * (32 + 2)  # every crate picked up once, every full declared
    assert check_ledger(session) == []


def test_a_journal_imports_in_file_order_even_when_a_time_goes_back(app, session, factory,
                                                                     other_session):  # noqa: F811
    """A pickup timed (by its phone) a few seconds before the full it follows: file order holds."""
    washer, point = factory.washer(), factory.point(code="LONS")
    crate = factory.crate(washer=washer)
    factory.event(Kind.CRATE_PLACED, at=T0, crate=crate, point=point.id)
    full_at = T0.replace(hour=12)
    factory.event(Kind.CRATE_FULL, at=full_at, crate=crate, point=point.id,
                  moves=[Move(Stage.OUTSIDE, Stage.AT_POINT, 30)])
    pickup = factory.event(Kind.PICKUP, at=full_at.replace(second=0, minute=0, hour=11),
                           crate=crate, point=point.id,
                           moves=[Move(Stage.AT_POINT, Stage.IN_TRANSIT, 30)])
    session.commit()
    inversions = time_inversions(session)
    assert len(inversions) == 1 and f"seq {pickup.seq} (pickup)" in inversions[0], inversions
    assert check_ledger(session) == inversions  # a finding, and the only one
    named = app.test_cli_runner().invoke(args=["bottles", "check-ledger"])
    assert named.exit_code == 1 and inversions[0] in named.output
    assert "0 différence(s) entre le journal et les projections, 1 événement(s) daté(s) avant leur " \
           "cause." in named.output
    journal = _export(session)
    report = import_journal(other_session, io.StringIO(journal), create_missing=True)
    assert report.ok, [str(e) for e in report.errors]
    other_session.commit()
    assert _export(other_session) == journal
    code = other_session.scalar(select(Crate.state).where(Crate.code == crate.code))
    assert code == "in_transit"


def test_a_time_within_the_skew_is_not_an_inversion(session, factory):
    washer, point = factory.washer(), factory.point()
    crate = factory.crate(washer=washer)
    factory.event(Kind.CRATE_PLACED, at=T0.replace(second=5), crate=crate, point=point.id)
    factory.event(Kind.CRATE_FULL, at=T0.replace(second=4), crate=crate, point=point.id,
                  moves=[Move(Stage.OUTSIDE, Stage.AT_POINT, 3)])
    session.commit()
    assert time_inversions(session) == []


class _Deadlock(Exception):
    """What psycopg raises when PostgreSQL breaks a deadlock (SQLSTATE 40P01)."""

    sqlstate = "40P01"


def _deadlock_once(monkeypatch, times: int = 1) -> list:
    """declare_full fails `times` times as if PostgreSQL had chosen it to break a deadlock."""
    from collection_points import operations

    real, calls = operations.declare_full, []

    def flaky(*args, **kwargs):
        calls.append(kwargs["event_id"])
        if len(calls) <= times:
            kwargs["session"].execute(select(Event.seq).limit(1))  # inside the transaction, as a lock wait is
            raise OperationalError("SELECT … FOR UPDATE", {}, _Deadlock("deadlock detected"))
        return real(*args, **kwargs)

    monkeypatch.setattr(operations, "declare_full", lambda session, **kw: flaky(session=session, **kw))
    return calls


def _placed_crate_and_staff(factory, session):
    washer, point = factory.washer(), factory.point()
    staff = factory.user("point", points=[point])
    crate = factory.crate(washer=washer)
    factory.event(Kind.CRATE_PLACED, crate=crate, point=point.id)
    session.commit()
    return crate, staff


def test_a_deadlock_is_answered_by_running_the_request_once_more(app, client, session, factory,
                                                                  monkeypatch):
    crate, staff = _placed_crate_and_staff(factory, session)
    calls = _deadlock_once(monkeypatch)
    login(client, staff)
    event_id = str(uuid.uuid4())
    response = post_form(client, f"/c/{crate.code}/pleine", {"event_id": event_id, "count": "25"},
                         page_url=f"/c/{crate.code}")
    assert response.status_code == 302
    assert [str(call) for call in calls] == [event_id, event_id]  # the same event id, twice
    session.rollback()
    events = session.scalars(select(Event).where(Event.kind == Kind.CRATE_FULL.value)).all()
    assert [str(event.id) for event in events] == [event_id]
    assert check_ledger(session) == []


def test_a_second_deadlock_is_not_hidden(app, client, session, factory, monkeypatch):
    crate, staff = _placed_crate_and_staff(factory, session)
    calls = _deadlock_once(monkeypatch, times=2)
    login(client, staff)
    response = post_form(client, f"/c/{crate.code}/pleine", {"event_id": str(uuid.uuid4()),
                                                            "count": "25"}, page_url=f"/c/{crate.code}")
    assert response.status_code == 500 and len(calls) == 2  # once more, not forever
    session.rollback()
    assert session.scalar(select(Event).where(Event.kind == Kind.CRATE_FULL.value)) is None


def test_a_live_event_is_dated_once_its_locks_are_held(session, factory):
    washer, point = factory.washer(), factory.point()
    crate = factory.crate(washer=washer)
    session.commit()
    typed = T0.replace(day=3)
    with live(session):
        read = utcnow()  # the request's clock, read before the locks
        placed = record(session, Draft(id=uuid.uuid4(), kind=Kind.CRATE_PLACED, occurred_at=read,
                                       actor_id=None, crate_id=crate.id, collection_point_id=point.id))
        full = record(session, Draft(id=uuid.uuid4(), kind=Kind.CRATE_FULL, occurred_at=typed,
                                     actor_id=None, crate_id=crate.id, collection_point_id=point.id,
                                     moves=[Move(Stage.OUTSIDE, Stage.AT_POINT, 5)]))
    session.commit()
    assert placed.event.occurred_at > read and placed.event.occurred_at == placed.event.recorded_at
    assert full.event.occurred_at == typed  # a time typed (or imported) is the event's own
    # the same request sent again later: its clock reads another time, it is still a replay
    with live(session):
        again = record(session, Draft(id=placed.event.id, kind=Kind.CRATE_PLACED, occurred_at=utcnow(),
                                      actor_id=None, crate_id=crate.id, collection_point_id=point.id))
    assert not again.created and again.event.seq == placed.event.seq
