"""Writes of resales: a sale and its correction, through the ledger (never commit)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bottles.ledger import Draft, Recorded, record
from bottles.models import BottleModel, Event, User, Washer, Winemaker
from bottles.resales.rules import Line, SaleInputError, merge_lines
from bottles.rules import Kind, Move, Stage


def record_sale(session: Session, *, actor: User, at: datetime, event_id: uuid.UUID, washer_id: int,
                winemaker_id: int, lines: list[Line], note: str = "") -> Recorded:
    """Clean bottles sold to a winemaker: one movement clean → sold per model and price."""
    lines = merge_lines(lines)
    if session.get(Washer, washer_id) is None:
        raise SaleInputError("Centre de lavage inconnu.")
    winemaker = session.get(Winemaker, winemaker_id)
    if winemaker is None or not winemaker.active:
        raise SaleInputError("Choisissez le vigneron acheteur dans la liste.")
    wanted = {line.model_id for line in lines}
    known = set(session.scalars(select(BottleModel.id).where(BottleModel.id.in_(wanted))))
    if wanted - known:
        raise SaleInputError("Modèle de bouteille inconnu du catalogue : rien n'est enregistré.")
    moves = [Move(Stage.CLEAN, Stage.SOLD, line.quantity, model_id=line.model_id,
                  unit_price_cents=line.unit_price_cents, winemaker_id=winemaker_id)
             for line in sorted(lines, key=lambda x: (x.model_id, x.unit_price_cents))]
    return record(session, Draft(id=event_id, kind=Kind.SALE, occurred_at=at, actor_id=actor.id,
                                 moves=moves, washer_id=washer_id, note=note.strip()))


def correct_sale(session: Session, *, actor: User, at: datetime, event_id: uuid.UUID, sale: Event,
                 note: str) -> Recorded:
    """Cancel a sale by its exact reverse; the bottles go back to clean stock."""
    if sale.kind != Kind.SALE.value:
        raise SaleInputError("Seule une vente se corrige ici.")
    if not note.strip():
        raise SaleInputError("Donnez le motif de la correction.")
    return record(session, Draft(id=event_id, kind=Kind.CORRECTION, occurred_at=at, actor_id=actor.id,
                                 corrects_seq=sale.seq, note=note.strip()))
