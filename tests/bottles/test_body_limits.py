"""Request bodies are bounded per route and refused with 413 before anything parses them."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select

from bottles.models import Event
from tests.factories import csrf_from, login

FORM = "application/x-www-form-urlencoded"


def test_a_big_anonymous_login_form_is_refused_before_parsing(client):
    body = b"username=" + b"a" * 300_000 + b"&password=x"
    response = client.post("/login", data=body, content_type=FORM)
    assert response.status_code == 413
    assert "trop volumineu" in response.get_data(as_text=True)


def test_a_form_with_too_many_fields_is_refused(client):
    body = "&".join(f"f{i}=" for i in range(3000)).encode()
    assert len(body) < 64 * 1024
    response = client.post("/login", data=body, content_type=FORM)
    assert response.status_code == 413


def test_an_ordinary_login_form_still_works(client, factory):
    user = factory.user(role="coordinator")
    assert login(client, user).status_code == 302


def test_a_big_json_body_to_the_api_the_stations_post_to_is_a_413_in_json(client, session, factory):
    """The scan stations and the phone's queue post one event per request to POST /api/v1/events,
    under the default limit (64 kB): a larger body is refused before anything reads it, signed in
    or not, in JSON with a French message."""
    before = session.scalar(select(func.count()).select_from(Event))
    line = {"id": str(uuid.uuid4()), "kind": "pickup", "crate": "CJ-00001-1", "note": "x" * 70_000}
    response = client.post("/api/v1/events", data=json.dumps(line), content_type="application/json")
    assert response.status_code == 413
    assert response.get_json()["code"] == "trop_volumineux"
    assert "trop volumineu" in response.get_json()["message"]
    login(client, factory.user(role="driver"))
    token = csrf_from(client.get("/tournee/enlever").get_data(as_text=True))
    signed_in = client.post("/api/v1/events", data=json.dumps(line), content_type="application/json",
                            headers={"X-CSRFToken": token})
    assert signed_in.status_code == 413 and signed_in.get_json()["code"] == "trop_volumineux"
    assert session.scalar(select(func.count()).select_from(Event)) == before


def test_the_largest_line_a_station_sends_fits_the_limit(client, session, factory):
    """A pickup line with every field the station adds (its id, field time, round token, a count),
    a note at the API's longest: far under the limit, recorded."""
    washer, point = factory.washer(), factory.point()
    crate = factory.full_crate_at(point, count=40, washer=washer)
    session.commit()
    login(client, factory.user(role="driver"))
    token = csrf_from(client.get("/tournee/enlever").get_data(as_text=True))
    line = {"id": str(uuid.uuid4()), "kind": "pickup", "crate": crate.code, "counted": 38,
            "occurred_at": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "round_token": str(uuid.uuid4()), "note": "é" * 500}
    body = json.dumps(line, ensure_ascii=False).encode()
    assert len(body) < 2 * 1024
    response = client.post("/api/v1/events", data=body, content_type="application/json",
                           headers={"X-CSRFToken": token})
    assert response.status_code == 201, response.get_json()


def test_the_catalogue_import_keeps_its_5_mb_message_and_refuses_far_bigger(client, factory):
    admin = factory.user(role="admin")
    login(client, admin)
    token = csrf_from(client.get("/catalogue/import/models").get_data(as_text=True))
    from io import BytesIO

    just_over = {"csrf_token": token, "file": (BytesIO(b"a" * (5 * 1024 * 1024 + 10)), "m.csv")}
    response = client.post("/catalogue/import/models", data=just_over,
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "5 Mo" in response.get_data(as_text=True)
    far = {"csrf_token": token, "file": (BytesIO(b"a" * (8 * 1024 * 1024)), "m.csv")}
    response = client.post("/catalogue/import/models", data=far, content_type="multipart/form-data")
    assert response.status_code == 413
