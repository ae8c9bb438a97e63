"""The daily roll-ups give exactly what the raw ledger gives, whenever they are refreshed."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bottles.models import Event
from bottles.rules import Kind
from reports import queries, report, rollup, rollup_read
from reports.indicators import compute
from reports.period import fixed_cost_share, phase_bounds
from reports.phase_input import effective_params, parse_day
from reports.queries import Scope
from tests.conftest import ON_POSTGRES
from tests.reports import ledger_fixture
from tests.reports.ledger_fixture import EXPECTED


@pytest.fixture(autouse=True)
def _no_margin(monkeypatch):
    """Roll up every committed event at once (PostgreSQL otherwise keeps the last minutes live)."""
    monkeypatch.setattr(rollup, "PG_MARGIN", timedelta(0))


def raw_kpis(session, scope: Scope, params=None) -> dict:
    agg, _rows = queries.aggregates(session, scope)
    return compute(agg, params or effective_params({}), scope.scoped)


def test_rollup_equals_raw_ledger_across_refreshes_and_late_corrections(app, factory, session):
    made = ledger_fixture.build(factory, session)
    scope = report.phase_scope(made.phase)
    params = effective_params(made.phase.parameters)
    assert rollup.refresh(session) > 0
    assert rollup.check(session) == []
    assert report.kpis(session, scope, params) == raw_kpis(session, scope, params)
    assert report.kpis(session, scope, params)["bottles_sold"] == EXPECTED["bottles_sold"]
    # A late correction of an in-phase sale: it sits in the tail first, then in the roll-up.
    sale = session.scalar(select(Event).where(Event.kind == "sale").order_by(Event.seq).limit(1))
    factory.event(Kind.CORRECTION, at=ledger_fixture.utc("2026-01-10T10:00:00+01:00"), corrects=sale.seq,
                  note="vente annulée")
    session.commit()
    live = report.kpis(session, scope, params)
    assert live["bottles_sold"] == 5 and live == raw_kpis(session, scope, params)
    rollup.refresh(session)
    assert rollup.check(session) == []
    assert report.kpis(session, scope, params) == live
    for points in ((made.points[1].id,), (made.points[0].id, made.points[2].id), ()):
        scoped = Scope(scope.start, scope.end, points)
        assert report.kpis(session, scoped) == raw_kpis(session, scoped)


def test_check_finds_a_tampered_rollup(app, factory, session):
    ledger_fixture.build(factory, session)
    rollup.refresh(session)
    from reports.models import DailyFlow

    row = session.scalar(select(DailyFlow).where(DailyFlow.to_stage == "sold").limit(1))
    row.quantity += 1
    session.flush()
    problems = rollup.check(session)
    assert problems and "flux" in problems[0]
    session.commit()
    result = app.test_cli_runner().invoke(args=["reports", "check-rollups"])
    assert result.exit_code == 1 and "différence" in result.output


def test_refresh_and_check_commands(app, factory, session):
    ledger_fixture.build(factory, session)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["reports", "refresh-rollups"])
    assert result.exit_code == 0 and "Cumuls quotidiens à jour" in result.output
    result = runner.invoke(args=["reports", "check-rollups"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["reports", "refresh-rollups", "--rebuild"])
    assert result.exit_code == 0
    assert runner.invoke(args=["reports", "check-rollups"]).exit_code == 0


@pytest.mark.skipif(ON_POSTGRES, reason="the bulk generator writes SQLite files")
def test_generated_history_rollup_equals_raw(app, session, db_url):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from jura_history import generate

    session.remove()
    from bottles.db import db

    db.engine.dispose()
    generate(db_url.removeprefix("sqlite:///"), years=2, bottles_per_year=15_000, first_year=2023)
    assert rollup.refresh(session) > 0
    session.commit()
    assert rollup.check(session) == []
    for start, end in (("2023-09-01", "2024-08-31"), ("2024-09-01", "2025-08-31"),
                       ("2024-03-31", "2024-10-27")):  # both DST changes at the edges
        scope = Scope(*phase_bounds(parse_day(start, ""), parse_day(end, "")))
        rolled, raw = report.kpis(session, scope), raw_kpis(session, scope)
        for key in raw:
            if isinstance(raw[key], float):
                assert rolled[key] == pytest.approx(raw[key], rel=1e-9, abs=1e-9), key
            else:
                assert rolled[key] == raw[key], key
        assert raw["bottles_collected"] > 3_000
    # A not day-aligned range falls back to the raw ledger.
    scope = Scope(scope.start + timedelta(hours=5), scope.end)
    assert report.kpis(session, scope) == raw_kpis(session, scope)


def test_check_names_a_wrong_missing_or_extra_lead_time(app, factory, session):
    from reports.models import CrateLead

    ledger_fixture.build(factory, session)
    rollup.refresh(session)
    leads = list(session.scalars(select(CrateLead).order_by(CrateLead.seq)))
    assert len(leads) >= 2
    leads[0].days += 1.0
    session.delete(leads[-1])
    session.add(CrateLead(seq=10**9 if leads[-1].seq < 10**9 else leads[-1].seq + 1,
                          crate_id=leads[0].crate_id, kind="pickup", day=leads[0].day, point_id=0, days=1.0))
    session.flush()
    problems = [p for p in rollup.check(session) if p.startswith("délai")]
    assert len(problems) == 3, problems
    assert f"délai {leads[0].seq}:" in problems[0]
    assert any("cumul None" in p for p in problems) and any("journal None" in p for p in problems)


@pytest.mark.parametrize("now", ["2024-09-17T08:00:00+02:00", "2024-10-16T23:30:00+02:00",
                                 "2024-11-02T10:00:00+01:00", "2025-03-01T00:10:00+01:00"])
def test_rollup_is_exact_for_a_phase_in_progress(app, factory, session, now):
    """A running phase is read to today's Paris midnight: whole months, leftover days and the tail."""
    made = ledger_fixture.build(factory, session)
    rollup.refresh(session)
    # Past the watermark: a late sale on 1 October (in every window but the first) stays in the tail.
    sold = session.scalar(select(Event).where(Event.kind == "sale").order_by(Event.seq).limit(1))
    factory.event(Kind.SALE, at=ledger_fixture.utc("2024-10-01T18:00:00+02:00"), washer=sold.washer_id,
                  moves=[ledger_fixture.Move(ledger_fixture.Stage.CLEAN, ledger_fixture.Stage.SOLD, 3,
                                             model_id=sold.movements[0].bottle_model_id,
                                             unit_price_cents=30,
                                             winemaker_id=sold.movements[0].winemaker_id)])
    session.commit()
    at = ledger_fixture.utc(now)
    per = report.phase_period(made.phase, at)
    scope = report.phase_scope(made.phase, None, at)
    assert per.in_progress and rollup_read.days_of(scope) == (per.first_day, per.until)
    params = effective_params(made.phase.parameters)
    share = fixed_cost_share(per)
    assert report.kpis(session, scope, params, share) == compute(
        queries.aggregates(session, scope)[0], params, False, share)
    _agg, _rows, ledger = rollup_read.aggregates(session, scope)
    assert rollup_read.clean_inflow_by_day(ledger) == queries.clean_inflow_by_day(session, scope.end)
    # A window that does not end on a Paris midnight is read from the raw ledger, exactly.
    odd = Scope(scope.start, at)
    assert rollup_read.days_of(odd) is None
    assert report.kpis(session, odd, params) == raw_kpis(session, odd, params)
