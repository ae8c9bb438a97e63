"""A request's unit of work, run once more when PostgreSQL aborts it to break a deadlock or a
serialisation conflict: the person never sees the 500, and nothing is recorded twice (the second
run carries the same event ids, and every write is idempotent by event id)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, scoped_session

from bottles.db import db
from bottles.ledger import live

log = logging.getLogger("boucle.ledger")
T = TypeVar("T")
TRANSIENT = frozenset({"40P01", "40001"})  # deadlock_detected, serialization_failure


def is_transient(error: BaseException) -> bool:
    """A failure the database asks the client to retry (the transaction was rolled back whole)."""
    orig = getattr(error, "orig", None)
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return isinstance(error, DBAPIError) and code in TRANSIENT


def run(session: Session, work: Callable[[], T]) -> T:
    """`work` (which commits or rolls back itself) as a live unit of work, run at most twice."""
    with live(session), kept_after_commit(session):
        try:
            return work()
        except DBAPIError as error:
            if not is_transient(error):
                raise
            session.rollback()
            log.warning("unit of work run again after %s", type(error.orig).__name__)
    with live(session), kept_after_commit(session):
        return work()


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


def retried(view: Callable[..., T]) -> Callable[..., T]:
    """A writing view as one unit of work on db.session: live (see bottles.ledger.live) and run
    once more after a deadlock or a serialisation failure. Put it right above the function."""

    @wraps(view)
    def wrapper(*args, **kwargs) -> T:
        return run(db.session, lambda: view(*args, **kwargs))

    return wrapper
