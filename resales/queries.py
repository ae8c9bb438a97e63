"""Reads of resales: stock to sell, sales, delivery notes, purchases (SQL aggregates)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bottles.models import BottleModel, Event, Movement, Setting, StockLevel, Washer, Winemaker
from bottles.rules import PARIS, Kind, Stage, co2_avoided_kg
from bottles.stock import clean_lots, live
from resales.matching import Cover, Demand, StockLot, match
from resales.matching import wash_pace as wash_pace_of
from resales.models import Reservation, ReservationChange
from resales.rules import saving_cents


def setting_int(session: Session, key: str, default: int) -> int:
    """An integer channel setting (e.g. resale_price_cents), or its default."""
    raw = session.scalar(select(Setting.value).where(Setting.key == key))
    try:
        return int(raw) if raw not in (None, "") else default
    except ValueError:
        return default


@dataclass(frozen=True)
class Available:
    washer_id: int
    washer: str
    model_id: int
    model: str
    quantity: int
    oldest: datetime | None
    model_en: str | None = None  # its English name, shown in English (the `label` filter)


def available(session: Session, washer_ids: set[int] | None) -> list[Available]:
    """Clean stock per washer and model, with the date of its oldest wash."""
    query = (select(StockLevel.site_id, Washer.name, StockLevel.model_id, BottleModel.name,
                    StockLevel.quantity, BottleModel.name_en)
             .join(Washer, Washer.id == StockLevel.site_id)
             .join(BottleModel, BottleModel.id == StockLevel.model_id)
             .where(StockLevel.stage == Stage.CLEAN.value, StockLevel.quantity > 0)
             .order_by(Washer.name, BottleModel.name))
    if washer_ids is not None:
        query = query.where(StockLevel.site_id.in_(washer_ids or {-1}))
    rows = session.execute(query).all()
    lots = {w: clean_lots(session, w) for w in {r[0] for r in rows}}
    out = []
    for w, wn, m, mn, q, english in rows:
        model_lots = lots[w].get(m) or []
        out.append(Available(w, wn, m, mn, int(q), model_lots[0].washed_at if model_lots else None,
                             english))
    return out


@dataclass(frozen=True)
class SaleRow:
    seq: int
    occurred_at: datetime
    winemaker_id: int | None
    estate: str
    washer: str
    bottles: int
    total_cents: int
    corrected: bool


def sales(session: Session, washer_ids: set[int] | None, winemaker_id: int | None = None,
          limit: int = 200, offset: int = 0) -> list[SaleRow]:
    corrected = select(Event.corrects_seq).where(Event.corrects_seq.is_not(None))
    query = (
        select(Event.seq, Event.occurred_at, func.max(Movement.winemaker_id), Washer.name,
               func.sum(Movement.quantity), func.sum(Movement.quantity * Movement.unit_price_cents),
               Event.seq.in_(corrected))
        .join(Movement, Movement.event_seq == Event.seq)
        .outerjoin(Washer, Washer.id == Event.washer_id)
        .where(Event.kind == Kind.SALE.value)
        .group_by(Event.seq, Event.occurred_at, Washer.name)
        .order_by(Event.occurred_at.desc(), Event.seq.desc()).limit(limit).offset(offset))
    if washer_ids is not None:
        query = query.where(Event.washer_id.in_(washer_ids or {-1}))
    if winemaker_id is not None:
        query = query.where(Movement.winemaker_id == winemaker_id)
    rows = session.execute(query).all()
    estates = dict(session.execute(select(Winemaker.id, Winemaker.estate)).all())
    return [SaleRow(seq, at, wm, estates.get(wm, "—"), washer or "—", int(q), int(t or 0), bool(c))
            for seq, at, wm, washer, q, t, c in rows]


@dataclass(frozen=True)
class NoteLine:
    model: str
    quantity: int
    unit_price_cents: int
    total_cents: int
    new_total_cents: int
    glass_kg: float
    model_en: str | None = None  # its English name, shown in English (the `label` filter)


@dataclass(frozen=True)
class Note:
    lines: list[NoteLine]
    bottles: int
    total_cents: int
    new_total_cents: int
    saving_cents: int
    co2_kg: float
    glass_kg: float


def delivery_note(session: Session, sale: Event, new_bottle_cents: int) -> Note:
    rows = session.execute(
        select(BottleModel.name, Movement.quantity, Movement.unit_price_cents, BottleModel.glass_mass_g,
               BottleModel.name_en)
        .join(BottleModel, BottleModel.id == Movement.bottle_model_id)
        .where(Movement.event_seq == sale.seq).order_by(Movement.id)).all()
    lines = [NoteLine(name, q, p, q * p, q * new_bottle_cents, round(q * mass / 1000, 1), english)
             for name, q, p, mass, english in rows]
    bottles = sum(line.quantity for line in lines)
    total = sum(line.total_cents for line in lines)
    return Note(lines, bottles, total, bottles * new_bottle_cents,
                sum(saving_cents(line.quantity, line.unit_price_cents, new_bottle_cents)
                    for line in lines),
                round(co2_avoided_kg(bottles), 2), round(sum(line.glass_kg for line in lines), 1))


@dataclass(frozen=True)
class Purchases:
    bottles: int
    spent_cents: int
    saving_cents: int
    co2_kg: float
    glass_kg: float


def purchases(session: Session, winemaker_id: int, new_bottle_cents: int) -> Purchases:
    """What a winemaker bought (corrected sales left out), in one aggregate query."""
    q, spent, glass_g = session.execute(
        select(func.coalesce(func.sum(Movement.quantity), 0),
               func.coalesce(func.sum(Movement.quantity * Movement.unit_price_cents), 0),
               func.coalesce(func.sum(Movement.quantity * BottleModel.glass_mass_g), 0))
        .join(Event, Event.seq == Movement.event_seq)
        .join(BottleModel, BottleModel.id == Movement.bottle_model_id)
        .where(Event.kind == Kind.SALE.value, Movement.winemaker_id == winemaker_id, live())
    ).one()
    q, spent = int(q), int(spent)
    return Purchases(q, spent, q * new_bottle_cents - spent, round(co2_avoided_kg(q), 2),
                     round(int(glass_g) / 1000, 1))


def label_refusals(session: Session) -> dict[int, int]:
    """Bottles refused at sorting whose permanent label named an estate, per estate."""
    rows = session.execute(
        select(Movement.winemaker_id, func.sum(Movement.quantity))
        .join(Event, Event.seq == Movement.event_seq)
        .where(Event.kind == Kind.SORTING.value, Movement.to_stage == Stage.REFUSED.value,
               Movement.winemaker_id.is_not(None), live())
        .group_by(Movement.winemaker_id)).all()
    return {wm: int(q) for wm, q in rows}


# --- Reservations: demand against clean stock and the wash pace ------------------------------------

PACE_DAYS = 90  # the window of the wash pace projected inflow is read from (docs/indicators.md)


def pallet_size(session: Session) -> int:
    """Bottles in a pallet: the first active washer's size (as the dashboards read it), 1,200 when none."""
    size = session.scalar(select(Washer.pallet_size).where(Washer.active.is_(True))
                          .order_by(Washer.id).limit(1))
    return int(size or 1200)


