"""Writing a checked journal: what it needs created, then events and movements in bulk, then
the projections (stocks, crates, rounds). Called by bottles.journal.importer once every row passed.
"""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bottles.check import round_projection
from bottles.journal.catalogue import Catalogue
from bottles.journal.check import Checker
from bottles.journal.create import create_rows
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


class Writer:
    """Creates what the file needs, then inserts events and movements and the projections."""

    def __init__(self, session: Session, catalogue: Catalogue, checker: Checker) -> None:
        self.session = session
        self.catalogue = catalogue
        self.checker = checker
        self.remap: dict[str, dict[int, int]] = {}

    def write(self, report: ImportReport) -> None:
        self._create_missing(report)
        round_ids = self._create_rounds(report)
        report.imported_events, report.imported_movements = self._insert(round_ids)
        self._stocks()
        self._crates()
        self._rounds(round_ids)
        if self.session.get_bind().dialect.name == "postgresql":
            for table, column in (("events", "seq"), ("movements", "id")):
                self.session.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                    f"(SELECT COALESCE(MAX({column}), 1) FROM {table}))"))
        self.session.expire_all()

    def _id(self, kind: str, value: int | None) -> int | None:
        if value is None or value > 0:
            return value
        return self.remap[kind][value]

    def _create_missing(self, report: ImportReport) -> None:
        for kind, planned in self.catalogue.missing.items():
            if not planned:
                continue
            rows = create_rows(self.session, kind, planned, self.catalogue.first_use,
                               self.catalogue.actor_kinds)
            self.remap[kind] = {planned[code]: row.id for code, row in rows.items()}
            report.created[kind] = sorted(planned)

    def _create_rounds(self, report: ImportReport) -> dict[str, int]:
        ids = dict(self.checker.rounds)
        made = []
        for code, (actor, day, washer, _pickup) in self.checker.new_rounds.items():
            made.append(Round(code=code, driver_id=self._id("actor", actor), round_date=day,
                              washer_id=self._id("washer", washer), closed=False))
        if made:
            self.session.add_all(made)
            self.session.flush()
            ids.update({row.code: row.id for row in made})
            report.created["round"] = sorted(row.code for row in made)
        return ids

    def _insert(self, round_ids: dict[str, int]) -> tuple[int, int]:
        """Events and movements through the driver's executemany (no per-value type processing)."""
        on_sqlite = self.session.get_bind().dialect.name == "sqlite"
        mark = "?" if on_sqlite else "%s"
        event_sql = (f"INSERT INTO events (seq, id, kind, occurred_at, recorded_at, actor_id, crate_id, "
                     f"collection_point_id, washer_id, round_id, corrects_seq, hours, km, water_l, "
                     f"energy_kwh, note, content_hash) VALUES ({', '.join([mark] * 17)})")
        movement_sql = (f"INSERT INTO movements (id, event_seq, bottle_model_id, from_stage, to_stage, "
                        f"quantity, reason_id, unit_price_cents, winemaker_id) "
                        f"VALUES ({', '.join([mark] * 9)})")
        connection = self.session.connection()
        if on_sqlite:
            connection.exec_driver_sql("PRAGMA cache_size = -262144")
        now = _sqlite_when(datetime.now(UTC)) if on_sqlite else datetime.now(UTC)
        next_movement = (self.session.scalar(select(Movement.id).order_by(Movement.id.desc())
                                             .limit(1)) or 0) + 1
        event_rows: list[tuple] = []
        movement_rows: list[tuple] = []
        events_written = movements_written = 0
        remapping = bool(self.remap)
        indexes = _drop_indexes(connection) if on_sqlite and len(self.checker.accepted) > 50_000 else []
        cursor = connection.connection.driver_connection.cursor()
        # The driver inserts one chunk (GIL released) while Python prepares the next.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = None
            for event in self.checker.accepted:
                if remapping:
                    self._remap(event)
                round_id = round_ids[event.round] if event.round else None
                event_rows.append(_event_row(event, round_id, now, on_sqlite))
                seq = event.seq
                for move in event.moves:
                    movement_rows.append((next_movement, seq, move.model_id,
                                          STAGE_VALUES[move.from_stage], STAGE_VALUES[move.to_stage],
                                          move.quantity, move.reason_id, move.unit_price_cents,
                                          move.winemaker_id))
                    next_movement += 1
                if len(event_rows) >= CHUNK:
                    if pending is not None:
                        pending.result()
                    pending = pool.submit(_insert_rows, cursor, event_sql, event_rows, movement_sql,
                                          movement_rows)
                    events_written += len(event_rows)
                    movements_written += len(movement_rows)
                    event_rows, movement_rows = [], []
            if pending is not None:
                pending.result()
        _insert_rows(cursor, event_sql, event_rows, movement_sql, movement_rows)
        cursor.close()
        for statement in indexes:
            connection.exec_driver_sql(statement)
        if on_sqlite:
            connection.exec_driver_sql("PRAGMA cache_size = -2000")
        return events_written + len(event_rows), movements_written + len(movement_rows)

    def _remap(self, event: JournalEvent) -> None:
        event.actor = self._id("actor", event.actor)
        event.crate = self._id("crate", event.crate)
        event.point = self._id("point", event.point)
        event.washer = self._id("washer", event.washer)
        event.moves = [Move(move.from_stage, move.to_stage, move.quantity,
                            self._id("model", move.model_id), self._id("reason", move.reason_id),
                            move.unit_price_cents, self._id("winemaker", move.winemaker_id))
                       for move in event.moves]

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

    def _rounds(self, round_ids: dict[str, int]) -> None:
        ids = [round_ids[code] for code in self.checker.touched_rounds]
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
