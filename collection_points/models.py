"""Planning of pickups: which driver a coordinator sent to which point's requests, the washers'
coordinates, the distance matrix imported from a routing tool and the planned rounds (docs/rounds.md)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

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


class WasherLocation(db.Model):
    """Where a washer is (the depot of its rounds): the kernel's washers have an address only."""

    __tablename__ = "washer_locations"
    washer_id: Mapped[int] = mapped_column(ForeignKey("washers.id"), primary_key=True)
    latitude: Mapped[Decimal] = mapped_column(Numeric(9, 6))
    longitude: Mapped[Decimal] = mapped_column(Numeric(9, 6))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTC_DT, default=utcnow)


class RouteDistance(db.Model):
    """One cell of the distance matrix imported from a routing tool (place codes: points, washers);
    an import replaces the whole matrix."""

    __tablename__ = "route_distances"
    from_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    to_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    km: Mapped[Decimal] = mapped_column(Numeric(10, 3))
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    imported_at: Mapped[datetime] = mapped_column(UTC_DT, default=utcnow)
    __table_args__ = (CheckConstraint("km >= 0", name="km_not_negative"),)


class RoundPlan(db.Model):
    """A day's planned round as a coordinator saved it; the latest of a day is the one that counts.

    It meets the round driven through the day and the driver (any driver when none is named):
    the dashboard sets its km beside the round's km from the round_closed event."""

    __tablename__ = "round_plans"
    id: Mapped[int] = mapped_column(primary_key=True)
    round_date: Mapped[date] = mapped_column(Date, index=True)
    driver_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    washer_id: Mapped[int] = mapped_column(ForeignKey("washers.id"))
    van_capacity: Mapped[int] = mapped_column(Integer)
    matrix_source: Mapped[str] = mapped_column(String(16))  # coordinates | csv
    road_factor: Mapped[Decimal | None] = mapped_column(Numeric(4, 2))
    km: Mapped[Decimal] = mapped_column(Numeric(10, 1))
    minutes: Mapped[int] = mapped_column(Integer)
    crates: Mapped[int] = mapped_column(Integer)
    bottles: Mapped[int] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTC_DT, default=utcnow)
    stops: Mapped[list[RoundPlanStop]] = relationship(order_by="RoundPlanStop.position", lazy="selectin",
                                                      cascade="all, delete-orphan")
    __table_args__ = (CheckConstraint("van_capacity > 0 AND van_capacity <= 500", name="van_capacity"),
                      CheckConstraint("km >= 0", name="km_not_negative"))


class RoundPlanStop(db.Model):
    """One stop of a planned round, in visiting order, with the leg that reaches it."""

    __tablename__ = "round_plan_stops"
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("round_plans.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    collection_point_id: Mapped[int] = mapped_column(ForeignKey("collection_points.id"))
    full_crates: Mapped[int] = mapped_column(Integer)
    nearly_full: Mapped[int] = mapped_column(Integer)
    bottles: Mapped[int] = mapped_column(Integer)
    leg_km: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    leg_minutes: Mapped[Decimal] = mapped_column(Numeric(8, 1))
    __table_args__ = (UniqueConstraint("plan_id", "position", name="uq_round_plan_stops_position"),)
