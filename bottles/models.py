"""Kernel tables: catalogue, people, crates, the ledger and its projections."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import ClassVar

from flask_login import UserMixin
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    false,
    select,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from bottles.db import db

BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTC_DT(TypeDecorator):
    """Aware UTC datetimes on both databases (SQLite stores them naive, in UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


user_collection_points = Table(
    "user_collection_points", db.metadata,
    Column("user_id", ForeignKey("users.id"), primary_key=True),
    Column("collection_point_id", ForeignKey("collection_points.id"), primary_key=True),
)
user_washers = Table(
    "user_washers", db.metadata,
    Column("user_id", ForeignKey("users.id"), primary_key=True),
    Column("washer_id", ForeignKey("washers.id"), primary_key=True),
)


class BottleModel(db.Model):
    __tablename__ = "bottle_models"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120), default="", server_default="")
    volume_ml: Mapped[int] = mapped_column(Integer)
    colour: Mapped[str] = mapped_column(String(40), default="")
    glass_mass_g: Mapped[int] = mapped_column(Integer)
    in_pool: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    __table_args__ = (
        CheckConstraint("volume_ml > 0 AND volume_ml <= 10000", name="volume"),
        CheckConstraint("glass_mass_g > 0 AND glass_mass_g <= 5000", name="mass"),
    )


class Reason(db.Model):
    """Why bottles left the channel: refusal at sorting, reject after washing, loss."""

    __tablename__ = "reasons"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # refusal | reject | loss | surplus
    label_fr: Mapped[str] = mapped_column(String(120))
    label_en: Mapped[str] = mapped_column(String(120), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Territory(db.Model):
    """A territory points belong to (dashboards filter and group by its name)."""

    __tablename__ = "territories"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class PointKind(db.Model):
    """What a collection point is (wine shop, restaurant, recycling centre…)."""

    __tablename__ = "point_kinds"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    label_fr: Mapped[str] = mapped_column(String(120))
    label_en: Mapped[str] = mapped_column(String(120), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class CollectionPoint(db.Model):
    """A collection point; `territory` (its name) and `kind` (its code) read like plain columns."""

    __tablename__ = "collection_points"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind_id: Mapped[int | None] = mapped_column(ForeignKey("point_kinds.id"))
    territory_id: Mapped[int | None] = mapped_column(ForeignKey("territories.id"))
    address: Mapped[str] = mapped_column(String(255), default="")
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    contact: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    active_from: Mapped[date | None] = mapped_column(Date)
    active_until: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    point_kind: Mapped[PointKind | None] = relationship(lazy="joined")
    territory_row: Mapped[Territory | None] = relationship(lazy="joined")

    @hybrid_property
    def territory(self) -> str:
        """The territory's name, "" when none (in SQL: a subquery usable in where/group by)."""
        return self.territory_row.name if self.territory_row is not None else ""

    @territory.inplace.setter
    def _territory_setter(self, value: Territory | None) -> None:
        if value is not None and not isinstance(value, Territory):
            raise TypeError("territory takes a Territory row (or None), not its name")
        self.territory_row = value

    @territory.inplace.expression
    @classmethod
    def _territory_expression(cls):
        # Always correlated: selected alone it needs .select_from(CollectionPoint).
        return (select(Territory.name).where(Territory.id == cls.territory_id)
                .correlate_except(Territory).scalar_subquery())

    @hybrid_property
    def kind(self) -> str:
        """The kind's code, "" when none."""
        return self.point_kind.code if self.point_kind is not None else ""

    @kind.inplace.setter
    def _kind_setter(self, value: PointKind | None) -> None:
        if value is not None and not isinstance(value, PointKind):
            raise TypeError("kind takes a PointKind row (or None), not its code")
        self.point_kind = value

    @kind.inplace.expression
    @classmethod
    def _kind_expression(cls):
        return (select(PointKind.code).where(PointKind.id == cls.kind_id)
                .correlate_except(PointKind).scalar_subquery())


class Washer(db.Model):
    __tablename__ = "washers"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(255), default="")
    contact: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    pallet_size: Mapped[int] = mapped_column(Integer, default=1200)
    staff_may_sell: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Winemaker(db.Model):
    __tablename__ = "winemakers"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    estate: Mapped[str] = mapped_column(String(120))
    commune: Mapped[str] = mapped_column(String(120), default="")
    contact: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str] = mapped_column(String(160), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    role: Mapped[str] = mapped_column(String(16))
    phone: Mapped[str] = mapped_column(String(32), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    language: Mapped[str] = mapped_column(String(5), default="fr")
    created_at: Mapped[datetime] = mapped_column(UTC_DT, default=utcnow)
    # Bumped by sign-out, a password change or reset and deactivation: every sign-in ends.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Set when an admin chose the password (new account, reset): the person picks their own first.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False,
                                                       server_default=false())
    collection_points: Mapped[list[CollectionPoint]] = relationship(
        secondary=user_collection_points, lazy="selectin")
    washers: Mapped[list[Washer]] = relationship(secondary=user_washers, lazy="selectin")
    # A winemaker's account: the one estate whose reservations, purchases and notes it sees.
    winemaker_id: Mapped[int | None] = mapped_column(ForeignKey("winemakers.id"))
    winemaker: Mapped[Winemaker | None] = relationship(lazy="joined")
    # When the password was typed for the sign-in this object serves (epoch seconds; not stored).
    signed_in_at: ClassVar[int | None] = None

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        """The sign-in Flask-Login keeps in the session and the remember-me cookie: the account,
        its session version and when the password was typed (bottles.auth checks all three)."""
        return f"{self.id}:{self.session_version}:{self.signed_in_at or int(time.time())}"

    def __eq__(self, other: object) -> bool:  # the same account, whichever sign-in it serves
        return isinstance(other, User) and self.id == other.id

    def __hash__(self) -> int:
        return object.__hash__(self)


class Crate(db.Model):
    """A QR-labelled crate and its current-state projection (state, site, since)."""

    __tablename__ = "crates"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    capacity: Mapped[int] = mapped_column(Integer, default=60)
    state: Mapped[str | None] = mapped_column(String(16))
    collection_point_id: Mapped[int | None] = mapped_column(ForeignKey("collection_points.id"))
    washer_id: Mapped[int | None] = mapped_column(ForeignKey("washers.id"))
    state_since: Mapped[datetime | None] = mapped_column(UTC_DT)
    last_event_seq: Mapped[int | None] = mapped_column(BigId)
    label_printed_at: Mapped[datetime | None] = mapped_column(UTC_DT)
    version: Mapped[int] = mapped_column(Integer, default=0)
    collection_point: Mapped[CollectionPoint | None] = relationship(lazy="joined")
    washer: Mapped[Washer | None] = relationship(lazy="joined")
    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint("capacity > 0 AND capacity <= 500", name="capacity"),
        Index("ix_crates_state_point", "state", "collection_point_id"),
    )


