"""When alerts are queued and sent, always after the ledger's commit and outside any request.

- `on_committed` hangs on `bottles.signals.event_committed` (crate full, stock-take): after the
  request's transaction has committed it INSERTs one delivery row per subscriber, in its own short
  transaction; a duplicate announcement inserts nothing (unique key).
- `run` is `flask bottles notify`, run every minute by cron or a systemd timer: it queues the
  conditions (late pickups, stale clean stock; one key per condition and Paris day), then claims
  and sends each due delivery, retrying with backoff.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from bottles.db import db, sqlite_begin_mode
from bottles.models import CollectionPoint, Crate, Washer, utcnow
from bottles.production import is_production
from bottles.rules import Kind
from bottles.signals import RecordedEvent, event_committed
from notifications import messages, operations, queries
from notifications.models import Delivery, Subscription
from notifications.rules import (
    FRESH_FOR,
    Channel,
    Topic,
    body_bytes,
    condition_key,
    event_key,
    paris_day,
    topics_for,
)
from notifications.sending import post_webhook, send_email

log = logging.getLogger("boucle.notifications")
EVENT_TOPICS = {Kind.CRATE_FULL: Topic.CRATE_FULL, Kind.STOCKTAKE: Topic.STOCKTAKE_GAP}


def connect() -> None:
    """Listen to the committed events that are alert topics (once per process)."""
    for kind in EVENT_TOPICS:
        event_committed.connect(on_committed, sender=kind)


def _wanted(subscription: Subscription, topic: Topic, point_id: int | None) -> bool:
    """The subscriber's role still allows the topic, and the point is theirs to watch."""
    return (topic in topics_for(subscription.user.role)
            and subscription.collection_point_id in (None, point_id))


def _event_data(session: Session, topic: Topic, event: RecordedEvent) -> dict:
    data = {"event_id": str(event.id), "seq": event.seq, "occurred_at": event.occurred_at.isoformat(),
            "bottles": event.bottles}
    if topic == Topic.CRATE_FULL:
        data.update(point_id=event.collection_point_id,
                    point=session.scalar(select(CollectionPoint.name)
                                         .where(CollectionPoint.id == event.collection_point_id)) or "?",
                    crate=session.scalar(select(Crate.code).where(Crate.id == event.crate_id)))
    else:
        data.update(washer_id=event.washer_id,
                    washer=session.scalar(select(Washer.name).where(Washer.id == event.washer_id)) or "?")
    return data


def on_committed(sender: Kind, event: RecordedEvent, **_extra) -> None:
    """Queue the alerts of one committed event; never raises into the request that committed."""
    topic = EVENT_TOPICS.get(sender)
    now = utcnow()
    if topic is None or now - event.occurred_at > FRESH_FOR:
        return  # a past event imported now (journal, demo) alerts nobody
    try:
        with Session(db.engine) as session:
            mode = sqlite_begin_mode.set("DEFERRED")  # a read: SQLite's write lock is not taken for it
            try:
                with session.begin():
                    subscribers = [s for s in queries.listening(session, topic)
                                   if _wanted(s, topic, event.collection_point_id)]
                    if not subscribers:
                        return
                    data = _event_data(session, topic, event)
            finally:
                sqlite_begin_mode.reset(mode)
            key = event_key(topic, event.id)
            mode = sqlite_begin_mode.set("IMMEDIATE")
            try:
                with session.begin():  # its first statement writes: SQLite takes the lock at once
                    operations.enqueue(session, [{"subscription_id": s.id, "dedup_key": key, "payload": data}
                                                 for s in subscribers], now)
            finally:
                sqlite_begin_mode.reset(mode)
    except Exception:
        log.exception("alerts of event #%s not queued", event.seq)


# --- flask bottles notify ------------------------------------------------------------------------


@dataclass
class Outcome:
    queued: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0


