"""Importing a journal file in bulk, under the same rules as bottles.ledger.record.

The file is streamed: events are read CHUNK at a time (bottles.journal.read), each checked on
its own, then in the file's order (the order of record: an export is in seq order) against
in-memory stocks and crate projections seeded from the database (bottles.journal.check), and
written in bulk as soon as a chunk is checked (bottles.journal.write) — all of it inside one
savepoint of the caller's transaction, rolled back if any row is wrong: nothing is written
unless every row is right. Memory stays bounded by the chunk and the catalogue, not the file.
"""

from __future__ import annotations

import contextlib
import io
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
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

CHUNK = 10_000
# A file that fails in its own order is tried again in time order (a journal written by hand)
# only up to this many events: that second reading holds the whole file in memory.
TIME_ORDER_LIMIT = 200_000


class _SeenEarlier(Exception):
    """An event id the database refused as a duplicate: the file repeats an event further on."""


def _codes(session: Session, model, column) -> dict[str, int]:
    return {code: id_ for id_, code in session.execute(select(model.id, column)).all()}


def import_journal(session: Session, rows_or_path: Any, *, create_missing: bool = False,
                   progress: Callable[[int], None] | None = None) -> ImportReport:
    """Check every row, then import all of them or nothing; flushes, never commits.

    `progress(n)` is called as the file is read: n more bytes (a path) or rows (anything else).
    """
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
    rounds = _codes(session, Round, Round.code)
    source = _source(rows_or_path)
    careful = session.scalar(select(Event.seq).limit(1)) is not None
    run = _Run(session, catalogue, rounds, careful)
    try:
        run.stream(rows_of(source(), progress))
    except _SeenEarlier:  # the database's unique id caught it: again, looking ids up as we go
        run = _Run(session, catalogue, rounds, True)
        run.stream(rows_of(source()))
    if run.checker_errors and not run.in_time_order and run.events_read <= TIME_ORDER_LIMIT:
        run.discard()
        by_time = _Run(session, catalogue, rounds, True)
        by_time.sorted_by_time(rows_of(source()))
        if len(by_time.checker_errors) < len(run.checker_errors):
            run = by_time
        else:
            by_time.discard()
    return run.conclude()


def _source(rows_or_path: Any) -> Callable[[], Any]:
    """The file, readable again from its start (a second pass: time order, or ids looked up)."""
    if isinstance(rows_or_path, str | Path):
        return lambda: rows_or_path
    if hasattr(rows_or_path, "read"):
        stream = rows_or_path
        if not (hasattr(stream, "seekable") and stream.seekable()):
            stream = io.StringIO(stream.read())
        start = stream.tell()

        def again() -> Any:
            stream.seek(start)
            return stream

        return again
    rows = rows_or_path if isinstance(rows_or_path, Sequence) else list(rows_or_path)
    return lambda: rows


class _Run:
    """One pass over the file in one savepoint: read, look up, check and write, chunk by chunk."""

    def __init__(self, session: Session, catalogue: Catalogue, rounds: dict[str, int],
                 careful: bool) -> None:
        self.session = session
        self.careful = careful
        self.report = ImportReport()
        self.reader = Reader(catalogue)
        self.savepoint = session.begin_nested()
        self.checker = Checker(session, catalogue, rounds, flush=self._flush)
        self.writer = Writer(session, catalogue, self.checker, self.report)
        self.checker.planned, self.checker.real = self.writer.planned, self.writer.real
        self.checker.round_code = self.writer.round_code
        self.checker_errors: list[RowError] = []
        self.events_read = 0
        self.in_time_order = True
        self._last_at: datetime | None = None
        self._duplicate = session.get_bind().dialect.dbapi.IntegrityError

    def stream(self, rows: Iterable) -> None:
        """The file in its own order."""
        try:
            for chunk in self.reader.stream(rows, CHUNK):
                self._note_order(chunk)
                self._chunk(chunk, big=len(chunk) >= CHUNK)
            self._flush()
            self.writer.close()
        except self._duplicate:
            self.discard()
            if self.careful:
                raise
            raise _SeenEarlier from None
        except BaseException:
            self.discard()
            raise

    def sorted_by_time(self, rows: Iterable) -> None:
        """The whole file read first, then taken in time order (rows of one instant: the file's)."""
        try:
            events = self.reader.read(rows)
            events.sort(key=lambda event: (event.at or datetime.min.replace(tzinfo=UTC), event.line))
            for start in range(0, len(events), CHUNK):
                self._chunk(events[start:start + CHUNK], big=len(events) > CHUNK)
            self._flush()
            self.writer.close()
        except BaseException:
            self.discard()
            raise

    def _note_order(self, events: list[JournalEvent]) -> None:
        self.events_read += len(events)
        previous = self._last_at
        for event in events:
            if event.at is None or (previous is not None and event.at < previous):
                self.in_time_order = False
            previous = event.at or previous
        self._last_at = previous

    def _chunk(self, events: list[JournalEvent], *, big: bool) -> None:
        report = self.report
        existing = self._existing([event.id for event in events]) if self.careful else {}
        for event in events:
            stored = existing.get(event.id)
            if stored is None:
                self.checker.check(event, self.checker_errors)
            elif event.bad:
                continue
            elif _same_content(self.session, self._as_stored(event), stored, self.writer.round_ids):
                report.skipped_events += 1
            else:
                report.errors.append(RowError(event.line, f"l'événement {event.id} existe déjà "
                                                          "avec un autre contenu."))
        self.writer.write(self.checker.take(), big=big)

    def _as_stored(self, event: JournalEvent) -> JournalEvent:
        """The event with the ids of rows this import created (an id seen earlier in the file)."""
        try:
            return self.writer._remapped(event) if self.writer.created else event
        except KeyError:  # names a row not created yet: it cannot be the stored event
            return event

    def _flush(self) -> None:
        """Write what the checker accepted and wait: the database then holds all of it."""
        self.writer.write(self.checker.take())
        self.writer.drain()

    def _existing(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[int, str]]:
        self.writer.drain()
        return _existing(self.session, ids)

    def discard(self) -> None:
        """Undo everything this pass wrote."""
        with contextlib.suppress(Exception):  # the pass is thrown away: its savepoint says the rest
            self.writer.close()
        if self.savepoint.is_active:
            self.savepoint.rollback()

    def conclude(self) -> ImportReport:
        """Keep the pass if every row was right, else undo it; the report either way."""
        report = self.report
        report.errors = self.reader.errors + report.errors + self.checker_errors
        if report.errors:
            self.discard()
            report.errors.sort(key=lambda error: error.line)
            report.imported_events = report.imported_movements = 0
            report.created, report.registered = {}, []
            return report
        self.writer.finish()
        report.registered = sorted(self.checker.crate_codes[crate] for crate in self.checker.registered)
        self.savepoint.commit()
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
