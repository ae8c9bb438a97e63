"""SQL aggregates behind the indicators: GROUP BY in the database, never raw events in Python.

Every query keeps only the events that count (docs/indicators.md): corrections and the events
they correct are both left out, wherever and whenever the correction was made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Float, and_, case, exists, func, or_, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import ColumnElement

from bottles.i18n import label
from bottles.models import (
    BottleModel,
    CollectionPoint,
    Crate,
    Event,
    Movement,
    Reason,
    Territory,
    Winemaker,
)
from bottles.rules import PARIS
from reports.indicators import Aggregates, sum_flow_rows


@dataclass(frozen=True)
class Scope:
    """A UTC window [start, end) and optionally a subset of collection points."""

    start: datetime
    end: datetime
    point_ids: tuple[int, ...] | None = None

    @property
    def scoped(self) -> bool:
        return self.point_ids is not None


def counted(event=Event) -> ColumnElement[bool]:
    """SQL: the event is neither a correction nor corrected."""
    corrector = aliased(Event)
    return and_(event.kind != "correction",
                ~exists().where(corrector.corrects_seq == event.seq))


def _in_scope(scope: Scope, event=Event) -> ColumnElement[bool]:
    cond = and_(event.occurred_at >= scope.start, event.occurred_at < scope.end, counted(event))
    if scope.point_ids is not None:
        cond = and_(cond, event.collection_point_id.in_(scope.point_ids or (-1,)))
    return cond


def point_ids_for(session: Session, codes: list[str] = (), territories: list[str] = ()) -> list[int]:
    """Ids of the points named by code or by territory."""
    rows = session.scalars(select(CollectionPoint.id).where(or_(
        CollectionPoint.code.in_(list(codes) or [""]),
        CollectionPoint.territory.in_(list(territories) or [""]))))
    return sorted(rows)


def flow_rows(session: Session, scope: Scope) -> list[tuple]:
    """(from, to, reason id, point id, winemaker id, Σ quantity, Σ q × price cents, Σ q × glass g)."""
    query = (
        select(Movement.from_stage, Movement.to_stage, Movement.reason_id, Event.collection_point_id,
               Movement.winemaker_id, func.sum(Movement.quantity),
               func.sum(Movement.quantity * func.coalesce(Movement.unit_price_cents, 0)),
               func.sum(case((Movement.to_stage == "sold",
                              Movement.quantity * func.coalesce(BottleModel.glass_mass_g, 0)),
                             else_=0)))
        .join(Event, Event.seq == Movement.event_seq)
        .outerjoin(BottleModel, BottleModel.id == Movement.bottle_model_id)
        .where(_in_scope(scope))
        .group_by(Movement.from_stage, Movement.to_stage, Movement.reason_id,
                  Event.collection_point_id, Movement.winemaker_id)
    )
    return [tuple(r) for r in session.execute(query)]


def floor_query(session: Session, scope: Scope) -> dict[tuple[str, str], int]:
    """The simplest aggregate the flow indicators need: Σ quantity per (from, to) in the window."""
    rows = session.execute(
        select(Movement.from_stage, Movement.to_stage, func.sum(Movement.quantity))
        .join(Event, Event.seq == Movement.event_seq).where(_in_scope(scope))
        .group_by(Movement.from_stage, Movement.to_stage))
    return {(f, t): int(q) for f, t, q in rows}


def reason_codes(session: Session) -> dict[int, tuple[str, str]]:
    return {i: (c, lab) for i, c, lab in session.execute(select(Reason.id, Reason.code, Reason.label_fr))}


def clean_stock_at(session: Session, end: datetime) -> int:
    """Clean stock at `end`, all history before it (corrected events and corrections left out)."""
    total = session.scalar(
        select(func.coalesce(func.sum(case((Movement.to_stage == "clean", Movement.quantity),
                                           else_=-Movement.quantity)), 0))
        .join(Event, Event.seq == Movement.event_seq)
        .where(Event.occurred_at < end, counted(),
               or_(Movement.to_stage == "clean", Movement.from_stage == "clean")))
    return int(total or 0)


def pickups(session: Session, scope: Scope) -> tuple[int, float, int]:
    """(pickup events, Σ bottles ÷ capacity, pickups with a crate) over the scope."""
    per_event = (
        select(Event.seq.label("seq"), func.sum(Movement.quantity).label("q"),
               func.max(Crate.capacity).label("cap"))
        .join(Movement, Movement.event_seq == Event.seq)
        .outerjoin(Crate, Crate.id == Event.crate_id)
        .where(Event.kind == "pickup", _in_scope(scope))
        .group_by(Event.seq)
    ).subquery()
    fill = per_event.c.q.cast(Float) / per_event.c.cap
    trips, fill_sum, fill_count = session.execute(
        select(func.count(), func.coalesce(func.sum(fill), 0.0), func.count(per_event.c.cap))
    ).one()
    # Pickups without movements still count as trips.
    empty = session.scalar(select(func.count()).select_from(Event).where(
        Event.kind == "pickup", _in_scope(scope),
        ~exists().where(Movement.event_seq == Event.seq)))
    return int(trips) + int(empty or 0), float(fill_sum or 0.0), int(fill_count)


def _days_between(session: Session, later, earlier):
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", later - earlier) / 86400.0
    return func.julianday(later) - func.julianday(earlier)


LOOKBACK = timedelta(days=400)


def median_lead(session: Session, scope: Scope, first_kind: str, then_kind: str) -> float | None:
    """Median over `then_kind` events in scope of days since the crate's latest earlier `first_kind`.

    A window function runs in the database; earlier events are looked for up to 400 days back.
    """
    lower = scope.start - LOOKBACK
    base = and_(Event.crate_id.is_not(None), Event.kind.in_((first_kind, then_kind)),
                Event.occurred_at >= lower, Event.occurred_at < scope.end, counted())
    if scope.point_ids is not None:
        base = and_(base, Event.collection_point_id.in_(scope.point_ids or (-1,)))
    prev = func.max(case((Event.kind == first_kind, Event.occurred_at))).over(
        partition_by=Event.crate_id, order_by=(Event.occurred_at, Event.seq), rows=(None, -1))
    seq_rows = select(Event.kind.label("kind"), Event.occurred_at.label("at"),
                      prev.label("prev")).where(base).subquery()
    days = (select(_days_between(session, seq_rows.c.at, seq_rows.c.prev).label("d"))
            .where(seq_rows.c.kind == then_kind, seq_rows.c.prev.is_not(None),
                   seq_rows.c.at >= scope.start)).subquery()
    ranked = select(days.c.d, func.row_number().over(order_by=days.c.d).label("rn"),
                    func.count().over().label("n")).subquery()
    value = session.scalar(select(func.avg(ranked.c.d)).where(
        ranked.c.rn.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2])))
    return None if value is None else float(value)


def work(session: Session, scope: Scope) -> tuple[float, float]:
    """(hours, round km) logged on the scope's events."""
    hours, km = session.execute(
        select(func.coalesce(func.sum(Event.hours), 0), func.coalesce(func.sum(Event.km), 0))
        .where(_in_scope(scope))).one()
    return float(hours or 0), float(km or 0)


