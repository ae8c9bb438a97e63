"""Alert subscriptions and the deliveries queued for them: the only tables notifications writes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bottles.db import db
from bottles.models import UTC_DT, CollectionPoint, User, utcnow


class Subscription(db.Model):
    """One person asks to be told about one topic, by e-mail or by a signed webhook."""

    __tablename__ = "notification_subscriptions"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    topic: Mapped[str] = mapped_column(String(24))
    channel: Mapped[str] = mapped_column(String(8))
    target: Mapped[str] = mapped_column(String(500))
    # The HMAC key of a webhook's signature (shown once, at creation); "" for e-mail.
    secret: Mapped[str] = mapped_column(String(64), default="")
    # Late pickups: one point, or every point when None; and after how many days.
    collection_point_id: Mapped[int | None] = mapped_column(ForeignKey("collection_points.id"))
    threshold_days: Mapped[int | None] = mapped_column(Integer)
    # Removing a subscription deactivates it: its delivery log stays.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTC_DT, default=utcnow)
    user: Mapped[User] = relationship(lazy="joined")
    collection_point: Mapped[CollectionPoint | None] = relationship(lazy="joined")
    __table_args__ = (
        CheckConstraint("channel IN ('email', 'webhook')", name="channel_known"),
        CheckConstraint("threshold_days IS NULL OR (threshold_days >= 1 AND threshold_days <= 365)",
                        name="threshold_in_range"),
    )


class Delivery(db.Model):
    """One message for one subscription; its dedup key makes the same event or condition go once."""

    __tablename__ = "notification_deliveries"
    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("notification_subscriptions.id"))
    # topic:event uuid, or topic:condition:Paris day — unique per subscription.
    dedup_key: Mapped[str] = mapped_column(String(160))
    # pending → sending (claimed by one sender) → sent | pending again (retry) | failed
    status: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTC_DT, default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTC_DT, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTC_DT)
    subscription: Mapped[Subscription] = relationship(lazy="joined")
    __table_args__ = (
        UniqueConstraint("subscription_id", "dedup_key", name="uq_notification_deliveries_key"),
        CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed')", name="status_known"),
        Index("ix_notification_deliveries_due", "status", "next_attempt_at"),
        Index("ix_notification_deliveries_log", "subscription_id", "created_at"),
    )
