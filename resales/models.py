"""Reservations of clean bottles by winemakers: the only tables resales writes besides the ledger.

A reservation moves no bottle, so it is no ledger event: it is a row whose status is the last of
its changes, and every change (created, cancelled, fulfilled) is kept with who and when. Nothing
here is ever deleted; a fulfilled reservation names the sale (a ledger event) that delivered it.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Connection,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    Uuid,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bottles.db import db
from bottles.models import UTC_DT, BigId, BottleModel, Event, User, Winemaker, utcnow
from bottles.rules import Kind

STATUSES = ("open", "cancelled", "fulfilled")


class Reservation(db.Model):
    """An estate asks for clean bottles of one model by a day; first come, first served."""

    __tablename__ = "reservations"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("status IN ('open', 'cancelled', 'fulfilled')", name="status_known"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    # The form's one-time id: a second submission of the same form finds this row.
    request_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    winemaker_id: Mapped[int] = mapped_column(ForeignKey("winemakers.id"), index=True)
    bottle_model_id: Mapped[int] = mapped_column(ForeignKey("bottle_models.id"))
    quantity: Mapped[int] = mapped_column(Integer)  # bottles
    pallets: Mapped[int | None] = mapped_column(Integer)  # as typed, when asked in pallets
    wanted_by: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default="open")
    created_at: Mapped[datetime] = mapped_column(UTC_DT, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    sale_seq: Mapped[int | None] = mapped_column(BigId, ForeignKey("events.seq"))
    winemaker: Mapped[Winemaker] = relationship(lazy="joined")
    model: Mapped[BottleModel] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship(lazy="joined")


class ReservationChange(db.Model):
    """One step of a reservation's life, appended, never changed: its history."""

    __tablename__ = "reservation_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    reservation_id: Mapped[int] = mapped_column(ForeignKey("reservations.id"), index=True)
    status: Mapped[str] = mapped_column(String(12))
    at: Mapped[datetime] = mapped_column(UTC_DT, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    sale_seq: Mapped[int | None] = mapped_column(BigId, ForeignKey("events.seq"))
    actor: Mapped[User | None] = relationship(lazy="joined")


@event.listens_for(Event, "after_insert")
def _reopen_when_sale_corrected(_mapper: object, connection: Connection, target: Event) -> None:
    """A sale cancelled by a correction gives its reservation back, open again, in the same
    transaction, whichever page, station or API call recorded the correction."""
    if target.kind != Kind.CORRECTION.value or target.corrects_seq is None:
        return
    reservations = Reservation.__table__
    ids = connection.execute(select(reservations.c.id).where(
        reservations.c.sale_seq == target.corrects_seq, reservations.c.status == "fulfilled")).scalars().all()
    for reservation_id in ids:
        connection.execute(update(reservations).where(reservations.c.id == reservation_id)
                           .values(status="open", sale_seq=None))
        connection.execute(insert(ReservationChange.__table__).values(
            reservation_id=reservation_id, status="open", at=target.recorded_at or utcnow(),
            actor_id=target.actor_id, sale_seq=target.corrects_seq,
            note=target.note[:500]))  # the correction's reason, as typed
