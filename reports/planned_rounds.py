"""Planned against driven rounds (docs/indicators.md, "Tournées prévues et parcourues"): per day with
a planned round, the planned km beside the km the driver closed the round with, and the cost of the
km per bottle collected. Pure functions; the SQL is in `reports.planned_round_queries`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class PlannedDay:
    """A day's latest planned round and the rounds driven that day (the plan's driver, or any)."""

    day: date
    driver: str
    planned_km: float
    planned_bottles: int
    planned_stops: int
    rounds: int  # rounds driven that day (closed or not)
    closed: int  # of which closed with their km
    driven_km: float | None  # sum of the closed rounds' km; None when none closed
    collected: int  # bottles picked up on the closed ones (those whose km count)


def km_gap(planned_km: float, driven_km: float | None) -> float | None:
    """Driven km − planned km (positive: the driver drove more than planned), to 0.1 km."""
    return None if driven_km is None else round(driven_km - planned_km, 1)


def km_gap_share(planned_km: float, driven_km: float | None) -> float | None:
    """(driven km − planned km) ÷ planned km; None without a driven figure or with a 0 km plan."""
    if driven_km is None or planned_km <= 0:
        return None
    return (driven_km - planned_km) / planned_km


def cost_per_bottle(km: float | None, cost_per_km: float | None, bottles: int) -> float | None:
    """km × cost per km ÷ bottles collected, to the tenth of a cent; None without km or bottles."""
    if km is None or cost_per_km is None or bottles <= 0:
        return None
    return round(km * cost_per_km / bottles, 3)


@dataclass(frozen=True)
class Totals:
    """The phase's days with a plan and a closed round: km both ways and the cost per bottle."""

    days: int
    planned_km: float
    driven_km: float
    planned_bottles: int
    collected: int
    gap_share: float | None
    planned_cost_per_bottle: float | None
    driven_cost_per_bottle: float | None


def totals(days: list[PlannedDay], cost_per_km: float | None) -> Totals:
    """Sums over the days that have both a plan and a closed round (the only ones comparable)."""
    both = [d for d in days if d.driven_km is not None]
    planned = round(sum(d.planned_km for d in both), 1)
    driven = round(sum(d.driven_km or 0 for d in both), 1)
    planned_bottles = sum(d.planned_bottles for d in both)
    collected = sum(d.collected for d in both)
    return Totals(len(both), planned, driven, planned_bottles, collected,
                  km_gap_share(planned, driven) if both else None,
                  cost_per_bottle(planned if both else None, cost_per_km, planned_bottles),
                  cost_per_bottle(driven if both else None, cost_per_km, collected))
