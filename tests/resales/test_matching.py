"""Matching reservations, worked by hand (docs/indicators.md, "Réservations : demande et offre").

Model A: clean lots 300 (washer 1, washed 40 days ago), 500 (washer 2, 10 days ago), 400 (washer 1,
2 days ago) = 1,200; wash pace 20 a day. Model B: no stock, no pace.
  R1 (first) 1,000 A by D+30: 300 + 500 + 200 from stock, oldest first → covered from stock.
  R2 1,200 A by D+50: 200 left in stock; 1,000 more by D+50 at 20 a day → inflow 1,000, ready D+50.
  R3 600 A by D+60: 20 × 60 = 1,200 by then, 1,000 promised → 200 by inflow (ready D+60), 400 unmet.
  R4 100 B: nothing → 100 unmet.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from resales.matching import Demand, StockLot, Take, balances, match, match_model, wash_pace

D = date(2027, 1, 10)
T = datetime(2027, 1, 10, 9, tzinfo=UTC)


def at(days: int) -> datetime:
    return T - timedelta(days=days)


LOTS = {1: [StockLot(1, at(2), 400), StockLot(2, at(10), 500), StockLot(1, at(40), 300)]}
DEMANDS = [Demand(3, 1, 600, D + timedelta(days=60), at(1)),
           Demand(1, 1, 1000, D + timedelta(days=30), at(5)),
           Demand(2, 1, 1200, D + timedelta(days=50), at(3)),
           Demand(4, 2, 100, D + timedelta(days=10), at(4))]


def test_first_come_takes_the_oldest_stock_then_the_projected_washes_then_is_unmet():
    covers = match(DEMANDS, LOTS, {1: 20.0}, D)
    r1, r2, r3, r4 = (covers[i] for i in (1, 2, 3, 4))
    assert (r1.from_stock, r1.from_inflow, r1.unmet, r1.state) == (1000, 0, 0, "stock")
    assert r1.takes == (Take(1, at(40), 300), Take(2, at(10), 500), Take(1, at(2), 200))
    assert (r2.from_stock, r2.from_inflow, r2.unmet, r2.state) == (200, 1000, 0, "inflow")
    assert r2.takes == (Take(1, at(2), 200),) and r2.inflow_ready == D + timedelta(days=50)
    assert (r3.from_stock, r3.from_inflow, r3.unmet, r3.state) == (0, 200, 400, "partial")
    assert r3.inflow_ready == D + timedelta(days=60)
    assert (r4.from_stock, r4.from_inflow, r4.unmet, r4.state, r4.inflow_ready) == (0, 0, 100, "unmet", None)


def test_the_order_is_when_reserved_not_the_list_order_nor_the_wanted_day():
    late_first = [Demand(9, 1, 500, D + timedelta(days=365), at(9)),
                  Demand(8, 1, 500, D + timedelta(days=1), at(1))]
    first, second = match_model(late_first, [StockLot(1, at(3), 500)], 0.0, D)
    assert (first.reservation_id, first.from_stock, second.from_stock, second.unmet) == (9, 500, 0, 500)


def test_a_day_already_past_gets_stock_only_and_a_zero_pace_projects_nothing():
    past = Demand(1, 1, 50, D - timedelta(days=3), at(9))
    (cover,) = match_model([past], [StockLot(1, at(3), 20)], 100.0, D)
    assert (cover.from_stock, cover.from_inflow, cover.unmet) == (20, 0, 30)
    (cover,) = match_model([Demand(1, 1, 50, D + timedelta(days=99), at(9))], [], 0.0, D)
    assert (cover.from_inflow, cover.unmet) == (0, 50)


def test_balances_per_model_and_the_stock_left_free():
    covers = match(DEMANDS, LOTS, {1: 20.0}, D).values()
    rows = balances(covers, {1: 1200, 2: 0, 3: 70})
    a, b, c = rows[1], rows[2], rows[3]
    assert (a.reserved, a.from_stock, a.from_inflow, a.unmet, a.clean_stock, a.free_stock) == \
        (2800, 1200, 1200, 400, 1200, 0)
    assert (b.reserved, b.unmet, b.free_stock) == (100, 100, 0)
    assert (c.reserved, c.clean_stock, c.free_stock) == (0, 70, 70)  # unreserved stock: all free


def test_wash_pace():
    assert wash_pace(900, 90) == 10.0 and wash_pace(5, 0) == 0.0
