"""A request's unit of work, run once more when PostgreSQL aborts it to break a deadlock or a
serialisation conflict: the person never sees the 500, and nothing is recorded twice (the second
run carries the same event ids, and every write is idempotent by event id)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from bottles.db import db, kept_after_commit
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


def retried(view: Callable[..., T]) -> Callable[..., T]:
    """A writing view as one unit of work on db.session: live (see bottles.ledger.live) and run
    once more after a deadlock or a serialisation failure. Put it right above the function."""

    @wraps(view)
    def wrapper(*args, **kwargs) -> T:
        return run(db.session, lambda: view(*args, **kwargs))

    return wrapper
