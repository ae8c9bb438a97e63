import uuid
from datetime import timedelta

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from bottles.check import check_ledger
from bottles.ledger import Draft, LedgerConflict, record
from bottles.models import Crate, Event, Movement
from bottles.queries import ledger_stocks, projected_stocks, stock
from bottles.rules import Kind, LedgerError, Move, Stage
from tests.conftest import ON_POSTGRES
from tests.factories import T0


@pytest.fixture
def world(factory):
    washer = factory.washer()
    point = factory.point()
    model = factory.model()
    driver = factory.user("driver")
    return washer, point, model, driver


def test_same_event_twice_records_once(factory, session, world):
    washer, point, _model, driver = world
    crate = factory.crate(washer=washer)
    factory.event(Kind.CRATE_PLACED, crate=crate, point=point.id, at=T0 + timedelta(hours=1))
    draft = Draft(id=uuid.uuid4(), kind=Kind.CRATE_FULL, occurred_at=T0 + timedelta(days=1),
                  actor_id=driver.id, crate_id=crate.id, collection_point_id=point.id,
                  moves=[Move(Stage.OUTSIDE, Stage.AT_POINT, 40)])
    first = record(session, draft)
    again = record(session, draft)
    assert first.created and not again.created
    assert first.event.seq == again.event.seq
    assert stock(session, Stage.AT_POINT, point.id) == 40
    assert session.scalar(select(Crate.state).where(Crate.id == crate.id)) == "full"


def test_reused_id_with_other_content_is_refused(factory, session, world):
    washer, point, _model, driver = world
    crate = factory.crate(washer=washer)
    factory.event(Kind.CRATE_PLACED, crate=crate, point=point.id)
    event_id = uuid.uuid4()
    factory.event(Kind.CRATE_FULL, crate=crate, point=point.id, event_id=event_id,
                  moves=[Move(Stage.OUTSIDE, Stage.AT_POINT, 40)])
    with pytest.raises(LedgerConflict):
        factory.event(Kind.CRATE_FULL, crate=crate, point=point.id, event_id=event_id,
                      moves=[Move(Stage.OUTSIDE, Stage.AT_POINT, 41)])


def test_negative_stock_is_refused_with_a_message_naming_it(factory, session, world):
    washer, point, _model, _driver = world
    crate = factory.full_crate_at(point, count=30, washer=washer)
    with pytest.raises(LedgerError, match=r"30 bouteilles disponibles, il en faudrait 31 \(1 de trop\)"):
        factory.event(Kind.PICKUP, crate=crate, point=point.id, at=T0 + timedelta(days=2),
                      moves=[Move(Stage.AT_POINT, Stage.IN_TRANSIT, 31)])


def test_crate_transition_that_cannot_happen_is_refused(factory, world):
    washer, point, _model, _driver = world
    crate = factory.crate(washer=washer)
    with pytest.raises(LedgerError, match="vide, au centre de lavage"):
        factory.event(Kind.PICKUP, crate=crate, point=point.id,
                      moves=[Move(Stage.AT_POINT, Stage.IN_TRANSIT, 1)])


def test_correction_reverses_and_cannot_be_corrected(factory, session, world):
    washer, point, _model, _driver = world
    crate = factory.full_crate_at(point, count=30, washer=washer)
    full = session.scalar(select(Event).where(Event.kind == "crate_full"))
    fix = factory.event(Kind.CORRECTION, corrects=full.seq, note="mauvais comptage",
                        at=T0 + timedelta(days=2))
    assert stock(session, Stage.AT_POINT, point.id) == 0
    assert session.get(Crate, crate.id).state == "at_point"
    with pytest.raises(LedgerError, match="ne peut pas être corrigée"):
        factory.event(Kind.CORRECTION, corrects=fix.seq, note="non")
    with pytest.raises(LedgerError, match="déjà été corrigé"):
        factory.event(Kind.CORRECTION, corrects=full.seq, note="encore")
    assert check_ledger(session) == []


def test_projection_matches_ledger_and_check_names_a_difference(factory, session, world):
    washer, point, _model, _driver = world
    factory.full_crate_at(point, count=30, washer=washer)
    assert ledger_stocks(session) == projected_stocks(session) == {("at_point", point.id, 0): 30}
    session.execute(text("UPDATE stock_levels SET quantity = 29"))
    problems = check_ledger(session)
    assert problems and "at_point" in problems[0] and "ledger 30" in problems[0]


def test_ledger_is_append_only_in_the_orm(factory, session, world):
    washer, *_ = world
    factory.crate(washer=washer)
    event = session.scalar(select(Event))
    event.note = "changed"
    with pytest.raises(LedgerError):
        session.flush()
    session.rollback()
    with pytest.raises(LedgerError):
        session.execute(update(Event).values(note="x"))
    with pytest.raises(LedgerError):
        session.execute(delete(Movement))


@pytest.mark.skipif(not ON_POSTGRES, reason="the trigger lives on PostgreSQL")
def test_ledger_is_append_only_in_postgresql(factory, session, world):
    washer, *_ = world
    factory.crate(washer=washer)
    session.commit()
    with pytest.raises(DBAPIError, match="append-only"):
        session.execute(text("UPDATE events SET note = 'x'"))
    session.rollback()
    with pytest.raises(DBAPIError, match="append-only"):
        session.execute(text("DELETE FROM events"))
    session.rollback()
