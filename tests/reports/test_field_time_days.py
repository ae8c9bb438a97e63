"""Indicators use field time (issue 11, point 3): a driver's offline queue sent two days later lands
on the days it happened, in the daily series and the phase's totals, live and once rolled up."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bottles.models import Event
from bottles.rules import PARIS, Kind, Move, Stage
from reports import report, rollup, rollup_read
from reports.models import DailyFlow, DailyWork, Phase
from tests.factories import csrf_from, login

PICKED = [("at_point", "in_transit")]


@pytest.fixture(autouse=True)
def _no_margin(monkeypatch):
    """Roll up every committed event at once (PostgreSQL otherwise keeps the last minutes live)."""
    monkeypatch.setattr(rollup, "PG_MARGIN", timedelta(0))


def picked_by_day(session, phase: Phase, now: datetime) -> dict:
    """The dashboard's daily series of bottles picked up, {Paris day: bottles}."""
    ledger = rollup_read.Ledger(session, report.phase_scope(phase, None, now))
    per: dict = {}
    for (*_key, day), (quantity, _cents, _glass) in ledger.flows(by_day=True, pairs=PICKED).items():
        per[day] = per.get(day, 0) + quantity
    return {day: q for day, q in per.items() if q}


def test_a_queue_sent_two_days_later_lands_on_its_days(client, session, factory):
    now = datetime.now(UTC)
    washer, point, driver = factory.washer(), factory.point(), factory.user("driver")
    crates = []
    for count in (40, 25):
        crate = factory.crate(washer=washer, at=now - timedelta(days=5))
        factory.event(Kind.CRATE_PLACED, at=now - timedelta(days=5), crate=crate, point=point.id)
        factory.event(Kind.CRATE_FULL, at=now - timedelta(days=4), crate=crate, point=point.id,
                      moves=[Move(Stage.OUTSIDE, Stage.AT_POINT, count)])
        crates.append(crate)
    first_day = (now - timedelta(days=20)).astimezone(PARIS).date()
    phase = Phase(name="Phase en cours", start_date=first_day, end_date=first_day + timedelta(days=300),
                  parameters={}, targets={})
    session.add(phase)
    session.commit()
    rollup.refresh(session)
    session.commit()
    before = report.build_cached(session, phase, now=now).values
    assert before["bottles_picked_up"] == 0 and before["crate_trips"] == 0
    assert picked_by_day(session, phase, now) == {}
    mark = rollup.watermark(session)

    # The driver's phone scanned both crates two days ago (offline) and sends its queue now: one
    # event of the API per line, as the station and the phone's queue send them.
    scanned = [now - timedelta(days=2, hours=1), now - timedelta(days=2)]
    login(client, driver)
    token = csrf_from(client.get("/tournee/enlever").get_data(as_text=True))
    round_token = str(uuid.uuid4())
    answers = [client.post("/api/v1/events", headers={"X-CSRFToken": token}, json={
        "id": str(uuid.uuid4()), "kind": "pickup", "crate": crate.code, "round_token": round_token,
        "occurred_at": at.isoformat()}) for crate, at in zip(crates, scanned, strict=True)]
    assert [a.status_code for a in answers] == [201, 201], [a.get_json() for a in answers]
    session.expire_all()
    pickups = session.scalars(select(Event).where(Event.kind == "pickup").order_by(Event.seq)).all()
    assert all(e.seq > mark and e.recorded_at >= now for e in pickups)  # past the watermark, recorded now

    days = {}
    for at, count in zip(scanned, (40, 25), strict=True):
        day = at.astimezone(PARIS).date()
        days[day] = days.get(day, 0) + count
    # Read live (the roll-ups' tail), the dashboard changes at once: the late events' days, not today's.
    after = report.build_cached(session, phase, now=now).values
    assert after["bottles_picked_up"] == 65 and after["crate_trips"] == 2
    assert picked_by_day(session, phase, now) == days
    today = now.astimezone(PARIS).date()
    assert today not in days
    # Rolled up, the same: the late events went into the buckets of their own (past) days.
    rollup.refresh(session)
    session.commit()
    assert rollup.watermark(session) >= pickups[-1].seq and rollup.check(session) == []
    stored = {row.day: row.quantity for row in session.scalars(
        select(DailyFlow).where(DailyFlow.from_stage == "at_point", DailyFlow.to_stage == "in_transit"))}
    assert stored == days
    work_days = {row.day for row in session.scalars(select(DailyWork).where(DailyWork.kind == "pickup"))}
    assert work_days == set(days)
    assert picked_by_day(session, phase, now) == days
    assert report.build_cached(session, phase, now=now).values == after
