"""The streaming export of the ledger as an EPCIS 2.0 JSON-LD document (docs/epcis.md): the
ledger read in seq order, a page of rows at a time, each event turned into EPCIS events by
bottles.journal.epcis as it is read."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from bottles.journal.epcis import (
    Identifiers,
    LedgerEvent,
    LedgerMove,
    document_chunks,
    document_head,
    epcis_events,
    error_declarations,
)
from bottles.models import (
    BottleModel,
    CollectionPoint,
    Crate,
    Event,
    Movement,
    Reason,
    Round,
    Washer,
    Winemaker,
)
from bottles.rules import Kind, Stage


def _codes(session: Session, model) -> dict[int, str]:
    return dict(session.execute(select(model.id, model.code)).all())


def ledger_events(session: Session, *, start: datetime | None = None, end: datetime | None = None,
                  ) -> Iterator[tuple[LedgerEvent, LedgerEvent | None]]:
    """(event, the event it corrects or None) for events with start <= occurred_at < end, in
    seq order, codes in place of ids; memory does not grow with the ledger."""
    crates, points = _codes(session, Crate), _codes(session, CollectionPoint)
    washers, winemakers = _codes(session, Washer), _codes(session, Winemaker)
    models, reasons, rounds = _codes(session, BottleModel), _codes(session, Reason), _codes(session, Round)
    target = aliased(Event)
    query = (
        select(Event.seq, Event.id, Event.kind, Event.occurred_at, Event.recorded_at, Event.crate_id,
               Event.collection_point_id, Event.washer_id, Event.round_id, Event.note, Event.hours,
               Event.km, Event.water_l, Event.energy_kwh,
               Movement.from_stage, Movement.to_stage, Movement.quantity, Movement.bottle_model_id,
               Movement.reason_id, Movement.unit_price_cents, Movement.winemaker_id,
               target.seq, target.id, target.kind, target.occurred_at, target.recorded_at,
               target.note, target.hours, target.km, target.water_l, target.energy_kwh)
        .select_from(Event)
        .outerjoin(Movement, Movement.event_seq == Event.seq)
        .outerjoin(target, target.seq == Event.corrects_seq)
        .order_by(Event.seq, Movement.id)
    )
    if start is not None:
        query = query.where(Event.occurred_at >= start)
    if end is not None:
        query = query.where(Event.occurred_at < end)
    current: tuple | None = None
    moves: list[LedgerMove] = []
    # Core rows (no ORM row processing): a million events are read in pages of 20,000 rows.
    for row in session.connection().execute(query.execution_options(yield_per=20_000)):
        if current is not None and row[0] != current[0]:
            yield _events(current, moves, crates, points, washers, rounds)
            moves = []
        current = row
        if row[14] is not None:
            moves.append(LedgerMove(Stage(row[14]), Stage(row[15]), row[16], models.get(row[17]),
                                    reasons.get(row[18]), row[19], winemakers.get(row[20])))
    if current is not None:
        yield _events(current, moves, crates, points, washers, rounds)


def _events(row: tuple, moves: list[LedgerMove], crates: dict, points: dict, washers: dict,
            rounds: dict) -> tuple[LedgerEvent, LedgerEvent | None]:
    """The ledger event of one event's rows, and the event it corrects (its movements are the
    correction's, turned back: the ledger guarantees the exact reverse)."""
    sites = {"crate": crates.get(row[5]), "point": points.get(row[6]), "washer": washers.get(row[7]),
             "round": rounds.get(row[8])}
    event = LedgerEvent(id=row[1], seq=row[0], kind=Kind(row[2]), occurred_at=row[3],
                        recorded_at=row[4], moves=tuple(moves), note=row[9] or "", hours=row[10],
                        km=row[11], water_l=row[12], energy_kwh=row[13], **sites)
    if row[21] is None:
        return event, None
    reversed_moves = tuple(m._replace(from_stage=m.to_stage, to_stage=m.from_stage) for m in moves)
    corrected = LedgerEvent(id=row[22], seq=row[21], kind=Kind(row[23]), occurred_at=row[24],
                            recorded_at=row[25], moves=reversed_moves, note=row[26] or "",
                            hours=row[27], km=row[28], water_l=row[29], energy_kwh=row[30], **sites)
    return event, corrected


def epcis_event_stream(session: Session, ids: Identifiers, *, start: datetime | None = None,
                       end: datetime | None = None) -> Iterator[dict[str, Any]]:
    """Every EPCIS event of the ledger (or of a date range), in the ledger's order."""
    for event, corrected in ledger_events(session, start=start, end=end):
        if corrected is not None:
            yield from error_declarations(event, corrected, ids)
        elif event.kind != Kind.CORRECTION:
            yield from epcis_events(event, ids)


def epcis_chunks(session: Session, ids: Identifiers, created: datetime, *,
                 start: datetime | None = None, end: datetime | None = None) -> Iterator[str]:
    """The EPCIS document as pieces of text, written as the ledger is read (for a download)."""
    return document_chunks(document_head(ids, created),
                           epcis_event_stream(session, ids, start=start, end=end))


def export_epcis(session: Session, out: TextIO, ids: Identifiers, created: datetime, *,
                 start: datetime | None = None, end: datetime | None = None) -> int:
    """Write the EPCIS document to `out`; return how many EPCIS events it holds."""
    count = 0

    def counted() -> Iterator[dict[str, Any]]:
        nonlocal count
        for event in epcis_event_stream(session, ids, start=start, end=end):
            count += 1
            yield event

    for chunk in document_chunks(document_head(ids, created), counted()):
        out.write(chunk)
    return count