class Round(db.Model):
    """A driver's collection round; km and hours come from its round_closed event."""

    __tablename__ = "rounds"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    driver_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    round_date: Mapped[date] = mapped_column(Date)
    washer_id: Mapped[int | None] = mapped_column(ForeignKey("washers.id"))
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    km: Mapped[Decimal | None] = mapped_column(Numeric(10, 1))
    hours: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    driver: Mapped[User | None] = relationship(lazy="joined")


class Event(db.Model):
    """One thing that happened; appended once, never changed (docs/ledger.md)."""

    __tablename__ = "events"
    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    kind: Mapped[str] = mapped_column(String(24))
    occurred_at: Mapped[datetime] = mapped_column(UTC_DT)
    recorded_at: Mapped[datetime] = mapped_column(UTC_DT, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    crate_id: Mapped[int | None] = mapped_column(ForeignKey("crates.id"))
    collection_point_id: Mapped[int | None] = mapped_column(ForeignKey("collection_points.id"))
    washer_id: Mapped[int | None] = mapped_column(ForeignKey("washers.id"))
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id"))
    corrects_seq: Mapped[int | None] = mapped_column(ForeignKey("events.seq"), unique=True)
    hours: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    km: Mapped[Decimal | None] = mapped_column(Numeric(10, 1))
    water_l: Mapped[Decimal | None] = mapped_column(Numeric(12, 1))
    energy_kwh: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    note: Mapped[str] = mapped_column(Text, default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    movements: Mapped[list[Movement]] = relationship(
        back_populates="event", lazy="selectin", order_by="Movement.id")
    actor: Mapped[User | None] = relationship(lazy="joined")
    __table_args__ = (
        Index("ix_events_occurred", "occurred_at"),
        Index("ix_events_crate", "crate_id", "seq"),
        Index("ix_events_kind_occurred", "kind", "occurred_at"),
    )


class Movement(db.Model):
    """Bottles moved by an event from one stage to another (quantity > 0)."""

    __tablename__ = "movements"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_seq: Mapped[int] = mapped_column(ForeignKey("events.seq"), index=True)
    bottle_model_id: Mapped[int | None] = mapped_column(ForeignKey("bottle_models.id"))
    from_stage: Mapped[str] = mapped_column(String(16))
    to_stage: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[int] = mapped_column(Integer)
    reason_id: Mapped[int | None] = mapped_column(ForeignKey("reasons.id"))
    unit_price_cents: Mapped[int | None] = mapped_column(Integer)
    winemaker_id: Mapped[int | None] = mapped_column(ForeignKey("winemakers.id"))
    event: Mapped[Event] = relationship(back_populates="movements")
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("from_stage <> to_stage", name="stages_differ"),
        Index("ix_movements_stages", "from_stage", "to_stage"),
    )


class StockLevel(db.Model):
    """Projection: bottles held now in a stage, at a site, of a model (0 = none/mixed)."""

    __tablename__ = "stock_levels"
    id: Mapped[int] = mapped_column(primary_key=True)
    stage: Mapped[str] = mapped_column(String(16))
    site_id: Mapped[int] = mapped_column(Integer, default=0)
    model_id: Mapped[int] = mapped_column(Integer, default=0)
    quantity: Mapped[int] = mapped_column(BigInteger, default=0)
    __table_args__ = (
        UniqueConstraint("stage", "site_id", "model_id", name="uq_stock_levels_key"),
        CheckConstraint("quantity >= 0", name="never_negative"),
    )


class Setting(db.Model):
    """Small channel-wide settings (name of the channel, crate code prefix…)."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")


def new_event_id() -> uuid.UUID:
    return uuid.uuid4()