def wash_pace(session: Session, now: datetime, days: int = PACE_DAYS) -> dict[int, float]:
    """Clean bottles a day per model, entered by washes over the `days` before `now` (corrections
    and what they correct left out)."""
    rows = session.execute(
        select(Movement.bottle_model_id, func.sum(Movement.quantity))
        .join(Event, Event.seq == Movement.event_seq)
        .where(Event.kind == Kind.WASH.value, Movement.to_stage == Stage.CLEAN.value,
               Event.occurred_at >= now - timedelta(days=days), Event.occurred_at <= now, live(),
               Movement.bottle_model_id.is_not(None))
        .group_by(Movement.bottle_model_id)).all()
    return {model_id: wash_pace_of(int(quantity or 0), days) for model_id, quantity in rows}


def clean_stock_lots(session: Session) -> dict[int, list[StockLot]]:
    """Every washer's clean lots, per model (the FIFO of bottles.stock, washer by washer)."""
    washers = session.scalars(select(StockLevel.site_id).where(
        StockLevel.stage == Stage.CLEAN.value, StockLevel.quantity > 0).distinct()).all()
    lots: dict[int, list[StockLot]] = {}
    for washer_id in washers:
        for model_id, model_lots in clean_lots(session, washer_id).items():
            lots.setdefault(model_id, []).extend(StockLot(washer_id, lot.washed_at, lot.quantity)
                                                 for lot in model_lots)
    return lots


