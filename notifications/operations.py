"""Writes of the alerts: subscriptions, queued deliveries and their status; flush, never commit."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import and_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bottles.models import User
from notifications.models import Delivery, Subscription
from notifications.rules import (
    INTERRUPTED,
    POINT_TOPICS,
    REMOVED,
    STUCK_AFTER,
    Channel,
    Topic,
    next_attempt,
)


def create_subscription(session: Session, *, user: User, topic: Topic, channel: Channel, target: str,
                        threshold_days: int | None, point_id: int | None,
                        now: datetime) -> Subscription:
    """A new alert; a webhook gets its own signing secret (shown once, by the page that made it)."""
    row = Subscription(user_id=user.id, topic=topic.value, channel=channel.value, target=target,
                       secret=secrets.token_hex(32) if channel == Channel.WEBHOOK else "",
                       threshold_days=threshold_days if topic == Topic.PICKUP_LATE else None,
                       collection_point_id=point_id if topic in POINT_TOPICS else None,
                       active=True, created_at=now)
    session.add(row)
    session.flush()
    return row


def remove_subscription(session: Session, subscription: Subscription, now: datetime) -> None:
    """Deactivate it (its log stays); what it still had to send is dropped, never sent late."""
    subscription.active = False
    session.execute(update(Delivery).where(Delivery.subscription_id == subscription.id,
                                           Delivery.status == "pending")
                    .values(status="failed", last_error=REMOVED, next_attempt_at=now))
    session.flush()


def enqueue(session: Session, rows: list[dict], now: datetime) -> int:
    """Queue deliveries {subscription_id, dedup_key, payload}; a key already queued is skipped.

    INSERT … ON CONFLICT DO NOTHING on the unique (subscription, key): two senders, or one event
    announced twice, queue one delivery. Returns how many were new.
    """
    if not rows:
        return 0
    values = [{"subscription_id": r["subscription_id"], "dedup_key": r["dedup_key"][:160],
               "payload": r["payload"], "status": "pending", "attempts": 0, "next_attempt_at": now,
               "last_error": "", "created_at": now} for r in rows]
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(Delivery).values(values).on_conflict_do_nothing(
        index_elements=["subscription_id", "dedup_key"]).returning(Delivery.id)
    return len(session.execute(statement).all())


def claim(session: Session, delivery_id: int, now: datetime) -> bool:
    """Take one due delivery for this sender: pending → sending, one attempt more. Only one
    sender's UPDATE matches the pending row, so one of them sends it."""
    result = session.execute(
        update(Delivery).where(Delivery.id == delivery_id, Delivery.status == "pending",
                               Delivery.next_attempt_at <= now)
        .values(status="sending", attempts=Delivery.attempts + 1, next_attempt_at=now))
    return result.rowcount == 1


def finish(session: Session, delivery: Delivery, error: str | None, now: datetime) -> None:
    """Sent; or tried again later (1, 5, 30 min, 2 h); or failed after the 5th attempt."""
    if error is None:
        delivery.status, delivery.sent_at, delivery.last_error = "sent", now, ""
    else:
        retry_at = next_attempt(delivery.attempts, now)
        delivery.last_error = error[:1000]
        delivery.status = "pending" if retry_at else "failed"
        delivery.next_attempt_at = retry_at or now
    session.flush()


def fail_stuck(session: Session, now: datetime) -> int:
    """A delivery left 'sending' by a sender that died: failed, not sent again (it may have gone)."""
    result = session.execute(
        update(Delivery).where(and_(Delivery.status == "sending",
                                    Delivery.next_attempt_at < now - STUCK_AFTER))
        .values(status="failed", last_error=INTERRUPTED))
    return result.rowcount or 0
