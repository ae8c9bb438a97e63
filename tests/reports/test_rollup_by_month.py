"""check-rollups month by month (a ledger too large to sum at once): the same verdicts as in one
pass — clean roll-ups pass, a tampered daily or monthly row is named."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bottles.models import Event, Movement
from bottles.rules import Kind, Move, Stage
from reports import rollup
from reports.models import DailyFlow, MonthlyWork
from tests.reports import ledger_fixture


@pytest.fixture(autouse=True)
def _by_month(monkeypatch):
    monkeypatch.setattr(rollup, "PG_MARGIN", timedelta(0))
    monkeypatch.setattr(rollup, "ONE_PASS_ROWS", 0)


def test_month_by_month_finds_what_one_pass_finds(app, factory, session, monkeypatch):
    ledger_fixture.build(factory, session)
    rollup.refresh(session)
    assert len(rollup._months(session, rollup.watermark(session))) > 1
    assert rollup.check(session) == []
    row = session.scalar(select(DailyFlow).where(DailyFlow.to_stage == "sold").limit(1))
    row.quantity += 1
    work = session.scalar(select(MonthlyWork).limit(1))
    work.events += 2
    session.flush()
    by_month = rollup.check(session)
    monkeypatch.setattr(rollup, "ONE_PASS_ROWS", 10**9)
    assert sorted(by_month) == sorted(rollup.check(session))
    for start in ("flux (", "travail mensuel"):
        assert any(problem.startswith(start) for problem in by_month), start


def test_month_by_month_leaves_out_events_past_the_watermark(app, factory, session, monkeypatch):
    """Summed a month at a time (narrowed by day, not by seq), the ledger stops at the watermark:
    a sale and a correction recorded after the refresh are not differences; refreshed, they count."""
    ledger_fixture.build(factory, session)
    rollup.refresh(session)
    sale = session.scalar(select(Event).where(Event.kind == "sale").order_by(Event.seq).limit(1))
    factory.event(Kind.CORRECTION, at=ledger_fixture.utc("2024-10-20T10:00:00+02:00"), corrects=sale.seq,
                  note="vente annulée")
    sold = session.scalar(select(Movement).where(Movement.event_seq == sale.seq))
    factory.event(Kind.SALE, at=ledger_fixture.utc("2024-10-21T10:00:00+02:00"), washer=sale.washer_id,
                  moves=[Move(Stage.CLEAN, Stage.SOLD, 3, model_id=sold.bottle_model_id,
                              unit_price_cents=30, winemaker_id=sold.winemaker_id)])
    session.commit()
    assert rollup.check(session) == []
    row = session.scalar(select(DailyFlow).where(DailyFlow.to_stage == "sold",
                                                 DailyFlow.day == sale.occurred_at.date()))
    row.quantity += 1
    session.flush()
    tampered = rollup.check(session)
    assert len(tampered) == 1 and tampered[0].startswith("flux (")
    row.quantity -= 1
    rollup.refresh(session)
    assert rollup.check(session) == []
    monkeypatch.setattr(rollup, "ONE_PASS_ROWS", 10**9)
    assert rollup.check(session) == []