def clean_stock_by_model(session: Session) -> dict[int, int]:
    """Clean stock per model, all washers together."""
    rows = session.execute(
        select(StockLevel.model_id, func.sum(StockLevel.quantity))
        .where(StockLevel.stage == Stage.CLEAN.value, StockLevel.quantity > 0)
        .group_by(StockLevel.model_id)).all()
    return {model_id: int(quantity) for model_id, quantity in rows}


def sorted_stock(session: Session, washer_ids: set[int] | None) -> dict[int, int]:
    """Sorted bottles waiting to be washed, per model, at the washers given (None: all)."""
    query = (select(StockLevel.model_id, func.sum(StockLevel.quantity))
             .where(StockLevel.stage == Stage.SORTED.value, StockLevel.quantity > 0)
             .group_by(StockLevel.model_id))
    if washer_ids is not None:
        query = query.where(StockLevel.site_id.in_(washer_ids or {-1}))
    return {model_id: int(quantity) for model_id, quantity in session.execute(query).all()}


def open_reservations(session: Session) -> list[Reservation]:
    """Every open reservation, first come first."""
    return list(session.scalars(select(Reservation).where(Reservation.status == "open")
                                .order_by(Reservation.created_at, Reservation.id)))


def covers(session: Session, now: datetime) -> dict[int, Cover]:
    """Every open reservation's cover: clean stock now, projected washes, unmet (resales.matching)."""
    demands = [Demand(r.id, r.bottle_model_id, r.quantity, r.wanted_by, r.created_at)
               for r in open_reservations(session)]
    if not demands:
        return {}
    return match(demands, clean_stock_lots(session), wash_pace(session, now),
                 now.astimezone(PARIS).date())


def reservations(session: Session, winemaker_id: int | None = None, limit: int = 200) -> list[Reservation]:
    """Reservations, open ones first (first come first), then the others newest first."""
    query = (select(Reservation)
             .order_by((Reservation.status != "open"), Reservation.created_at.desc(), Reservation.id.desc())
             .limit(limit))
    if winemaker_id is not None:
        query = query.where(Reservation.winemaker_id == winemaker_id)
    rows = list(session.scalars(query))
    opened = sorted((r for r in rows if r.status == "open"), key=lambda r: (r.created_at, r.id))
    return opened + [r for r in rows if r.status != "open"]


def reservation_history(session: Session, reservation_ids: list[int]) -> dict[int, list[ReservationChange]]:
    """Each reservation's changes, oldest first."""
    out: dict[int, list[ReservationChange]] = {}
    if not reservation_ids:
        return out
    for change in session.scalars(select(ReservationChange)
                                  .where(ReservationChange.reservation_id.in_(reservation_ids))
                                  .order_by(ReservationChange.at, ReservationChange.id)):
        out.setdefault(change.reservation_id, []).append(change)
    return out


def model_names(session: Session) -> dict[int, BottleModel]:
    """Every bottle model by id (names in the person's language through the `label` filter)."""
    return {model.id: model for model in session.scalars(select(BottleModel))}
