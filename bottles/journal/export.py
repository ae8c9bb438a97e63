"""The streaming export of the ledger as one CSV file, one row per movement (docs/ledger.md)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TextIO

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, aliased, scoped_session

from bottles.cells import safe_row
from bottles.journal.columns import ALL_COLUMNS, ENERGY_KWH, HOURS, KM, UNIT_PRICE_EUR, WATER_L
from bottles.ledger import decimal_text
from bottles.models import (
    BottleModel,
    CollectionPoint,
    Crate,
    Event,
    Movement,
    Reason,
    Round,
    User,
    Washer,
    Winemaker,
)
from bottles.rules import PARIS
from bottles.spreadsheet import RFC4180, csv_dialect, write_csv_rows

# The columns written with the flavour's decimal mark.
DECIMAL_COLUMNS = (UNIT_PRICE_EUR, HOURS, KM, WATER_L, ENERGY_KWH)


def format_decimal(value: Decimal | None) -> str:
    return decimal_text(value) or ""


def format_cents(cents: int | None) -> str:
    return "" if cents is None else f"{cents // 100}.{cents % 100:02d}"


def format_when(moment: datetime) -> str:
    """ISO 8601 with its offset, in Paris time (the instant is exact)."""
    return moment.astimezone(PARIS).isoformat()


def _codes(session: Session, model, column) -> dict[int, str]:
    return dict(session.execute(select(model.id, column)).all())


def export_journal(session: Session, out: TextIO, *, start: datetime | None = None,
                   end: datetime | None = None, flavour: str = RFC4180) -> int:
    """Write the ledger (events with start <= occurred_at < end) as CSV; return the row count.

    Rows are streamed in seq order, so memory does not grow with the ledger; on PostgreSQL a
    session on the engine, not yet in a transaction, reads everything from one REPEATABLE READ
    snapshot (a session on a connection reads in the connection's transaction: the backup's).
    The canonical file (import, backup) is RFC 4180; `excel-fr` writes `;`, decimal commas and
    a byte order mark for French Excel (occurred_at stays ISO 8601 with its offset: the exact instant), and
    import-journal reads both.
    """
    plain = session() if isinstance(session, scoped_session) else session
    bind = plain.get_bind()
    if bind.dialect.name == "postgresql" and isinstance(bind, Engine) and not plain.in_transaction():
        # One snapshot for the codes and the events: under READ COMMITTED each statement sees its
        # own, and a crate or round created between them would be exported without its code.
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    users = _codes(session, User, User.username)
    crates = _codes(session, Crate, Crate.code)
    points = _codes(session, CollectionPoint, CollectionPoint.code)
    washers = _codes(session, Washer, Washer.code)
    winemakers = _codes(session, Winemaker, Winemaker.code)
    models = _codes(session, BottleModel, BottleModel.code)
    reasons = _codes(session, Reason, Reason.code)
    rounds = _codes(session, Round, Round.code)
    target = aliased(Event)
    query = (
        select(Event.id, Event.occurred_at, Event.kind, Event.actor_id, Event.crate_id,
               Event.collection_point_id, Event.washer_id, Movement.winemaker_id,
               Movement.bottle_model_id, Movement.from_stage, Movement.to_stage, Movement.quantity,
               Movement.reason_id, Movement.unit_price_cents, target.id, Event.note,
               Event.round_id, Event.hours, Event.km, Event.water_l, Event.energy_kwh)
        .select_from(Event)
        .outerjoin(Movement, Movement.event_seq == Event.seq)
        .outerjoin(target, target.seq == Event.corrects_seq)
        .order_by(Event.seq, Movement.id)
    )
    if start is not None:
        query = query.where(Event.occurred_at >= start)
    if end is not None:
        query = query.where(Event.occurred_at < end)
    dialect = csv_dialect(flavour)
    writer = write_csv_rows(out, dialect, ALL_COLUMNS, ())
    comma = dialect.decimal != "."
    count = 0
    rows = session.execute(query.execution_options(yield_per=20_000))
    for (event_id, occurred_at, kind, actor, crate, point, washer, winemaker, model, from_stage,
         to_stage, quantity, reason, price, corrects, note, round_id, hours, km, water,
         energy) in rows:
        row = safe_row((
            str(event_id), format_when(occurred_at), kind, users.get(actor, ""),
            crates.get(crate, ""), points.get(point, ""), washers.get(washer, ""),
            winemakers.get(winemaker, ""), models.get(model, ""), from_stage or "",
            to_stage or "", "" if quantity is None else quantity, reasons.get(reason, ""),
            format_cents(price), "" if corrects is None else str(corrects), note or "",
            rounds.get(round_id, ""), format_decimal(hours), format_decimal(km),
            format_decimal(water), format_decimal(energy),
        ))
        if comma:
            for column in DECIMAL_COLUMNS:
                row[column] = row[column].replace(".", ",")
        writer.writerow(row)
        count += 1
    return count
