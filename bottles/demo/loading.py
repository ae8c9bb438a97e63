"""Loading the demo: a realistic catalogue, then two phases of history through the journal import.

Phases belong to the reports package, which bottles never imports: reports registers a
function in AFTER_DEMO, called after the import in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from bottles.demo.catalogue import ACCOUNTS, create_catalogue
from bottles.demo.history import history
from bottles.journal import ImportReport, import_journal
from bottles.models import BottleModel, CollectionPoint, Event, User

AFTER_DEMO: list[Callable[[Session], None]] = []


class DemoError(RuntimeError):
    """The demo could not be loaded (the message is for the person)."""


def database_is_empty(session: Session) -> bool:
    return all(session.scalar(select(model.id).limit(1)) is None
               for model in (User, CollectionPoint, BottleModel)) and \
        session.scalar(select(Event.seq).limit(1)) is None


def load_demo(session: Session, scale: int = 1, seed: int = 2024) -> ImportReport:
    """Fill an empty database with the demo; flushes, never commits."""
    if not 1 <= scale <= 100:
        raise DemoError("L'échelle doit être un entier entre 1 et 100.")
    if not database_is_empty(session):
        raise DemoError("La base n'est pas vide : la démonstration ne se charge que dans une base vide.")
    rows, crates = history(scale, seed)
    create_catalogue(session, crates)
    report = import_journal(session, rows)
    if not report.ok:
        raise DemoError("La démonstration n'a pas pu être importée : "
                        + "; ".join(str(error) for error in report.errors[:5]))
    for hook in AFTER_DEMO:
        hook(session)
    session.flush()
    return report


def demo_accounts(session: Session) -> list[tuple[str, str, str, str]]:
    """(username, role, password, name) of the demo accounts present in the database."""
    present = set(session.scalars(select(User.username)))
    return [(username, role, password, display)
            for username, display, role, password, _points, _washers in ACCOUNTS if username in present]
