"""Reads for planning a round (docs/rounds.md): points' fill pace, their coordinates, the imported
matrix, the planned rounds. SQL aggregates, no query per row; `queries.point_needs` for full crates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bottles.models import CollectionPoint, Crate, Event, Movement, Setting, Washer
from bottles.rules import PARIS, CrateState, Kind, Stage
from collection_points import queries, routing
from collection_points.models import RoundPlan, RouteDistance, WasherLocation
from collection_points.rules import is_late

VAN_CAPACITY_SETTING = "van_capacity_crates"
DEFAULT_VAN_CAPACITY = 24


@dataclass(frozen=True)
class Candidate:
    """A point that may be visited on the day: what it holds and where it is (None when unknown)."""

    point: CollectionPoint
    visit: routing.Visit
    waiting_since: datetime | None


def _aware(value) -> datetime | None:
    return queries._aware(value)


def fill_paces(session: Session, since: datetime) -> dict[int, tuple[int, int, datetime | None]]:
    """Per point: crates declared full since `since`, their bottles, and the last declaration."""
    bottles = (select(Movement.event_seq.label("seq"), func.sum(Movement.quantity).label("q"))
               .where(Movement.to_stage == Stage.AT_POINT.value).group_by(Movement.event_seq).subquery())
    rows = session.execute(
        select(Event.collection_point_id, func.count(Event.seq), func.coalesce(func.sum(bottles.c.q), 0),
               func.max(Event.occurred_at))
        .outerjoin(bottles, bottles.c.seq == Event.seq)
        .where(Event.kind == Kind.CRATE_FULL.value, Event.occurred_at >= since,
               Event.collection_point_id.is_not(None))
        .group_by(Event.collection_point_id)).all()
    return {pid: (int(n), int(q or 0), _aware(last)) for pid, n, q, last in rows}


def empty_crates(session: Session) -> dict[int, tuple[int, datetime | None]]:
    """Per point: crates placed and not yet full, and when the oldest was placed."""
    rows = session.execute(
        select(Crate.collection_point_id, func.count(Crate.id), func.min(Crate.state_since))
        .where(Crate.state == CrateState.AT_POINT.value, Crate.collection_point_id.is_not(None))
        .group_by(Crate.collection_point_id)).all()
    return {pid: (int(n), _aware(oldest)) for pid, n, oldest in rows}


def candidates(session: Session, day: date, now: datetime) -> list[Candidate]:
    """Points in service on `day` with full crates or crates nearly full by their pace, in the
    driver's priority order (full crates waiting longest first, then nearly full by projection)."""
    needs = queries.point_needs(session, day=day)
    paces = fill_paces(session, now - timedelta(days=routing.PACE_WINDOW_DAYS))
    empties = empty_crates(session)
    day_end = datetime.combine(day + timedelta(days=1), time(0), PARIS)
    found: list[tuple[tuple, Candidate]] = []
    wanted: dict[int, tuple] = {}
    for pid, need in needs.items():
        filled, filled_bottles, last_full = paces.get(pid, (0, 0, None))
        empty, oldest_placed = empties.get(pid, (0, None))
        start = max((t for t in (last_full, oldest_placed) if t is not None), default=None)
        filling = (day_end - start).total_seconds() / 86400 if start else 0.0
        nearly = routing.nearly_full_crates(filled, routing.PACE_WINDOW_DAYS, filling, empty)
        if not need.full_crates and not nearly:
            continue
        per_crate = round(filled_bottles / filled) if filled else 0
        wanted[pid] = (need, nearly, per_crate, filling)
    if not wanted:
        return []
    points = {p.id: p for p in session.scalars(select(CollectionPoint).where(CollectionPoint.id.in_(wanted)))}
    for pid, (need, nearly, per_crate, filling) in wanted.items():
        point = points[pid]
        visit = routing.Visit(pid, point.code.upper(), need.full_crates, nearly, need.bottles,
                              nearly * per_crate, is_late(need.oldest_full, now))
        key = (0, need.oldest_full) if need.full_crates else (1, -filling, point.name)
        found.append((key, Candidate(point, visit, need.oldest_full)))
    found.sort(key=lambda pair: pair[0])
    return [candidate for _key, candidate in found]


def washer_places(session: Session) -> list[tuple[Washer, WasherLocation | None]]:
    """Active washers with their coordinates when known."""
    rows = session.execute(select(Washer, WasherLocation).outerjoin(
        WasherLocation, WasherLocation.washer_id == Washer.id).where(Washer.active.is_(True))
        .order_by(Washer.name)).all()
    return [(washer, location) for washer, location in rows]


def van_capacity_default(session: Session) -> int:
    """The van's capacity offered on the form: the setting, else the last plan's, else 24 crates."""
    raw = session.get(Setting, VAN_CAPACITY_SETTING)
    if raw is not None and raw.value.strip().isdigit() and 0 < int(raw.value) <= routing.MAX_VAN_CRATES:
        return int(raw.value)
    last = session.scalar(select(RoundPlan.van_capacity).order_by(RoundPlan.id.desc()).limit(1))
    return int(last) if last else DEFAULT_VAN_CAPACITY


def imported_matrix(session: Session) -> tuple[routing.Matrix | None, datetime | None]:
    """The matrix last imported from a routing tool, and when, or (None, None)."""
    rows = session.execute(select(RouteDistance.from_code, RouteDistance.to_code, RouteDistance.km,
                                  RouteDistance.imported_at)).all()
    if not rows:
        return None, None
    codes = sorted({r[0] for r in rows} | {r[1] for r in rows})
    position = {code: i for i, code in enumerate(codes)}
    km = [[0.0] * len(codes) for _ in codes]
    for a, b, value, _at in rows:
        km[position[a]][position[b]] = float(value)
    at = max(_aware(r[3]) for r in rows)
    return routing.Matrix(tuple(codes), tuple(tuple(r) for r in km), routing.SPEED_KMH, "csv"), at


def latest_plan(session: Session, day: date, driver_id: int | None = None) -> RoundPlan | None:
    """The day's planned round (the last saved), for this driver or for any driver."""
    query = select(RoundPlan).where(RoundPlan.round_date == day)
    if driver_id is not None:
        query = query.where(or_(RoundPlan.driver_id.is_(None), RoundPlan.driver_id == driver_id))
    return session.scalar(query.order_by(RoundPlan.id.desc()).limit(1))


def points_by_id(session: Session, ids: set[int]) -> dict[int, CollectionPoint]:
    if not ids:
        return {}
    return {p.id: p for p in session.scalars(select(CollectionPoint).where(CollectionPoint.id.in_(ids)))}


def as_float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def place_codes(session: Session) -> set[str]:
    """Codes of every collection point and washer: the places a matrix may name."""
    points = session.scalars(select(CollectionPoint.code))
    washers = session.scalars(select(Washer.code))
    return {*points, *washers}