def aggregates(session: Session, scope: Scope) -> tuple[Aggregates, list[tuple]]:
    """Everything the indicators need for a scope, plus the grouped flow rows for tables."""
    rows = flow_rows(session, scope)
    reasons = reason_codes(session)
    totals = Aggregates()
    sum_flow_rows(totals, rows, reasons)
    totals.clean_stock_end = clean_stock_at(session, scope.end)
    totals.crate_trips, totals.fill_sum, totals.fill_count = pickups(session, scope)
    totals.median_full_to_pickup = median_lead(session, scope, "crate_full", "pickup")
    totals.median_pickup_to_receipt = median_lead(session, scope, "pickup", "receipt")
    totals.work_hours, totals.round_km = work(session, scope)
    return totals, rows


# ---------------------------------------------------------------- series for the charts


def _hour_bucket(session: Session):
    """SQL: the UTC hour of an event as text; Paris months and days are derived from it in Python."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", Event.occurred_at), "YYYY-MM-DD HH24")
    return func.strftime("%Y-%m-%d %H", Event.occurred_at)


def _paris(bucket: str) -> datetime:
    return datetime.strptime(bucket, "%Y-%m-%d %H").replace(tzinfo=UTC).astimezone(PARIS)


def collected_by_month_territory(session: Session, scope: Scope) -> dict[str, dict[str, int]]:
    """{territory: {"YYYY-MM": bottles collected}} (Paris months)."""
    bucket = _hour_bucket(session).label("h")
    rows = session.execute(
        select(bucket, Territory.name, func.sum(Movement.quantity))
        .select_from(Movement).join(Event, Event.seq == Movement.event_seq)
        .outerjoin(CollectionPoint, CollectionPoint.id == Event.collection_point_id)
        .outerjoin(Territory, Territory.id == CollectionPoint.territory_id)
        .where(_in_scope(scope), Movement.from_stage == "outside", Movement.to_stage == "at_point")
        .group_by(bucket, Territory.name))
    out: dict[str, dict[str, int]] = {}
    for h, territory, q in rows:
        month = _paris(h).strftime("%Y-%m")
        per = out.setdefault(territory or "sans territoire", {})
        per[month] = per.get(month, 0) + int(q)
    return out


def wash_by_month(session: Session, scope: Scope) -> dict[str, dict[str, int]]:
    """{"YYYY-MM": {"clean": n, <reject reason code>: n}} (Paris months)."""
    bucket = _hour_bucket(session).label("h")
    rows = session.execute(
        select(bucket, Movement.to_stage, Reason.code, func.sum(Movement.quantity))
        .select_from(Movement).join(Event, Event.seq == Movement.event_seq)
        .outerjoin(Reason, Reason.id == Movement.reason_id)
        .where(_in_scope(scope), Movement.from_stage == "sorted",
               Movement.to_stage.in_(("clean", "rejected")))
        .group_by(bucket, Movement.to_stage, Reason.code))
    out: dict[str, dict[str, int]] = {}
    for h, to, code, q in rows:
        month = _paris(h).strftime("%Y-%m")
        key = "clean" if to == "clean" else (code or "sans_motif")
        per = out.setdefault(month, {})
        per[key] = per.get(key, 0) + int(q)
    return dict(sorted(out.items()))


def clean_inflow_by_day(session: Session, end: datetime, days: int = 180) -> list[tuple[date, int]]:
    """Bottles entering clean stock per day over the `days` before `end` (for its age)."""
    bucket = _hour_bucket(session).label("h")
    rows = session.execute(
        select(bucket, func.sum(Movement.quantity)).select_from(Movement)
        .join(Event, Event.seq == Movement.event_seq)
        .where(Event.occurred_at >= end - timedelta(days=days), Event.occurred_at < end, counted(),
               Movement.to_stage == "clean")
        .group_by(bucket))
    per: dict[date, int] = {}
    for h, q in rows:
        d = _paris(h).date()
        per[d] = per.get(d, 0) + int(q)
    return sorted(per.items())


def crate_fleet(session: Session, at: datetime) -> tuple[dict[str, int], int]:
    """Crates per state now, and crates in use not seen for 60 days before `at`."""
    states = dict(session.execute(select(func.coalesce(Crate.state, "none"), func.count())
                                  .group_by(Crate.state)).all())
    stale = session.scalar(select(func.count()).select_from(Crate).where(
        Crate.state.in_(("in_pool", "at_point", "full", "in_transit")),
        Crate.state_since < at - timedelta(days=60)))
    return {k: int(v) for k, v in states.items()}, int(stale or 0)


def names(session: Session) -> dict[str, dict[int, tuple]]:
    """Small catalogue lookups (points, winemakers, reasons) to label grouped rows."""
    return {
        "point": {i: (c, n, t) for i, c, n, t in session.execute(
            select(CollectionPoint.id, CollectionPoint.code, CollectionPoint.name,
                   CollectionPoint.territory))},
        "winemaker": {i: (c, e) for i, c, e in session.execute(
            select(Winemaker.id, Winemaker.code, Winemaker.estate))},
        "reason": {i: (c, lab) for i, c, lab in session.execute(
            select(Reason.id, Reason.code, Reason.label_fr))},
    }


def reason_labels(session: Session) -> dict[str, str]:
    """Each reason's label by code, in the person's language (the English one when set)."""
    return {reason.code: label(reason) for reason in session.scalars(select(Reason))}


def territories(session: Session) -> list[str]:
    return sorted(t for t in session.scalars(select(CollectionPoint.territory)
                                             .select_from(CollectionPoint).distinct()) if t)


def last_seq(session: Session) -> int:
    return int(session.scalar(select(func.coalesce(func.max(Event.seq), 0))) or 0)


