"""Writes of resales: a sale and its correction, through the ledger (never commit)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bottles.ledger import Draft, Recorded, record
from bottles.models import BottleModel, Event, StockLevel, User, Washer, Winemaker
from bottles.rules import Kind, Move, Stage
from resales.models import Reservation, ReservationChange
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


# --- Reservations ------------------------------------------------------------------------------------


class ReservationStateError(SaleInputError):
    """The reservation is no longer open (cancelled or fulfilled): a 409, nothing written."""


def create_reservation(session: Session, *, actor: User, at: datetime, request_id: uuid.UUID,
                       winemaker_id: int, model_id: int, quantity: int, pallets: int | None,
                       wanted_by: date, note: str = "") -> Reservation:
    """An estate's reservation, open, with its first change recorded (who, when)."""
    winemaker = session.get(Winemaker, winemaker_id)
    if winemaker is None or not winemaker.active:
        raise SaleFormError({"winemaker_id": _l("Choisissez le vigneron dans la liste.")})
    model = session.get(BottleModel, model_id)
    if model is None or not model.active:
        raise SaleFormError({"model_id": _l("Modèle de bouteille inconnu du catalogue.")})
    row = Reservation(request_id=request_id, winemaker_id=winemaker.id, bottle_model_id=model.id,
                      quantity=quantity, pallets=pallets, wanted_by=wanted_by, note=note.strip()[:500],
                      status="open", created_at=at, created_by_id=actor.id)
    session.add(row)
    session.flush()
    session.add(ReservationChange(reservation_id=row.id, status="open", at=at, actor_id=actor.id))
    session.flush()
    return row


def _close(session: Session, reservation: Reservation, status: str, sale_seq: int | None = None) -> None:
    """Open → `status` in one conditional UPDATE: of two people closing it at once, one wins."""
    done = session.execute(
        update(Reservation).where(Reservation.id == reservation.id, Reservation.status == "open")
        .values(status=status, sale_seq=sale_seq).execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise ReservationStateError(_l("Cette réservation n'est plus ouverte (annulée ou déjà livrée) : "
                                       "rien n'a été enregistré."))
    session.refresh(reservation)


def cancel_reservation(session: Session, *, actor: User, at: datetime, reservation: Reservation,
                       note: str = "") -> None:
    """The reservation cancelled; its history keeps it, with who and when."""
    _close(session, reservation, "cancelled")
    session.add(ReservationChange(reservation_id=reservation.id, status="cancelled", at=at,
                                  actor_id=actor.id, note=note.strip()[:500]))
    session.flush()


def fulfil_reservation(session: Session, *, actor: User, at: datetime, event_id: uuid.UUID,
                       reservation: Reservation, washer_id: int, unit_price_cents: int,
                       note: str = "") -> Recorded:
    """The reservation becomes a sale in one step: the sale recorded in the ledger as any resale,
    the reservation marked fulfilled with the sale's number (the caller commits both at once)."""
    if reservation.status != "open":
        raise ReservationStateError(_l("Cette réservation n'est plus ouverte (annulée ou déjà livrée) : "
                                       "rien n'a été enregistré."))
    recorded = record_sale(session, actor=actor, at=at, event_id=event_id, washer_id=washer_id,
                           winemaker_id=reservation.winemaker_id,
                           lines=[Line(reservation.bottle_model_id, reservation.quantity, unit_price_cents)],
                           note=note or f"Réservation n° {reservation.id}")  # data, in the channel's language
    _close(session, reservation, "fulfilled", recorded.event.seq)
    session.add(ReservationChange(reservation_id=reservation.id, status="fulfilled", at=at,
                                  actor_id=actor.id, sale_seq=recorded.event.seq))
    session.flush()
    return recorded
