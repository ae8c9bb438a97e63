"""Matching reservations to clean bottles (docs/indicators.md, "Réservations : demande et offre").

Pure functions, no Flask, no session. First come, first served: reservations are served in the
order they were made; each takes clean stock oldest wash first (FIFO across washers), then the
projected inflow of clean bottles at the model's wash pace, only as far as its wanted-by day.
What neither covers by then is unmet demand: accepted, and said.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta


@dataclass(frozen=True)
class StockLot:
    """Bottles of one wash of one model still in a washer's clean stock."""

    washer_id: int
    washed_at: datetime
    quantity: int


@dataclass(frozen=True)
class Demand:
    """An open reservation, as matching needs it."""

    reservation_id: int
    model_id: int
    quantity: int
    wanted_by: date
    created_at: datetime


@dataclass(frozen=True)
class Take:
    """Part of a reservation covered by one lot of clean stock (what the washer assembles)."""

    washer_id: int
    washed_at: datetime
    quantity: int


@dataclass(frozen=True)
class Cover:
    """How one reservation is covered: from stock now, by projected washes by a day, or not at all."""

    reservation_id: int
    model_id: int
    quantity: int
    from_stock: int
    takes: tuple[Take, ...]
    from_inflow: int
    inflow_ready: date | None  # the day the projected washes complete its inflow part
    unmet: int

    @property
    def state(self) -> str:
        """stock (all ready now), inflow (complete by its ready day), partial or unmet."""
        if self.unmet == 0:
            return "stock" if self.from_inflow == 0 else "inflow"
        return "unmet" if self.unmet == self.quantity else "partial"


def order(demands: Iterable[Demand]) -> list[Demand]:
    """First come, first served: by the time the reservation was made, then by its number."""
    return sorted(demands, key=lambda d: (d.created_at, d.reservation_id))


def match_model(demands: list[Demand], lots: list[StockLot], pace_per_day: float,
                today: date) -> list[Cover]:
    """The covers of one model's reservations (in first-come order) against its clean lots and
    its wash pace (clean bottles a day); `today` is the first day projected washes count from."""
    remaining = [[lot.washer_id, lot.washed_at, lot.quantity]
                 for lot in sorted(lots, key=lambda lot: (lot.washed_at, lot.washer_id)) if lot.quantity > 0]
    promised = 0  # projected bottles already promised to earlier reservations
    covers = []
    for demand in order(demands):
        need = demand.quantity
        takes = []
        for lot in remaining:
            if need == 0:
                break
            taken = min(need, lot[2])
            if taken:
                lot[2] -= taken
                need -= taken
                takes.append(Take(lot[0], lot[1], taken))
        from_inflow, ready = 0, None
        if need and pace_per_day > 0:
            days = max(0, (demand.wanted_by - today).days)
            by_then = math.floor(pace_per_day * days) - promised
            from_inflow = min(need, max(0, by_then))
            if from_inflow:
                promised += from_inflow
                ready = today + timedelta(days=math.ceil(promised / pace_per_day))
        from_stock = demand.quantity - need
        covers.append(Cover(demand.reservation_id, demand.model_id, demand.quantity, from_stock,
                            tuple(takes), from_inflow, ready, need - from_inflow))
    return covers


def match(demands: Iterable[Demand], lots: dict[int, list[StockLot]], pace: dict[int, float],
          today: date) -> dict[int, Cover]:
    """Every open reservation's cover, by reservation id (each model matched on its own)."""
    by_model: dict[int, list[Demand]] = {}
    for demand in demands:
        by_model.setdefault(demand.model_id, []).append(demand)
    covers: dict[int, Cover] = {}
    for model_id, model_demands in by_model.items():
        for cover in match_model(model_demands, lots.get(model_id, []), pace.get(model_id, 0.0), today):
            covers[cover.reservation_id] = cover
    return covers


@dataclass(frozen=True)
class ModelBalance:
    """Demand against supply for one model (the dashboard's row and `flask reports kpis`)."""

    model_id: int
    reserved: int     # bottles of open reservations
    from_stock: int   # of which covered by clean stock now
    from_inflow: int  # of which covered by projected washes by their wanted-by day
    unmet: int        # of which covered by neither
    clean_stock: int  # clean stock held
    free_stock: int   # clean stock no reservation holds


def balances(covers: Iterable[Cover], stock: dict[int, int]) -> dict[int, ModelBalance]:
    """Per model: reserved, covered from stock, by inflow, unmet, and the stock left free."""
    sums: dict[int, list[int]] = {}
    for cover in covers:
        row = sums.setdefault(cover.model_id, [0, 0, 0, 0])
        row[0] += cover.quantity
        row[1] += cover.from_stock
        row[2] += cover.from_inflow
        row[3] += cover.unmet
    out = {}
    for model_id in sorted(set(sums) | {m for m, q in stock.items() if q > 0}):
        reserved, from_stock, from_inflow, unmet = sums.get(model_id, [0, 0, 0, 0])
        held = stock.get(model_id, 0)
        out[model_id] = ModelBalance(model_id, reserved, from_stock, from_inflow, unmet, held,
                                     max(0, held - from_stock))
    return out


def wash_pace(washed: int, days: int) -> float:
    """Clean bottles a day over the window (0 when the window is empty)."""
    return washed / days if days > 0 else 0.0
