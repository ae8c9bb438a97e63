"""Writing a checked journal: what it needs created, then events and movements in bulk, then
the projections (stocks, crates, rounds). Called by bottles.journal.importer once every row passed.
"""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from copy import copy
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bottles.check import round_projection
from bottles.journal.catalogue import Catalogue
from bottles.journal.check import Checker
from bottles.journal.create import create_rows, guess_role
from bottles.journal.read import JournalEvent
from bottles.journal.report import ImportReport
from bottles.ledger import decimal_text, none_first_key
from bottles.models import Crate, Movement, Round, StockLevel
from bottles.rules import STOCK_SITE, Kind, Move, Site, Stage

STAGE_VALUES = {stage: stage.value for stage in Stage}
KIND_VALUES = {kind: kind.value for kind in Kind}
CHUNK = 20_000


def _insert_rows(cursor, event_sql: str, event_rows: list, movement_sql: str,
                 movement_rows: list) -> None:
    if event_rows:
        cursor.executemany(event_sql, event_rows)
    if movement_rows:
        cursor.executemany(movement_sql, movement_rows)


def _drop_indexes(connection) -> list[str]:
    """Drop the ledger's secondary indexes for a large SQLite import; their CREATE statements.

    Rebuilding an index once is much faster than growing it row by row; SQLite DDL is
    transactional, so a failed import keeps them.
    """
    rows = connection.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        "AND tbl_name IN ('events', 'movements')").all()
    for name, _sql in rows:
        connection.exec_driver_sql(f'DROP INDEX "{name}"')
    return [sql for _name, sql in rows]


def _json_int(value: int | None) -> str:
    return "null" if value is None else str(value)


def _json_decimal(value: Decimal | None) -> str:
    """A decimal as content_hash's JSON writes it: its canonical text, quoted."""
    return "null" if value is None else f'"{decimal_text(value)}"'


def fast_hash(event: JournalEvent, round_id: int | None, utc_iso: str) -> str:
    """ledger.content_hash of the event, without building a Draft: the same JSON text, written
    directly (kinds, stages and dates are plain ASCII; the note goes through json.dumps)."""
    moves = event.moves
    if len(moves) > 1:
        moves = sorted(moves, key=lambda move: none_first_key(
            [move.from_stage.value, move.to_stage.value, move.quantity, move.model_id,
             move.reason_id, move.unit_price_cents, move.winemaker_id]))
    hours, km, water, energy = event.hours, event.km, event.water, event.energy
    numbers = "null,null,null,null" if hours is None and km is None and water is None \
        and energy is None else (f"{_json_decimal(hours)},{_json_decimal(km)},"
                                 f"{_json_decimal(water)},{_json_decimal(energy)}")
    body = (
        f'["{KIND_VALUES[event.kind]}","{utc_iso}",{_json_int(event.actor)},'
        f'{_json_int(event.crate)},{_json_int(event.point)},{_json_int(event.washer)},'
        f'{_json_int(round_id)},{_json_int(event.corrects_seq)},'
        f'{json.dumps(event.note) if event.note else chr(34) * 2},{numbers},['
        + ",".join(f'["{STAGE_VALUES[move.from_stage]}","{STAGE_VALUES[move.to_stage]}",'
                   f'{move.quantity},'
                   f'{"null" if move.model_id is None else move.model_id},'
                   f'{"null" if move.reason_id is None else move.reason_id},'
                   f'{"null" if move.unit_price_cents is None else move.unit_price_cents},'
                   f'{"null" if move.winemaker_id is None else move.winemaker_id}]'
                   for move in moves)
        + "]]")
    return hashlib.sha256(body.encode()).hexdigest()


def _event_row(event: JournalEvent, round_id: int | None, now, on_sqlite: bool) -> tuple:
    """The values of the event's INSERT; on SQLite already as the driver stores them."""
    utc = event.at.astimezone(UTC).isoformat(timespec="microseconds")
    if not on_sqlite:
        return (event.seq, event.id, event.kind.value, event.at, now, event.actor, event.crate,
                event.point, event.washer, round_id, event.corrects_seq, event.hours, event.km,
                event.water, event.energy, event.note, fast_hash(event, round_id, utc))
    hours, km, water, energy = event.hours, event.km, event.water, event.energy
    return (event.seq, event.id.hex, KIND_VALUES[event.kind], f"{utc[:10]} {utc[11:26]}", now,
            event.actor, event.crate, event.point, event.washer, round_id, event.corrects_seq,
            None if hours is None else float(hours), None if km is None else float(km),
            None if water is None else float(water), None if energy is None else float(energy),
            event.note, fast_hash(event, round_id, utc))


