"""The database handle shared by every package."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session

from bottles import writer_turns

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)

# How the next SQLite transaction begins: IMMEDIATE for requests that write, so two writers
# queue on busy_timeout instead of failing with "database is locked" when a reader upgrades.
sqlite_begin_mode: ContextVar[str] = ContextVar("sqlite_begin_mode", default="DEFERRED")
# Writing endpoints that take SQLite's write lock themselves, for their write alone (`begin_write`):
# the request's checks before it (sign-in, CSRF, the body's schema) read without holding it.
LATE_WRITERS: set[str] = set()


def begin_write(session: Session | scoped_session) -> None:
    """End the read transaction the request's checks began, keeping what they loaded, so that the
    next statement begins the write (SQLite: BEGIN IMMEDIATE, the write lock held from there to the
    commit only). On PostgreSQL nothing to do: rows are locked one by one, when written."""
    if session.get_bind().dialect.name != "sqlite":
        return
    actual = session() if isinstance(session, scoped_session) else session
    if actual.in_transaction():
        with kept_after_commit(actual):
            actual.commit()  # nothing was written: only the read ends (and the person stays loaded)
    sqlite_begin_mode.set("IMMEDIATE")


@contextmanager
def kept_after_commit(session: Session) -> Iterator[None]:
    """Within: the commit does not expire what the unit of work read and wrote. The answer built
    after it (the flash, the redirect, the JSON lines, the request's log line) reads the values just
    committed instead of reloading each row in a second transaction (on SQLite a second BEGIN
    IMMEDIATE, the write lock taken again). A rollback still expires everything."""
    actual = session() if isinstance(session, scoped_session) else session
    before = actual.expire_on_commit
    actual.expire_on_commit = False
    try:
        yield
    finally:
        actual.expire_on_commit = before


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL and foreign keys on every SQLite connection."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # SQLAlchemy, not pysqlite, begins transactions (SQLAlchemy's documented recipe), so
    # SAVEPOINTs nest properly and the BEGIN mode can be chosen.
    dbapi_connection.isolation_level = None


OWNER = "boucle.pid"  # a pooled connection's info: the process that opened it


@event.listens_for(Engine, "connect")
def _remember_owner(_dbapi_connection, record) -> None:
    record.info[OWNER] = os.getpid()


@event.listens_for(Engine, "checkout")
def _never_inherited(_dbapi_connection, record, proxy) -> None:
    """A connection opened before a fork (gunicorn's master with preload_app) is never used by the
    child: two processes on one socket or one SQLite handle corrupt each other's conversation. The
    pool drops it without closing it (the parent's) and opens one for this process (SQLAlchemy's
    recipe for pools and os.fork)."""
    if record.info.get(OWNER, os.getpid()) != os.getpid():
        record.dbapi_connection = proxy.dbapi_connection = None
        raise DisconnectionError("connection opened by another process (before a fork)")


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection) -> None:
    if connection.dialect.name != "sqlite":
        return
    mode = sqlite_begin_mode.get()
    if mode == "IMMEDIATE":
        writer_turns.take_turn(connection)
    try:
        connection.exec_driver_sql(f"BEGIN {mode}")
    except Exception:
        writer_turns.end_turn(connection)
        raise


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _sqlite_end(connection) -> None:
    if connection.dialect.name == "sqlite":
        writer_turns.end_turn(connection)


CONNECT_TIMEOUT_S = 5


def with_connect_timeout(uri: str, options: dict, seconds: int) -> dict:
    """A PostgreSQL server that does not answer fails in `seconds`, not at the worker's timeout.

    /healthz then reports the database unreachable instead of hanging until gunicorn kills it.
    """
    if not uri.startswith("postgresql"):
        return options
    connect_args = {"connect_timeout": seconds, **options.get("connect_args", {})}
    return {**options, "connect_args": connect_args}