def queue_conditions(session: Session, now: datetime) -> int:
    """Late pickups and stale clean stock, each told once per subscription, condition and day."""
    day = paris_day(now)
    rows: list[dict] = []
    late_subs = [s for s in queries.listening(session, Topic.PICKUP_LATE)
                 if Topic.PICKUP_LATE in topics_for(s.user.role)]
    if late_subs:
        late = queries.late_points(session, now, min(s.threshold_days or 1 for s in late_subs))
        for sub in late_subs:
            days = sub.threshold_days or 1
            for point in late:
                if sub.collection_point_id in (None, point.point_id) and \
                        (now - point.oldest_full).total_seconds() > days * 86400:
                    rows.append({"subscription_id": sub.id,
                                 "dedup_key": condition_key(Topic.PICKUP_LATE, point.point_id, day),
                                 "payload": {"point_id": point.point_id, "point": point.name,
                                             "full_crates": point.full_crates, "days": days,
                                             "oldest_full": point.oldest_full.isoformat()}})
    stock_subs = [s for s in queries.listening(session, Topic.STOCK_OLD)
                  if Topic.STOCK_OLD in topics_for(s.user.role)]
    if stock_subs:
        for stock in queries.stale_stock(session, now):
            rows.extend({"subscription_id": sub.id,
                         "dedup_key": condition_key(Topic.STOCK_OLD, stock.washer_id, day),
                         "payload": {"washer_id": stock.washer_id, "washer": stock.name,
                                     "bottles": stock.bottles, "oldest": stock.oldest.isoformat()}}
                        for sub in stock_subs)
    return operations.enqueue(session, rows, now)


def _prepare(delivery: Delivery, settings: dict, page_url: str) -> Callable[[], str | None]:
    """The message, built from the rows while they are read; sending it happens after."""
    sub = delivery.subscription
    topic = Topic(sub.topic)
    if sub.channel == Channel.EMAIL.value:
        subject, text = messages.email(topic, delivery.payload, sub.user.language, page_url)
        return partial(send_email, settings, sub.target, subject, text)
    body = body_bytes(messages.webhook_body(delivery.id, topic, delivery.payload, delivery.created_at))
    return partial(post_webhook, sub.target, sub.secret, delivery.id, topic.value, body,
                   allow_internal=not is_production())


def send_due(session: Session, now: datetime | None = None) -> Outcome:
    """Claim each due delivery (committed before sending), send it outside any transaction, then
    record how it went: sent, tried again later, or failed."""
    outcome = Outcome()
    settings = current_app.config
    page_url = f"{settings.get('BASE_URL', '').rstrip('/')}/alertes"
    with session.begin():
        operations.fail_stuck(session, now or utcnow())
        due = queries.due(session, now or utcnow())
    for delivery_id in due:
        with session.begin():
            claimed = operations.claim(session, delivery_id, now or utcnow())
            send = _prepare(session.get(Delivery, delivery_id), settings, page_url) if claimed else None
        if send is None:
            continue  # another sender took it
        try:
            error = send()
        except Exception as failure:  # a bug in one message must not leave it claimed, nor stop the run
            log.exception("delivery %s could not be sent", delivery_id)
            error = f"{type(failure).__name__}: {failure}"[:500]
        with session.begin():
            delivery = session.get(Delivery, delivery_id, populate_existing=True)
            operations.finish(session, delivery, error, now or utcnow())
            status = delivery.status
        if error is None:
            outcome.sent += 1
        elif status == "failed":
            outcome.failed += 1
            log.warning("delivery %s failed for good: %s", delivery_id, error)
        else:
            outcome.retried += 1
            log.info("delivery %s will be tried again: %s", delivery_id, error)
    return outcome


def run(now: datetime | None = None) -> Outcome:
    """One pass of the sender: queue the conditions, then send what is due."""
    mode = sqlite_begin_mode.set("IMMEDIATE")  # each short transaction here writes
    try:
        with Session(db.engine) as session:
            with session.begin():
                queued = queue_conditions(session, now or utcnow())
            outcome = send_due(session, now)
    finally:
        sqlite_begin_mode.reset(mode)
    outcome.queued = queued
    return outcome
