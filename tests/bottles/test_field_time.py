"""Field time, not server time (issue 11, point 3): a phone's `occurred_at` dates the event, bounded
(FIELD_TIME_FUTURE ahead, FIELD_TIME_PAST_DAYS back unless a coordinator), checked against the
crate's previous event; `recorded_at` is the server's; a late offline queue leaves check-ledger clean."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from bottles import field_time
from bottles.check import check_ledger, time_inversions
from bottles.field_time import FIELD_TIME_FUTURE, FieldTimeError
from bottles.models import Event
from bottles.rules import Kind, Move, Stage
from tests.factories import csrf_from, login, post_form

LATE_QUEUE = timedelta(days=2)


def events(session) -> int:
    return session.scalar(select(func.count(Event.seq)))


def stamp(at: datetime) -> str:
    """As scan.js sends it: new Date().toISOString()."""
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@pytest.fixture
def site(factory):
    washer, point = factory.washer(), factory.point(name="Cave de Lons")
    people = {role: factory.user(role) for role in ("driver", "coordinator")}
    people["dock"] = factory.user("washer", washers=[washer])
    people["staff"] = factory.user("point", points=[point])

    def full(at: datetime, count: int = 40):
        """A crate placed at the point and declared full at `at` (server-dated, as a form does)."""
        crate = factory.crate(washer=washer, at=at - timedelta(minutes=2))
        factory.event(Kind.CRATE_PLACED, at=at - timedelta(minutes=1), crate=crate, point=point.id)
        factory.event(Kind.CRATE_FULL, at=at, crate=crate, point=point.id,
                      moves=[Move(Stage.OUTSIDE, Stage.AT_POINT, count)])
        return crate

    return dict(washer=washer, point=point, full=full, factory=factory, **people)


# ---------------------------------------------------------------- the kernel's one reading


def test_bounds_of_a_field_time(app):
    now = datetime(2026, 11, 29, 17, 0, tzinfo=UTC)
    driver = type("Person", (), {"role": "driver"})()
    coordinator = type("Person", (), {"role": "coordinator"})()
    with app.test_request_context():
        assert field_time.field_time(None, driver, now) is None
        assert field_time.field_time("  ", driver, now) is None
        assert field_time.field_time("2026-11-29T16:00:00.000Z", driver, now) == now - timedelta(hours=1)
        assert field_time.field_time("2026-11-29T18:04:00+01:00", driver, now) == now + timedelta(minutes=4)
        ahead = now + FIELD_TIME_FUTURE + timedelta(seconds=1)
        with pytest.raises(FieldTimeError, match="dans le futur"):
            field_time.field_time(ahead.isoformat(), driver, now)
        old = (now - timedelta(days=8)).isoformat()
        with pytest.raises(FieldTimeError,
                           match=r"trop ancienne \(plus de 7 jours\) : demandez à la coordination"):
            field_time.field_time(old, driver, now)
        assert field_time.field_time(old, coordinator, now) == now - timedelta(days=8)
        for bad, why in (("hier", "illisible"), ("2026-11-29T16:00:00", "fuseau horaire"),
                         ("٢٠٢٦-11-29T16:00:00Z", "illisible"),
                         ("2026-11-29T16:00:00.000000000000000000000000Z", "illisible"),
                         (12345, "illisible"), (["2026-11-29T16:00:00Z"], "illisible")):
            with pytest.raises(FieldTimeError, match=why):
                field_time.field_time(bad, driver, now)
        with force_locale("en"), pytest.raises(FieldTimeError, match=r"Field time too old \(more than 7"):
            field_time.field_time(old, driver, now)
        app.config["FIELD_TIME_PAST_DAYS"] = 10
        assert field_time.field_time(old, driver, now) == now - timedelta(days=8)


# ---------------------------------------------------------------- the scan stations


def station_line(client, token: str, body: dict):
    """One scanned line as the stations send it: one event of the API, session cookie and CSRF token."""
    return client.post("/api/v1/events", json=body, headers={"X-CSRFToken": token,
                                                             "Accept": "application/json"})


def test_a_pickup_queue_is_dated_in_the_field_and_bounded(client, session, site):
    now = datetime.now(UTC)
    full = site["full"]
    queued, ahead, fast, old, before, unreadable = (full(now - timedelta(days=3)) for _ in range(6))
    recent = full(now - timedelta(hours=1))
    session.commit()
    login(client, site["driver"])
    token = csrf_from(client.get("/tournee/enlever").get_data(as_text=True))
    lines = {queued: stamp(now - LATE_QUEUE), ahead: stamp(now + timedelta(minutes=10)),
             fast: stamp(now + timedelta(minutes=2)), old: stamp(now - timedelta(days=8)),
             recent: stamp(now - timedelta(hours=3)), unreadable: "hier 10 h", before: None}
    round_token = str(uuid.uuid4())
    bodies = {crate: {"id": str(uuid.uuid4()), "kind": "pickup", "crate": crate.code,
                      "round_token": round_token} | ({} if at is None else {"occurred_at": at})
              for crate, at in lines.items()}
    count = events(session)
    answers = {crate: station_line(client, token, body) for crate, body in bodies.items()}
    assert [answers[c].status_code for c in lines] == [201, 422, 201, 422, 422, 422, 201]
    refused = {c: answers[c].get_json() for c in (ahead, old, recent)}
    assert {r["code"] for r in refused.values()} == {"heure_terrain_refusee"}
    assert "Heure du terrain dans le futur" in refused[ahead]["message"]
    assert refused[old]["message"] == ("Heure du terrain trop ancienne (plus de 7 jours) : demandez "
                                       "à la coordination.")
    assert "antérieure au dernier mouvement de la caisse " + recent.code in refused[recent]["message"]
    assert "occurred_at" in answers[unreadable].get_json()["errors"]
    assert events(session) == count + 3
    session.expire_all()
    pickup = {e.crate_id: e for e in session.scalars(select(Event).where(Event.kind == "pickup"))}
    late = pickup[queued.id]
    assert late.occurred_at == (now - LATE_QUEUE).replace(microsecond=(now.microsecond // 1000) * 1000)
    assert late.recorded_at >= now  # the server's time, after the lock
    assert pickup[fast.id].occurred_at == pickup[fast.id].recorded_at  # a fast phone: the server's time
    assert pickup[before.id].occurred_at == pickup[before.id].recorded_at  # none sent: as before
    assert check_ledger(session) == []
    # The same lines again (lost answers): nothing more, each recorded line answered "already".
    again = station_line(client, token, bodies[queued])
    assert again.status_code == 200 and again.get_json()["created"] is False
    assert events(session) == count + 3


def test_a_coordinator_may_send_an_older_field_time(client, session, site):
    now = datetime.now(UTC)
    crate = site["full"](now - timedelta(days=10))
    session.commit()
    login(client, site["coordinator"])
    token = csrf_from(client.get("/tournee/enlever").get_data(as_text=True))
    body = {"id": str(uuid.uuid4()), "kind": "pickup", "crate": crate.code,
            "occurred_at": stamp(now - timedelta(days=8)), "round_token": str(uuid.uuid4())}
    response = station_line(client, token, body)
    assert response.status_code == 201, response.get_json()
    session.expire_all()
    pickup = session.scalar(select(Event).where(Event.kind == "pickup"))
    assert (pickup.recorded_at - pickup.occurred_at).days == 8
    assert check_ledger(session) == []


def test_a_drop_queue_dated_in_the_field_or_refused_with_a_422(client, session, site):
    now = datetime.now(UTC)
    factory = site["factory"]
    empty, stale = factory.crate(washer=site["washer"], at=now - timedelta(days=4)), \
        factory.crate(washer=site["washer"], at=now - timedelta(days=20))
    session.commit()
    login(client, site["driver"])
    token = csrf_from(client.get("/tournee/deposer").get_data(as_text=True))
    fields = {"kind": "crate_placed", "point_id": str(site["point"].id)}
    count = events(session)
    response = station_line(client, token, {**fields, "id": str(uuid.uuid4()), "crate": stale.code,
                                            "occurred_at": stamp(now - timedelta(days=9))})
    assert response.status_code == 422 and "trop ancienne" in response.get_json()["message"]
    assert events(session) == count
    at = now - timedelta(days=2, hours=3)
    assert station_line(client, token, {**fields, "id": str(uuid.uuid4()), "crate": empty.code,
                                        "occurred_at": stamp(at)}).status_code == 201
    session.expire_all()
    placed = session.scalar(select(Event).where(Event.kind == "crate_placed", Event.crate_id == empty.id))
    assert abs(placed.occurred_at - at) < timedelta(milliseconds=1) and placed.recorded_at > now


def test_a_receipt_queue_at_the_dock(client, session, site):
    now = datetime.now(UTC)
    crate = site["full"](now - timedelta(days=3))
    site["factory"].event(Kind.PICKUP, at=now - timedelta(days=3) + timedelta(hours=2), crate=crate,
                          point=site["point"].id, moves=[Move(Stage.AT_POINT, Stage.IN_TRANSIT, 40)])
    session.commit()
    login(client, site["dock"])
    token = csrf_from(client.get("/lavage/reception").get_data(as_text=True))
    at = now - timedelta(days=2)
    line = {"kind": "receipt", "washer_id": str(site["washer"].id)}
    response = station_line(client, token, {**line, "id": str(uuid.uuid4()), "crate": crate.code,
                                            "occurred_at": stamp(at)})
    assert response.status_code == 201, response.get_json()
    session.expire_all()
    receipt = session.scalar(select(Event).where(Event.kind == "receipt"))
    assert abs(receipt.occurred_at - at) < timedelta(milliseconds=1) and receipt.recorded_at > now
    other = site["full"](now - timedelta(days=1))
    site["factory"].event(Kind.PICKUP, at=now - timedelta(hours=20), crate=other, point=site["point"].id,
                          moves=[Move(Stage.AT_POINT, Stage.IN_TRANSIT, 40)])
    session.commit()
    count = events(session)
    refused = station_line(client, token, {**line, "id": str(uuid.uuid4()), "crate": other.code,
                                           "occurred_at": stamp(now + timedelta(hours=1))})
    assert refused.status_code == 422 and refused.get_json()["code"] == "heure_terrain_refusee"
    assert events(session) == count
    assert check_ledger(session) == []


# ---------------------------------------------------------------- the single actions


def test_single_crate_actions_take_a_field_time_or_refuse_it_with_a_422(client, session, site):
    now = datetime.now(UTC)
    factory = site["factory"]
    crate = factory.crate(washer=site["washer"], at=now - timedelta(days=5))
    factory.event(Kind.CRATE_PLACED, at=now - timedelta(days=4), crate=crate, point=site["point"].id)
    session.commit()
    login(client, site["staff"])
    url, page = f"/c/{crate.code}/pleine", f"/c/{crate.code}"
    count = events(session)
    for sent, why in ((stamp(now + timedelta(minutes=30)), "dans le futur"),
                      (stamp(now - timedelta(days=8)), "trop ancienne"),
                      ("demain", "illisible"),
                      (stamp(now - timedelta(days=4, hours=1)), "antérieure au dernier mouvement")):
        response = post_form(client, url, {"count": "30", "event_id": str(uuid.uuid4()), "occurred_at": sent},
                             page_url=page)
        assert response.status_code == 422 and why in response.get_data(as_text=True), sent
    assert events(session) == count
    at = now - timedelta(days=2)
    response = post_form(client, url, {"count": "30", "event_id": str(uuid.uuid4()),
                                       "occurred_at": at.isoformat()}, page_url=page)
    assert response.status_code == 302
    session.expire_all()
    full = session.scalar(select(Event).where(Event.kind == "crate_full"))
    assert full.occurred_at == at and full.recorded_at > now
    post_form(client, "/logout", {}, page_url="/")
    login(client, site["driver"])
    response = post_form(client, f"/c/{crate.code}/enlevee",
                         {"event_id": str(uuid.uuid4()), "occurred_at": stamp(now - timedelta(days=1))},
                         page_url=page)
    assert response.status_code == 302
    assert check_ledger(session) == []


# ---------------------------------------------------------------- the order of record and check-ledger


def test_a_legitimate_late_queue_leaves_check_ledger_clean(client, session, site):
    """Full declared live; the driver's phone (3 minutes slow) scans it at once and stays offline two
    days; meanwhile other crates move live; the queue then arrives, and the dock receives it live."""
    now = datetime.now(UTC)
    full = site["full"]
    first = full(now - LATE_QUEUE - timedelta(minutes=1))   # the phone read 3 min less than the server
    others = [full(now - timedelta(days=1)) for _ in range(2)]
    for crate in others:
        site["factory"].event(Kind.PICKUP, at=now - timedelta(hours=20), crate=crate, point=site["point"].id,
                              moves=[Move(Stage.AT_POINT, Stage.IN_TRANSIT, 40)])
    session.commit()
    login(client, site["driver"])
    token = csrf_from(client.get("/tournee/enlever").get_data(as_text=True))
    response = station_line(client, token, {
        "id": str(uuid.uuid4()), "kind": "pickup", "crate": first.code, "round_token": str(uuid.uuid4()),
        "occurred_at": stamp(now - LATE_QUEUE - timedelta(minutes=4))})
    assert response.status_code == 201, response.get_json()
    post_form(client, "/logout", {}, page_url="/")
    login(client, site["dock"])
    token = csrf_from(client.get("/lavage/reception").get_data(as_text=True))
    response = station_line(client, token, {
        "id": str(uuid.uuid4()), "kind": "receipt", "crate": first.code, "washer_id": str(site["washer"].id),
        "occurred_at": stamp(datetime.now(UTC))})
    assert response.status_code == 201, response.get_json()
    session.expire_all()
    history = session.scalars(select(Event).where(Event.crate_id == first.id).order_by(Event.seq)).all()
    assert [e.kind for e in history] == ["crate_registered", "crate_placed", "crate_full", "pickup",
                                         "receipt"]
    pickup = history[3]
    assert pickup.occurred_at < history[2].occurred_at  # 3 minutes before the full, by two clocks
    newer = session.scalar(select(func.max(Event.seq)).where(Event.crate_id.in_([c.id for c in others])))
    assert pickup.seq > newer and pickup.occurred_at < now - LATE_QUEUE  # recorded after, dated before
    assert time_inversions(session) == [] and check_ledger(session) == []
    result = client.application.test_cli_runner().invoke(args=["bottles", "check-ledger"])
    assert result.exit_code == 0 and "concordent" in result.output


def test_an_impossible_field_time_in_an_old_ledger_is_still_named(session, site):
    """Written before the write path checked field times (or imported): more than the skew of two
    clocks before the crate's previous event is a time inversion."""
    now = datetime.now(UTC)
    crate = site["full"](now - timedelta(hours=1))
    pickup = site["factory"].event(Kind.PICKUP, at=now - timedelta(hours=3), crate=crate,
                                   point=site["point"].id, moves=[Move(Stage.AT_POINT, Stage.IN_TRANSIT, 40)])
    session.commit()
    found = time_inversions(session)
    assert len(found) == 1 and f"seq {pickup.seq} (pickup)" in found[0]


