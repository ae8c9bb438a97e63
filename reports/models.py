"""Experimentation phases: the only thing reports writes."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bottles.db import db
from bottles.models import UTC_DT, utcnow


class Phase(db.Model):
    """A phase: its dates (Europe/Paris days, inclusive), model, parameters and targets."""

    __tablename__ = "phases"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text, default="")
    # {"key": {"value": 0.3, "source": "…"}}
    parameters: Mapped[dict] = mapped_column(JSON, default=dict)
    # {"key": 0.5}
    targets: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTC_DT, default=utcnow)
    __table_args__ = (CheckConstraint("start_date <= end_date", name="dates_in_order"),)
