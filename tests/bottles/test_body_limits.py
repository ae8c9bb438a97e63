"""Request bodies are bounded per route and refused with 413 before anything parses them."""

from __future__ import annotations

import json
import uuid

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


def test_a_big_json_body_to_a_scan_endpoint_is_a_413_in_json(client, session):
    before = session.scalar(select(func.count()).select_from(Event))
    items = [{"code": "CJ-00001-1", "event_id": str(uuid.uuid4()), "count": "x" * 5000}] * 200
    for url in ("/tournee/enlever", "/tournee/deposer", "/lavage/reception/scan"):
        response = client.post(url, data=json.dumps({"items": items}),
                               content_type="application/json")
        assert response.status_code == 413, url
        assert "trop volumineu" in response.get_json()["error"]
    assert session.scalar(select(func.count()).select_from(Event)) == before


def test_the_largest_batch_a_station_sends_fits_the_scan_limit(client, factory):
    driver = factory.user(role="driver")
    login(client, driver)
    token = csrf_from(client.get("/tournee/enlever").get_data(as_text=True))
    code = "https://boucle.example.org/c/" + "CJ-00001-1"
    items = [{"code": code, "event_id": str(uuid.uuid4()), "count": 28} for _ in range(200)]
    response = client.post("/tournee/enlever", json={"items": items, "fields": {}},
                           headers={"X-CSRFToken": token})
    assert response.status_code != 413


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
