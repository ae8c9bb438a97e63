"""The model view and the pool simulator on the hand-made ledger, worked out by hand
(tests/reports/ledger_fixture.py): Phase 1 covers 365 days; one model BOURG75."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from reports import decide, pool
from reports.pool import PoolError, pallet_fill_date
from tests.reports import ledger_fixture

AFTER = datetime(2026, 1, 1, tzinfo=UTC)  # Phase 1 finished
NEXT_DAY = date(2025, 9, 1)  # projections start the day after the last day


def test_pallet_fill_date_by_hand():
    # 20 in stock, 45 clean bottles in 365 days: (1200 − 20) ÷ (45/365) = 9571.1 → 9572 days.
    assert pallet_fill_date(20, 45, 365, 1200, NEXT_DAY) == NEXT_DAY + timedelta(days=9572)
    # 100 a month (30 days): 200 missing → 60 days.
    assert pallet_fill_date(1000, 100, 30, 1200, NEXT_DAY) == NEXT_DAY + timedelta(days=60)
    assert pallet_fill_date(1200, 0, 30, 1200, NEXT_DAY) == NEXT_DAY  # already a pallet
    assert pallet_fill_date(10, 0, 365, 1200, NEXT_DAY) is None  # never at this pace
    assert pallet_fill_date(10, 5, 0, 1200, NEXT_DAY) is None  # no day covered yet


@pytest.fixture
def made(factory, session):
    return ledger_fixture.build(factory, session)


def test_model_flows_by_hand(made, session):
    flows, today, covered = decide.flows(session, made.phase, AFTER)
    assert today == NEXT_DAY and flows.days == 365
    assert (flows.collected, flows.received, flows.refused) == (75, 66, 16)
    assert flows.refused_by_month == {"2024-09": 16}
    w2 = made.winemakers[1]
    assert flows.label_refused_by_estate == {w2.id: 10}  # the crémant refusals are no label
    [bourg] = [m for m in flows.models.values() if m.code == "BOURG75"]
    assert (bourg.sorted, bourg.accepted, bourg.rejected, bourg.sold,
            bourg.clean_stock) == (50, 45, 5, 25, 20)
    assert bourg.sorted_by_month == {"2024-09": 50}
    [row] = decide.model_rows(flows, 1200, today)
    assert row["fill"] == NEXT_DAY + timedelta(days=9572)
    assert row["pace"] == 3.8  # 45 × 30.4375 / 365 = 3.75 → 3.8 a month


def test_current_pool_reproduces_the_phase_exactly(made, session):
    from reports import report

    flows, today, _ = decide.flows(session, made.phase, AFTER)
    values = report.phase_kpis(session, made.phase, AFTER)
    same = pool.simulate(flows, pool.default_ticks(flows), set(), today)
    assert same.collected == values["bottles_collected"] == 75
    assert same.refused == values["bottles_refused"] == 16
    assert same.washed == values["bottles_washed"] == 50
    assert same.sold == values["bottles_sold"] == 25
    assert same.reuse_rate == pytest.approx(values["collected_to_reused"])
    assert same.unsold_clean == values["clean_stock_end"] == 20
    # The 45 clean bottles came in on 15/09/2024, more than 180 days back: the 20 left are old.
    assert same.unsold_age == {"moins de 30 jours": 0, "30 à 90 jours": 0, "plus de 90 jours": 20}


def test_removing_a_model_and_refusing_labels_at_the_point(made, session):
    flows, today, _ = decide.flows(session, made.phase, AFTER)
    without = pool.simulate(flows, set(), set(), today)
    # BOURG75 left out: its 50 sorted bottles become refusals, nothing washed, sold or in stock.
    assert (without.collected, without.refused, without.refused_out_of_pool) == (75, 66, 50)
    assert (without.washed, without.sold, without.unsold_clean, without.reuse_rate) == (0, 0, 0, 0.0)
    w2 = made.winemakers[1]
    labels = pool.simulate(flows, pool.default_ticks(flows), {w2.id}, today)
    # W2's 10 labelled bottles are no longer collected: 65 collected, 56 received, 6 refused.
    assert (labels.collected, labels.received, labels.refused,
            labels.refused_labels_at_point) == (65, 56, 6, 10)
    assert labels.reuse_rate == pytest.approx(25 / 65)


def test_proposal_refuses_no_model_and_unknown_ids():
    with pytest.raises(PoolError, match="au moins un modèle"):
        pool.proposal(set(), set(), {}, {}, "Phase 1", NEXT_DAY)
    with pytest.raises(PoolError, match="inconnu"):
        pool.parse_ids(["99"], {1, 2}, "Modèle")
    with pytest.raises(PoolError, match="inconnu"):
        pool.parse_ids(["١"], {1}, "Modèle")  # not ASCII digits
    assert pool.parse_ids(["1", " 2 "], {1, 2}, "Modèle") == {1, 2}
    saved = pool.proposal({1}, {7}, {1: "BOURG75"}, {7: "W2"}, "Phase 1", NEXT_DAY)
    assert saved == {"models": ["BOURG75"], "labels_refused_at_point": ["W2"], "from_phase": "Phase 1",
                     "saved_on": "2025-09-01"}
