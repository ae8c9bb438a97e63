"""Operations tell: each recorded event logs one line and is signalled, then signalled again once
its transaction commits (never for a replay, a refusal or a rolled-back savepoint)."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

import pytest

from bottles import signals
from bottles.ledger import Draft, record
from bottles.rules import Kind, LedgerError, Move, Stage
from tests.factories import T0, login, post_form


@pytest.fixture
def heard():
    """What both signals carried during the test, as (signal name, kind, seq)."""
    seen: list[tuple[str, Kind, int]] = []

    def on_recorded(kind, event, session):
        seen.append(("recorded", kind, event.seq))

    def on_committed(kind, event):
        seen.append(("committed", kind, event.seq))

    signals.event_recorded.connect(on_recorded)
    signals.event_committed.connect(on_committed)
    yield seen
    signals.event_recorded.disconnect(on_recorded)
    signals.event_committed.disconnect(on_committed)


@pytest.fixture
def placed(factory, session):
    """A crate placed at a point (committed), and the point staff."""
    washer, point = factory.washer(), factory.point()
    crate = factory.crate(washer=washer)
    factory.event(Kind.CRATE_PLACED, crate=crate, point=point.id, at=T0)
    staff = factory.user("point", points=[point])
    session.commit()
    return crate, point, staff


def _full(crate, point, actor, count: int = 40, event_id: uuid.UUID | None = None) -> Draft:
    return Draft(id=event_id or uuid.uuid4(), kind=Kind.CRATE_FULL,
                 occurred_at=T0 + timedelta(days=1), actor_id=actor.id, crate_id=crate.id,
                 collection_point_id=point.id, moves=[Move(Stage.OUTSIDE, Stage.AT_POINT, count)])


def test_an_event_is_signalled_when_recorded_then_when_committed(session, placed, heard, caplog):
    crate, point, staff = placed
    caplog.set_level(logging.INFO, logger="boucle.ledger")
    recorded = record(session, _full(crate, point, staff))
    assert heard == [("recorded", Kind.CRATE_FULL, recorded.event.seq)]
    session.commit()
    assert heard[-1] == ("committed", Kind.CRATE_FULL, recorded.event.seq)
    lines = [r.getMessage() for r in caplog.records if r.name == "boucle.ledger"]
    assert len(lines) == 1 and lines[0].startswith(f"recorded crate_full #{recorded.event.seq}")
    assert "bottles=40" in lines[0]


def test_a_replay_is_not_signalled_again(session, placed, heard):
    crate, point, staff = placed
    draft = _full(crate, point, staff)
    record(session, draft)
    session.commit()
    heard.clear()
    assert not record(session, draft).created
    session.commit()
    assert heard == []


def test_a_rolled_back_transaction_is_never_signalled_as_committed(session, placed, heard):
    crate, point, staff = placed
    record(session, _full(crate, point, staff))
    session.rollback()
    session.commit()
    assert [name for name, _kind, _seq in heard] == ["recorded"]


def test_an_event_in_a_rolled_back_savepoint_is_not_signalled_as_committed(session, placed, heard):
    crate, point, staff = placed
    with pytest.raises(LedgerError), session.begin_nested():
        record(session, _full(crate, point, staff))
        raise LedgerError("refusé plus loin dans la même opération")
    session.commit()
    assert [name for name, _kind, _seq in heard] == ["recorded"]


def test_a_released_savepoint_is_not_a_commit(session, placed, heard):
    """SQLAlchemy sends its commit events when a savepoint is released too: the event is only
    committed when the whole transaction is (its locks are still held until then)."""
    crate, point, staff = placed
    with session.begin_nested():
        recorded = record(session, _full(crate, point, staff))
    assert [name for name, _kind, _seq in heard] == ["recorded"]
    session.rollback()
    session.commit()
    assert [name for name, _kind, _seq in heard] == ["recorded"], "rolled back after the savepoint"
    heard.clear()
    with session.begin_nested():
        recorded = record(session, _full(crate, point, staff))
    assert heard == [("recorded", Kind.CRATE_FULL, recorded.event.seq)]
    session.commit()
    assert heard[-1] == ("committed", Kind.CRATE_FULL, recorded.event.seq)


def test_a_receiver_can_listen_to_one_kind_through_http(client, session, placed):
    crate, point, staff = placed
    full_declared: list[int] = []

    def on_full(kind, event):
        full_declared.append(event.bottles)

    signals.event_committed.connect(on_full, sender=Kind.CRATE_FULL)
    try:
        login(client, staff)
        response = post_form(client, f"/c/{crate.code}/pleine",
                             {"count": "37", "event_id": str(uuid.uuid4())},
                             page_url=f"/c/{crate.code}")
        assert response.status_code in (302, 303)
    finally:
        signals.event_committed.disconnect(on_full)
    assert full_declared == [37]
