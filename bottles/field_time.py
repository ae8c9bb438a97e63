"""Field time: when a scan or an action happened in the field, as the phone's clock said.

A phone may send its time with each line (`occurred_at`, ISO 8601 with its offset): the event is
dated then (its field time), and still recorded — seq and `recorded_at` — when the server learns
it. One reading for every endpoint, bounded both ways: a phone's clock may run a little fast, an
offline queue may arrive days later, but not more than FIELD_TIME_PAST_DAYS unless a coordinator
sends it. The order of record stays seq (see docs/ledger.md, "Field time").
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from bottles.auth import OVERSEERS
from bottles.models import Event, User, utcnow
from bottles.rules import LedgerError

FIELD_TIME_FUTURE = timedelta(minutes=5)  # a phone's clock may run this fast
FIELD_TIME_PAST_DAYS = 7  # default of the setting of that name: older needs a coordinator
FIELD_TIME_SKEW = FIELD_TIME_FUTURE  # how far two clocks may disagree when one of them is a phone's
MAX_TEXT = 40  # "2026-11-27T08:12:03.412345+01:00" is 32


class FieldTimeError(LedgerError):
    """A field time that cannot date an event: unreadable, ahead, too old, or before the crate's
    previous event (a refusal of the line, 422; nothing is recorded)."""


def past_days() -> int:
    """FIELD_TIME_PAST_DAYS from the app's settings (7 by default)."""
    if has_app_context():
        return int(current_app.config.get("FIELD_TIME_PAST_DAYS", FIELD_TIME_PAST_DAYS))
    return FIELD_TIME_PAST_DAYS


def may_backdate(person: User | None) -> bool:
    """Coordinators and admins may send a field time older than FIELD_TIME_PAST_DAYS."""
    return person is not None and getattr(person, "role", None) in OVERSEERS


def shown(at: datetime) -> str:
    """A time as the person reads it (Paris time, their language)."""
    return format_datetime(at, "short") if has_app_context() else at.isoformat()


def parse(raw: object) -> datetime | None:
    """The phone's text read as an aware time; None when absent or blank; unreadable refused."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    text = raw.strip() if isinstance(raw, str) else ""
    try:
        if not text or len(text) > MAX_TEXT or not text.isascii():
            raise ValueError(text)
        at = datetime.fromisoformat(text)
    except ValueError:
        raise FieldTimeError(_l("Heure du terrain illisible (attendu : "
                                "2026-11-27T08:12:03+01:00).")) from None
    if at.tzinfo is None or at.utcoffset() is None:
        raise FieldTimeError(_l("L'heure du terrain doit porter son fuseau horaire "
                                "(attendu : 2026-11-27T08:12:03+01:00)."))
    return at


def check(at: datetime, person: User | None, now: datetime | None = None) -> datetime:
    """`at` if it may date an event recorded now: at most FIELD_TIME_FUTURE ahead of the server,
    at most FIELD_TIME_PAST_DAYS old unless `person` is a coordinator or an admin."""
    now = now or utcnow()
    if at > now + FIELD_TIME_FUTURE:
        raise FieldTimeError(_l("Heure du terrain dans le futur (%(at)s, plus de %(minutes)s minutes après "
                                "l'heure du serveur) : vérifiez l'heure du téléphone.",
                                at=shown(at), minutes=int(FIELD_TIME_FUTURE.total_seconds() // 60)))
    days = past_days()
    if at < now - timedelta(days=days) and not may_backdate(person):
        raise FieldTimeError(_l("Heure du terrain trop ancienne (plus de %(days)s jours) : demandez à la "
                                "coordination.", days=days))
    return at


def field_time(raw: object, person: User | None, now: datetime | None = None) -> datetime | None:
    """The field time a line or a form sent, checked; None when it sent none (dated by the server)."""
    at = parse(raw)
    return None if at is None else check(at, person, now)


def field_time_for(session: Session, event_id: uuid.UUID | None, raw: object, person: User | None,
                   now: datetime | None = None) -> datetime | None:
    """`field_time` of a new event; None for a resend of one recorded already (the operation answers
    it with the recorded event, whatever its time now says) or when no time was sent."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None  # nothing sent: no need to know whether the event is a resend
    if event_id is not None and session.scalar(select(Event.seq).where(Event.id == event_id)) is not None:
        return None
    return field_time(raw, person, now)


def before_previous(at: datetime, previous: datetime | None, code: str) -> None:
    """Refuse a field time more than FIELD_TIME_SKEW before the crate's previous event: the
    order of record is seq, and a later event cannot have happened before it."""
    if previous is not None and at < previous - FIELD_TIME_SKEW:
        raise FieldTimeError(_l("Heure du terrain (%(at)s) antérieure au dernier mouvement de la caisse "
                                "%(code)s (%(previous)s) : vérifiez l'heure du téléphone.",
                                at=shown(at), code=code, previous=shown(previous)))