# ---------------------------------------------------------------- the phone


@pytest.mark.browser
def test_the_station_stamps_each_line_when_scanned_and_a_resend_keeps_it(app, phone):
    """The line's field time is when it was scanned, not when sent; a refused line reloaded and sent
    again carries the same time (the station's POST /api/v1/events answered here as the API does)."""
    import json

    from flask import render_template_string

    from bottles import codes

    seen: list[dict] = []

    @app.route("/_test/field_station")
    def _field_station():
        return render_template_string(
            '{% extends "base.html" %}{% from "bottles/scan_station.html" import scan_station %}'
            '{% block content %}{% call scan_station("pickup", submit_label="Valider", store="ft") %}'
            '<input type="hidden" name="round_token" value="7">{% endcall %}{% endblock %}')

    def refuse(route):
        seen.append(json.loads(route.request.post_data))
        route.fulfill(status=422, content_type="application/json",
                      body=json.dumps({"code": "refuse", "message": "Pas encore."}))

    phone.route("**/api/v1/events", refuse)
    before = datetime.now(UTC) - timedelta(seconds=1)
    phone.goto("/_test/field_station")
    field = phone.locator("[data-scan-input]")
    field.fill(codes.make_code(7))
    field.press("Enter")
    phone.wait_for_timeout(1200)  # sent a while after the scan: dated when scanned
    phone.click("[data-scan-submit]")
    phone.wait_for_selector(".scan-item.status-refused")
    stamped = seen[0]["occurred_at"]
    at = field_time.parse(stamped)
    assert stamped.endswith("Z") and before <= at <= datetime.now(UTC) - timedelta(seconds=1)
    phone.reload()  # the refused line is kept on the phone with its time, and sent again with it
    phone.click("[data-scan-submit]")
    phone.wait_for_timeout(300)
    assert len(seen) >= 2 and seen[-1]["occurred_at"] == stamped and seen[-1]["id"] == seen[0]["id"]


