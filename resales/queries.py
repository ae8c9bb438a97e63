"""Reads of resales: stock to sell, sales, delivery notes, purchases (SQL aggregates)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bottles.models import BottleModel, Event, Movement, Setting, StockLevel, Washer, Winemaker
from bottles.rules import Kind, Stage, co2_avoided_kg
from bottles.stock import clean_lots, live
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
