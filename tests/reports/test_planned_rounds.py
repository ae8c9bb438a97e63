"""Planned against driven rounds (docs/indicators.md, "Tournées prévues et parcourues"), worked out
by hand on a small ledger: the latest plan of a day counts, the plan's driver's closed rounds only,
the km cost per bottle; the page and `flask reports kpis --json` show the same figures."""

from __future__ import annotations

import html
import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from bottles.models import Round
from bottles.rules import Kind, Move, Stage
from collection_points.models import RoundPlan, RoundPlanStop
from reports import planned_round_queries, planned_rounds
from reports.operations import PhaseInput, save_phase
from tests.factories import login

D, E = date(2026, 3, 3), date(2026, 3, 10)


def test_pure_figures():
    assert planned_rounds.km_gap(76.5, 84.0) == 7.5
    assert planned_rounds.km_gap(76.5, None) is None
    assert planned_rounds.km_gap_share(76.5, 84.0) == pytest.approx(7.5 / 76.5)
    assert planned_rounds.km_gap_share(0, 12.0) is None
    assert planned_rounds.cost_per_bottle(84.0, 0.6, 80) == 0.63
    assert planned_rounds.cost_per_bottle(84.0, 0.6, 0) is None
    assert planned_rounds.cost_per_bottle(None, 0.6, 80) is None


def plan(session, day, km, bottles, driver, washer, point, at):
    row = RoundPlan(round_date=day, driver_id=driver.id if driver else None, washer_id=washer.id,
                    van_capacity=20, matrix_source="coordinates", km=Decimal(km), minutes=120, crates=3,
                    bottles=bottles, created_at=at, stops=[RoundPlanStop(
                        position=1, collection_point_id=point.id, full_crates=3, nearly_full=0,
                        bottles=bottles, leg_km=Decimal("10"), leg_minutes=Decimal("13"))])
    session.add(row)
    return row


@pytest.fixture
def ledger(factory, session):
    washer, point = factory.washer(), factory.point()
    driver, other = factory.user("driver"), factory.user("driver")
    at = datetime(2026, 3, 2, 18, tzinfo=UTC)
    plan(session, D, "99.0", 100, driver, washer, point, at)  # superseded by the next one
    plan(session, D, "76.5", 160, driver, washer, point, at.replace(hour=19))
    plan(session, E, "40.0", 90, None, washer, point, at)  # no round driven that day
    mine = Round(code="T-D-1", driver_id=driver.id, round_date=D, washer_id=washer.id, closed=True,
                 km=Decimal("84.0"), hours=Decimal("5"))
    theirs = Round(code="T-D-2", driver_id=other.id, round_date=D, washer_id=washer.id, closed=True,
                   km=Decimal("20.0"), hours=Decimal("1"))
    session.add_all([mine, theirs])
    session.flush()
    for count, the_round in ((50, mine), (30, mine), (45, theirs)):
        crate = factory.full_crate_at(point, count=count, washer=washer, at=datetime(2026, 2, 20, tzinfo=UTC))
        factory.event(Kind.PICKUP, at=datetime(2026, 3, 3, 10, tzinfo=UTC), crate=crate, point=point.id,
                      round_id=the_round.id, moves=[Move(Stage.AT_POINT, Stage.IN_TRANSIT, count)])
    phase = save_phase(session, PhaseInput(name="Printemps", start="2026-03-01", end="2026-03-31",
                                           params={"cost_per_km_eur": "0.60"}, sources={}, targets={}))
    session.commit()
    return dict(phase=phase, driver=driver)


def test_planned_days_by_hand(session, ledger):
    days = planned_round_queries.planned_days(session, date(2026, 3, 1), date(2026, 3, 31))
    assert [(d.day, d.planned_km, d.planned_bottles, d.rounds, d.closed, d.driven_km, d.collected)
            for d in days] == [(D, 76.5, 160, 1, 1, 84.0, 80),  # the latest plan; the other driver's left out
                               (E, 40.0, 90, 0, 0, None, 0)]
    done = planned_rounds.totals(days, 0.6)
    assert (done.days, done.planned_km, done.driven_km, done.planned_bottles, done.collected) == (
        1, 76.5, 84.0, 160, 80)
    assert done.gap_share == pytest.approx(7.5 / 76.5)
    assert done.planned_cost_per_bottle == 0.287  # 76.5 × 0.60 ÷ 160 = 0.286875
    assert done.driven_cost_per_bottle == 0.63    # 84 × 0.60 ÷ 80


def test_the_page_and_the_json_say_the_same(app, client, session, ledger, factory):
    coordinator = factory.user("coordinator")
    session.commit()
    login(client, coordinator)
    page = html.unescape(client.get(f"/phases/{ledger['phase'].id}/tournees").get_data(as_text=True))
    assert "76,5" in page and "84,0" in page and "+7,5" in page and "0,630 €" in page and "0,287 €" in page
    assert "pas de tournée" in page and "10 %" in page
    out = app.test_cli_runner().invoke(args=["reports", "kpis", "--phase", "Printemps", "--json"]).output
    figures = json.loads(out[out.index("{"):])
    assert {key: figures[key] for key in ("planned_round_days", "planned_rounds_compared", "planned_km",
                                          "driven_km_of_planned_days", "planned_km_gap_share",
                                          "planned_km_cost_per_bottle_eur",
                                          "driven_km_cost_per_bottle_eur")} == {
        "planned_round_days": 2, "planned_rounds_compared": 1, "planned_km": 76.5,
        "driven_km_of_planned_days": 84.0, "planned_km_gap_share": 0.098,
        "planned_km_cost_per_bottle_eur": 0.287, "driven_km_cost_per_bottle_eur": 0.63}
