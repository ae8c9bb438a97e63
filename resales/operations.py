"""Writes of resales: a sale and its correction, through the ledger (never commit)."""

from __future__ import annotations

import uuid
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from bottles.ledger import Draft, Recorded, record
from bottles.models import BottleModel, Event, StockLevel, User, Washer, Winemaker
from bottles.rules import Kind, Move, Stage
from resales.rules import Line, SaleFormError, SaleInputError, merge_lines, shortage


def record_sale(session: Session, *, actor: User, at: datetime, event_id: uuid.UUID, washer_id: int,
                winemaker_id: int, lines: list[Line], note: str = "") -> Recorded:
    """Clean bottles sold to a winemaker: one movement clean → sold per model and price."""
    merged = merge_lines(lines)
    washer = session.get(Washer, washer_id)
    if washer is None:
        raise SaleFormError({"washer_id": _l("Centre de lavage inconnu.")})
    winemaker = session.get(Winemaker, winemaker_id)
    if winemaker is None or not winemaker.active:
        raise SaleFormError({"winemaker_id": _l("Choisissez le vigneron acheteur dans la liste.")})
    errors = check_lines(session, washer, lines)
    if errors:
        raise SaleFormError(errors)
    lines = merged
    moves = [Move(Stage.CLEAN, Stage.SOLD, line.quantity, model_id=line.model_id,
                  unit_price_cents=line.unit_price_cents, winemaker_id=winemaker_id)
             for line in sorted(lines, key=lambda x: (x.model_id, x.unit_price_cents))]
    return record(session, Draft(id=event_id, kind=Kind.SALE, occurred_at=at, actor_id=actor.id,
                                 moves=moves, washer_id=washer_id, note=note.strip()))


def check_lines(session: Session, washer: Washer, lines: list[Line]) -> dict[str, str]:
    """What to say, beside its line, of a model unknown or asked beyond the washer's clean stock
    (the ledger refuses a negative stock anyway; this says which line)."""
    wanted = {line.model_id for line in lines}
    known = set(session.scalars(select(BottleModel.id).where(BottleModel.id.in_(wanted))))
    held = dict(session.execute(
        select(StockLevel.model_id, StockLevel.quantity)
        .where(StockLevel.stage == Stage.CLEAN.value, StockLevel.site_id == washer.id,
               StockLevel.model_id.in_(wanted))).all())
    errors: dict[str, str] = {}
    asked: dict[int, int] = {}
    for line in lines:
        if line.model_id not in known:
            errors[f"model_id-{line.index}"] = str(_l("Modèle de bouteille inconnu du catalogue."))
            continue
        above = asked.get(line.model_id, 0)
        asked[line.model_id] = above + line.quantity
        if asked[line.model_id] > held.get(line.model_id, 0):
            errors[f"quantity-{line.index}"] = str(shortage(int(held.get(line.model_id, 0)), washer.name,
                                                            above))
    return errors


def correct_sale(session: Session, *, actor: User, at: datetime, event_id: uuid.UUID, sale: Event,
                 note: str) -> Recorded:
    """Cancel a sale by its exact reverse; the bottles go back to clean stock."""
    if sale.kind != Kind.SALE.value:
        raise SaleInputError(_l("Seule une vente se corrige ici."))
    if not note.strip():
        raise SaleInputError(_l("Donnez le motif de la correction."))
    return record(session, Draft(id=event_id, kind=Kind.CORRECTION, occurred_at=at, actor_id=actor.id,
                                 corrects_seq=sale.seq, note=note.strip()))
