"""Clean stock, first in first out: which washes a washer's clean stock still holds, oldest first.

The washer's stock page (ages, stale bottles) and the resales form (the oldest wash to sell
first) both read it here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from bottles.models import Event, Movement, StockLevel
from bottles.rules import Kind, Stage


def live():
    """SQL condition: an event that is neither a correction nor corrected."""
    corrected = select(Event.corrects_seq).where(Event.corrects_seq.is_not(None))
    return and_(Event.kind != Kind.CORRECTION.value, Event.seq.not_in(corrected))


@dataclass(frozen=True)
class Lot:
    """Bottles of one wash still in clean stock."""

    washed_at: datetime
    quantity: int


def _least(session: Session, a, b):
    if session.get_bind().dialect.name == "sqlite":
        return func.min(a, b)  # SQLite's two-argument min() is its scalar LEAST
    return func.least(a, b)


def clean_lots(session: Session, washer_id: int) -> dict[int, list[Lot]]:
    """Per model, the washes still in clean stock, oldest first, covering the stock held.

    Clean stock leaves oldest first (sales draw on the oldest wash), so what remains is the
    newest inflows covering the current stock: a running sum over inflows, newest first.
    Bottles back from a corrected sale, older than any lot kept, are dated with the oldest lot.
    """
    inflow = (
        select(Movement.bottle_model_id.label("model"), Event.occurred_at.label("at"),
               Event.seq.label("seq"), func.sum(Movement.quantity).label("q"))
        .join(Event, Event.seq == Movement.event_seq)
        .where(Event.washer_id == washer_id, Movement.to_stage == Stage.CLEAN.value,
               Event.kind.in_([Kind.WASH.value, Kind.STOCKTAKE.value]), live())
        .group_by(Movement.bottle_model_id, Event.occurred_at, Event.seq)
        .subquery()
    )
    newer = func.sum(inflow.c.q).over(partition_by=inflow.c.model,
                                      order_by=(inflow.c.at.desc(), inflow.c.seq.desc()))
    ranked = select(inflow.c.model, inflow.c.at, inflow.c.seq, inflow.c.q,
                    newer.label("newer")).subquery()
    held = (select(StockLevel.model_id, StockLevel.quantity)
            .where(StockLevel.stage == Stage.CLEAN.value, StockLevel.site_id == washer_id,
                   StockLevel.quantity > 0).subquery())
    before = ranked.c.newer - ranked.c.q
    rows = session.execute(
        select(ranked.c.model, ranked.c.at, _least(session, ranked.c.q, held.c.quantity - before),
               held.c.quantity)
        .join(held, held.c.model_id == ranked.c.model)
        .where(before < held.c.quantity)
        .order_by(ranked.c.model, ranked.c.at, ranked.c.seq)
    ).all()
    lots: dict[int, list[Lot]] = {}
    stock: dict[int, int] = {}
    for model_id, at, quantity, model_stock in rows:
        if isinstance(at, str):  # SQLite returns window-query datetimes as text
            at = datetime.fromisoformat(at)
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        lots.setdefault(model_id, []).append(Lot(at, int(quantity)))
        stock[model_id] = int(model_stock)
    for model_id, model_lots in lots.items():
        covered = sum(lot.quantity for lot in model_lots)
        if covered < stock[model_id]:
            model_lots.insert(0, Lot(model_lots[0].washed_at, stock[model_id] - covered))
    return lots
