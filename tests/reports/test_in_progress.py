"""A phase in progress is judged as in progress (issue 8, point 4), with a fixed "now"."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from reports import report
from reports.indicators import BY_KEY, Aggregates, compute, label
from reports.period import compare_days, fixed_cost_share, period
from reports.phase_input import PARAMS, PhaseError, effective_params, parse_param, parse_target
from reports.summary import summary, verdict
from reports.targets import target_status
from tests.reports import ledger_fixture


def paris(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# ---------------------------------------------------------------- pure rules


def test_period_of_a_phase_in_progress_runs_to_today_paris_midnight():
    p = period(date(2026, 9, 1), date(2027, 8, 31), paris("2026-11-30T10:00:00+01:00"))
    assert p.status == "in_progress" and p.in_progress
    assert p.until == date(2026, 11, 29)        # figures run to today's 00:00, Paris
    assert p.elapsed_days == 90                 # 30 (sept.) + 31 (oct.) + 29 (nov.)
    assert p.phase_days == 365 and p.remaining_days == 275
    # Just after midnight Paris (still the 29th in UTC): today is the 30th in Paris.
    assert period(date(2026, 9, 1), date(2027, 8, 31),
                        paris("2026-11-30T00:30:00+01:00")).until == date(2026, 11, 29)


def test_period_finished_and_not_started():
    done = period(date(2024, 9, 1), date(2025, 8, 31), paris("2025-09-01T00:00:00+02:00"))
    assert done.status == "finished" and done.until == date(2025, 8, 31) and done.elapsed_days == 365
    ahead = period(date(2027, 1, 1), date(2027, 12, 31), paris("2026-11-30T10:00:00+01:00"))
    assert ahead.status == "not_started" and ahead.elapsed_days == 0
    today = period(date(2026, 11, 30), date(2027, 11, 29), paris("2026-11-30T10:00:00+01:00"))
    assert today.status == "in_progress" and today.elapsed_days == 0


def test_fixed_costs_are_a_yearly_amount_prorated_to_the_days_covered():
    now = paris("2026-11-30T10:00:00+01:00")
    assert fixed_cost_share(period(date(2026, 9, 1), date(2027, 8, 31), now)) \
        == pytest.approx(90 / 365)
    # A finished phase of exactly a year is charged the full year, leap day or not.
    assert fixed_cost_share(period(date(2024, 9, 1), date(2025, 8, 31), now)) == 1
    assert fixed_cost_share(period(date(2023, 9, 1), date(2024, 8, 31), now)) == 1
    # A finished phase of six months gets its length's share.
    assert fixed_cost_share(period(date(2025, 1, 1), date(2025, 6, 30), now)) \
        == pytest.approx(181 / 365)
    assert PARAMS["fixed_costs_eur"].unit == "€/an"


def test_indicators_charge_the_fixed_costs_share():
    agg = Aggregates(pairs={("sorted", "clean"): 100}, round_km=10)
    params = {**effective_params({}), "fixed_costs_eur": 36500.0}
    values = compute(agg, params, fixed_share=90 / 365)
    assert values["cost_total_eur"] == 22.0 + 6.0 + 9000.0    # 100 × 0,22 + 10 × 0,60 + 36 500 × 90/365
    assert compute(agg, params)["cost_total_eur"] == 36528.0


def test_a_yearly_count_target_in_progress_shows_the_pace_needed():
    p = period(date(2026, 9, 1), date(2027, 8, 31), paris("2026-11-30T10:00:00+01:00"))
    state = target_status(BY_KEY["bottles_collected"], 10_000, 50_000, p)
    assert state.state == "behind" and state.mark == "en retard"
    assert state.expected == pytest.approx(50_000 * 90 / 365)   # 12 328,8 by now at an even pace
    # 40 000 left over 275 days = 9,03 months of 30,44 days → 4 427,3 a month, rounded up.
    assert state.per_month == 4428
    assert "4 428 par mois" in state.text.replace("\u202f", " ")
    ahead = target_status(BY_KEY["bottles_collected"], 13_000, 50_000, p)
    assert ahead.state == "ahead" and ahead.mark == "en avance"
    # Lower is better (losses): on track while under the pro-rata budget.
    loss = target_status(BY_KEY["transit_loss"], 100, 1000, p)
    assert loss.state == "ahead"


def test_ratio_targets_are_compared_as_is_and_finished_phases_get_met_or_missed():
    p = period(date(2026, 9, 1), date(2027, 8, 31), paris("2026-11-30T10:00:00+01:00"))
    assert target_status(BY_KEY["wash_yield"], 0.96, 0.95, p).state == "met"
    assert target_status(BY_KEY["wash_yield"], 0.90, 0.95, p).state == "missed"
    done = period(date(2024, 9, 1), date(2025, 8, 31), paris("2026-11-30T10:00:00+01:00"))
    assert target_status(BY_KEY["bottles_collected"], 10_000, 50_000, done).state == "missed"
    assert target_status(BY_KEY["bottles_collected"], 10_000, None, done) is None


def test_unchanged_values_are_neither_progress_nor_setback():
    before = {"wash_yield": 0.951, "eligible_share": 0.7, "bottles_collected": 1000,
              "median_days_full_to_pickup": 2.02}
    after = {"wash_yield": 0.949, "eligible_share": 0.7, "bottles_collected": 1001,
             "median_days_full_to_pickup": 2.04}
    parts = summary(before, after, {})
    assert parts == {"better": [], "worse": [], "other": []}
    assert verdict(BY_KEY["wash_yield"], 0.951, 0.949) == 0   # both shown 95 %
    assert verdict(BY_KEY["wash_yield"], 0.90, 0.95) == 1


def test_comparison_window_is_the_shortest_elapsed_period_when_one_phase_runs():
    now = paris("2026-11-30T10:00:00+01:00")
    done = period(date(2025, 9, 1), date(2026, 8, 31), now)
    running = period(date(2026, 9, 1), date(2027, 8, 31), now)
    assert compare_days([done, running]) == 90
    assert compare_days([done, done]) is None       # finished phases: compared whole


def test_parameter_range_messages_use_french_numbers():
    with pytest.raises(PhaseError) as error:
        parse_param("fixed_costs_eur", "20000000")
    assert "1e+07" not in str(error.value) and "10\u202f000\u202f000" in str(error.value)
    with pytest.raises(PhaseError) as error:
        parse_target("bottles_collected", "2000000000")
    assert "1e+09" not in str(error.value)


# ---------------------------------------------------------------- the report, with a fixed now


NOW_IN_PHASE_1 = paris("2024-10-01T15:00:00+02:00")   # figures run to 30 September 2024 included


def test_report_of_a_phase_in_progress(factory, session):
    made = ledger_fixture.build(factory, session)
    rep = report.build(session, made.phase, now=NOW_IN_PHASE_1)
    assert rep.period.in_progress and rep.period.until == date(2024, 9, 30)
    v = rep.values
    # Worked out by hand from ledger_fixture's events up to 30 September 2024 included.
    assert v["bottles_collected"] == 45          # B; D's crate is declared full in November
    assert v["bottles_picked_up"] == 65 and v["bottles_received"] == 66
    assert v["bottles_accepted"] == 45 and v["bottles_sold"] == 0   # first sale on 1 October
    assert v["clean_stock_end"] == 45            # stock at 1 October 00:00, not at the phase's end
    assert v["cost_total_eur"] == 79.22          # 50 × 0,22 + 100 km × 0,60 + 100 € × 30/365
    # The 45 clean bottles were washed on 15 September: 16 days old today, not "over 90 days".
    assert rep.stock_age == {"moins de 30 jours": 45, "30 à 90 jours": 0, "plus de 90 jours": 0}
    assert label("clean_stock_end", rep.period) == "Stock propre à ce jour"
    # The same phase once finished: unchanged figures (EXPECTED), full year of fixed costs.
    done = report.build(session, made.phase, now=paris("2026-01-01T12:00:00+01:00"))
    assert not done.period.in_progress and done.values["cost_total_eur"] == 171.0
    assert label("clean_stock_end", done.period) == "Stock propre en fin de phase"


def test_kpis_command_says_the_phase_is_in_progress(app, factory, session, monkeypatch):
    made = ledger_fixture.build(factory, session)
    import json

    from reports import cli

    monkeypatch.setattr(cli, "_now", lambda: NOW_IN_PHASE_1)
    result = app.test_cli_runner().invoke(args=["reports", "kpis", "--phase", "Phase 1", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["phase_status"] == "in_progress" and data["figures_until"] == "2024-09-30"
    assert data["elapsed_days"] == 30 and data["phase_days"] == 365
    assert data["bottles_collected"] == 45
    text = app.test_cli_runner().invoke(args=["reports", "kpis", "--phase", "Phase 1"]).output
    assert "Phase en cours" in text and "30 septembre 2024" in text
    assert made.phase.name == "Phase 1"
