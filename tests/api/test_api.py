"""The JSON API: tokens, reads within the person's sites, events since a seq, writes by event id."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bottles.db import db
from bottles.models import Event
from bottles.people import tokens
from bottles.people.tokens import ApiToken
from reports.models import Phase
from tests.factories import csrf_from, login


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def world(factory, session):
    """Two points and two washers; a staff member of each, a driver, a coordinator; crates."""
    washer_a, washer_b = factory.washer("LAVA", "Lavage A"), factory.washer("LAVB", "Lavage B")
    point_a, point_b = factory.point(), factory.point()
    people = {
        "point_a": factory.user("point", points=[point_a]),
        "point_b": factory.user("point", points=[point_b]),
        "washer_a": factory.user("washer", washers=[washer_a]),
        "washer_b": factory.user("washer", washers=[washer_b]),
        "driver": factory.user("driver"),
        "coordinator": factory.user("coordinator"),
    }
    full_a = factory.full_crate_at(point_a, 40, washer=washer_a)
    full_b = factory.full_crate_at(point_b, 30, washer=washer_b)
    empty = factory.crate(washer=washer_a)
    session.commit()
    secrets = {name: tokens.create(session, user).secret for name, user in people.items()}
    session.commit()
    return {"points": (point_a, point_b), "washers": (washer_a, washer_b), "people": people,
            "tokens": secrets, "full_a": full_a, "full_b": full_b, "empty": empty}


def event_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Event))


# --- tokens ---------------------------------------------------------------------------------------

def test_cli_token_is_printed_once_and_stored_hashed(app, factory, session, client):
    user = factory.user("driver", username="pierre")
    session.commit()
    result = app.test_cli_runner().invoke(args=["bottles", "create-token", "pierre", "--name", "douchette",
                                                "--expires", "30"])
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip().splitlines()[0]
    assert secret.startswith("bcl_") and len(secret) > 40
    row = session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert row.token_hash == tokens.digest(secret) and secret not in (row.token_hash, row.prefix)
    assert row.name == "douchette" and row.expires_at - row.created_at == timedelta(days=30)
    assert client.get("/api/v1/crates", headers=bearer(secret)).status_code == 200
    refused = app.test_cli_runner().invoke(args=["bottles", "create-token", "personne"])
    assert refused.exit_code != 0 and "Aucun compte actif" in refused.output
    too_long = app.test_cli_runner().invoke(args=["bottles", "create-token", "pierre", "--expires", "0"])
    assert too_long.exit_code != 0


def test_page_lists_creates_once_and_revokes(factory, session, client):
    user = factory.user("washer")
    session.commit()
    login(client, user)
    page = client.get("/account/tokens")
    assert page.status_code == 200 and "Vous n'avez encore aucun jeton" in page.get_data(as_text=True)
    made = client.post("/account/tokens", data={"name": "quai", "days": "7",
                                                "csrf_token": csrf_from(page.get_data(as_text=True))})
    html = made.get_data(as_text=True)
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    secret = html.split('id="new-token">')[1].split("<")[0]
    assert secret.startswith("bcl_")
    again = client.get("/account/tokens").get_data(as_text=True)
    assert secret not in again and secret[:12] in again and "quai" in again
    assert client.get("/api/v1/stocks", headers=bearer(secret)).status_code == 200
    row = session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    revoked = client.post(f"/account/tokens/{row.id}/revoke", data={"csrf_token": csrf_from(again)})
    assert revoked.status_code == 302
    answer = client.get("/api/v1/stocks", headers=bearer(secret))
    assert answer.status_code == 401 and answer.get_json()["code"] == "jeton_invalide"
    assert "révoqué" in client.get("/account/tokens").get_data(as_text=True)


def test_page_refuses_bad_days_and_others_tokens(factory, session, client):
    owner, other = factory.user("driver"), factory.user("driver")
    session.commit()
    theirs = tokens.create(session, other).row
    session.commit()
    login(client, owner)
    page = client.get("/account/tokens").get_data(as_text=True)
    bad = client.post("/account/tokens", data={"days": "٣", "csrf_token": csrf_from(page)})
    assert bad.status_code == 422 and "nombre de jours" in bad.get_data(as_text=True)
    assert client.post("/account/tokens", data={"days": "5"}).status_code == 400  # no CSRF token
    assert client.post(f"/account/tokens/{theirs.id}/revoke",
                       data={"csrf_token": csrf_from(page)}).status_code == 404
    assert session.scalar(select(func.count()).select_from(ApiToken)) == 1
    assert session.get(ApiToken, theirs.id).revoked_at is None


def test_expired_and_unknown_are_401_a_cookie_needs_its_csrf_token(factory, session, client):
    user = factory.user("coordinator")
    session.commit()
    old = tokens.create(session, user, days=1, now=datetime.now(UTC) - timedelta(days=2)).secret
    session.commit()
    for headers in (bearer(old), bearer("bcl_nothing"), {"Authorization": "Basic abc"}, {}):
        answer = client.get("/api/v1/crates", headers=headers)
        assert answer.status_code == 401, headers
        assert answer.get_json()["code"] == "jeton_invalide"
        assert "Jeton" in answer.get_json()["message"]
    login(client, user)  # a signed-in browser's cookie alone: its page's CSRF token is needed too
    refused = client.get("/api/v1/crates")
    assert refused.status_code == 400 and refused.get_json()["code"] == "jeton_csrf_invalide"
    assert client.get("/api/v1/crates", headers=bearer("bcl_nothing")).status_code == 401  # a bad token wins
    user.active = False
    fresh = tokens.create(session, user).secret
    session.commit()
    assert client.get("/api/v1/crates", headers=bearer(fresh)).status_code == 401


def test_last_used_is_recorded(world, client, session):
    client.get("/api/v1/stocks", headers=bearer(world["tokens"]["driver"]))
    rows = session.scalars(select(ApiToken).where(ApiToken.last_used_at.is_not(None))).all()
    assert len(rows) == 1 and rows[0].user_id == world["people"]["driver"].id


# --- reads ----------------------------------------------------------------------------------------

def test_crates_within_scope(world, client):
    full_a, full_b = world["full_a"], world["full_b"]
    as_point_a = bearer(world["tokens"]["point_a"])
    listed = client.get("/api/v1/crates", headers=as_point_a).get_json()
    assert [item["code"] for item in listed["items"]] == [full_a.code]
    detail = client.get(f"/api/v1/crates/{full_a.code}", headers=as_point_a).get_json()
    assert detail["state"] == "full" and detail["collection_point"]["id"] == world["points"][0].id
    assert {event["kind"] for event in detail["history"]} == {"crate_placed", "crate_full"}
    other = client.get(f"/api/v1/crates/{full_b.code}", headers=as_point_a)
    assert other.status_code == 403 and other.get_json()["code"] == "pas_votre_site"
    missing = client.get("/api/v1/crates/XYZ", headers=as_point_a)
    assert missing.status_code == 404 and missing.get_json()["code"] == "caisse_inconnue"
    washer_a = bearer(world["tokens"]["washer_a"])
    assert [c["code"] for c in client.get("/api/v1/crates", headers=washer_a).get_json()["items"]] \
        == [world["empty"].code]
    assert client.get(f"/api/v1/crates/{full_b.code}", headers=washer_a).status_code == 403
    everything = client.get("/api/v1/crates", headers=bearer(world["tokens"]["driver"])).get_json()
    assert everything["total"] == 3
    bad = client.get("/api/v1/crates?state=perdue", headers=washer_a)
    assert bad.status_code == 422 and "state" in bad.get_json()["errors"]


def test_stocks_by_stage_site_model_within_scope(world, client):
    point_a, point_b = world["points"]
    mine = client.get("/api/v1/stocks", headers=bearer(world["tokens"]["point_a"])).get_json()["items"]
    assert mine == [{"stage": "at_point", "site_id": point_a.id, "model_id": 0, "quantity": 40}]
    assert client.get("/api/v1/stocks", headers=bearer(world["tokens"]["washer_a"])).get_json()["items"] == []
    seen = client.get(f"/api/v1/stocks?stage=at_point&site_id={point_b.id}",
                      headers=bearer(world["tokens"]["coordinator"])).get_json()["items"]
    assert [row["quantity"] for row in seen] == [30]
    bad = client.get("/api/v1/stocks?site_id=-1", headers=bearer(world["tokens"]["coordinator"]))
    assert bad.status_code == 422 and bad.get_json()["code"] == "saisie_invalide"
    assert "Nombre entier" in bad.get_json()["errors"]["site_id"][0]


def test_events_paged_since_seq_and_filtered(world, client):
    coordinator = bearer(world["tokens"]["coordinator"])
    total = event_count()
    seen, since, pages = [], 0, 0
    while True:
        page = client.get(f"/api/v1/events?since={since}&limit=2", headers=coordinator).get_json()
        seen += [event["seq"] for event in page["items"]]
        pages += 1
        if not page["has_more"]:
            assert page["next_since"] is None
            break
        since = page["next_since"]
    assert seen == sorted(seen) and len(seen) == total == len(set(seen)) and pages == -(-total // 2)
    full = client.get("/api/v1/events?kind=crate_full", headers=coordinator).get_json()["items"]
    assert [e["crate"] for e in full] == [world["full_a"].code, world["full_b"].code]
    assert full[0]["movements"][0]["quantity"] == 40
    by_point = client.get(f"/api/v1/events?point_id={world['points'][1].id}", headers=coordinator)
    assert {e["crate"] for e in by_point.get_json()["items"]} == {world["full_b"].code}
    by_crate = client.get(f"/api/v1/events?crate={world['full_a'].code}", headers=coordinator)
    assert len(by_crate.get_json()["items"]) == 3
    dated = client.get("/api/v1/events?from=2026-03-03&to=2026-03-03", headers=coordinator)
    assert {e["kind"] for e in dated.get_json()["items"]} == {"crate_full"}
    none_yet = client.get("/api/v1/events?from=2030-01-01", headers=coordinator).get_json()
    assert none_yet["items"] == []
    mine = client.get("/api/v1/events", headers=bearer(world["tokens"]["point_a"])).get_json()["items"]
    assert {e["crate"] for e in mine} == {world["full_a"].code}
    assert {e["kind"] for e in mine} == {"crate_placed", "crate_full"}
    for bad in ("limit=0", "limit=501", "since=abc", "kind=party", "from=2026-13-01", "since=٣"):
        answer = client.get(f"/api/v1/events?{bad}", headers=coordinator)
        assert answer.status_code == 422, bad
        assert answer.get_json()["code"] == "saisie_invalide"


def test_phases_and_indicators_have_the_cli_keys(world, app, client, session):
    phase = Phase(name="Phase A", start_date=date(2026, 1, 1), end_date=date(2026, 12, 31),
                  parameters={}, targets={})
    session.add(phase)
    session.commit()
    assert client.get("/api/v1/phases", headers=bearer(world["tokens"]["driver"])).status_code == 403
    coordinator = bearer(world["tokens"]["coordinator"])
    listed = client.get("/api/v1/phases", headers=coordinator).get_json()["items"]
    assert listed == [{"id": phase.id, "name": "Phase A", "start_date": "2026-01-01",
                       "end_date": "2026-12-31"}]
    detail = client.get(f"/api/v1/phases/{phase.id}", headers=coordinator).get_json()
    cli = app.test_cli_runner().invoke(args=["reports", "kpis", "--phase", "Phase A", "--json"])
    assert cli.exit_code == 0, cli.output
    expected = json.loads(cli.stdout)
    assert set(detail["indicators"]) == set(expected)
    assert detail["indicators"]["phase_days"] == expected["phase_days"]
    missing = client.get("/api/v1/phases/999", headers=coordinator)
    assert missing.status_code == 404 and missing.get_json()["code"] == "phase_inconnue"


# --- writes ---------------------------------------------------------------------------------------

def post_event(client, secret: str, body: dict):
    return client.post("/api/v1/events", json=body, headers=bearer(secret))


def test_field_flow_through_the_api(world, client, session):
    point_a = world["points"][0]
    empty, crate_id = world["empty"], world["empty"].id
    as_driver, as_point = world["tokens"]["driver"], world["tokens"]["point_a"]
    place = {"id": str(uuid.uuid4()), "kind": "crate_placed", "crate": empty.code, "point_id": point_a.id,
             "occurred_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat()}
    made = post_event(client, as_driver, place)
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["created"] is True and made.get_json()["event"]["crate"] == empty.code
    again = post_event(client, as_driver, place)
    assert again.status_code == 200 and again.get_json()["created"] is False
    assert again.get_json()["event"]["seq"] == made.get_json()["event"]["seq"]
    moved = post_event(client, as_driver, {**place, "point_id": world["points"][1].id})
    assert moved.status_code == 409 and moved.get_json()["code"] == "conflit_identifiant"
    before = event_count()
    at = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    full = {"id": str(uuid.uuid4()), "kind": "crate_full", "crate": empty.code, "count": 25,
            "occurred_at": at}
    assert post_event(client, as_point, full).status_code == 201
    assert post_event(client, as_point, full).status_code == 200
    assert post_event(client, as_point, {**full, "count": 26}).status_code == 409
    recorded = session.scalar(select(Event).where(Event.id == uuid.UUID(full["id"])))
    assert recorded.occurred_at == datetime.fromisoformat(at)  # the field's time is kept
    assert event_count() == before + 1
    pickup = {"id": str(uuid.uuid4()), "kind": "pickup", "crate": empty.code}
    earlier = post_event(client, as_driver, {**pickup, "occurred_at": (
        datetime.now(UTC) - timedelta(hours=3)).isoformat()})  # before the crate was declared full
    assert earlier.status_code == 422 and earlier.get_json()["code"] == "heure_terrain_refusee"
    ahead = post_event(client, as_driver, {**pickup, "occurred_at": (
        datetime.now(UTC) + timedelta(hours=1)).isoformat()})
    assert ahead.status_code == 422 and "futur" in ahead.get_json()["errors"]["occurred_at"][0]
    assert event_count() == before + 1
    pickup = {"id": str(uuid.uuid4()), "kind": "pickup", "crate": empty.code}
    assert post_event(client, as_point, pickup).status_code == 403  # a point's staff do not pick up
    assert post_event(client, as_driver, pickup).status_code == 201
    receipt = {"id": str(uuid.uuid4()), "kind": "receipt", "crate": empty.code,
               "washer_id": world["washers"][1].id, "counted": 25}
    refused = post_event(client, world["tokens"]["washer_a"], receipt)
    assert refused.status_code == 403  # not one of washer A's washers
    receipt["washer_id"] = world["washers"][0].id
    assert post_event(client, world["tokens"]["washer_a"], receipt).status_code == 201
    session.expire_all()
    assert session.get(type(empty), crate_id).state == "in_pool"


def test_refusals_are_french_and_write_nothing(world, client):
    as_driver = world["tokens"]["driver"]
    full_b = world["full_b"]
    before = event_count()
    cases = [
        ({"kind": "crate_placed"}, 422, "id"),
        ({"id": "pas-un-uuid", "kind": "crate_placed", "crate": "X", "point_id": 1}, 422, "id"),
        ({"id": str(uuid.uuid4()), "kind": "vente"}, 422, "kind"),
        ({"id": str(uuid.uuid4()), "kind": "crate_placed", "crate": full_b.code}, 422, "point_id"),
        ({"id": str(uuid.uuid4()), "kind": "crate_full", "crate": full_b.code, "count": "٣"}, 422, "count"),
        ({"id": str(uuid.uuid4()), "kind": "pickup", "crate": full_b.code,
          "occurred_at": "2026-03-02T10:00:00"}, 422, "occurred_at"),
        ({"id": str(uuid.uuid4()), "kind": "pickup", "crate": full_b.code, "extra": 1}, 422, "extra"),
    ]
    for body, status, field in cases:
        answer = post_event(client, as_driver, body)
        assert answer.status_code == status, (body, answer.get_json())
        data = answer.get_json()
        assert data["code"] == "saisie_invalide" and field in data["errors"], data
        assert all(message.isascii() is False or "attendu" in message or "obligatoire" in message
                   or "Champ" in message or "Valeur" in message
                   for messages in data["errors"].values() for message in messages), data
    wrong_state = post_event(client, as_driver, {"id": str(uuid.uuid4()), "kind": "crate_full",
                                                 "crate": full_b.code, "count": 10})
    assert wrong_state.status_code == 422 and "déjà déclarée pleine" in wrong_state.get_json()["message"]
    unknown = post_event(client, as_driver, {"id": str(uuid.uuid4()), "kind": "pickup", "crate": "ZZZ"})
    assert unknown.status_code == 404
    not_json = client.post("/api/v1/events", data="id=1", headers=bearer(as_driver),
                           content_type="application/x-www-form-urlencoded")
    assert not_json.status_code == 422
    assert event_count() == before


def test_english_messages(world, client, session):
    world["people"]["driver"].language = "en"
    session.commit()
    answer = client.get("/api/v1/crates/XYZ", headers=bearer(world["tokens"]["driver"]))
    assert answer.status_code == 404 and "No crate" in answer.get_json()["message"]


def test_rate_limit_per_token(app, world, client):
    app.config["API_LIMIT"] = "3 per minute"
    as_driver, as_point = bearer(world["tokens"]["driver"]), bearer(world["tokens"]["point_a"])
    assert [client.get("/api/v1/stocks", headers=as_driver).status_code for _ in range(3)] == [200] * 3
    limited = client.get("/api/v1/stocks", headers=as_driver)
    assert limited.status_code == 429 and limited.get_json()["code"] == "trop_de_requetes"
    assert int(limited.headers["Retry-After"]) >= 1 and "réessayez" in limited.get_json()["message"]
    assert client.get("/api/v1/stocks", headers=as_point).status_code == 200  # another token's count


# --- the document and its page --------------------------------------------------------------------

def test_openapi_document_is_valid_and_lists_every_route(client):
    from openapi_spec_validator import validate

    document = client.get("/api/v1/openapi.json").get_json()
    validate(document)
    assert document["openapi"].startswith("3.")
    assert {"/api/v1/crates", "/api/v1/crates/{code}", "/api/v1/stocks", "/api/v1/events",
            "/api/v1/phases", "/api/v1/phases/{phase_id}"} <= set(document["paths"])
    assert set(document["paths"]["/api/v1/events"]) == {"get", "post"}
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_docs_page_is_local(client):
    page = client.get("/api/v1/docs")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "http" not in html.replace('http-equiv', '')
    assert "<script>" not in html  # no inline script: the CSP holds
    for asset in ("/api/v1/static/vendor/swagger-ui/swagger-ui-bundle.js",
                  "/api/v1/static/vendor/swagger-ui/swagger-ui.css", "/api/v1/static/api/docs.js"):
        assert asset in html and client.get(asset).status_code == 200


def test_kernel_refusals_keep_the_api_shape(world, client):
    """A body over the limit (413) and a NUL byte (400) are refused before the API's views."""
    as_driver = bearer(world["tokens"]["driver"])
    big = client.post("/api/v1/events", data="{" + " " * 200_000 + "}", headers=as_driver,
                      content_type="application/json")
    assert big.status_code == 413 and big.get_json()["code"] == "trop_volumineux"
    assert "volumineux" in big.get_json()["message"]
    nul = client.get("/api/v1/events?kind=pickup%00", headers=as_driver)
    assert nul.status_code == 400 and nul.get_json()["code"] == "requete_invalide"
    unknown = client.get("/api/v1/nothing", headers=as_driver)
    assert unknown.status_code == 404 and unknown.get_json()["code"] == "introuvable"
    method = client.delete("/api/v1/events", headers=as_driver)
    assert method.status_code == 405 and method.get_json()["code"] == "methode_non_permise"


