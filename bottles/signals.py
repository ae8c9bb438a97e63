"""What the ledger tells the rest of the app: one signal per recorded event, and one log line.

Every operation records its events through `bottles.ledger.record`, which calls `announce`; each
event that is committed then logs one structured line (logger `boucle.ledger`, see bottles.logs).
Two blinker signals (the library Flask's own signals use) carry each new event:

- `event_recorded` is sent inside the transaction, right after the event is flushed; a receiver
  may read more with the session passed along, and must not commit;
- `event_committed` is sent after the transaction commits, once per event that was really
  committed (an event whose transaction or savepoint rolled back is never sent). Notifications
  (mail, webhooks) hang on this one: never inside a request's critical path, never twice.

The sender is the event's kind (a `bottles.rules.Kind`), so a receiver can listen to one kind:
`event_committed.connect(receiver, sender=Kind.CRATE_FULL)`.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from blinker import Namespace
from flask import g, has_request_context
from sqlalchemy import event as sa_event
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from bottles.models import Event
from bottles.rules import Kind

log = logging.getLogger("boucle.ledger")
_signals = Namespace()
event_recorded = _signals.signal("event-recorded")
event_committed = _signals.signal("event-committed")
_PENDING = "boucle_pending_events"
_SURVIVORS = "boucle_committed_events"


@dataclass(frozen=True)
class RecordedEvent:
    """What a receiver needs of an event after its transaction (no lazy loads after commit)."""

    seq: int
    id: uuid.UUID
    kind: Kind
    occurred_at: datetime
    actor_id: int | None
    crate_id: int | None
    collection_point_id: int | None
    washer_id: int | None
    bottles: int

    @classmethod
    def of(cls, event: Event) -> RecordedEvent:
        return cls(seq=event.seq, id=event.id, kind=Kind(event.kind), occurred_at=event.occurred_at,
                   actor_id=event.actor_id, crate_id=event.crate_id,
                   collection_point_id=event.collection_point_id, washer_id=event.washer_id,
                   bottles=sum(m.quantity for m in event.movements))


def announce(session: Session, event: Event) -> None:
    """Send `event_recorded`, and keep the event for `event_committed` (and its log line)."""
    summary = RecordedEvent.of(event)
    session.info.setdefault(_PENDING, []).append((event, summary))
    event_recorded.send(summary.kind, event=event, session=session)


def install(session_class: type[Session]) -> None:
    """Send `event_committed` after each commit, for the events that survived it."""
    if getattr(session_class, "_boucle_signals", False):
        return
    session_class._boucle_signals = True
    sa_event.listen(session_class, "before_commit", _keep_survivors)
    sa_event.listen(session_class, "after_commit", _send_committed)
    sa_event.listen(session_class, "after_rollback", _forget)


def _keep_survivors(session: Session) -> None:
    """Before commit: an event added in a savepoint that rolled back is no longer persistent."""
    if session.get_nested_transaction() is not None:
        return  # SQLAlchemy sends commit events for a savepoint's release too: not a commit
    pending = session.info.pop(_PENDING, [])
    survivors = [summary for event, summary in pending if inspect(event).persistent]
    session.info.setdefault(_SURVIVORS, []).extend(survivors)


def log_committed(summary: RecordedEvent) -> None:
    """One structured line per ledger write, once it is committed (logs.JsonLines shows the fields)."""
    fields = {"event_id": str(summary.id), "seq": summary.seq, "kind": summary.kind.value,
              "occurred_at": summary.occurred_at.isoformat(), "actor_id": summary.actor_id,
              "crate_id": summary.crate_id, "collection_point_id": summary.collection_point_id,
              "washer_id": summary.washer_id, "bottles": summary.bottles,
              "request_id": g.get("request_id") if has_request_context() else None}
    log.info("recorded %s #%s (%s) actor=%s crate=%s point=%s washer=%s bottles=%s",
             summary.kind.value, summary.seq, summary.id, summary.actor_id, summary.crate_id,
             summary.collection_point_id, summary.washer_id, summary.bottles, extra={"fields": fields})


def _send_committed(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint released: the transaction (and its locks) still runs
    for summary in session.info.pop(_SURVIVORS, []):
        log_committed(summary)
        try:
            event_committed.send(summary.kind, event=summary)
        except Exception:  # a receiver's failure must not fail the request that committed
            log.exception("a receiver of event_committed failed for #%s", summary.seq)


def _forget(session: Session) -> None:
    """A rollback of the whole transaction (not of a savepoint): nothing pending is committed."""
    session.info.pop(_PENDING, None)
    session.info.pop(_SURVIVORS, None)
