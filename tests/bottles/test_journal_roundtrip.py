"""The journal's round trip under concurrent writes: events recorded by several connections at
once (PostgreSQL: real threads; SQLite: one writer at a time), exported, imported into an empty
database and exported again give the same file, byte for byte."""

from __future__ import annotations

import csv
import io
import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bottles.check import check_ledger
from bottles.codes import make_code
from bottles.db import db, sqlite_begin_mode
from bottles.journal import export as export_module
from bottles.journal import export_journal, import_journal
from bottles.ledger import Draft, live, record
from bottles.models import Crate, Event, utcnow
from bottles.rules import Kind, Move, Stage
from tests.bottles.test_journal import other_session  # noqa: F401 - the fixture
from tests.conftest import ON_POSTGRES

WORKERS = 6 if ON_POSTGRES else 2
CYCLES = 6


def _export(session: Session) -> str:
    out = io.StringIO()
    export_journal(session, out)
    return out.getvalue()


def _worker(engine, crates: list[int], point: int, washer: int, model: int, actor: int,
            same_instant, barrier: threading.Barrier, failures: list) -> None:
    """Crates placed, filled, picked up, received and sorted, each action its own transaction;
    every other action dated by the shared `same_instant` (two phones' identical clocks)."""
    sqlite_begin_mode.set("IMMEDIATE")  # as a writing request does: writers queue, none fails
    try:
        with Session(engine) as session:
            barrier.wait(timeout=20)
            for cycle in range(CYCLES):
                for crate in crates:
                    steps = [
                        (Kind.CRATE_PLACED, dict(collection_point_id=point), []),
                        (Kind.CRATE_FULL, dict(collection_point_id=point),
                         [Move(Stage.OUTSIDE, Stage.AT_POINT, 40)]),
                        (Kind.PICKUP, dict(collection_point_id=point),
                         [Move(Stage.AT_POINT, Stage.IN_TRANSIT, 40)]),
                        (Kind.RECEIPT, dict(collection_point_id=point, washer_id=washer),
                         [Move(Stage.IN_TRANSIT, Stage.RECEIVED, 40)]),
                    ]
                    for index, (kind, sites, moves) in enumerate(steps):
                        with live(session):
                            at = same_instant if (cycle + index) % 2 else utcnow()
                            record(session, Draft(id=uuid.uuid4(), kind=kind, occurred_at=at,
                                                  actor_id=actor, crate_id=crate, moves=moves,
                                                  **sites))
                            session.commit()
                with live(session):
                    record(session, Draft(id=uuid.uuid4(), kind=Kind.SORTING, occurred_at=utcnow(),
                                          actor_id=actor, washer_id=washer,
                                          moves=[Move(Stage.RECEIVED, Stage.SORTED, 30, model_id=model)]))
                    session.commit()
    except Exception as error:  # noqa: BLE001 - reported by the test
        failures.append(error)


def test_a_journal_written_concurrently_round_trips_byte_for_byte(app, factory, session,
                                                                    other_session):  # noqa: F811
    washer = factory.washer()
    model = factory.model()
    points = [factory.point() for _ in range(WORKERS)]
    actor = factory.user("washer", washers=[washer])
    crates = [[factory.crate(washer=washer).id for _ in range(3)] for _ in range(WORKERS)]
    session.commit()
    same_instant = utcnow() - timedelta(minutes=1)
    barrier, failures = threading.Barrier(WORKERS), []
    point_ids, washer_id, model_id, actor_id = [p.id for p in points], washer.id, model.id, actor.id
    threads = [threading.Thread(target=_worker, args=(db.engine, crates[i], point_ids[i], washer_id,
                                                       model_id, actor_id, same_instant, barrier,
                                                       failures))
               for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not failures, failures
    session.rollback()  # a fresh snapshot: the threads' commits
    expected = WORKERS * 3 + WORKERS * CYCLES * (3 * 4 + 1)
    assert session.scalar(select(func.count()).select_from(Event)) == expected
    journal = _export(session)
    report = import_journal(other_session, io.StringIO(journal), create_missing=True)
    assert report.ok, report.errors[:5]
    other_session.commit()
    assert report.imported_events == expected
    again = _export(other_session)
    assert again.splitlines() == journal.splitlines()
    assert again == journal
    assert check_ledger(other_session) == []


@pytest.mark.skipif(not ON_POSTGRES, reason="SQLite reads a whole transaction from one snapshot")
def test_an_export_reads_its_codes_and_events_from_one_snapshot(app, factory, session, monkeypatch):
    """A crate registered by someone else while the export reads the codes: under READ COMMITTED
    its event would be exported without its crate code (a journal that does not import back)."""
    washer = factory.washer()
    factory.crate(washer=washer)
    session.commit()
    written: list[uuid.UUID] = []
    real_codes = export_module._codes

    def codes_then_someone_registers(session_, model, column):
        found = real_codes(session_, model, column)
        if not written:
            written.append(uuid.uuid4())
            with Session(db.engine) as other:
                crate = Crate(code=make_code(777), capacity=60)
                other.add(crate)
                other.flush()
                record(other, Draft(id=written[0], kind=Kind.CRATE_REGISTERED,
                                    occurred_at=utcnow(), actor_id=None, crate_id=crate.id))
                other.commit()
        return found

    monkeypatch.setattr(export_module, "_codes", codes_then_someone_registers)
    rows = list(csv.DictReader(io.StringIO(_export(session))))
    assert written and all(row["crate"] for row in rows)
    assert str(written[0]) not in {row["event_id"] for row in rows}
