"""Experimentation phases: the only thing reports writes."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    Float,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
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


class FlowSums:
    """The columns a flow roll-up keeps per period and key (0 stands for "none")."""

    id: Mapped[int] = mapped_column(primary_key=True)
    from_stage: Mapped[str] = mapped_column(String(16))
    to_stage: Mapped[str] = mapped_column(String(16))
    point_id: Mapped[int] = mapped_column(Integer, default=0)
    reason_id: Mapped[int] = mapped_column(Integer, default=0)
    winemaker_id: Mapped[int] = mapped_column(Integer, default=0)
    quantity: Mapped[int] = mapped_column(BigInteger, default=0)
    amount_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    glass_g: Mapped[int] = mapped_column(BigInteger, default=0)


class WorkSums:
    """The columns a work roll-up keeps per period, kind and point."""

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    point_id: Mapped[int] = mapped_column(Integer, default=0)
    events: Mapped[int] = mapped_column(BigInteger, default=0)
    fill_sum: Mapped[float] = mapped_column(Float, default=0.0)
    fill_count: Mapped[int] = mapped_column(BigInteger, default=0)
    hours: Mapped[float] = mapped_column(Float, default=0.0)
    km: Mapped[float] = mapped_column(Float, default=0.0)


class DailyFlow(FlowSums, db.Model):
    """Roll-up: bottles moved per Paris day, stage pair, point, reason and winemaker.

    A correction adds the negated movements of the event it corrects, on that event's day, so
    the sums leave out both (docs/indicators.md). 0 stands for "none" in the id columns.
    """

    __tablename__ = "report_daily_flows"
    day: Mapped[date] = mapped_column(Date)
    __table_args__ = (
        UniqueConstraint("day", "from_stage", "to_stage", "point_id", "reason_id", "winemaker_id",
                         name="uq_report_daily_flows_key"),
        Index("ix_report_daily_flows_pair_day", "from_stage", "to_stage", "day"),
    )


class DailyWork(WorkSums, db.Model):
    """Roll-up: events, crate fill, hours and km per Paris day, kind and point."""

    __tablename__ = "report_daily_work"
    day: Mapped[date] = mapped_column(Date)
    __table_args__ = (UniqueConstraint("day", "kind", "point_id", name="uq_report_daily_work_key"),)


class CrateLead(db.Model):
    """Roll-up: for each counted pickup or receipt, days since the crate's latest earlier step."""

    __tablename__ = "report_crate_leads"
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    crate_id: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(24))
    day: Mapped[date] = mapped_column(Date)
    point_id: Mapped[int] = mapped_column(Integer, default=0)
    days: Mapped[float] = mapped_column(Float)
    # Covering index: a phase's medians read (kind, day range) and sort `days` without the table.
    __table_args__ = (Index("ix_report_crate_leads_kind_day_days", "kind", "day", "days"),)


class RollupState(db.Model):
    """How far (event seq) the roll-ups have read the ledger."""

    __tablename__ = "report_rollup_state"
    id: Mapped[int] = mapped_column(primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime | None] = mapped_column(UTC_DT)


class MonthlyFlow(FlowSums, db.Model):
    """Roll-up: the daily flows summed per Paris month (`month` = its first day), for long ranges."""

    __tablename__ = "report_monthly_flows"
    month: Mapped[date] = mapped_column(Date)
    __table_args__ = (
        UniqueConstraint("month", "from_stage", "to_stage", "point_id", "reason_id", "winemaker_id",
                         name="uq_report_monthly_flows_key"),
    )


class MonthlyWork(WorkSums, db.Model):
    """Roll-up: the daily work figures summed per Paris month."""

    __tablename__ = "report_monthly_work"
    month: Mapped[date] = mapped_column(Date)
    __table_args__ = (UniqueConstraint("month", "kind", "point_id", name="uq_report_monthly_work_key"),)
