"""Reads of the washer's work, aggregated in SQL and scoped to the person's washers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from bottles import i18n
from bottles.ledger import moves_of
from bottles.models import (
    BottleModel,
    CollectionPoint,
    Crate,
    Event,
    Movement,
    Reason,
    Round,
    StockLevel,
    Washer,
)
from bottles.rules import (
    MODELLED_STAGES,
    PARIS,
    STOCK_SITE,
    CrateState,
    Kind,
    Site,
    Stage,
    reverse,
    stock_deltas,
)
from bottles.stock import Lot, clean_lots, live
from washer.rules import (
    DEFAULT_PALLET,
    age_days,
    driver_count,
    is_stale,
    pallets,
    shortfalls,
    to_correct_first,
)

WASHER_KINDS = (Kind.RECEIPT, Kind.SORTING, Kind.WASH, Kind.STOCKTAKE, Kind.SALE)


def washers_for(session: Session, allowed: set[int] | None) -> list[Washer]:
    query = select(Washer).where(Washer.active.is_(True)).order_by(Washer.name)
    if allowed is not None:
        query = query.where(Washer.id.in_(allowed or {-1}))
    return list(session.scalars(query))


def models(session: Session, in_pool_only: bool = False) -> list[BottleModel]:
    query = select(BottleModel).where(BottleModel.active.is_(True))
    if in_pool_only:
        query = query.where(BottleModel.in_pool.is_(True))
    return list(session.scalars(query.order_by(BottleModel.in_pool.desc(), BottleModel.name)))


def reasons(session: Session, kind: str) -> list[Reason]:
    return list(session.scalars(select(Reason).where(Reason.kind == kind, Reason.active.is_(True))
                                .order_by(Reason.id)))


def stocks(session: Session, washer_id: int) -> dict[str, dict[int, int]]:
    """Stage → model id → bottles held now at the washer (model 0 = mixed)."""
    rows = session.execute(
        select(StockLevel.stage, StockLevel.model_id, StockLevel.quantity)
        .where(StockLevel.site_id == washer_id, StockLevel.quantity > 0,
               StockLevel.stage.in_([Stage.RECEIVED.value, Stage.SORTED.value, Stage.CLEAN.value]))
    ).all()
    out: dict[str, dict[int, int]] = {Stage.RECEIVED: {}, Stage.SORTED: {}, Stage.CLEAN: {}}
    for stage, model_id, quantity in rows:
        out[stage][model_id] = int(quantity)
    return out


@dataclass(frozen=True)
class Expected:
    crate_id: int
    code: str
    point: str
    since: datetime | None
    declared: int


def expected_crates(session: Session, allowed: set[int] | None) -> list[Expected]:
    """Crates picked up and not yet received (their round's washer, when named, is ours)."""
    query = (
        select(Crate.id, Crate.code, CollectionPoint.name, Crate.state_since,
               func.coalesce(func.sum(Movement.quantity), 0))
        .join(Event, Event.seq == Crate.last_event_seq)
        .outerjoin(Movement, and_(Movement.event_seq == Event.seq,
                                  Movement.to_stage == Stage.IN_TRANSIT.value))
        .outerjoin(CollectionPoint, CollectionPoint.id == Crate.collection_point_id)
        .outerjoin(Round, Round.id == Event.round_id)
        .where(Crate.state == CrateState.IN_TRANSIT.value)
        .group_by(Crate.id, Crate.code, CollectionPoint.name, Crate.state_since)
        .order_by(Crate.state_since, Crate.code)
    )
    if allowed is not None:
        query = query.where(or_(Round.washer_id.is_(None), Round.washer_id.in_(allowed or {-1})))
    return [Expected(i, c, p or "—", s, int(d)) for i, c, p, s, d in session.execute(query)]


@dataclass(frozen=True)
class Declared:
    pickup_seq: int | None
    point_id: int | None
    round_id: int | None
    quantity: int
    driver_counted: int | None = None  # what the driver counted at pickup, when noted


def declared(session: Session, crate: Crate) -> Declared:
    """What the crate's pickup (its last event while in transit) says it holds."""
    if crate.state != CrateState.IN_TRANSIT.value or crate.last_event_seq is None:
        return Declared(None, crate.collection_point_id, None, 0)
    row = session.execute(
        select(Event.seq, Event.collection_point_id, Event.round_id,
               func.coalesce(func.sum(Movement.quantity), 0), Event.note)
        .outerjoin(Movement, and_(Movement.event_seq == Event.seq,
                                  Movement.to_stage == Stage.IN_TRANSIT.value))
        .where(Event.seq == crate.last_event_seq)
        .group_by(Event.seq, Event.collection_point_id, Event.round_id, Event.note)
    ).one()
    return Declared(row[0], row[1] or crate.collection_point_id, row[2], int(row[3]),
                    driver_count(row[4]))


@dataclass(frozen=True)
class ReceiptLine:
    seq: int
    code: str
    point: str
    occurred_at: datetime
    declared: int
    counted: int
    corrected: bool
    driver_counted: int | None = None  # what the driver counted at pickup, when noted


def _receipt_lines(session: Session, condition) -> list[ReceiptLine]:
    """Receipts with their counted bottles, the declared count (received + lost − surplus) and
    the driver's count noted on the crate's pickup before it."""
    received = func.sum(_when(Movement.to_stage == Stage.RECEIVED.value, Movement.quantity))
    from_transit = func.sum(_when(Movement.from_stage == Stage.IN_TRANSIT.value, Movement.quantity))
    corrected = select(Event.corrects_seq).where(Event.corrects_seq.is_not(None))
    pickup = aliased(Event)
    pickup_note = (select(pickup.note)
                   .where(pickup.crate_id == Event.crate_id, pickup.kind == Kind.PICKUP.value,
                          pickup.seq < Event.seq)
                   .order_by(pickup.seq.desc()).limit(1).correlate(Event).scalar_subquery())
    rows = session.execute(
        select(Event.seq, Crate.code, CollectionPoint.name, Event.occurred_at, from_transit, received,
               Event.seq.in_(corrected), pickup_note)
        .join(Movement, Movement.event_seq == Event.seq)
        .outerjoin(Crate, Crate.id == Event.crate_id)
        .outerjoin(CollectionPoint, CollectionPoint.id == Event.collection_point_id)
        .where(Event.kind == Kind.RECEIPT.value, condition)
        .group_by(Event.seq, Event.crate_id, Crate.code, CollectionPoint.name, Event.occurred_at)
        .order_by(Event.seq.desc())
    ).all()
    return [ReceiptLine(seq, code or "—", point or "—", at, int(dec or 0), int(cnt or 0), bool(c),
                        driver_count(note))
            for seq, code, point, at, dec, cnt, c, note in rows]


def _when(condition, value):
    return case((condition, value), else_=0)


def recent_receipts(session: Session, washer_id: int, since: datetime) -> list[ReceiptLine]:
    return _receipt_lines(session, and_(Event.washer_id == washer_id, Event.occurred_at >= since))


@dataclass(frozen=True)
class RoundSummary:
    round_id: int
    code: str
    round_date: object
    driver: str
    crates: int
    declared: int
    counted: int


def rounds_received(session: Session, allowed: set[int] | None, limit: int = 60) -> list[RoundSummary]:
    """Rounds whose crates were received here: declared against counted, in one query."""
    from bottles.models import User

    received = func.sum(_when(Movement.to_stage == Stage.RECEIVED.value, Movement.quantity))
    from_transit = func.sum(_when(Movement.from_stage == Stage.IN_TRANSIT.value, Movement.quantity))
    query = (
        select(Round.id, Round.code, Round.round_date, User.display_name,
               func.count(func.distinct(Event.seq)), from_transit, received)
        .join(Event, Event.round_id == Round.id)
        .join(Movement, Movement.event_seq == Event.seq)
        .outerjoin(User, User.id == Round.driver_id)
        .where(Event.kind == Kind.RECEIPT.value, live())
        .group_by(Round.id, Round.code, Round.round_date, User.display_name)
        .order_by(Round.round_date.desc(), Round.id.desc()).limit(limit)
    )
    if allowed is not None:
        query = query.where(Event.washer_id.in_(allowed or {-1}))
    return [RoundSummary(i, c, d, n or "—", k, int(a or 0), int(b or 0))
            for i, c, d, n, k, a, b in session.execute(query)]


def round_receipts(session: Session, round_id: int, allowed: set[int] | None) -> list[ReceiptLine]:
    condition = Event.round_id == round_id
    if allowed is not None:
        condition = and_(condition, Event.washer_id.in_(allowed or {-1}))
    return _receipt_lines(session, condition)


def round_pending(session: Session, round_id: int) -> list[tuple[str, str]]:
    """Crates of the round still in transit (picked up on it, not received)."""
    rows = session.execute(
        select(Crate.code, CollectionPoint.name)
        .join(Event, Event.seq == Crate.last_event_seq)
        .outerjoin(CollectionPoint, CollectionPoint.id == Crate.collection_point_id)
        .where(Crate.state == CrateState.IN_TRANSIT.value, Event.round_id == round_id)
        .order_by(Crate.code)).all()
    return [(code, name or "—") for code, name in rows]


# --- Clean stock, first in first out -------------------------------------------------------


@dataclass(frozen=True)
class CleanRow:
    model_id: int
    name: str
    quantity: int
    pallets: int
    remainder: int
    oldest: datetime | None
    age_days: int | None
    stale: int
    lots: list[Lot]


def clean_stock(session: Session, washer: Washer, now: datetime) -> list[CleanRow]:
    """Clean stock per model with its age; bottles washed over 30 days ago counted as stale."""
    held = stocks(session, washer.id)[Stage.CLEAN]
    if not held:
        return []
    names = {model.id: i18n.label(model)  # in the person's language
             for model in session.scalars(select(BottleModel).where(BottleModel.id.in_(held)))}
    lots = clean_lots(session, washer.id)
    size = washer.pallet_size or DEFAULT_PALLET
    rows = []
    for model_id, quantity in held.items():
        model_lots = lots.get(model_id, [])
        oldest = model_lots[0].washed_at if model_lots else None
        full, rest = pallets(quantity, size)
        rows.append(CleanRow(
            model_id, names.get(model_id, "?"), quantity, full, rest, oldest,
            age_days(oldest, now) if oldest else None,
            sum(lot.quantity for lot in model_lots if is_stale(lot.washed_at, now)), model_lots))
    return sorted(rows, key=lambda r: (r.oldest is None, r.oldest or now, r.name))


# --- The week's washing ----------------------------------------------------------------------


def week_start(now: datetime) -> datetime:
    """Monday 00:00, Paris time, of the week holding `now` (as an aware datetime)."""
    local = now.astimezone(PARIS)
    monday = (local - timedelta(days=local.weekday())).replace(hour=0, minute=0, second=0,
                                                                 microsecond=0)
    return monday


def day_start(now: datetime) -> datetime:
    """Midnight, Paris time, of the day holding `now`."""
    return now.astimezone(PARIS).replace(hour=0, minute=0, second=0, microsecond=0)


def wash_figures(session: Session, washer_id: int, since: datetime) -> tuple[int, int, list]:
    """Accepted, rejected and the top reject reasons since `since` (corrected batches left out)."""
    rows = session.execute(
        select(Movement.to_stage, Movement.reason_id, func.sum(Movement.quantity))
        .join(Event, Event.seq == Movement.event_seq)
        .where(Event.kind == Kind.WASH.value, Event.washer_id == washer_id,
               Event.occurred_at >= since, live())
        .group_by(Movement.to_stage, Movement.reason_id)
    ).all()
    reason_ids = {reason_id for _stage, reason_id, _q in rows if reason_id is not None}
    labels = {reason.id: i18n.label(reason)  # in the person's language
              for reason in session.scalars(select(Reason).where(Reason.id.in_(reason_ids)))}
    accepted = sum(int(q) for stage, _r, q in rows if stage == Stage.CLEAN.value)
    rejects = sorted(((labels.get(reason_id, "—"), int(q)) for stage, reason_id, q in rows
                      if stage == Stage.REJECTED.value), key=lambda x: -x[1])
    return accepted, sum(q for _l, q in rejects), rejects[:3]


# --- History -------------------------------------------------------------------------------


def history(session: Session, allowed: set[int] | None, page: int, per_page: int = 30):
    """The washer's events (receipts, sortings, batches, stock-takes, sales, corrections)."""
    from bottles.db import db

    kinds = [k.value for k in WASHER_KINDS] + [Kind.CORRECTION.value]
    query = select(Event).where(Event.kind.in_(kinds), Event.washer_id.is_not(None))
    if allowed is not None:
        query = query.where(Event.washer_id.in_(allowed or {-1}))
    return db.paginate(query.order_by(Event.seq.desc()), page=page, per_page=per_page,
                       error_out=False)


# --- What blocks a correction ----------------------------------------------------------------


@dataclass(frozen=True)
class Blocker:
    seq: int
    kind: str
    occurred_at: datetime
    taken: int  # bottles it took from the stocks the correction would need


def correction_blockers(session: Session, target: Event) -> list[Blocker]:
    """Later live events at the washer that used the bottles a correction of `target` takes back.

    Latest first, only as many as needed to give back what the stocks lack now.
    """
    if target.washer_id is None or target.kind == Kind.CORRECTION.value:
        return []
    sites = {Site.WASHER: target.washer_id, Site.COLLECTION_POINT: target.collection_point_id,
             Site.WINEMAKER: None}
    needs = {(stage, model): -delta
             for (stage, site, model), delta in stock_deltas(reverse(moves_of(target)), sites).items()
             if delta < 0 and STOCK_SITE[Stage(stage)] == Site.WASHER and site == target.washer_id}
    held = {(stage, model): quantity for stage, by_model in stocks(session, target.washer_id).items()
            for model, quantity in by_model.items()}
    missing = shortfalls(needs, held)
    if not missing:
        return []
    model = case((Movement.from_stage.in_([s.value for s in MODELLED_STAGES]),
                  func.coalesce(Movement.bottle_model_id, 0)), else_=0)
    rows = session.execute(
        select(Event.seq, Event.kind, Event.occurred_at, Movement.from_stage, model,
               func.sum(Movement.quantity))
        .join(Movement, Movement.event_seq == Event.seq)
        .where(Event.washer_id == target.washer_id, Event.seq > target.seq, live(),
               or_(*[and_(Movement.from_stage == stage, model == m) for stage, m in missing]))
        .group_by(Event.seq, Event.kind, Event.occurred_at, Movement.from_stage, model)
        .order_by(Event.seq.desc())
    ).all()
    chosen = set(to_correct_first(missing, [(seq, str(stage), int(m), int(q))
                                            for seq, _k, _at, stage, m, q in rows]))
    taken: dict[int, Blocker] = {}
    for seq, kind, at, _stage, _m, quantity in rows:
        if seq in chosen:
            before = taken.get(seq)
            taken[seq] = Blocker(seq, kind, at, int(quantity) + (before.taken if before else 0))
    return list(taken.values())
