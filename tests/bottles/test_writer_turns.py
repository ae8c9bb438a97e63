"""SQLite's writers take turns on a lock file beside the database (bottles.writer_turns): one turn
at a time, also between two connections of one process; the turn ends with the transaction; a
writer that waited too long goes on to SQLite's own lock; an in-memory database has no file."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest
from sqlalchemy import create_engine, text

from bottles import writer_turns
from bottles.db import sqlite_begin_mode


def connection_to(path: str) -> SimpleNamespace:
    """What take_turn reads of a SQLAlchemy connection: its engine's database and its info."""
    return SimpleNamespace(engine=SimpleNamespace(url=SimpleNamespace(database=path)), info={})


def test_one_turn_at_a_time_then_the_next(tmp_path):
    database = str(tmp_path / "boucle.db")
    first, second = connection_to(database), connection_to(database)
    writer_turns.take_turn(first)
    waited: list[float] = []

    def wait_for_turn() -> None:
        started = time.monotonic()
        writer_turns.take_turn(second)
        waited.append(time.monotonic() - started)

    waiter = threading.Thread(target=wait_for_turn)
    waiter.start()
    time.sleep(0.2)
    assert waiter.is_alive() and not waited  # the first writer holds the turn
    writer_turns.end_turn(first)
    waiter.join(5)
    assert waited and 0.15 < waited[0] < 1.0  # given as soon as the first ended, not 100 ms later
    assert writer_turns.TURN in second.info and writer_turns.TURN not in first.info
    writer_turns.end_turn(second)
    writer_turns.end_turn(second)  # ending twice is harmless


def test_a_writer_that_waited_too_long_goes_on(tmp_path, monkeypatch):
    monkeypatch.setattr(writer_turns, "WAIT_S", 0.05)
    database = str(tmp_path / "boucle.db")
    holder, late = connection_to(database), connection_to(database)
    writer_turns.take_turn(holder)
    started = time.monotonic()
    writer_turns.take_turn(late)  # SQLite's busy timeout decides from here
    assert time.monotonic() - started < 1 and writer_turns.TURN not in late.info
    writer_turns.end_turn(holder)


@pytest.mark.parametrize("database", [None, "", ":memory:"])
def test_no_file_no_turn(database):
    connection = connection_to(database)
    writer_turns.take_turn(connection)
    assert connection.info == {}


def test_transactions_take_and_end_their_turn(tmp_path):
    """Through SQLAlchemy: a write transaction holds the turn until its commit or rollback; a read
    transaction takes none."""
    engine = create_engine(f"sqlite:///{tmp_path / 'boucle.db'}")
    import bottles.db  # noqa: F401  (its listeners: BEGIN mode, turns)

    mode = sqlite_begin_mode.set("IMMEDIATE")
    try:
        with engine.connect() as connection:
            with connection.begin():
                connection.execute(text("CREATE TABLE t (x INTEGER)"))
                assert writer_turns.TURN in connection.info
            assert writer_turns.TURN not in connection.info
            transaction = connection.begin()
            assert writer_turns.TURN in connection.info
            transaction.rollback()
            assert writer_turns.TURN not in connection.info
        sqlite_begin_mode.set("DEFERRED")
        with engine.connect() as connection, connection.begin():
            connection.execute(text("SELECT count(*) FROM t"))
            assert writer_turns.TURN not in connection.info
    finally:
        sqlite_begin_mode.reset(mode)
        engine.dispose()
