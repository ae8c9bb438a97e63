"""Reads for points and rounds, aggregated in SQL (no query per row)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from bottles.models import CollectionPoint, Crate, Event, Movement, Round, StockLevel, User
from bottles.rules import CrateState, Kind, Stage
from collection_points.models import PickupAssignment
from collection_points.rules import PointNeed


def in_service(day: date) -> ColumnElement[bool]:
    """SQL: the point is active, already open and not yet ended on `day` (rules.point_in_service)."""
    return and_(CollectionPoint.active.is_(True),
                or_(CollectionPoint.active_from.is_(None), CollectionPoint.active_from <= day),
                or_(CollectionPoint.active_until.is_(None), CollectionPoint.active_until >= day))


def points_in_service(session: Session, day: date) -> list[CollectionPoint]:
    query = select(CollectionPoint).where(in_service(day)).order_by(CollectionPoint.name)
    return list(session.scalars(query))


def point_needs(session: Session, point_ids: set[int] | None = None,
                day: date | None = None) -> dict[int, PointNeed]:
    """Per active point (in service on `day` if given): full crates, bottles, oldest full, last visit."""
    full = (select(Crate.collection_point_id.label("pid"), func.count().label("n"),
                   func.min(Crate.state_since).label("oldest"))
            .where(Crate.state == CrateState.FULL.value)
            .group_by(Crate.collection_point_id).subquery())
    stock = (select(StockLevel.site_id.label("pid"), func.sum(StockLevel.quantity).label("q"))
             .where(StockLevel.stage == Stage.AT_POINT.value).group_by(StockLevel.site_id).subquery())
    visits = (select(Event.collection_point_id.label("pid"), func.max(Event.occurred_at).label("last"))
              .where(Event.kind.in_([Kind.PICKUP.value, Kind.CRATE_PLACED.value]))
              .group_by(Event.collection_point_id).subquery())
    query = (select(CollectionPoint.id, full.c.n, stock.c.q, full.c.oldest, visits.c.last)
             .outerjoin(full, full.c.pid == CollectionPoint.id)
             .outerjoin(stock, stock.c.pid == CollectionPoint.id)
             .outerjoin(visits, visits.c.pid == CollectionPoint.id)
             .where(CollectionPoint.active.is_(True)))
    if point_ids is not None:
        query = query.where(CollectionPoint.id.in_(point_ids))
    if day is not None:
        query = query.where(in_service(day))
    return {pid: PointNeed(pid, int(n or 0), int(q or 0), _aware(oldest), _aware(last))
            for pid, n, q, oldest, last in session.execute(query).all()}


def full_crates_at(session: Session, point_id: int) -> int:
    """Full crates waiting at one point (after a pickup: is its pickup request done?). One count over
    the crates, not point_needs' aggregates over the whole ledger, inside the pickup's locks."""
    return session.scalar(select(func.count()).select_from(Crate).where(
        Crate.collection_point_id == point_id, Crate.state == CrateState.FULL.value)) or 0


def _aware(value):
    """min()/max() over a UTC_DT column come back raw (naive on SQLite)."""
    from datetime import UTC

    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def declared_counts(session: Session, crate_ids: list[int]) -> dict[int, int]:
    """Bottles declared by the event that put each crate in its current state."""
    if not crate_ids:
        return {}
    rows = session.execute(
        select(Crate.id, func.coalesce(func.sum(Movement.quantity), 0))
        .join(Movement, Movement.event_seq == Crate.last_event_seq)
        .where(Crate.id.in_(crate_ids), Movement.to_stage == Stage.AT_POINT.value)
        .group_by(Crate.id)).all()
    return {crate_id: int(q) for crate_id, q in rows}


def crates_at(session: Session, point_ids: set[int] | None,
              states: tuple[str, ...] = (CrateState.AT_POINT.value, CrateState.FULL.value)) -> list[Crate]:
    query = select(Crate).where(Crate.state.in_(states)).order_by(Crate.state_since)
    if point_ids is not None:
        query = query.where(Crate.collection_point_id.in_(point_ids))
    return list(session.scalars(query))


def bottles_collected(session: Session, point_ids: set[int], since: datetime) -> int:
    """Net bottles declared at these points since `since` (corrections subtract)."""
    if not point_ids:
        return 0
    signed = case((and_(Movement.from_stage == Stage.OUTSIDE.value,
                        Movement.to_stage == Stage.AT_POINT.value), Movement.quantity),
                  (and_(Movement.from_stage == Stage.AT_POINT.value,
                        Movement.to_stage == Stage.OUTSIDE.value), -Movement.quantity), else_=0)
    total = session.scalar(
        select(func.coalesce(func.sum(signed), 0)).join(Event, Event.seq == Movement.event_seq)
        .where(Event.collection_point_id.in_(point_ids), Event.occurred_at >= since))
    return int(total or 0)


def washed_and_received(session: Session) -> tuple[int, int]:
    """Channel-wide bottles washed clean and bottles received, net of corrections."""
    def net(frm: Stage, to: Stage):
        return func.coalesce(func.sum(case(
            (and_(Movement.from_stage == frm.value, Movement.to_stage == to.value), Movement.quantity),
            (and_(Movement.from_stage == to.value, Movement.to_stage == frm.value), -Movement.quantity),
            else_=0)), 0)

    washed, received, surplus = session.execute(select(
        net(Stage.SORTED, Stage.CLEAN), net(Stage.IN_TRANSIT, Stage.RECEIVED),
        net(Stage.OUTSIDE, Stage.RECEIVED))).one()
    return int(washed), int(received) + int(surplus)


def active_assignments(session: Session) -> dict[int, PickupAssignment]:
    rows = session.scalars(select(PickupAssignment).where(PickupAssignment.active.is_(True))
                           .order_by(PickupAssignment.assigned_at))
    return {a.collection_point_id: a for a in rows}


def drivers(session: Session) -> list[User]:
    return list(session.scalars(select(User).where(User.role == "driver", User.active.is_(True))
                                .order_by(User.display_name, User.username)))


def user_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.display_name, User.username).where(User.id.in_(ids)))
    return {uid: name or username for uid, name, username in rows}


def open_round(session: Session, driver_id: int) -> Round | None:
    return session.scalar(select(Round).where(Round.driver_id == driver_id, Round.closed.is_(False))
                          .order_by(Round.id.desc()).limit(1))


def round_summary(session: Session, round_id: int) -> dict[str, int]:
    """Crates picked up on a round, bottles, and how many are still in transit."""
    picked = (select(Event.crate_id).where(Event.round_id == round_id,
                                           Event.kind == Kind.PICKUP.value).subquery())
    crates, in_transit = session.execute(
        select(func.count(Crate.id),
               func.coalesce(func.sum(case((Crate.state == CrateState.IN_TRANSIT.value, 1), else_=0)), 0))
        .where(Crate.id.in_(select(picked.c.crate_id)))).one()
    bottles = session.scalar(
        select(func.coalesce(func.sum(Movement.quantity), 0)).join(Event, Event.seq == Movement.event_seq)
        .where(Event.round_id == round_id, Event.kind == Kind.PICKUP.value))
    return {"crates": int(crates), "in_transit": int(in_transit), "bottles": int(bottles or 0)}


def recent_rounds(session: Session, driver_id: int | None, limit: int = 10) -> list[Round]:
    query = select(Round).order_by(Round.round_date.desc(), Round.id.desc()).limit(limit)
    if driver_id is not None:
        query = query.where(Round.driver_id == driver_id)
    return list(session.scalars(query))


def event_of(session: Session, seq: int | None) -> Event | None:
    return session.get(Event, seq) if seq else None
