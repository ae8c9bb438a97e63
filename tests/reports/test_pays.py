"""Does it pay, does it count: the figures of the hand-made ledger worked out by hand
(tests/reports/ledger_fixture.py: 25 sold, 50 washed, 100 km, 171 € in all, 500 bottles on the
market, 100 € fixed a year, Phase 1 of 365 days), and the pure functions on their own."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from reports import decide, pays
from tests.reports import ledger_fixture

AFTER = datetime(2026, 1, 1, tzinfo=UTC)

EXPECTED = {
    "rotations": 0.05,                         # 25 sold ÷ 500 on the market
    "uses_per_bottle": 1.05,                   # 1 + 0.05
    "crate_cycles_per_crate": 1.0,             # 2 pickups (A, B) ÷ 2 crates
    "cost_per_clean_bottle_sold_eur": 6.84,    # 171 ÷ 25
    "new_bottle_price_eur": 0.8,
    "variable_cost_per_bottle_sold_eur": 2.84,  # (50 × 0.22 + 100 × 0.60) ÷ 25 = 71 ÷ 25
    "break_even_bottles_per_year": None,       # 0.32 € a bottle < 2.84 €: never at these costs
    "bottles_sold_per_year": 25,               # 25 × 365 ÷ 365
    "collection_area_km": None,                # the points have no coordinates
    "verdict_cost": "no",
    "verdict_ademe_uses": "no",
    "verdict_ademe_distance": "unmeasurable",
    "agec_reused_units": 25,
}


def test_pays_figures_by_hand(factory, session):
    made = ledger_fixture.build(factory, session)
    _values, figures, _covered = decide.pays_figures(session, made.phase, AFTER)
    assert figures == EXPECTED


def test_kpis_json_has_the_decision_keys(app, factory, session):
    ledger_fixture.build(factory, session)
    result = app.test_cli_runner().invoke(args=["reports", "kpis", "--phase", "Phase 1", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    for key, expected in EXPECTED.items():
        assert data[key] == expected, key
    assert data["pallet_size"] == 1200
    assert data["models"]["BOURG75"] == {
        "bottles_sorted": 50, "bottles_accepted": 45, "bottles_rejected": 5, "bottles_sold": 25,
        "clean_stock": 20, "clean_per_month": 3.8, "pallet_full_on": "2051-11-16"}


def test_area_span_with_coordinates(factory, session):
    made = ledger_fixture.build(factory, session)
    p1, p2, _p3 = made.points
    p1.latitude, p1.longitude = Decimal("46.0"), Decimal("5.5")
    p2.latitude, p2.longitude = Decimal("47.0"), Decimal("5.5")  # one degree north: 111.2 km
    session.flush()
    figures = decide.pays_figures(session, made.phase, AFTER)[1]
    assert figures["collection_area_km"] == 111.2
    assert figures["verdict_ademe_distance"] == "ok"


def test_pure_functions():
    assert pays.break_even(1000, 0.30, 0.10) == 5000      # 1000 ÷ 0.20
    assert pays.break_even(100, 0.30, 0.30) is None
    assert pays.break_even(100, None, 0.1) is None
    assert pays.distance_km((0, 0), (1, 0)) == pytest.approx(111.195, abs=0.001)
    assert pays.area_span_km([(46.0, 5.5)]) is None
    assert pays.per_year(10, 73, 365) == 50
    assert pays.per_year(10, 0, 365) is None
    assert pays.ademe_uses(None).code == "unmeasurable"
    assert pays.ademe_uses(1.99).code == "no"
    assert pays.ademe_uses(2).code == "partial"
    assert pays.ademe_uses(4).code == "ok"
    assert pays.ademe_distance(600).code == "ok" and pays.ademe_distance(600.1).code == "no"
    assert pays.cost_verdict(0.30, 0.80).code == "ok" and pays.cost_verdict(None, 0.8).code == "unmeasurable"
    assert pays.rotations(25, None) is None and pays.uses_per_bottle(None) is None
