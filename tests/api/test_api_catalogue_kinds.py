"""The API's sale, crate_registered and crate_retired kinds; every endpoint's answers checked against
the served OpenAPI document with a schema validator (tests/api/openapi_check.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bottles import codes
from bottles.db import db
from bottles.models import Crate, Event, StockLevel
from bottles.rules import Kind, Move, Stage
from reports.models import Phase
from tests.api.openapi_check import check, document
from tests.api.test_api import bearer, world  # noqa: F401 (the fixture)

EVENTS = "/api/v1/events"


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(Event))


def post(client, secret: str, body: dict, spec: dict | None = None):
    """POST one event; its answer, whatever its status, checked against the document."""
    answer = client.post(EVENTS, json=body, headers=bearer(secret))
    check(client, answer, EVENTS, "post", spec)
    return answer


@pytest.fixture
def shop(world, factory, session):  # noqa: F811
    """Washer A lets its staff sell and holds 100 clean bottles of one model; a winemaker buys."""
    washer_a = world["washers"][0]
    washer_a.staff_may_sell = True
    model, found = factory.model(), factory.reason("TROUVE", kind="surplus")
    factory.event(Kind.STOCKTAKE, at=datetime.now(UTC) - timedelta(days=1), washer=washer_a.id,
                  moves=[Move(Stage.OUTSIDE, Stage.CLEAN, 100, model_id=model.id, reason_id=found.id)])
    buyer = factory.winemaker()
    session.commit()
    return {"model": model, "buyer": buyer, "washer": washer_a}


def clean_stock(washer_id: int, model_id: int) -> int:
    return db.session.scalar(select(StockLevel.quantity).where(
        StockLevel.stage == "clean", StockLevel.site_id == washer_id, StockLevel.model_id == model_id)) or 0


# --- sale -----------------------------------------------------------------------------------------

def test_sale_recorded_once_within_the_sellers_washers(world, shop, client, session):  # noqa: F811
    spec = document(client)
    model, buyer, washer_a = shop["model"], shop["buyer"], shop["washer"]
    as_washer = world["tokens"]["washer_a"]
    sale = {"id": str(uuid.uuid4()), "kind": "sale", "washer_id": washer_a.id, "winemaker_id": buyer.id,
            "sold": [{"model_id": model.id, "quantity": 30, "unit_price_cents": 25},
                     {"model_id": model.id, "quantity": 10, "unit_price_cents": 25}],
            "occurred_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat(), "note": "bon 12"}
    made = post(client, as_washer, sale, spec)
    assert made.status_code == 201, made.get_json()
    event = made.get_json()["event"]
    assert event["kind"] == "sale" and event["id"] == sale["id"] and event["washer_id"] == washer_a.id
    assert event["movements"] == [{"from_stage": "clean", "to_stage": "sold", "quantity": 40,
                                   "model_id": model.id, "reason_id": None, "unit_price_cents": 25,
                                   "winemaker_id": buyer.id}]
    assert clean_stock(washer_a.id, model.id) == 60
    before = count()
    again = post(client, as_washer, sale, spec)
    assert again.status_code == 200 and again.get_json()["created"] is False
    assert again.get_json()["event"]["seq"] == event["seq"]
    for changed in ({"sold": [{"model_id": model.id, "quantity": 41, "unit_price_cents": 25}]},
                    {"note": "bon 13"}, {"sold": [{"model_id": model.id, "quantity": 40}]}):
        reused = post(client, as_washer, {**sale, **changed}, spec)
        assert reused.status_code == 409 and reused.get_json()["code"] == "conflit_identifiant", changed
    assert count() == before and clean_stock(washer_a.id, model.id) == 60
    # the channel's resale price when a line has none (30 cents by default), dated now
    plain = post(client, world["tokens"]["coordinator"], {
        "id": str(uuid.uuid4()), "kind": "sale", "washer_id": washer_a.id, "winemaker_id": buyer.id,
        "sold": [{"model_id": model.id, "quantity": 5}]}, spec)
    assert plain.status_code == 201 and plain.get_json()["event"]["movements"][0]["unit_price_cents"] == 30
    # a sale is corrected as the sale page does: its washer's staff, a reason, the bottles back
    undo = post(client, as_washer, {"id": str(uuid.uuid4()), "kind": "correction",
                                    "corrects_seq": event["seq"], "note": "facture annulée"}, spec)
    assert undo.status_code == 201 and clean_stock(washer_a.id, model.id) == 95


def test_sale_refusals_name_the_field_and_write_nothing(world, shop, client, session):  # noqa: F811
    spec = document(client)
    model, buyer, washer_a = shop["model"], shop["buyer"], shop["washer"]
    washer_b = world["washers"][1]
    base = {"kind": "sale", "washer_id": washer_a.id, "winemaker_id": buyer.id,
            "sold": [{"model_id": model.id, "quantity": 10}]}
    before = count()

    def refused(secret: str, status: int, code: str, **changes):
        answer = post(client, secret, {**base, "id": str(uuid.uuid4()), **changes}, spec)
        assert answer.status_code == status and answer.get_json()["code"] == code, answer.get_json()
        return answer.get_json()

    as_washer = world["tokens"]["washer_a"]
    refused(world["tokens"]["driver"], 403, "acces_refuse")
    other = refused(world["tokens"]["washer_b"], 403, "pas_votre_site")  # washer A's stock
    assert "vendre" in other["message"]
    refused(as_washer, 403, "pas_votre_site", washer_id=washer_b.id)
    world["washers"][1].staff_may_sell = False
    session.commit()
    washer_b_sells = refused(world["tokens"]["washer_b"], 403, "pas_votre_site", washer_id=washer_b.id)
    assert washer_b_sells["message"]  # its washer does not let its staff sell: as the page's 403
    short = refused(as_washer, 422, "refuse", sold=[{"model_id": model.id, "quantity": 101}])
    assert "Stock insuffisant" in short["errors"]["sold"]["0"]["quantity"][0]
    unknown = refused(as_washer, 422, "refuse", sold=[{"model_id": 999_999, "quantity": 1}])
    assert "inconnu" in unknown["errors"]["sold"]["0"]["model_id"][0]
    assert "winemaker_id" in refused(as_washer, 422, "refuse", winemaker_id=999_999)["errors"]
    line = {"model_id": model.id, "quantity": 1}
    for changes, field in (({"sold": []}, "sold"), ({"sold": [{"model_id": model.id}]}, "sold"),
                           ({"sold": [{**line, "price": 3}]}, "sold"),
                           ({"sold": [{**line, "unit_price_cents": 1001}]}, "sold"),
                           ({"sold": [{**line, "quantity": "dix"}]}, "sold"),
                           ({"sold": {"model_id": 1}}, "sold"), ({"winemaker_id": "٣"}, "winemaker_id"),
                           ({"price": 3}, "price")):
        data = refused(as_washer, 422, "saisie_invalide", **changes)
        assert field in data["errors"], (changes, data)
    for absent in ("winemaker_id", "sold", "washer_id"):
        body = {key: value for key, value in base.items() if key != absent}
        answer = post(client, as_washer, {**body, "id": str(uuid.uuid4())}, spec)
        assert answer.status_code == 422 and absent in answer.get_json()["errors"], answer.get_json()
    ahead = refused(as_washer, 422, "heure_terrain_refusee",
                    occurred_at=(datetime.now(UTC) + timedelta(hours=1)).isoformat())
    assert "futur" in ahead["errors"]["occurred_at"][0]
    assert count() == before and clean_stock(washer_a.id, model.id) == 100


# --- the catalogue's crate events --------------------------------------------------------------

def test_crate_registered_with_the_next_code_or_a_printed_one(world, client, session):  # noqa: F811
    spec = document(client)
    as_coordinator = world["tokens"]["coordinator"]
    washer_a = world["washers"][0]
    body = {"id": str(uuid.uuid4()), "kind": "crate_registered", "capacity": 48, "washer_id": washer_a.id}
    made = post(client, as_coordinator, body, spec)
    assert made.status_code == 201, made.get_json()
    code = made.get_json()["event"]["crate"]
    crate = session.scalar(select(Crate).where(Crate.code == code))
    assert crate.state == "in_pool" and crate.capacity == 48 and crate.washer_id == washer_a.id
    highest = max(c.code for c in session.scalars(select(Crate).where(Crate.id != crate.id)))
    assert int(code.split("-")[1]) == int(highest.split("-")[1]) + 1  # the next free number
    before = count()
    assert post(client, as_coordinator, body, spec).status_code == 200
    assert post(client, as_coordinator, {**body, "capacity": 60}, spec).status_code == 409
    assert post(client, as_coordinator, {**body, "washer_id": None}, spec).status_code == 422
    assert count() == before
    printed = {"id": str(uuid.uuid4()), "kind": "crate_registered", "capacity": 60,
               "crate": codes.make_code(777).lower(), "note": "étiquette imprimée"}  # typed, lower case
    first = post(client, as_coordinator, printed, spec)
    assert first.status_code == 201 and first.get_json()["event"]["crate"] == codes.make_code(777)
    assert first.get_json()["event"]["washer_id"] is None
    assert post(client, as_coordinator, printed, spec).status_code == 200
    taken = post(client, as_coordinator, {**printed, "id": str(uuid.uuid4())}, spec)
    assert taken.status_code == 422 and taken.get_json()["code"] == "refuse"
    assert "déjà enregistrée" in taken.get_json()["errors"]["crate"][0]
    bad = post(client, as_coordinator, {**printed, "id": str(uuid.uuid4()), "crate": "CJ-00778-Q"}, spec)
    assert bad.status_code == 422 and "crate" in bad.get_json()["errors"]
    for secret in ("washer_a", "driver", "point_a"):
        denied = post(client, world["tokens"][secret], {**body, "id": str(uuid.uuid4())}, spec)
        assert denied.status_code == 403 and denied.get_json()["code"] == "acces_refuse"
    for change, field in (({"capacity": 0}, "capacity"), ({"capacity": 501}, "capacity"),
                          ({"capacity": "٣"}, "capacity"), ({"washer_id": 999_999}, "washer_id")):
        refused = post(client, as_coordinator, {**body, "id": str(uuid.uuid4()), **change}, spec)
        assert refused.status_code == 422 and field in refused.get_json()["errors"], change
    missing = post(client, as_coordinator, {"id": str(uuid.uuid4()), "kind": "crate_registered"}, spec)
    assert missing.status_code == 422 and "capacity" in missing.get_json()["errors"]
    assert count() == before + 1


def test_crate_retired_only_when_empty_with_a_reason(world, client, session):  # noqa: F811
    spec = document(client)
    as_coordinator = world["tokens"]["coordinator"]
    empty, full = world["empty"], world["full_a"]
    retire = {"id": str(uuid.uuid4()), "kind": "crate_retired", "crate": empty.code, "note": "fendue"}
    before = count()
    for secret in ("washer_a", "driver", "point_a"):
        assert post(client, world["tokens"][secret], retire, spec).status_code == 403
    no_reason = post(client, as_coordinator, {**retire, "note": " "}, spec)
    assert no_reason.status_code == 422 and "note" in no_reason.get_json()["errors"]
    too_early = post(client, as_coordinator, {**retire, "occurred_at": "2020-01-01T10:00:00+01:00"}, spec)
    assert too_early.status_code == 422 and too_early.get_json()["code"] == "heure_terrain_refusee"
    in_use = post(client, as_coordinator, {**retire, "id": str(uuid.uuid4()), "crate": full.code}, spec)
    assert in_use.status_code == 422 and in_use.get_json()["code"] == "refuse"
    assert "crate" in in_use.get_json()["errors"]
    unknown = post(client, as_coordinator, {**retire, "crate": "CJ-99999-Z"}, spec)
    assert unknown.status_code == 404 and unknown.get_json()["code"] == "caisse_inconnue"
    assert count() == before
    made = post(client, as_coordinator, retire, spec)
    assert made.status_code == 201 and made.get_json()["event"]["note"] == "fendue"
    session.expire_all()
    assert session.get(Crate, empty.id).state == "retired"
    assert post(client, as_coordinator, retire, spec).status_code == 200
    other = post(client, as_coordinator, {**retire, "note": "perdue"}, spec)
    assert other.status_code == 409 and other.get_json()["code"] == "conflit_identifiant"
    again = post(client, as_coordinator, {**retire, "id": str(uuid.uuid4())}, spec)
    assert again.status_code == 422 and "retirée" in again.get_json()["message"]
    assert count() == before + 1


# --- every read answer against the document -----------------------------------------------------

def test_every_read_answers_as_its_document_says(world, client, session):  # noqa: F811
    spec = document(client)
    session.add(Phase(name="Phase A", start_date=date(2026, 1, 1), end_date=date(2026, 12, 31),
                      parameters={}, targets={}))
    session.commit()
    phase_id = session.scalar(select(Phase.id))
    code, other = world["full_a"].code, world["full_b"].code
    cases = [("coordinator", "/api/v1/crates", "/api/v1/crates", 200),
             ("point_a", "/api/v1/crates?state=full", "/api/v1/crates", 200),
             ("point_a", f"/api/v1/crates/{code}", "/api/v1/crates/{code}", 200),
             ("point_a", f"/api/v1/crates/{other}", "/api/v1/crates/{code}", 403),
             ("point_a", "/api/v1/crates/CJ-99999-Z", "/api/v1/crates/{code}", 404),
             ("washer_a", "/api/v1/stocks", "/api/v1/stocks", 200),
             ("coordinator", "/api/v1/stocks?stage=at_point", "/api/v1/stocks", 200),
             ("coordinator", "/api/v1/events?limit=2", "/api/v1/events", 200),
             ("driver", "/api/v1/events?kind=crate_full&from=2026-01-01", "/api/v1/events", 200),
             ("coordinator", "/api/v1/events?limit=0", "/api/v1/events", 422),
             ("coordinator", "/api/v1/phases", "/api/v1/phases", 200),
             ("coordinator", f"/api/v1/phases/{phase_id}", "/api/v1/phases/{phase_id}", 200),
             ("coordinator", "/api/v1/phases/999", "/api/v1/phases/{phase_id}", 404),
             ("driver", "/api/v1/phases", "/api/v1/phases", 403)]
    for who, url, template, status in cases:
        answer = client.get(url, headers=bearer(world["tokens"][who]))
        assert answer.status_code == status, (url, answer.get_json())
        check(client, answer, template, "get", spec)
    unsigned = client.get("/api/v1/crates")
    assert unsigned.status_code == 401
    check(client, unsigned, "/api/v1/crates", "get", spec)


# --- bad bodies and the rate limit on writes ----------------------------------------------------

def test_malformed_bodies_are_refused_in_french_naming_what_to_fix(world, client):  # noqa: F811
    spec = document(client)
    secret = world["tokens"]["coordinator"]
    before = count()
    for raw in (b'{"id": ', b"\xff\xfe{}", b'{"kind": "sale",}'):
        answer = client.post(EVENTS, data=raw, headers=bearer(secret), content_type="application/json")
        assert answer.status_code == 400, raw
        data = check(client, answer, EVENTS, "post", spec)
        assert data["code"] == "requete_invalide" and "JSON illisible" in data["errors"]["json"][0]
    for body, field, words in (({"sold": []}, "sold", "Longueur de 1 à 50"),
                               ({"note": "x" * 501}, "note", "500 au plus"),
                               ({"crate": ""}, "crate", "Longueur de 1 à 32"),
                               ({"sold": "x"}, "sold", "Liste JSON attendue"),
                               ({"capacity": True}, "capacity", "Nombre entier"),
                               ({"winemaker_id": 1.5}, "winemaker_id", "Nombre entier"),
                               ({"unknown": 1}, "unknown", "Champ inconnu")):
        answer = post(client, secret, {"id": str(uuid.uuid4()), "kind": "sale", **body}, spec)
        data = answer.get_json()
        assert answer.status_code == 422 and data["code"] == "saisie_invalide", data
        assert words in data["errors"][field][0], (body, data)
    assert count() == before


def test_writes_are_limited_per_token(app, world, shop, client):  # noqa: F811
    app.config["API_LIMIT"] = "2 per minute"
    secret = world["tokens"]["coordinator"]
    before = count()
    bodies = [{"id": str(uuid.uuid4()), "kind": "crate_registered", "capacity": 60} for _ in range(3)]
    assert [client.post(EVENTS, json=body, headers=bearer(secret)).status_code for body in bodies] \
        == [201, 201, 429]
    limited = client.post(EVENTS, json=bodies[2], headers=bearer(secret))
    assert limited.status_code == 429 and limited.get_json()["code"] == "trop_de_requetes"
    assert int(limited.headers["Retry-After"]) >= 1
    assert count() == before + 2  # the refused one wrote nothing
    other = client.post(EVENTS, json={"id": str(uuid.uuid4()), "kind": "sale", "washer_id": shop["washer"].id,
                                      "winemaker_id": shop["buyer"].id,
                                      "sold": [{"model_id": shop["model"].id, "quantity": 1}]},
                        headers=bearer(world["tokens"]["washer_a"]))
    assert other.status_code == 201  # another token has its own count


def test_field_messages_in_english_for_an_english_account(world, client, session):  # noqa: F811
    world["people"]["coordinator"].language = "en"
    session.commit()
    secret = world["tokens"]["coordinator"]
    answer = post(client, secret, {"id": str(uuid.uuid4()), "kind": "sale", "sold": [], "note": "x" * 501})
    assert answer.get_json()["errors"]["sold"] == ["A length from 1 to 50 is expected."]
    assert answer.get_json()["errors"]["note"] == ["Too long: at most 500."]
    broken = client.post(EVENTS, data=b'{"id": ', headers=bearer(secret), content_type="application/json")
    assert broken.get_json()["errors"]["json"] == [
        "Unreadable JSON body (malformed, truncated or not UTF-8)."]
    retired = post(client, secret, {"id": str(uuid.uuid4()), "kind": "crate_retired",
                                    "crate": world["empty"].code})
    assert retired.get_json()["errors"]["note"] == ["Give the reason for retiring it."]


def test_a_sale_of_the_whole_stock_sent_twice_at_once_is_recorded_once(app, world, shop, session):  # noqa: F811
    """Two resends racing for the whole clean stock: one 201, one 200, one sale."""
    import threading

    barrier = threading.Barrier(2)
    body = {"id": str(uuid.uuid4()), "kind": "sale", "washer_id": shop["washer"].id,
            "winemaker_id": shop["buyer"].id, "sold": [{"model_id": shop["model"].id, "quantity": 100}]}
    statuses: list[int] = []

    def send() -> None:
        client = app.test_client()
        barrier.wait()
        answer = client.post(EVENTS, json=body, headers=bearer(world["tokens"]["washer_a"]))
        statuses.append(answer.status_code)

    before = count()
    session.commit()
    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(statuses) == [200, 201]
    assert count() == before + 1 and clean_stock(shop["washer"].id, shop["model"].id) == 0


def test_indicators_are_the_cli_figures_key_for_key(world, app, client, session):  # noqa: F811
    """The same keys and values as `flask reports kpis --json` (a new figure there shows here)."""
    import json

    session.add(Phase(name="Phase B", start_date=date(2026, 1, 1), end_date=date(2026, 12, 31),
                      parameters={}, targets={}))
    session.commit()
    phase_id = session.scalar(select(Phase.id).where(Phase.name == "Phase B"))
    answer = client.get(f"/api/v1/phases/{phase_id}", headers=bearer(world["tokens"]["coordinator"]))
    indicators = check(client, answer, "/api/v1/phases/{phase_id}")["indicators"]
    cli = app.test_cli_runner().invoke(args=["reports", "kpis", "--phase", "Phase B", "--json"])
    assert cli.exit_code == 0, cli.output
    assert indicators == json.loads(cli.stdout)


def test_a_sale_refused_for_stock_its_twin_took_answers_as_the_twin(app, world, shop, client):  # noqa: F811
    """The window the race above rarely hits: the resend read no event, then no stock (its twin
    committed in between): the twin's answer, 200, or 409 for another content; else the refusal."""
    from api.writes import sale_twin
    from resales.rules import SaleFormError

    body = {"id": str(uuid.uuid4()), "kind": "sale", "washer_id": shop["washer"].id,
            "winemaker_id": shop["buyer"].id, "sold": [{"model_id": shop["model"].id, "quantity": 100}]}
    assert post(client, world["tokens"]["washer_a"], body).status_code == 201
    data = {**body, "id": uuid.UUID(body["id"]), "note": ""}
    short = SaleFormError({"quantity-0": "Stock insuffisant"})
    with app.test_request_context():
        answer, status = sale_twin(short, data, None)
        assert status == 200 and answer["created"] is False and answer["event"].id == data["id"]
        with pytest.raises(Exception) as conflict:
            sale_twin(short, {**data, "note": "autre"}, None)
        assert getattr(conflict.value, "code", None) == "conflit_identifiant"
        assert sale_twin(short, {**data, "id": uuid.uuid4()}, None) is None
        assert sale_twin(ValueError("x"), data, None) is None


