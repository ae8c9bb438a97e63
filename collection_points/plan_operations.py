"""Writes of round planning (docs/rounds.md): a washer's coordinates, the imported distance matrix,
a day's planned round. Reference data, not the ledger: they take the actor and the time, flush,
never commit."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import delete
from sqlalchemy.orm import Session

from bottles.models import User
from collection_points import routing
from collection_points.models import RoundPlan, RoundPlanStop, RouteDistance, WasherLocation


def set_washer_location(session: Session, *, washer_id: int, latitude: Decimal, longitude: Decimal,
                        actor: User, at: datetime) -> WasherLocation:
    """Where the washer is: the start and end of its rounds."""
    location = session.get(WasherLocation, washer_id) or WasherLocation(washer_id=washer_id)
    location.latitude, location.longitude = latitude, longitude
    location.updated_by_id, location.updated_at = actor.id, at
    session.add(location)
    session.flush()
    return location


def replace_matrix(session: Session, *, matrix: routing.Matrix, actor: User, at: datetime) -> int:
    """The imported matrix replaces the previous one whole; the cells stored (diagonal left out)."""
    session.execute(delete(RouteDistance))
    cells = [RouteDistance(from_code=a, to_code=b, km=Decimal(str(round(matrix.km[i][j], 3))),
                           imported_by_id=actor.id, imported_at=at)
             for i, a in enumerate(matrix.codes) for j, b in enumerate(matrix.codes) if i != j]
    session.add_all(cells)
    session.flush()
    return len(cells)


def clear_matrix(session: Session) -> None:
    """Back to distances computed from coordinates."""
    session.execute(delete(RouteDistance))
    session.flush()


def save_plan(session: Session, *, day: date, driver_id: int | None, washer_id: int, capacity: int,
              plan: routing.Plan, source: str, road_factor: float | None, actor: User,
              at: datetime) -> RoundPlan:
    """The day's planned round, its stops in order; the latest saved for a day is the one shown."""
    row = RoundPlan(round_date=day, driver_id=driver_id, washer_id=washer_id, van_capacity=capacity,
                    matrix_source=source,
                    road_factor=None if road_factor is None else Decimal(str(round(road_factor, 2))),
                    km=Decimal(str(plan.km)), minutes=plan.minutes, crates=plan.crates,
                    bottles=plan.bottles, created_by_id=actor.id, created_at=at)
    row.stops = [RoundPlanStop(position=n, collection_point_id=stop.visit.point_id,
                               full_crates=stop.visit.full_crates, nearly_full=stop.visit.nearly_full,
                               bottles=stop.visit.bottles + stop.visit.nearly_bottles,
                               leg_km=Decimal(str(round(stop.leg_km, 2))),
                               leg_minutes=Decimal(str(round(stop.leg_minutes, 1))))
                 for n, stop in enumerate(plan.stops, start=1)]
    session.add(row)
    session.flush()
    return row


def demo_washer_location(session: Session) -> None:
    """After the demo import: its washer's coordinates from the demo catalogue, unless already set."""
    from sqlalchemy import select

    from bottles.demo.catalogue import WASHER
    from bottles.models import Washer

    code, _name, _address, latitude, longitude = WASHER
    washer_id = session.scalar(select(Washer.id).where(Washer.code == code))
    if washer_id is not None and session.get(WasherLocation, washer_id) is None:
        session.add(WasherLocation(washer_id=washer_id, latitude=latitude, longitude=longitude))
        session.flush()

