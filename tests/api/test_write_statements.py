"""What one crate event costs the database through the API, statement by statement: the crate read
once, under its lock, as the request's first lock; the event id looked up once; on SQLite the write
lock taken for the write alone (the sign-in check before it reads without it) and no second
transaction after the commit to build the answer."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from bottles.db import db
from bottles.rules import Kind
from tests.api.test_api_session import post, signed_in


@pytest.fixture
def statements(app):
    """Every statement the engine runs while the test's requests are sent."""
    seen: list[str] = []

    def keep(_conn, _cursor, statement, *_args) -> None:
        seen.append(" ".join(statement.split()))

    engine = db.engine
    event.listen(engine, "before_cursor_execute", keep)
    yield seen
    event.remove(engine, "before_cursor_execute", keep)


@pytest.fixture
def placing(factory, session, client) -> tuple[str, str, int]:
    """A driver signed in on `client` (their CSRF token), a crate in the pool and a point; the code
    and the point's id read before the request's statements are counted."""
    washer = factory.washer("LAVA", "Lavage A")
    point = factory.point(name="Cave de la Comédie")
    driver = factory.user("driver")
    crate = factory.crate(washer=washer, at=datetime.now(UTC) - timedelta(days=1))
    session.commit()
    return signed_in(client, driver), crate.code, point.id


def crate_reads(seen: list[str]) -> list[str]:
    return [s for s in seen if s.startswith("SELECT crates.id, crates.code, crates.capacity")]


def event_lookups(seen: list[str]) -> list[str]:
    return [s for s in seen if s.startswith("SELECT events.seq, events.id") and "WHERE events.id =" in s]


def test_a_crate_placed_reads_its_crate_and_event_id_once(placing, client, statements):
    csrf, code, point_id = placing
    statements.clear()
    body = {"id": str(uuid.uuid4()), "kind": Kind.CRATE_PLACED.value, "crate": code, "point_id": point_id}
    answer = post(client, body, csrf)
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["event"]["crate"] == code
    reads = crate_reads(statements)
    assert len(reads) == 1, "\n".join(s[:150] for s in statements)
    if db.engine.dialect.name == "postgresql":
        assert reads[0].endswith("FOR UPDATE OF crates"), reads[0]
    assert len(event_lookups(statements)) == 1, event_lookups(statements)
    again = post(client, body, csrf)  # the same event again: found under the crate's lock, answered 200
    assert again.status_code == 200 and again.get_json()["event"]["crate"] == code


def test_on_sqlite_the_write_lock_is_held_for_the_write_alone(placing, client, statements):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's single write lock (PostgreSQL locks rows)")
    csrf, code, point_id = placing
    db.session.rollback()  # the test's own transaction ended, as a worker's between requests
    statements.clear()
    answer = post(client, {"id": str(uuid.uuid4()), "kind": Kind.CRATE_PLACED.value, "crate": code,
                           "point_id": point_id}, csrf)
    assert answer.status_code == 201, answer.get_json()
    begins = [(index, s) for index, s in enumerate(statements) if s.startswith("BEGIN")]
    assert [s for _index, s in begins if s == "BEGIN IMMEDIATE"] == ["BEGIN IMMEDIATE"], begins
    immediate = next(index for index, s in begins if s == "BEGIN IMMEDIATE")
    assert statements[immediate + 1].startswith("SELECT crates.id"), statements[immediate:immediate + 2]
    assert all(not s.startswith("SELECT users.") for s in statements[immediate:]), statements[immediate:]
    assert begins[-1][1] == "BEGIN IMMEDIATE", "a transaction began after the write's commit"