def test_every_kind_answers_as_its_document_says(world, client, session, factory):  # noqa: F811
    """The field's nine kinds, each answer (201, then the replay's 200) validated against the document."""
    spec = document(client)
    model, loss = factory.model(), factory.reason("PERTE", kind="loss")
    session.commit()
    point_a, washer_a = world["points"][0], world["washers"][0]
    crate = world["empty"].code
    tokens = world["tokens"]
    answers: dict[str, dict] = {}

    def record(who: str, kind: str, **fields) -> dict:
        body = {"id": str(uuid.uuid4()), "kind": kind, **fields}
        made = post(client, tokens[who], body, spec)
        assert made.status_code == 201, (kind, made.get_json())
        assert post(client, tokens[who], body, spec).status_code == 200
        answers[kind] = made.get_json()["event"]
        return answers[kind]

    record("driver", "crate_placed", crate=crate, point_id=point_a.id)
    record("point_a", "crate_full", crate=crate, count=20)
    round_id = record("driver", "pickup", crate=crate)["round_id"]
    record("washer_a", "receipt", crate=crate, washer_id=washer_a.id, counted=20)
    closed = record("driver", "round_closed", round_id=round_id, km="12.5", hours=2)
    assert closed["km"] == 12.5 and closed["hours"] == 2
    record("washer_a", "sorting", washer_id=washer_a.id, eligible={str(model.id): 20})
    washed = record("washer_a", "wash", washer_id=washer_a.id, water_l=80,
                    lines=[{"model_id": model.id, "taken": 20, "accepted": 20}])
    assert washed["water_l"] == 80 and washed["energy_kwh"] is None
    taken = record("washer_a", "stocktake", washer_id=washer_a.id, stage="clean",
                   counted_by_model={str(model.id): 19}, loss_reason_id=loss.id)
    record("washer_a", "correction", corrects_seq=taken["seq"], note="retrouvée")
    assert len(answers) == 9