def _sqlite_when(moment: datetime) -> str:
    """How SQLAlchemy stores a UTC_DT on SQLite: naive UTC, microseconds always written."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


EVENT_COLUMNS = ("seq", "id", "kind", "occurred_at", "recorded_at", "actor_id", "crate_id",
                 "collection_point_id", "washer_id", "round_id", "corrects_seq", "hours", "km", "water_l",
                 "energy_kwh", "note", "content_hash")
MOVEMENT_COLUMNS = ("id", "event_seq", "bottle_model_id", "from_stage", "to_stage", "quantity",
                    "reason_id", "unit_price_cents", "winemaker_id")


def _copy_rows(cursor, event_rows: list, movement_rows: list) -> None:
    """PostgreSQL's COPY (psycopg 3): the bulk path, a fraction of the cost of INSERTs."""
    with cursor.copy(f"COPY events ({', '.join(EVENT_COLUMNS)}) FROM STDIN") as copy:
        for row in event_rows:
            copy.write_row(row)
    with cursor.copy(f"COPY movements ({', '.join(MOVEMENT_COLUMNS)}) FROM STDIN") as copy:
        for row in movement_rows:
            copy.write_row(row)


class Writer:
    """Writes a checked journal chunk by chunk, in the import's transaction: the catalogue rows
    and rounds each chunk needs, its events and movements in bulk (executemany on SQLite, COPY on
    PostgreSQL, the driver working in a thread while Python prepares the next chunk); `finish`
    then upserts the projections (stocks, crates, rounds) once."""

    def __init__(self, session: Session, catalogue: Catalogue, checker: Checker,
                 report: ImportReport) -> None:
        self.session = session
        self.catalogue = catalogue
        self.checker = checker
        self.report = report
        self.remap: dict[str, dict[int, int]] = {}
        self.unmap: dict[str, dict[int, int]] = {}
        self.round_ids: dict[str, int] = dict(checker.rounds)
        self.round_codes: dict[int, str] = {}
        self.new_rounds: dict[str, Round] = {}
        self.created: dict[str, dict[str, object]] = {}
        self.on_sqlite = session.get_bind().dialect.name == "sqlite"
        self.connection = session.connection()
        self.cursor = None
        self.pool: ThreadPoolExecutor | None = None
        self.pending = None
        self.indexes: list[str] = []
        self.next_movement = 0
        self.events_written = self.movements_written = 0
        mark = "?" if self.on_sqlite else "%s"
        self.event_sql = (f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) "
                          f"VALUES ({', '.join([mark] * len(EVENT_COLUMNS))})")
        self.movement_sql = (f"INSERT INTO movements ({', '.join(MOVEMENT_COLUMNS)}) "
                             f"VALUES ({', '.join([mark] * len(MOVEMENT_COLUMNS))})")
        now = datetime.now(UTC)
        self.now = _sqlite_when(now) if self.on_sqlite else now

    def real(self, kind: str, value: int | None) -> int | None:
        """The database id of an id the checker knows (negative: created by this import)."""
        if value is None or value > 0:
            return value
        return self.remap[kind][value]

    _id = real

    def planned(self, kind: str, value: int | None) -> int | None:
        """The id the checker knows a database row by (negative if this import created it)."""
        if value is None:
            return None
        return self.unmap.get(kind, {}).get(value, value)

    def round_code(self, round_id: int) -> str | None:
        if not self.round_codes or len(self.round_codes) != len(self.round_ids):
            self.round_codes = {id_: code for code, id_ in self.round_ids.items()}
        return self.round_codes.get(round_id)

    def write(self, events: list[JournalEvent], *, big: bool = False) -> None:
        """Write one chunk of accepted events (in seq order); `big`: more chunks will follow."""
        if not events:
            return
        if self.cursor is None:
            self._start(big)
        self._create_missing()
        self._create_rounds()
        event_rows, movement_rows = self._rows(events)
        if self.pending is not None:
            self.pending.result()
        insert = _insert_rows if self.on_sqlite else _copy_rows
        arguments = ((self.cursor, self.event_sql, event_rows, self.movement_sql, movement_rows)
                     if self.on_sqlite else (self.cursor, event_rows, movement_rows))
        self.pending = self.pool.submit(insert, *arguments)
        self.events_written += len(event_rows)
        self.movements_written += len(movement_rows)

    def drain(self) -> None:
        """Wait for the chunk being written (the database then holds every event given so far)."""
        if self.pending is not None:
            pending, self.pending = self.pending, None
            pending.result()

    def close(self) -> None:
        """Wait for the last chunk and release the writing thread (also after a failure)."""
        try:
            self.drain()
        finally:
            if self.pool is not None:
                self.pool.shutdown()
                self.pool = None
            if self.cursor is not None:
                self.cursor.close()
                self.cursor = None

    def finish(self) -> None:
        """After the last chunk: indexes back, the projections, the sequences, the report."""
        self.close()
        for statement in self.indexes:
            self.connection.exec_driver_sql(statement)
        if self.on_sqlite and self.indexes:
            self.connection.exec_driver_sql("PRAGMA cache_size = -2000")
        self._settle_created()
        self.report.imported_events, self.report.imported_movements = \
            self.events_written, self.movements_written
        self._stocks()
        self._crates()
        self._rounds()
        if not self.on_sqlite:
            for table, column in (("events", "seq"), ("movements", "id")):
                self.session.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                    f"(SELECT COALESCE(MAX({column}), 1) FROM {table}))"))
        self.session.expire_all()

    def _start(self, big: bool) -> None:
        self.session.flush()
        self.next_movement = (self.session.scalar(select(Movement.id).order_by(Movement.id.desc())
                                                  .limit(1)) or 0) + 1
        if self.on_sqlite and big:
            # 64 MB of page cache: the unique index on events.id (random UUIDs) mostly stays in
            # memory for a million events, and the process stays under 400 MB (256 MB did not).
            self.connection.exec_driver_sql("PRAGMA cache_size = -65536")
            self.indexes = _drop_indexes(self.connection)
        self.cursor = self.connection.connection.driver_connection.cursor()
        self.pool = ThreadPoolExecutor(max_workers=1)

    def _create_missing(self) -> None:
        """The catalogue rows planned since the last chunk (--create-missing)."""
        for kind, planned in self.catalogue.missing.items():
            done = self.remap.setdefault(kind, {})
            wanted = {code: id_ for code, id_ in planned.items() if id_ not in done}
            if not wanted:
                continue
            self.drain()  # the session's connection is the writing thread's
            rows = create_rows(self.session, kind, wanted, self.catalogue.first_use,
                               self.catalogue.actor_kinds)
            for code, row in rows.items():
                done[wanted[code]] = row.id
                self.unmap.setdefault(kind, {})[row.id] = wanted[code]
            self.created.setdefault(kind, {}).update(rows)

    def _settle_created(self) -> None:
        """Accounts created early in a long file take the role their later events suggest."""
        for code, user in self.created.get("actor", {}).items():
            role = guess_role(self.catalogue.actor_kinds.get(code) or set())
            if user.role != role:
                user.role = role
        for kind, rows in self.created.items():
            self.report.created[kind] = sorted(rows)
        if self.new_rounds:
            self.report.created["round"] = sorted(self.new_rounds)

    def _create_rounds(self) -> None:
        made = []
        for code, (actor, day, washer, _pickup) in self.checker.new_rounds.items():
            if code not in self.new_rounds:
                made.append(Round(code=code, driver_id=self.real("actor", actor), round_date=day,
                                  washer_id=self.real("washer", washer), closed=False))
        if made:
            self.drain()
            self.session.add_all(made)
            self.session.flush()
            for row in made:
                self.new_rounds[row.code] = row
                self.round_ids[row.code] = row.id

    def _rows(self, events: list[JournalEvent]) -> tuple[list[tuple], list[tuple]]:
        """The INSERT (or COPY) values of a chunk's events and movements."""
        on_sqlite, now, round_ids = self.on_sqlite, self.now, self.round_ids
        remapping = bool(self.created)
        next_movement = self.next_movement
        event_rows: list[tuple] = []
        movement_rows: list[tuple] = []
        for event in events:
            if remapping:  # a copy: the checker keeps the event, with its planned ids
                event = self._remapped(event)
            round_id = round_ids[event.round] if event.round else None
            event_rows.append(_event_row(event, round_id, now, on_sqlite))
            seq = event.seq
            for move in event.moves:
                movement_rows.append((next_movement, seq, move.model_id,
                                      STAGE_VALUES[move.from_stage], STAGE_VALUES[move.to_stage],
                                      move.quantity, move.reason_id, move.unit_price_cents,
                                      move.winemaker_id))
                next_movement += 1
        self.next_movement = next_movement
        return event_rows, movement_rows

    def _remapped(self, event: JournalEvent) -> JournalEvent:
        event = copy(event)
        event.actor = self._id("actor", event.actor)
        event.crate = self._id("crate", event.crate)
        event.point = self._id("point", event.point)
        event.washer = self._id("washer", event.washer)
        event.moves = [Move(move.from_stage, move.to_stage, move.quantity,
                            self._id("model", move.model_id), self._id("reason", move.reason_id),
                            move.unit_price_cents, self._id("winemaker", move.winemaker_id))
                       for move in event.moves]
        return event

    def _stocks(self) -> None:
        keys = sorted(self.checker.touched_stocks)
        if not keys:
            return
        site_kinds = {Site.COLLECTION_POINT: "point", Site.WASHER: "washer",
                      Site.WINEMAKER: "winemaker"}
        rows = []
        for stage, site, model in keys:
            quantity = self.checker.stocks[(stage, site, model)]
            site_id = self._id(site_kinds[STOCK_SITE[Stage(stage)]], site) if site else 0
            rows.append({"stage": stage, "site_id": site_id,
                         "model_id": self._id("model", model) if model else 0, "quantity": quantity})
        dialect = self.session.get_bind().dialect.name
        insert_ = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(
            StockLevel.__table__)
        statement = insert_.on_conflict_do_update(
            index_elements=["stage", "site_id", "model_id"],
            set_={"quantity": insert_.excluded.quantity})
        for start in range(0, len(rows), CHUNK):
            self.session.execute(statement, rows[start:start + CHUNK])

    def _crates(self) -> None:
        rows = []
        for crate_id in self.checker.touched_crates:
            state, point, washer, since, last = self.checker.crates[crate_id]
            rows.append({"b_id": self._id("crate", crate_id), "b_state": state,
                         "b_point": self._id("point", point), "b_washer": self._id("washer", washer),
                         "b_since": since, "b_last": last})
        if not rows:
            return
        table = Crate.__table__
        statement = (update(table).where(table.c.id == bindparam("b_id"))
                     .values(state=bindparam("b_state"), collection_point_id=bindparam("b_point"),
                             washer_id=bindparam("b_washer"), state_since=bindparam("b_since"),
                             last_event_seq=bindparam("b_last"), version=table.c.version + 1))
        for start in range(0, len(rows), CHUNK):
            self.session.execute(statement, rows[start:start + CHUNK])

    def _rounds(self) -> None:
        for code, row in self.new_rounds.items():  # who drove it and where it went, all rows seen
            actor, _day, washer, _pickup = self.checker.new_rounds[code]
            row.driver_id, row.washer_id = self.real("actor", actor), self.real("washer", washer)
        self.session.flush()
        ids = [self.round_ids[code] for code in self.checker.touched_rounds]
        if not ids:
            return
        projected = round_projection(self.session, ids)
        rows = [{"b_id": id_, "b_closed": closed, "b_km": km, "b_hours": hours}
                for id_, (closed, km, hours) in projected.items()]
        table = Round.__table__
        statement = (update(table).where(table.c.id == bindparam("b_id"))
                     .values(closed=bindparam("b_closed"), km=bindparam("b_km"),
                             hours=bindparam("b_hours")))
        for start in range(0, len(rows), CHUNK):
            self.session.execute(statement, rows[start:start + CHUNK])