def test_dock_and_round_kinds(world, client, session, factory):
    """round_closed (driver), sorting and wash (washer): replay 200, reused id 409, wrong role 403."""
    model = factory.model()
    washer_a = world["washers"][0]
    crate = world["full_a"]
    session.commit()
    as_driver, as_washer = world["tokens"]["driver"], world["tokens"]["washer_a"]
    picked = post_event(client, as_driver, {"id": str(uuid.uuid4()), "kind": "pickup", "crate": crate.code})
    assert picked.status_code == 201
    round_id = picked.get_json()["event"]["round_id"]
    assert post_event(client, as_washer, {"id": str(uuid.uuid4()), "kind": "receipt", "crate": crate.code,
                                          "washer_id": washer_a.id, "counted": 40}).status_code == 201
    close = {"id": str(uuid.uuid4()), "kind": "round_closed", "round_id": round_id, "km": 42.5,
             "hours": "3.5"}
    assert post_event(client, as_washer, close).status_code == 403
    for bad in ({"km": "٣"}, {"km": -1}, {"hours": 25}, {"km": "NaN"}, {"km": True}):
        refused = post_event(client, as_driver, {**close, **bad, "id": str(uuid.uuid4())})
        assert refused.status_code == 422 and set(refused.get_json()["errors"]) == set(bad), bad
    assert post_event(client, as_driver, close).status_code == 201
    assert post_event(client, as_driver, close).status_code == 200
    assert post_event(client, as_driver, {**close, "km": 43}).get_json()["code"] == "conflit_identifiant"
    sorting = {"id": str(uuid.uuid4()), "kind": "sorting", "washer_id": washer_a.id,
               "eligible": {str(model.id): 30}, "occurred_at": datetime.now(UTC).isoformat()}
    assert post_event(client, as_driver, sorting).status_code == 403
    made = post_event(client, as_washer, sorting)
    assert made.status_code == 201, made.get_json()
    assert post_event(client, as_washer, sorting).status_code == 200
    reused = post_event(client, as_washer, {**sorting, "eligible": {str(model.id): 31}})
    assert reused.status_code == 409 and reused.get_json()["code"] == "conflit_identifiant"
    before = event_count()
    unbalanced = post_event(client, as_washer, {
        "id": str(uuid.uuid4()), "kind": "wash", "washer_id": washer_a.id,
        "lines": [{"model_id": model.id, "taken": 20, "accepted": 15}]})
    assert unbalanced.status_code == 422 and unbalanced.get_json()["code"] == "refuse"
    other = post_event(client, as_washer, {"id": str(uuid.uuid4()), "kind": "wash",
                                           "washer_id": world["washers"][1].id,
                                           "lines": [{"model_id": model.id, "taken": 1, "accepted": 1}]})
    assert other.status_code == 403 and other.get_json()["code"] == "pas_votre_site"
    assert event_count() == before
    washed = post_event(client, as_washer, {"id": str(uuid.uuid4()), "kind": "wash", "washer_id": washer_a.id,
                                            "lines": [{"model_id": model.id, "taken": 20, "accepted": 20}],
                                            "water_l": 120})
    assert washed.status_code == 201, washed.get_json()
    clean = client.get(f"/api/v1/stocks?stage=clean&site_id={washer_a.id}",
                       headers=bearer(as_washer)).get_json()["items"]
    assert clean == [{"stage": "clean", "site_id": washer_a.id, "model_id": model.id, "quantity": 20}]
    loss = factory.reason("PERTE", kind="loss")
    session.commit()
    take = {"id": str(uuid.uuid4()), "kind": "stocktake", "washer_id": washer_a.id, "stage": "clean",
            "counted_by_model": {str(model.id): 18}, "loss_reason_id": loss.id, "note": "inventaire"}
    taken = post_event(client, as_washer, take)
    assert taken.status_code == 201, taken.get_json()
    assert taken.get_json()["event"]["movements"][0]["quantity"] == 2
    assert post_event(client, as_washer, take).status_code == 200
    matching = post_event(client, as_washer, {**take, "id": str(uuid.uuid4())})
    assert matching.status_code == 200 and matching.get_json() == {"created": False, "event": None}
    wash_seq = washed.get_json()["event"]["seq"]
    refused = post_event(client, as_washer, {"id": str(uuid.uuid4()), "kind": "correction",
                                             "corrects_seq": wash_seq, "note": "erreur"})
    assert refused.status_code == 409 and refused.get_json()["code"] == "refuse_par_le_registre"  # 18 left
    undo = {"id": str(uuid.uuid4()), "kind": "correction", "corrects_seq": taken.get_json()["event"]["seq"],
            "note": "deux bouteilles retrouvées"}
    assert post_event(client, as_washer, {**undo, "note": ""}).status_code == 422
    assert post_event(client, as_driver, undo).status_code == 403
    assert post_event(client, as_washer, undo).status_code == 201
    assert post_event(client, as_washer, undo).status_code == 200
    reused = post_event(client, as_washer, {**undo, "note": "autre"})
    assert reused.status_code == 409 and reused.get_json()["code"] == "conflit_identifiant"


