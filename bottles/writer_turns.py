"""SQLite's writers take turns promptly, across gunicorn's worker processes.

A write transaction begins `BEGIN IMMEDIATE` (bottles.db): when another writer holds SQLite's
lock, SQLite's busy handler sleeps in growing steps (1, 2, 5, 10, 15, 20, 25… up to 100 ms), so a
waiter oversleeps a lock held for a few milliseconds and the writers' queue runs far below what
the database can do. Here a writer first waits for its turn on an advisory lock, `flock` on a file
beside the database (`<database>-writer`), looked at every fraction of a millisecond, and begins
once it has it; the turn ends with the transaction (commit or rollback, `end_turn`).

The turn is advice only: SQLite's own lock still guards the data. A writer that has waited
WAIT_S for its turn begins anyway, and SQLite's busy timeout applies as before; a process that
dies holding a turn releases it with its file descriptors.
"""

from __future__ import annotations

import fcntl
import os
import time

WAIT_S = 10.0  # as long as SQLite's busy_timeout (bottles.db)
FIRST_POLL_S, LAST_POLL_S = 0.0002, 0.002
TURN = "boucle.writer_turn"  # the DBAPI connection's info: the descriptor holding the turn


def turn_file(database: str | None) -> str | None:
    """The lock file of a SQLite database file; None for an in-memory database."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return database + "-writer"


def take_turn(connection) -> None:
    """Before `connection`'s BEGIN IMMEDIATE: wait until no other writer holds the turn (or WAIT_S).

    Each turn opens the file anew: flock excludes other open files, also within one process (two
    threads of a development server or a test)."""
    path = turn_file(connection.engine.url.database)
    if path is None or TURN in connection.info:
        return
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    deadline, pause = time.monotonic() + WAIT_S, FIRST_POLL_S
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if time.monotonic() > deadline:
                os.close(descriptor)
                return
            time.sleep(pause)
            pause = min(pause * 2, LAST_POLL_S)
            continue
        connection.info[TURN] = descriptor
        return


def end_turn(connection) -> None:
    """The transaction ended: the next writer's turn (closing the file releases the lock)."""
    descriptor = connection.info.pop(TURN, None)
    if descriptor is not None:
        os.close(descriptor)
