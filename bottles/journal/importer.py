"""Importing a journal file in bulk, under the same rules as bottles.ledger.record.

Every row is checked first — alone (bottles.journal.read), then in the file's order (the
order of record: an export is in seq order) against in-memory stocks and crate projections
seeded from the database (bottles.journal.check) — and nothing is written unless every row
is right. Then
bottles.journal.write inserts the events and movements and upserts the projections.
"""

from __future__ import annotations

import uuid
from copy import copy
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from bottles.journal.catalogue import Catalogue
from bottles.journal.check import POINT_FROM_CRATE, Checker
from bottles.journal.read import JournalEvent, Reader
from bottles.journal.report import ImportReport
from bottles.journal.rows import RowError, rows_of
from bottles.journal.write import Writer
from bottles.ledger import Draft, content_hash
from bottles.models import (
    BottleModel,
    CollectionPoint,
    Crate,
    Event,
    Reason,
    Round,
    User,
    Washer,
    Winemaker,
)


def _codes(session: Session, model, column) -> dict[str, int]:
    return {code: id_ for id_, code in session.execute(select(model.id, column)).all()}


def import_journal(session: Session, rows_or_path: Any, *, create_missing: bool = False) -> ImportReport:
    """Check every row, then import all of them or nothing; flushes, never commits."""
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        # The projections are computed in memory from this transaction's snapshot: no other
        # writer may append to the ledger until it commits (readers are not blocked).
        session.execute(text("LOCK TABLE events IN EXCLUSIVE MODE"))
    catalogue = Catalogue(create_missing, {
        "actor": _codes(session, User, User.username),
        "crate": _codes(session, Crate, Crate.code),
        "point": _codes(session, CollectionPoint, CollectionPoint.code),
        "washer": _codes(session, Washer, Washer.code),
        "winemaker": _codes(session, Winemaker, Winemaker.code),
        "model": _codes(session, BottleModel, BottleModel.code),
        "reason": _codes(session, Reason, Reason.code),
    })
    reader = Reader(catalogue)
    events = reader.read(rows_of(rows_or_path))
    reader.events = {}  # the list is enough from here on
    report = ImportReport(errors=reader.errors)
    rounds = _codes(session, Round, Round.code)
    existing = _existing(session, [event.id for event in events])
    fresh: list[JournalEvent] = []
    for event in events:
        if event.id in existing:
            if not event.bad and _same_content(session, event, existing[event.id], rounds):
                report.skipped_events += 1
            elif not event.bad:
                report.errors.append(RowError(event.line, f"l'événement {event.id} existe déjà "
                                                          "avec un autre contenu."))
        else:
            fresh.append(event)
    checker, errors = _check_in_order(session, catalogue, rounds, fresh)
    report.errors += errors
    if report.errors:
        report.errors.sort(key=lambda error: error.line)
        return report
    report.registered = sorted(checker.crate_codes[crate] for crate in checker.registered)
    Writer(session, catalogue, checker).write(report)
    return report


def _existing(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[int, str]]:
    """(seq, content hash) of the file's events already in the ledger."""
    if not ids or session.scalar(select(Event.seq).limit(1)) is None:
        return {}
    found = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for event_id, seq, digest in session.execute(
                select(Event.id, Event.seq, Event.content_hash).where(Event.id.in_(chunk))):
            found[event_id] = (seq, digest)
    return found


def _same_content(session: Session, event: JournalEvent, stored: tuple[int, str],
                  rounds: dict[str, int]) -> bool:
    """Whether a row's event is the one already recorded under its id."""
    corrects_seq = None
    if event.corrects is not None:
        corrects_seq = session.scalar(select(Event.seq).where(Event.id == event.corrects))
    if event.point is None and event.crate is not None and event.kind in POINT_FROM_CRATE:
        # the point was taken from the crate when it was imported
        event.point = session.scalar(select(Event.collection_point_id).where(Event.seq == stored[0]))
    ids = (event.actor, event.crate, event.point, event.washer,
           *(move.model_id for move in event.moves), *(move.reason_id for move in event.moves),
           *(move.winemaker_id for move in event.moves))
    if any(id_ is not None and id_ < 0 for id_ in ids) or (event.round and event.round not in rounds):
        return False
    return content_hash(_draft(event, rounds.get(event.round) if event.round else None,
                               corrects_seq)) == stored[1]


def _draft(event: JournalEvent, round_id: int | None, corrects_seq: int | None) -> Draft:
    return Draft(id=event.id, kind=event.kind, occurred_at=event.at, actor_id=event.actor,
                 moves=event.moves, crate_id=event.crate, collection_point_id=event.point,
                 washer_id=event.washer, round_id=round_id, corrects_seq=corrects_seq,
                 note=event.note, hours=event.hours, km=event.km, water_l=event.water,
                 energy_kwh=event.energy)


def _check_in_order(session: Session, catalogue: Catalogue, rounds: dict[str, int],
                    events: list[JournalEvent]) -> tuple[Checker, list[RowError]]:
    """The ledger's rules over the new events in the file's order, the order of record (an
    export is in seq order; a time is only what a clock said). A file that fails in that order
    but holds in time order, a journal written by hand, is taken in time order; when neither
    holds, the errors of the order with fewer are given (the file's on a tie)."""
    checker, errors = Checker(session, catalogue, rounds), []
    checker.run([copy(event) for event in events], errors)
    if not errors or _is_sorted(events):
        return checker, errors
    by_time = sorted(events, key=lambda event: (event.at or datetime.min.replace(tzinfo=UTC), event.line))
    second, again = Checker(session, catalogue, rounds), []
    second.run([copy(event) for event in by_time], again)
    return (second, again) if len(again) < len(errors) else (checker, errors)


def _is_sorted(events: list[JournalEvent]) -> bool:
    previous = None
    for event in events:
        if event.at is None:
            return False
        if previous is not None and event.at < previous:
            return False
        previous = event.at
    return True
