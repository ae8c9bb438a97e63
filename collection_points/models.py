"""Planning of pickups: which driver a coordinator sent to which point's requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from bottles.db import db
from bottles.models import UTC_DT, utcnow


class PickupAssignment(db.Model):
    """A coordinator's decision that a driver collects a point's open requests."""

    __tablename__ = "pickup_assignments"
    id: Mapped[int] = mapped_column(primary_key=True)
    collection_point_id: Mapped[int] = mapped_column(ForeignKey("collection_points.id"), index=True)
    driver_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTC_DT, default=utcnow)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
