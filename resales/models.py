"""Reservations of clean bottles by winemakers: the only tables resales writes besides the ledger.

A reservation moves no bottle, so it is no ledger event: it is a row whose status is the last of
its changes, and every change (created, cancelled, fulfilled) is kept with who and when. Nothing
here is ever deleted; a fulfilled reservation names the sale (a ledger event) that delivered it.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bottles.db import db
from bottles.models import UTC_DT, BigId, BottleModel, User, Winemaker, utcnow

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
