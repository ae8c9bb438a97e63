"""Catalogue writes: take the actor and the time explicitly, flush, never commit."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bottles import codes
from bottles.catalogue.kinds import CatalogueKind
from bottles.catalogue.queries import next_crate_numbers
from bottles.ledger import Draft, record
from bottles.models import Crate, Event
from bottles.rules import Kind, LedgerError

# Event ids of imported crates derive from their code, so importing twice registers once.
CRATE_NAMESPACE = uuid.UUID("6f1d2a4e-63c2-4c8f-9a57-3e0c1b7d9a10")


def fill(kind: CatalogueKind, row, data: dict) -> None:
    """Copy validated values onto a row; blank text becomes "".

    A point's `kind` and `territory` arrive as their catalogue rows (or None).
    """
    for name in kind.csv_columns:
        value = data.get(name)
        if isinstance(value, str):
            value = value.strip()
        column = kind.model.__table__.columns.get(name)
        if column is None:
            setattr(row, name, value)
            continue
        if value is None and not column.nullable:
            value = "" if column.type.python_type is str else column.default.arg
        setattr(row, name, value)


def save_entry(session: Session, kind: CatalogueKind, row, data: dict):
    """Create (row None) or update a catalogue row from validated form data."""
    if row is None:
        row = kind.model(active=True)
        session.add(row)
    fill(kind, row, data)
    session.flush()
    return row


def set_active(session: Session, row, active: bool) -> None:
    """Deactivating hides a row from new entries; the ledger keeps referring to it."""
    row.active = active
    session.flush()


def register_crates(session: Session, *, actor_id: int | None, at: datetime, batch_id: uuid.UUID,
                    count: int, capacity: int, washer_id: int | None, prefix: str) -> list[Crate]:
    """Register `count` new crates with the next free numbers, each with its ledger event.

    Event ids derive from the form's batch id: a resubmitted form records nothing new.
    """
    first_id = uuid.uuid5(batch_id, "0")
    if session.scalar(select(Event.id).where(Event.id == first_id)) is not None:
        return []
    crates = []
    for index, number in enumerate(next_crate_numbers(session, prefix, count)):
        try:
            code = codes.make_code(number, prefix)
        except codes.CrateCodeError as error:
            raise LedgerError(str(error)) from error
        crate = Crate(code=code, capacity=capacity)
        session.add(crate)
        session.flush()
        record(session, Draft(id=uuid.uuid5(batch_id, str(index)), kind=Kind.CRATE_REGISTERED,
                              occurred_at=at, actor_id=actor_id, crate_id=crate.id,
                              washer_id=washer_id))
        crates.append(crate)
    return crates


def register_crate(session: Session, *, actor_id: int | None, at: datetime, code: str,
                   capacity: int, washer_id: int | None, event_id: uuid.UUID | None = None,
                   note: str = "") -> Crate:
    """Register one crate under a given (printed) code; its event id derives from the code unless
    the caller chose one (the API: the client's id, so a resend is a replay)."""
    crate = Crate(code=code, capacity=capacity)
    session.add(crate)
    session.flush()
    record(session, Draft(id=event_id or uuid.uuid5(CRATE_NAMESPACE, code), kind=Kind.CRATE_REGISTERED,
                          occurred_at=at, actor_id=actor_id, crate_id=crate.id, washer_id=washer_id,
                          note=note.strip()))
    return crate


def retire_crate(session: Session, *, actor_id: int | None, at: datetime, crate: Crate,
                 event_id: uuid.UUID, note: str, field: bool = False) -> None:
    """Take an empty crate out of the pool for good (the ledger refuses any other state).

    A resubmitted form (same event id, later time) is a replay: nothing more is recorded.
    """
    if session.scalar(select(Event.id).where(Event.id == event_id)) is not None:
        return
    record(session, Draft(id=event_id, kind=Kind.CRATE_RETIRED, occurred_at=at, actor_id=actor_id,
                          crate_id=crate.id, collection_point_id=crate.collection_point_id,
                          washer_id=crate.washer_id, note=note.strip(), field=field))


def set_capacity(session: Session, crate: Crate, capacity: int) -> None:
    crate.capacity = capacity
    session.flush()
