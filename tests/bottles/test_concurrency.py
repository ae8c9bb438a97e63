"""Two real connections racing on the ledger's write path (PostgreSQL): exactly one wins.

Each thread has its own session and connection; a barrier releases them together.
"""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bottles.check import check_ledger
from bottles.db import db
from bottles.ledger import Draft, record
from bottles.models import Crate, Event
from bottles.queries import stock
from bottles.rules import Kind, Move, Stage
from tests.conftest import ON_POSTGRES
from tests.factories import T0

pytestmark = pytest.mark.skipif(not ON_POSTGRES, reason="real concurrency needs PostgreSQL")


def _race(drafts: list[Draft]) -> list[object]:
    """Record each draft in its own thread and session, all released at once; their outcomes."""
    engine = db.engine  # read here: the threads have no application context
    barrier = threading.Barrier(len(drafts))
    outcomes: list[object] = [None] * len(drafts)

    def worker(index: int, draft: Draft) -> None:
        with Session(engine) as session:
            try:
                barrier.wait(timeout=10)
                result = record(session, draft)
                session.commit()
                outcomes[index] = "created" if result.created else "replayed"
            except Exception as error:  # noqa: BLE001 - the loser's error is the outcome
                session.rollback()
                outcomes[index] = error

    threads = [threading.Thread(target=worker, args=(i, d)) for i, d in enumerate(drafts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_two_pickups_of_one_full_crate_record_exactly_one(app, factory, session):
    washer, point = factory.washer(), factory.point()
    driver_a, driver_b = factory.user("driver"), factory.user("driver")
    crate = factory.full_crate_at(point, count=45, washer=washer)
    session.commit()
    at = T0 + timedelta(days=2)
    drafts = [Draft(id=uuid.uuid4(), kind=Kind.PICKUP, occurred_at=at, actor_id=driver.id,
                    crate_id=crate.id, collection_point_id=point.id,
                    moves=[Move(Stage.AT_POINT, Stage.IN_TRANSIT, 45)])
              for driver in (driver_a, driver_b)]
    outcomes = _race(drafts)
    assert outcomes.count("created") == 1, outcomes
    loser = next(o for o in outcomes if o != "created")
    assert isinstance(loser, Exception)
    session.expire_all()
    pickups = session.scalar(select(func.count()).select_from(Event).where(Event.kind == "pickup"))
    assert pickups == 1
    assert session.get(Crate, crate.id).state == "in_transit"
    assert stock(session, Stage.IN_TRANSIT, point.id) == 45
    assert check_ledger(session) == []


def test_the_same_event_id_twice_at_once_records_it_once(app, factory, session):
    washer, point = factory.washer(), factory.point()
    crate = factory.full_crate_at(point, count=30, washer=washer)
    session.commit()
    draft = dict(id=uuid.uuid4(), kind=Kind.PICKUP, occurred_at=T0 + timedelta(days=2),
                 actor_id=None, crate_id=crate.id, collection_point_id=point.id)
    outcomes = _race([Draft(**draft, moves=[Move(Stage.AT_POINT, Stage.IN_TRANSIT, 30)])
                      for _ in range(2)])
    assert sorted(outcomes) == ["created", "replayed"], outcomes  # the loser learns it is a twin
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Event).where(Event.id == draft["id"])) == 1
    assert stock(session, Stage.IN_TRANSIT, point.id) == 30
    # the loser, retried, sees its event already there: a replay, not a second pickup
    retry = Draft(**draft, moves=[Move(Stage.AT_POINT, Stage.IN_TRANSIT, 30)])
    assert record(session, retry).created is False
    assert check_ledger(session) == []