def test_a_receipt_queue_sent_before_the_pickup_queue_is_taken_when_sent_again(client, session, site):
    """State rules in seq order, as events arrive: the dock's queue first is refused (the crate is not
    yet in transit), the driver's queue then, and the dock's list sent again is taken."""
    now = datetime.now(UTC)
    crate = site["full"](now - timedelta(days=2))
    session.commit()
    login(client, site["dock"])
    token = csrf_from(client.get("/lavage/reception").get_data(as_text=True))
    dock = {"id": str(uuid.uuid4()), "kind": "receipt", "crate": crate.code,
            "washer_id": str(site["washer"].id), "occurred_at": stamp(now - timedelta(days=1))}
    first = station_line(client, token, dock)
    assert first.status_code == 409 and first.get_json()["code"] == "refuse_par_le_registre"
    assert "n'est pas en transport" in first.get_json()["message"]
    post_form(client, "/logout", {}, page_url="/")
    login(client, site["driver"])
    token = csrf_from(client.get("/tournee/enlever").get_data(as_text=True))
    driver = {"id": str(uuid.uuid4()), "kind": "pickup", "crate": crate.code,
              "round_token": str(uuid.uuid4()), "occurred_at": stamp(now - timedelta(days=1, hours=3))}
    assert station_line(client, token, driver).status_code == 201
    post_form(client, "/logout", {}, page_url="/")
    login(client, site["dock"])
    token = csrf_from(client.get("/lavage/reception").get_data(as_text=True))
    again = station_line(client, token, dock)  # the same line, its id and field time kept
    assert again.status_code == 201 and again.get_json()["created"] is True
    session.expire_all()
    kinds = session.execute(select(Event.kind, Event.occurred_at).where(Event.crate_id == crate.id)
                            .order_by(Event.seq)).all()
    assert [k for k, _at in kinds][-2:] == ["pickup", "receipt"] and kinds[-2][1] < kinds[-1][1]
    assert check_ledger(session) == []
