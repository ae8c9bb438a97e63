"""Offline first, server side: the manifest, the service worker's headers and version, the offline
pages, and a crate page's "full" or "placed" sent later from the phone's queue, as bottles/static/queue.js
sends it (POST /api/v1/events, the session cookie and the page's CSRF token): dated in the field,
idempotent by event id, every refusal JSON with a stable code and a French message, a 4xx and no write."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bottles.models import Event
from bottles.rules import Kind
from tests.factories import csrf_from, login


def events(session) -> int:
    return session.scalar(select(func.count(Event.seq)))


def stamp(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def test_the_manifest_makes_boucle_installable(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200 and response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data(as_text=True))
    assert manifest["name"] == "Boucle" and manifest["start_url"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == "#2f5d50"
    sizes = {icon["sizes"]: icon["src"] for icon in manifest["icons"]}
    assert set(sizes) == {"192x192", "512x512"}
    for size, src in sizes.items():
        icon = client.get(src)
        assert icon.status_code == 200 and icon.mimetype == "image/png"
        assert icon.data[16:24] == int(size.split("x")[0]).to_bytes(4, "big") * 2  # PNG IHDR width, height
    assert 'rel="manifest"' in client.get("/login").get_data(as_text=True)


def test_the_service_worker_is_served_at_the_root_never_cached_and_versioned(client):
    response = client.get("/sw.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    script = response.get_data(as_text=True)
    assert "__VERSION__" not in script and "__PRECACHE__" not in script
    assert '"/hors-ligne", "/hors-ligne/caisse"' in script
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("url", ["/hors-ligne", "/hors-ligne/caisse"])
def test_the_offline_pages_name_nobody_and_carry_no_token(client, factory, session, url):
    driver = factory.user("driver", username="chauffeur-secret")
    session.commit()
    login(client, driver)
    page = client.get(url).get_data(as_text=True)
    assert "Pas de réseau" in page
    assert "chauffeur-secret" not in page and "Driver de test" not in page  # cached for whoever is next
    assert 'name="csrf-token"' not in page and 'name="boucle-user"' not in page
    assert "queue.js" in page


@pytest.fixture
def crates(factory, session):
    washer, point = factory.washer(), factory.point(name="Cave de Lons")
    staff = factory.user("point", points=[point])
    stranger = factory.user("point", points=[factory.point(name="Ailleurs")])
    placed = factory.crate(washer=washer, at=datetime.now(UTC) - timedelta(days=3))
    factory.event(Kind.CRATE_PLACED, crate=placed, point=point.id, at=datetime.now(UTC) - timedelta(days=2))
    pool = factory.crate(washer=washer, at=datetime.now(UTC) - timedelta(days=3))
    session.commit()
    return dict(point=point, staff=staff, stranger=stranger, placed=placed, pool=pool)


def send(client, token: str | None, event: dict | None, **extra):
    """One queued action as the queue sends it: the API's event, the page's CSRF token."""
    headers = {"X-CSRFToken": token} if token else {}
    return client.post("/api/v1/events", json=event, headers={"Accept": "application/json", **headers},
                       **extra)


def full(the_crate, **fields) -> dict:
    """A queued "Pleine" (queue.js eventOf): id, kind, crate, field time, count."""
    return {"id": str(uuid.uuid4()), "kind": "crate_full", "crate": the_crate.code,
            "occurred_at": stamp(datetime.now(UTC)), "count": 20, **fields}


def test_a_queued_full_is_dated_when_it_was_done_and_a_resend_is_already(client, session, crates):
    login(client, crates["staff"])
    token = csrf_from(client.get(f"/c/{crates['placed'].code}").get_data(as_text=True))
    done = datetime.now(UTC) - timedelta(hours=5)
    event = full(crates["placed"], occurred_at=stamp(done), count=33)
    before = events(session)
    response = send(client, token, event)
    assert response.status_code == 201 and response.get_json()["created"] is True
    session.expire_all()
    recorded = session.scalar(select(Event).where(Event.id == uuid.UUID(event["id"])))
    assert recorded.kind == Kind.CRATE_FULL.value and sum(m.quantity for m in recorded.movements) == 33
    assert abs(recorded.occurred_at.replace(tzinfo=UTC) - done) < timedelta(milliseconds=1)
    again = send(client, token, event)
    assert again.status_code == 200 and again.get_json()["created"] is False
    assert events(session) == before + 1


def test_a_queued_placed_records_the_crate_at_the_point(client, session, crates):
    login(client, crates["staff"])
    token = csrf_from(client.get("/").get_data(as_text=True))
    event = {"id": str(uuid.uuid4()), "kind": "crate_placed", "crate": crates["pool"].code,
             "occurred_at": stamp(datetime.now(UTC)), "point_id": str(crates["point"].id)}  # a form's text
    response = send(client, token, event)
    assert response.status_code == 201
    session.expire_all()
    assert session.get(type(crates["pool"]), crates["pool"].id).collection_point_id == crates["point"].id


@pytest.mark.parametrize(("who", "change", "status", "code", "says"), [
    ("staff", {"kind": "vider"}, 422, "saisie_invalide", "Valeur inconnue"),
    ("staff", {"kind": "crate_placed", "point_id": "999999"}, 422, "saisie_invalide",
     "Point de collecte inconnu"),
    ("staff", {"count": "beaucoup"}, 422, "saisie_invalide", "Nombre entier"),
    ("staff", {"count": 0}, 422, "saisie_invalide", "Nombre entier"),
    ("staff", {"occurred_at": "hier"}, 422, "saisie_invalide", "Date et heure"),
    ("staff", {"occurred_at": "2020-01-01T08:00:00Z"}, 422, "heure_terrain_refusee", "jours"),
    ("staff", {"crate": "CJ-00000-Z"}, 404, "caisse_inconnue", "CJ-00000-Z"),
    ("stranger", {}, 403, "pas_votre_site", ""),  # not their point
])
def test_a_queued_action_refused_says_why_in_french_and_writes_nothing(client, session, crates, who, change,
                                                                       status, code, says):
    login(client, crates[who])
    token = csrf_from(client.get("/").get_data(as_text=True))
    before = events(session)
    response = send(client, token, full(crates["placed"], **change))
    assert response.status_code == status
    body = response.get_json()
    assert body["code"] == code and body["message"].strip()
    assert says in body["message"] + " ".join(str(v) for v in body.get("errors", {}).values())
    assert events(session) == before


def test_a_queued_action_needs_its_token_and_a_readable_body(client, session, crates):
    login(client, crates["staff"])
    token = csrf_from(client.get("/").get_data(as_text=True))
    before = events(session)
    no_token = send(client, None, full(crates["placed"]))
    assert no_token.status_code == 400 and no_token.get_json()["code"] == "jeton_csrf_invalide"
    unreadable = send(client, token, None, data="{items: x", content_type="application/json")
    assert unreadable.status_code in (400, 422) and unreadable.get_json()["message"].strip()
    assert events(session) == before
