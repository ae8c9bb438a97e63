"""Indicators of a hand-made ledger, worked out by hand, through the functions and the command."""

from __future__ import annotations

import json

import pytest

from bottles.db import db
from reports import report
from reports.french import fmt_cell, fmt_value
from reports.indicators import INDICATORS, funnel, stock_age
from reports.period import phase_bounds
from reports.queries import Scope
from reports.summary import summary, summary_text
from tests.reports import ledger_fixture
from tests.reports.ledger_fixture import EXPECTED


def test_handmade_ledger_matches_hand_computation(factory, session):
    made = ledger_fixture.build(factory, session)
    values = report.phase_kpis(session, made.phase)
    assert set(EXPECTED) == {i.key for i in INDICATORS}
    for key, expected in EXPECTED.items():
        if isinstance(expected, float):
            assert values[key] == pytest.approx(expected, abs=1e-9), key
        else:
            assert values[key] == expected, key


def test_kpis_command_prints_exactly_the_keys(app, factory, session):
    ledger_fixture.build(factory, session)
    result = app.test_cli_runner().invoke(args=["reports", "kpis", "--phase", "Phase 1", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(EXPECTED) <= set(data)
    assert data["bottles_sold"] == 25 and data["revenue_eur"] == 8.0
    text = app.test_cli_runner().invoke(args=["reports", "kpis", "--phase", "Phase 1"])
    assert "Rendement global" in text.output and "33 %" in text.output


def test_kpis_command_for_a_territory(app, factory, session):
    ledger_fixture.build(factory, session)
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["reports", "kpis", "--phase", "Phase 1", "--territory", "Revermont", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["bottles_collected"] == 75 and data["bottles_sold"] is None
    result = runner.invoke(args=["reports", "kpis", "--phase", "Phase 1", "--point", "NOPE"])
    assert result.exit_code != 0 and "Aucun point" in result.output


def test_unknown_phase_is_refused(app):
    result = app.test_cli_runner().invoke(args=["reports", "kpis", "--phase", "Nope", "--json"])
    assert result.exit_code != 0
    assert "Phase inconnue" in result.output


def test_scope_by_points_keeps_point_level_only(factory, session):
    made = ledger_fixture.build(factory, session)
    start, end = phase_bounds(made.phase.start_date, made.phase.end_date)
    only_p2 = report.kpis(session, Scope(start, end, (made.points[1].id,)))
    assert only_p2["bottles_collected"] == 45
    assert only_p2["bottles_received"] == 47
    assert only_p2["active_collection_points"] == 1
    assert only_p2["bottles_sold"] is None and only_p2["wash_yield"] is None


def test_any_date_range(factory, session):
    ledger_fixture.build(factory, session)
    start, _ = phase_bounds(*(2 * [ledger_fixture.utc("2025-08-31T12:00:00+00:00").date()]))
    values = report.kpis(session, Scope(start, ledger_fixture.utc("2025-09-02T00:00:00+02:00")))
    assert values["bottles_sold"] == 12  # 5 at 23:30 on 31/08 + 7 at 00:00 on 1/09
    assert values["bottles_collected"] == 0 and values["collected_to_reused"] is None
    assert values["clean_stock_end"] == 13


def test_empty_ledger_gives_nulls_not_errors(factory, session):
    values = report.kpis(session, Scope(*phase_bounds(
        ledger_fixture.utc("2030-01-01T12:00:00+00:00").date(),
        ledger_fixture.utc("2030-12-31T12:00:00+00:00").date())))
    assert values["bottles_collected"] == 0
    for key in ("eligible_share", "wash_yield", "sell_through", "collected_to_reused", "return_rate",
                "avg_crate_fill", "median_days_full_to_pickup", "avg_resale_price_eur",
                "cost_per_clean_bottle_eur"):
        assert values[key] is None, key
    db.session.rollback()


def test_summary_says_what_improved_and_what_got_worse():
    before = {"collected_to_reused": 0.36, "bottles_received": 1000, "bottles_picked_up": 1000,
              "transit_loss": 10, "refused_by_reason": {"etiquette_permanente": 200}}
    after = {"collected_to_reused": 0.52, "bottles_received": 2000, "bottles_picked_up": 2000,
             "transit_loss": 40, "refused_by_reason": {"etiquette_permanente": 240}}
    parts = summary(before, after, {"etiquette_permanente": "Étiquette permanente"})
    assert "le rendement global passe de 36 % à 52 %" in parts["better"]
    # 20 % of received bottles → 12 %: a 40 % drop even though the count grew.
    assert "les écarts pour étiquette permanente baissent de 40 %" in parts["better"]
    assert "les pertes en transport (par bouteille enlevée) augmentent de 100 %" in parts["worse"]
    assert summary_text(parts).startswith("Progrès : le rendement global passe de 36 % à 52 %")


def test_phase_bounds_are_paris_midnights():
    from datetime import date

    start, end = phase_bounds(date(2024, 9, 1), date(2025, 8, 31))
    assert start.isoformat() == "2024-08-31T22:00:00+00:00"
    assert end.isoformat() == "2025-08-31T22:00:00+00:00"
    winter_start, _ = phase_bounds(date(2025, 1, 1), date(2025, 1, 31))
    assert winter_start.isoformat() == "2024-12-31T23:00:00+00:00"


def test_stock_age_is_first_in_first_out():
    from datetime import date

    inflow = [(date(2025, 1, 1), 100), (date(2025, 3, 1), 50), (date(2025, 3, 25), 30)]
    assert stock_age(60, inflow, date(2025, 3, 31)) == {
        "moins de 30 jours": 30, "30 à 90 jours": 30, "plus de 90 jours": 0}


def test_funnel_drops_and_french_formats():
    steps = funnel({"bottles_collected": 100, "bottles_picked_up": 90, "bottles_received": 88,
                          "bottles_sorted": 50, "bottles_accepted": 45, "bottles_sold": 40})
    assert [s["drop"] for s in steps] == [0, 10, 2, 38, 5, 5]
    assert steps[3]["drop_label"] == "Écartées au tri" and steps[-1]["share"] == 0.4
    assert fmt_value("ratio", 0.364) == "36 %"
    assert fmt_value("eur", 1234.5) == "1\u202f234,50 €"
    assert fmt_value("count", None) == "—"
    assert fmt_cell(0.5, "Part") == "50 %" and fmt_cell(12.5, "Montant (€)") == "12,50"
