"""check-rollups month by month (a ledger too large to sum at once): the same verdicts as in one
pass — clean roll-ups pass, a tampered daily or monthly row is named."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

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
