"""Reads of the alerts: subscriptions, the delivery log, and the conditions the sender checks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bottles.models import CollectionPoint, User, Washer
from bottles.stock import clean_lots
from collection_points.queries import point_needs
from notifications.models import Delivery, Subscription
from notifications.rules import LOG_ROWS, Topic
from washer.rules import is_stale


@dataclass(frozen=True)
class LatePoint:
    point_id: int
    name: str
    full_crates: int
    oldest_full: datetime


@dataclass(frozen=True)
class StaleStock:
    washer_id: int
    name: str
    bottles: int
    oldest: datetime


def subscriptions_of(session: Session, user_id: int) -> list[Subscription]:
    return list(session.scalars(
        select(Subscription).where(Subscription.user_id == user_id, Subscription.active.is_(True))
        .order_by(Subscription.created_at, Subscription.id)))


def deliveries_of(session: Session, user_id: int, limit: int = LOG_ROWS) -> list[Delivery]:
    """The person's latest deliveries, removed subscriptions' included (the log stays)."""
    return list(session.scalars(
        select(Delivery).join(Subscription, Subscription.id == Delivery.subscription_id)
        .where(Subscription.user_id == user_id)
        .order_by(Delivery.created_at.desc(), Delivery.id.desc()).limit(limit)))


def listening(session: Session, topic: Topic) -> list[Subscription]:
    """Active subscriptions to `topic` of people whose account is active."""
    return list(session.scalars(
        select(Subscription).join(User, User.id == Subscription.user_id)
        .where(Subscription.topic == topic.value, Subscription.active.is_(True),
               User.active.is_(True))
        .order_by(Subscription.id)))


def late_points(session: Session, now: datetime, min_days: int) -> list[LatePoint]:
    """Points whose oldest full crate has waited more than `min_days` days (the round's own query)."""
    needs = point_needs(session)
    late = {pid: need for pid, need in needs.items()
            if need.full_crates and need.oldest_full and now - need.oldest_full > timedelta(days=min_days)}
    if not late:
        return []
    names = dict(session.execute(select(CollectionPoint.id, CollectionPoint.name)
                                 .where(CollectionPoint.id.in_(late))).all())
    return [LatePoint(pid, names.get(pid, "?"), need.full_crates, need.oldest_full)
            for pid, need in sorted(late.items())]


def stale_stock(session: Session, now: datetime) -> list[StaleStock]:
    """Per active washer, the clean bottles washed more than 30 days ago (its stock page's rule)."""
    found = []
    for washer in session.scalars(select(Washer).where(Washer.active.is_(True)).order_by(Washer.id)):
        lots = [lot for model_lots in clean_lots(session, washer.id).values() for lot in model_lots
                if is_stale(lot.washed_at, now)]
        if lots:
            found.append(StaleStock(washer.id, washer.name, sum(lot.quantity for lot in lots),
                                    min(lot.washed_at for lot in lots)))
    return found


def due(session: Session, now: datetime, limit: int = 200) -> list[int]:
    """Ids of the pending deliveries whose time has come, oldest first."""
    return list(session.scalars(
        select(Delivery.id).join(Subscription, Subscription.id == Delivery.subscription_id)
        .where(Delivery.status == "pending", Delivery.next_attempt_at <= now,
               Subscription.active.is_(True))
        .order_by(Delivery.next_attempt_at, Delivery.id).limit(limit)))
