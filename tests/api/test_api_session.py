"""The API from Boucle's own pages: the session cookie with the page's CSRF token (the scan stations and
the phone's queue), never the cookie alone; what the stations send (a receipt counted as declared,
the gap's reason by its sign; a pickup refused at its point names the crate's state)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from flask import g
from sqlalchemy import func, select

from bottles.db import db
from bottles.models import Event
from bottles.people import tokens
from bottles.rules import Kind, Stage
from tests.factories import csrf_from, login


@pytest.fixture
def world(factory, session):
    washer = factory.washer("LAVA", "Lavage A")
    point = factory.point(name="Cave de la Comédie")
    people = {"driver": factory.user("driver"), "washer": factory.user("washer", washers=[washer]),
              "point": factory.user("point", points=[point])}
    old = datetime.now(UTC) - timedelta(days=2)
    crates = {"full": factory.full_crate_at(point, 40, washer=washer, at=old),
              "filling": factory.crate(washer=washer, at=old),
              "pool": factory.crate(washer=washer, at=old)}
    factory.event(Kind.CRATE_PLACED, crate=crates["filling"], point=point.id, at=old + timedelta(hours=1))
    session.commit()
    return {"washer": washer, "point": point, "people": people, "crates": crates}


def another_client() -> None:
    """The test's app context outlives requests (g with it): each client its own person and token."""
    g.pop("_login_user", None)
    g.pop("csrf_token", None)


def signed_in(client, user) -> str:
    """Sign `user` in on `client`; the CSRF token a page of theirs carries."""
    another_client()
    login(client, user)
    return csrf_from(client.get("/").get_data(as_text=True))


def post(client, body: dict, csrf: str | None):
    headers = {"X-CSRFToken": csrf} if csrf else {}
    another_client()
    return client.post("/api/v1/events", json=body, headers=headers)


def count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Event))


def test_a_session_needs_its_csrf_token_a_bearer_token_does_not(world, client, session, app):
    driver = world["people"]["driver"]
    an_hour_ago = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    event = {"id": str(uuid.uuid4()), "kind": "crate_placed", "crate": world["crates"]["pool"].code,
             "point_id": world["point"].id, "occurred_at": an_hour_ago}
    assert post(client, event, None).status_code == 401  # nobody signed in
    csrf = signed_in(client, driver)
    before = count()
    for token in (None, "forged", csrf + "x"):
        refused = post(client, event, token)
        assert refused.status_code == 400, token
        body = refused.get_json()
        assert body["code"] == "jeton_csrf_invalide" and "rechargez la page" in body["message"]
    assert client.get("/api/v1/crates").get_json()["code"] == "jeton_csrf_invalide"  # reads too
    assert count() == before
    made = post(client, event, csrf)
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["event"]["actor"] == driver.username
    recorded = session.scalar(select(Event).where(Event.id == uuid.UUID(event["id"])))
    assert recorded.occurred_at.replace(tzinfo=UTC) == datetime.fromisoformat(event["occurred_at"])
    again = post(client, event, csrf)  # the queue sent twice: already recorded, nothing twice
    assert again.status_code == 200 and again.get_json()["created"] is False
    assert again.get_json()["event"]["seq"] == made.get_json()["event"]["seq"]
    assert count() == before + 1
    assert client.get("/api/v1/crates", headers={"X-CSRFToken": csrf}).status_code == 200
    secret = tokens.create(session, driver).secret
    session.commit()
    other = app.test_client()  # a program: its token, no cookie, no CSRF token
    answer = other.post("/api/v1/events", headers={"Authorization": f"Bearer {secret}"},
                        json={**event, "id": str(uuid.uuid4()), "crate": world["crates"]["full"].code,
                              "kind": "pickup", "occurred_at": None})
    assert answer.status_code in (201, 422), answer.get_json()  # not a CSRF refusal
    assert answer.get_json().get("code") != "jeton_csrf_invalide"


def test_refusals_are_french_with_a_code_and_a_pickup_at_its_point_names_its_state(world, client):
    csrf = signed_in(client, world["people"]["driver"])
    filling = world["crates"]["filling"]
    before = count()
    refused = post(client, {"id": str(uuid.uuid4()), "kind": "pickup", "crate": filling.code}, csrf)
    assert refused.status_code == 422
    body = refused.get_json()
    assert body["code"] == "refuse" and body["crate_state"] == "at_point"
    assert "pleine" in body["message"].lower()  # the pages' French sentence
    late = post(client, {"id": str(uuid.uuid4()), "kind": "crate_full", "crate": filling.code, "count": 12,
                         "occurred_at": (datetime.now(UTC) - timedelta(days=30)).isoformat()}, csrf)
    assert late.status_code == 422 and late.get_json()["code"] == "heure_terrain_refusee"
    assert "jours" in late.get_json()["message"]
    assert count() == before
    as_point = app_client_for(client, world["people"]["point"])
    assert post(as_point[0], {"id": str(uuid.uuid4()), "kind": "pickup", "crate": filling.code},
                as_point[1]).get_json()["code"] == "acces_refuse"


def app_client_for(client, user):
    other = client.application.test_client()
    return other, signed_in(other, user)


def test_a_receipt_from_the_dock_station_counted_as_declared_or_with_the_gaps_reason(
        world, client, factory, session):
    loss = factory.reason("CASSE", "loss")
    surplus = factory.reason("EN-PLUS", "surplus")
    crates = [factory.full_crate_at(world["point"], 40, washer=world["washer"],
                                    at=datetime.now(UTC) - timedelta(days=2)) for _ in range(3)]
    session.commit()
    driver_csrf = signed_in(client, world["people"]["driver"])
    for crate in crates:
        assert post(client, {"id": str(uuid.uuid4()), "kind": "pickup", "crate": crate.code,
                             "round_token": "station-round"}, driver_csrf).status_code == 201
    dock, csrf = app_client_for(client, world["people"]["washer"])
    station = {"kind": "receipt", "washer_id": str(world["washer"].id),  # the page's fields are text
               "loss_reason_id": str(loss.id), "surplus_reason_id": str(surplus.id)}
    answers = [post(dock, {**station, "id": str(uuid.uuid4()), "crate": crate.code, **extra}, csrf)
               for crate, extra in zip(crates, ({}, {"counted": 37}, {"counted": 42}), strict=True)]
    assert [a.status_code for a in answers] == [201, 201, 201], [a.get_json() for a in answers]
    moves = [{(m["to_stage"], m["reason_id"]): m["quantity"] for m in a.get_json()["event"]["movements"]}
             for a in answers]
    assert moves[0] == {(Stage.RECEIVED.value, None): 40}
    assert moves[1] == {(Stage.RECEIVED.value, None): 37, (Stage.LOST.value, loss.id): 3}
    assert moves[2] == {(Stage.RECEIVED.value, None): 40, (Stage.RECEIVED.value, surplus.id): 2}
    first = answers[0].get_json()["event"]["id"]
    replay = post(dock, {**station, "id": first, "crate": crates[0].code}, csrf)
    assert replay.status_code == 200 and replay.get_json()["created"] is False