def test_the_same_event_sent_twice_at_once_is_recorded_once(app, world, session):
    """Two resends racing (an offline queue and a retry): one 201, one 200, one event."""
    import threading

    barrier = threading.Barrier(2)
    body = {"id": str(uuid.uuid4()), "kind": "crate_placed", "crate": world["empty"].code,
            "point_id": world["points"][0].id}
    statuses: list[int] = []

    def send() -> None:
        client = app.test_client()
        barrier.wait()
        statuses.append(client.post("/api/v1/events", json=body,
                                    headers=bearer(world["tokens"]["driver"])).status_code)

    before = event_count()
    session.commit()  # the test's own read ends before the requests write
    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(statuses) == [200, 201]
    assert event_count() == before + 1


def test_api_catalogue_agrees_with_the_others():
    """Catalogues are merged in wsgi's order, the last one winning: a message the API shares with
    the packages says in English what it said before the API's catalogue joined (none is changed)."""
    from pathlib import Path

    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parents[2]

    def catalogue(package: str) -> dict[str, object]:
        path = root / package / "translations/en/LC_MESSAGES/messages.po"
        if not path.exists():
            return {}
        with path.open("rb") as handle:
            return {m.id: m.string for m in read_po(handle) if m.id and m.string}

    merged: dict[str, object] = {}
    for package in ("bottles", "collection_points", "washer", "resales", "reports", "notifications"):
        merged.update(catalogue(package))
    ours = catalogue("api")
    assert {key: (value, merged[key]) for key, value in ours.items()
            if key in merged and merged[key] != value} == {}
