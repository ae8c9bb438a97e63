"""Issue 8 points 8 and 9 (collection points): refused forms keep what was typed, hours as people type
them, French plurals and shopkeeper's words in the crate history, point staff see their own part, the
driver's refused scan offers "declare it full", points visited today are not "not visited for long"."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bottles.models import Event, Round
from bottles.rules import Kind, Move, Stage
from collection_points import operations
from tests.factories import login, post_form


def events(session) -> int:
    return session.scalar(select(func.count(Event.seq)))


@pytest.fixture
def world(factory):
    washer = factory.washer()
    point, other = factory.point(name="Cave du Jura"), factory.point(name="Fromagerie de Poligny")
    staff = factory.user("point", points=[point])
    driver = factory.user("driver")
    crate = factory.crate(washer=washer, capacity=60)
    bourg, clav = factory.model(), factory.model(code="CLAV62", name="Clavelin 62 cl", volume_ml=620)
    factory.session.commit()
    return {"washer": washer, "point": point, "other": other, "staff": staff, "driver": driver,
            "crate": crate, "bourg": bourg, "clav": clav, "f": factory}


def _input(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert match, name
    return match.group(0)


def test_a_refused_split_reshows_the_crate_page_with_what_was_typed(client, session, world):
    f, crate, staff, point = world["f"], world["crate"], world["staff"], world["point"]
    f.event(Kind.CRATE_PLACED, crate=crate, point=point.id, actor=staff)
    session.commit()
    login(client, staff)
    before = events(session)
    bourg, clav = world["bourg"], world["clav"]
    response = post_form(client, f"/c/{crate.code}/pleine", {
        "event_id": str(uuid.uuid4()), "count": "50", f"model_{bourg.id}": "40", f"model_{clav.id}": "20",
        "note": "deux cartons"}, page_url=f"/c/{crate.code}")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert events(session) == before
    assert "Pleine — demander l" in html and crate.code in html  # the crate page, not a separate page
    assert 'value="50"' in _input(html, "count")
    assert 'value="40"' in _input(html, f"model_{bourg.id}")
    assert 'value="20"' in _input(html, f"model_{clav.id}")
    assert "deux cartons" in html
    split_error = re.search(r'<p[^>]*id="split-error"[^>]*>([^<]*)</p>', html)
    assert split_error and "dépasse le total déclaré (50)" in split_error.group(1)
    assert re.search(r'<details class="cp-more cp-split"[^>]*open', html)
    assert 'aria-describedby="split-error"' in _input(html, f"model_{bourg.id}")


def test_a_refused_count_shows_its_error_beside_the_count(client, session, world):
    f, crate, staff, point = world["f"], world["crate"], world["staff"], world["point"]
    f.event(Kind.CRATE_PLACED, crate=crate, point=point.id, actor=staff)
    session.commit()
    login(client, staff)
    response = post_form(client, f"/c/{crate.code}/pleine", {"event_id": str(uuid.uuid4()), "count": "200"},
                         page_url=f"/c/{crate.code}")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="200"' in _input(html, "count") and 'aria-invalid="true"' in _input(html, "count")
    assert re.search(r'id="count-error"[^>]*>[^<]*trois fois la capacité', html)


def _open_round(session, driver) -> Round:
    round_ = operations.ensure_round(session, driver, datetime.now(UTC).date(), str(uuid.uuid4()))
    session.commit()
    return round_


def test_a_refused_round_close_keeps_km_and_hours(client, session, world):
    round_ = _open_round(session, world["driver"])
    login(client, world["driver"])
    before = events(session)
    response = post_form(client, f"/tournee/{round_.id}/clore", {
        "event_id": str(uuid.uuid4()), "km": "84,5", "hours": "quatre heures"}, page_url="/tournee")
    assert response.status_code == 422 and events(session) == before
    html = response.get_data(as_text=True)
    assert 'value="84,5"' in _input(html, "km") and 'value="quatre heures"' in _input(html, "hours")
    assert re.search(r'id="hours-error"[^>]*>[^<]*4h30', html)
    assert re.search(r'<details class="cp-more cp-close"[^>]*open', html)
    response = post_form(client, f"/tournee/{round_.id}/clore", {
        "event_id": str(uuid.uuid4()), "km": "-3", "hours": "4h30"}, page_url="/tournee")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'value="4h30"' in _input(html, "hours")
    assert re.search(r'id="km-error"[^>]*>[^<]*entre 0 et 2', html)


@pytest.mark.parametrize("typed, hours, shown", [
    ("4h30", Decimal("4.5"), "4 h 30"), ("4,5", Decimal("4.5"), "4 h 30"), ("3", Decimal("3"), "3 h")])
def test_round_hours_as_people_type_them(client, session, world, typed, hours, shown):
    round_ = _open_round(session, world["driver"])
    login(client, world["driver"])
    response = post_form(client, f"/tournee/{round_.id}/clore", {
        "event_id": str(uuid.uuid4()), "km": "84,5", "hours": typed}, page_url="/tournee")
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Round, round_.id).hours == hours
    page = client.get("/tournee").get_data(as_text=True)
    assert f"84,5 km, {shown}" in page and "84.5" not in page


def _history(html: str) -> str:
    return html[html.index("<h2>Historique"):]


def test_history_speaks_like_a_shopkeeper_with_plurals(client, session, world):
    f, point, washer, staff = world["f"], world["point"], world["washer"], world["staff"]
    crate = f.full_crate_at(point, count=48, washer=washer, actor=staff)
    single = f.crate(washer=washer)
    f.event(Kind.CRATE_PLACED, crate=single, point=point.id, actor=staff)
    f.event(Kind.CRATE_FULL, crate=single, point=point.id, actor=staff,
            moves=[Move(Stage.OUTSIDE, Stage.AT_POINT, 1)])
    f.event(Kind.PICKUP, crate=crate, point=point.id, actor=world["driver"],
            moves=[Move(Stage.AT_POINT, Stage.IN_TRANSIT, 48)])
    f.event(Kind.RECEIPT, crate=crate, point=point.id, washer=washer.id,
            moves=[Move(Stage.IN_TRANSIT, Stage.RECEIVED, 48)])
    coordinator = f.user("coordinator")
    session.commit()
    login(client, coordinator)
    history = _history(client.get(f"/c/{crate.code}").get_data(as_text=True))
    assert "48 bouteilles déposées dans la caisse" in history
    assert "enlevée par le chauffeur" in history.lower()
    assert "réceptionnée au centre de lavage" in history.lower()
    for jargon in ("hors filière", "→", "en transport", "au point de collecte"):
        assert jargon not in history, jargon
    one = client.get(f"/c/{single.code}").get_data(as_text=True)
    assert "1 bouteille déposée dans la caisse" in one and "1 bouteilles" not in one


def test_point_staff_see_only_their_points_part_of_the_history(client, session, world):
    f, point, other, washer = world["f"], world["point"], world["other"], world["washer"]
    crate = world["crate"]
    f.event(Kind.CRATE_PLACED, crate=crate, point=other.id, actor=world["driver"])
    f.event(Kind.CRATE_FULL, crate=crate, point=other.id, actor=world["driver"],
            moves=[Move(Stage.OUTSIDE, Stage.AT_POINT, 30)])
    f.event(Kind.PICKUP, crate=crate, point=other.id, actor=world["driver"],
            moves=[Move(Stage.AT_POINT, Stage.IN_TRANSIT, 30)], note="Compté : 28 à Poligny")
    short = f.reason("CASSE", kind="loss", label="Casse au transport")
    f.event(Kind.RECEIPT, crate=crate, point=other.id, washer=washer.id, note="Tri : 3 crémants",
            moves=[Move(Stage.IN_TRANSIT, Stage.RECEIVED, 28),
                   Move(Stage.IN_TRANSIT, Stage.LOST, 2, reason_id=short.id)])
    f.event(Kind.CRATE_PLACED, crate=crate, point=point.id, actor=world["driver"])
    session.commit()
    login(client, world["staff"])
    html = client.get(f"/c/{crate.code}").get_data(as_text=True)
    history = _history(html)
    assert "Cave du Jura" in history
    for hidden in ("Fromagerie de Poligny", "Poligny", "Casse au transport", "crémants", "30 bouteilles"):
        assert hidden not in html, hidden


def test_a_refused_pickup_scan_offers_to_declare_the_crate_full(client, session, world):
    """The station's line is one API event; a refusal naming crate_state "at_point" is what makes
    scan.js offer "Déclarer pleine" (a link to the crate page), a crate in the pool gets no offer."""
    f, crate, point = world["f"], world["crate"], world["point"]
    f.event(Kind.CRATE_PLACED, crate=crate, point=point.id, actor=world["staff"])
    pooled = f.crate(washer=world["washer"])
    session.commit()
    login(client, world["driver"])
    page = client.get("/tournee/enlever").get_data(as_text=True)
    assert '"declare_full": "D\\u00e9clarer pleine"' in page or '"declare_full": "Déclarer pleine"' in page
    token = re.search(r'data-csrf="([^"]+)"', page).group(1)
    before = events(session)
    answers = {code: client.post("/api/v1/events", json={
        "id": str(uuid.uuid4()), "kind": "pickup", "crate": code, "round_token": str(uuid.uuid4())},
        headers={"X-CSRFToken": token, "Accept": "application/json"}) for code in (crate.code, pooled.code)}
    at_point, in_pool = answers[crate.code], answers[pooled.code]
    assert at_point.status_code == 422 and in_pool.status_code == 422
    assert at_point.get_json()["crate_state"] == "at_point" and "pleine" in at_point.get_json()["message"]
    assert in_pool.get_json()["crate_state"] != "at_point"
    assert events(session) == before


def test_points_visited_today_are_not_in_the_not_visited_for_long_list(client, session, world):
    f, washer, driver = world["f"], world["washer"], world["driver"]
    today_point, quiet = f.point(name="Visitée ce matin"), f.point(name="Pas vue depuis un mois")
    now = datetime.now(UTC)
    f.event(Kind.CRATE_PLACED, crate=f.crate(washer=washer), point=today_point.id, actor=driver,
            at=now - timedelta(minutes=5))
    f.event(Kind.CRATE_PLACED, crate=f.crate(washer=washer), point=quiet.id, actor=driver,
            at=now - timedelta(days=31))
    session.commit()
    login(client, driver)
    page = client.get("/tournee").get_data(as_text=True)
    others = page[page.index("pas vus depuis longtemps"):]
    assert "Pas vue depuis un mois" in others and "Visitée ce matin" not in others
