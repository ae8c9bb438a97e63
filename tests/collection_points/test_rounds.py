"""Drivers' priority list, rounds (open, close with km and hours), scan stations, coordinators' requests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bottles.models import Crate, Event, Round
from bottles.rules import Kind
from collection_points.models import PickupAssignment
from tests.factories import csrf_from, login, post_form


def events(session) -> int:
    return session.scalar(select(func.count(Event.seq)))


@pytest.fixture
def world(factory):
    washer = factory.washer()
    now = datetime.now(UTC)
    old = factory.point(name="Épicerie d'Arlay")
    recent = factory.point(name="Cave de Lons")
    idle = factory.point(name="Déchetterie de Perrigny")
    recent.latitude, recent.longitude = Decimal("46.674300"), Decimal("5.554600")
    staff = factory.user("point", points=[recent])
    driver = factory.user("driver")
    late = factory.full_crate_at(old, count=55, washer=washer, actor=staff, at=now - timedelta(days=10))
    fresh = factory.full_crate_at(recent, count=30, washer=washer, actor=staff, at=now - timedelta(days=2))
    fresh2 = factory.full_crate_at(recent, count=20, washer=washer, actor=staff, at=now - timedelta(days=2))
    empty = factory.crate(washer=washer)
    factory.session.commit()
    return dict(washer=washer, old=old, recent=recent, idle=idle, staff=staff, driver=driver, late=late,
                fresh=fresh, fresh2=fresh2, empty=empty, f=factory)


def test_round_list_orders_by_longest_wait_and_shows_what_to_bring(client, world):
    login(client, world["driver"])
    page = client.get("/tournee").get_data(as_text=True)
    assert page.index("Épicerie d&#39;Arlay") < page.index("Cave de Lons") < page.index("Déchetterie")
    assert "emportez 3 caisses vides" in page
    assert "en retard" in page and "50</strong> bouteilles" in page and "55</strong> bouteilles" in page
    assert "geo:46.674300,5.554600" in page and "openstreetmap.org/?mlat=46.674300&amp;mlon=5.554600" in page
    assert world["fresh"].code in page and "jamais" in page


def test_assignment_to_another_driver_moves_a_point_down(client, session, world):
    other = world["f"].user("driver")
    coordinator = world["f"].user("coordinator")
    session.commit()
    login(client, coordinator)
    page = client.get("/demandes")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "cp-late" in html and "en retard" in html and "Attribuer" in html
    response = post_form(client, f"/demandes/{world['old'].id}/attribuer", {"driver_id": other.id},
                         page_url="/demandes")
    assert response.status_code == 302
    assert session.scalar(select(PickupAssignment.driver_id).where(PickupAssignment.active)) == other.id
    assert post_form(client, f"/demandes/{world['old'].id}/attribuer", {"driver_id": "x"},
                     page_url="/demandes").status_code == 422
    post_form(client, "/logout", {}, page_url="/")
    login(client, world["driver"])
    page = client.get("/tournee").get_data(as_text=True)
    assert page.index("Cave de Lons") < page.index("Épicerie d&#39;Arlay")
    assert "attribué à" in page


def station_post(client, token: str, body: dict):
    """One line of a scan station, as scan.js sends it: one event of the API, the session cookie and
    the page's CSRF token."""
    return client.post("/api/v1/events", json=body, headers={"X-CSRFToken": token})


def test_scan_pickup_many_crates_one_event_each_with_its_own_answer(client, session, world):
    login(client, world["driver"])
    html = client.get("/tournee/enlever").get_data(as_text=True)
    assert "data-scan-station" in html and 'data-queue-kind="pickup"' in html
    token = csrf_from(html)
    round_token = html.split('name="round_token" value="')[1][:36]
    late, fresh, empty = world["late"], world["fresh"], world["empty"]
    wrong_check = late.code[:-1] + ("0" if late.code[-1] != "0" else "1")
    lines = [(late.code, {}), (fresh.code.replace("-", "").lower(), {"counted": 28}), (empty.code, {}),
             ("CJ-99999-0", {}), (wrong_check, {})]
    bodies = [{"id": str(uuid.uuid4()), "kind": "pickup", "crate": code, "round_token": round_token, **extra}
              for code, extra in lines]
    before = events(session)
    answers = [station_post(client, token, body) for body in bodies]
    assert [a.status_code for a in answers] == [201, 201, 422, 404, 404], [a.get_json() for a in answers]
    assert answers[0].get_json()["event"]["crate"] == late.code
    assert answers[1].get_json()["event"]["crate"] == fresh.code  # the typed form read as the code
    refused = answers[2].get_json()
    assert refused["code"] == "refuse" and "vide" in refused["message"]
    assert [a.get_json()["code"] for a in answers[3:]] == ["caisse_inconnue", "caisse_inconnue"]
    assert "CJ-99999-0" in answers[3].get_json()["message"]
    assert events(session) == before + 2
    session.expire_all()
    round_ = session.scalar(select(Round))
    assert {e.round_id for e in session.scalars(select(Event).where(Event.kind == "pickup"))} == {round_.id}
    assert "28" in session.scalar(select(Event.note).where(Event.id == uuid.UUID(bodies[1]["id"])))
    # the same lines sent again (lost answers): each answered as already recorded, nothing twice
    again = [station_post(client, token, body) for body in bodies[:2]]
    assert [a.status_code for a in again] == [200, 200]
    assert [a.get_json()["created"] for a in again] == [False, False]
    assert events(session) == before + 2
    assert session.scalar(select(func.count(Round.id))) == 1


def test_scan_refusals_and_bad_lines_record_nothing(client, session, world):
    login(client, world["driver"])
    token = csrf_from(client.get("/tournee/enlever").get_data(as_text=True))
    before = events(session)
    body = {"id": str(uuid.uuid4()), "kind": "pickup", "crate": world["empty"].code}
    assert station_post(client, token, body).status_code == 422
    for bad in ({**body, "crate": world["late"].code, "counted": "beaucoup"},
                {**body, "crate": world["late"].code, "counted": -3},
                {**body, "crate": world["late"].code, "id": "pas-un-uuid"},
                {**body, "crate": world["late"].code, "kind": "enlevee"}):
        refused = station_post(client, token, bad)
        assert refused.status_code == 422, bad
        answer = refused.get_json()
        assert answer["errors"] and answer["message"], answer
    counted = station_post(client, token, {**body, "crate": world["late"].code, "counted": "beaucoup"})
    assert "entier" in counted.get_json()["errors"]["counted"][0]
    no_csrf = client.post("/api/v1/events", json={**body, "crate": world["late"].code})
    assert no_csrf.status_code == 400 and no_csrf.get_json()["code"] == "jeton_csrf_invalide"
    assert events(session) == before
    assert session.scalar(select(func.count(Round.id))) == 0


def test_scan_place_empty_crates_at_a_point(client, session, world):
    login(client, world["driver"])
    html = client.get("/tournee/deposer").get_data(as_text=True)
    assert "Déchetterie de Perrigny" in html and 'data-queue-kind="drop"' in html
    token = csrf_from(html)
    line = {"kind": "crate_placed", "point_id": str(world["idle"].id)}  # the page's field is text
    placed = station_post(client, token, {**line, "id": str(uuid.uuid4()), "crate": world["empty"].code})
    assert placed.status_code == 201, placed.get_json()
    refused = station_post(client, token, {**line, "id": str(uuid.uuid4()), "crate": world["late"].code})
    assert refused.status_code == 422
    message = refused.get_json()["message"]
    assert "pas dans le parc" in message or "vide du parc" in message
    session.expire_all()
    assert session.get(Crate, world["empty"].id).collection_point_id == world["idle"].id
    before = events(session)
    no_point = station_post(client, token, {"id": str(uuid.uuid4()), "kind": "crate_placed",
                                            "crate": world["fresh2"].code})
    assert no_point.status_code == 422 and "point_id" in no_point.get_json()["errors"]
    unknown = station_post(client, token, {**line, "point_id": "999999", "id": str(uuid.uuid4()),
                                           "crate": world["fresh2"].code})
    assert unknown.status_code == 422
    assert "Point de collecte inconnu" in unknown.get_json()["errors"]["point_id"][0]
    assert events(session) == before


def test_open_and_close_a_round_records_km_and_hours_once(client, session, world):
    login(client, world["driver"])
    page = client.get("/tournee").get_data(as_text=True)
    token = page.split('name="token" value="')[1][:36]
    for _ in range(2):  # double tap opens one round
        assert post_form(client, "/tournee/ouvrir", {"token": token, "washer_id": world["washer"].id},
                         page_url="/tournee").status_code == 302
    assert session.scalar(select(func.count(Round.id))) == 1
    round_ = session.scalar(select(Round))
    page = client.get("/tournee").get_data(as_text=True)
    assert round_.code in page and "Clore la tournée" in page
    close_id = page.split('name="event_id" value="')[1][:36]
    bad = post_form(client, f"/tournee/{round_.id}/clore", {"event_id": close_id, "km": "-3", "hours": "2"},
                    page_url="/tournee")
    assert bad.status_code == 422 and "entre 0 et" in bad.get_data(as_text=True)
    bad = post_form(client, f"/tournee/{round_.id}/clore", {"event_id": close_id, "km": "abc", "hours": "2"},
                    page_url="/tournee")
    assert bad.status_code == 422
    for _ in range(2):
        response = post_form(client, f"/tournee/{round_.id}/clore",
                             {"event_id": close_id, "km": "84,5", "hours": "3,25"}, page_url="/tournee")
        assert response.status_code == 302
    session.expire_all()
    round_ = session.get(Round, round_.id)
    assert round_.closed and round_.km == Decimal("84.5") and round_.hours == Decimal("3.25")
    closed = session.scalars(select(Event).where(Event.kind == Kind.ROUND_CLOSED.value)).all()
    assert len(closed) == 1 and closed[0].km == Decimal("84.5") and closed[0].round_id == round_.id
    again = post_form(client, f"/tournee/{round_.id}/clore",
                      {"event_id": str(uuid.uuid4()), "km": "1", "hours": "1"}, page_url="/tournee")
    assert again.status_code == 422 and "déjà close" in again.get_data(as_text=True)


def test_pages_are_closed_to_other_roles(client, world):
    login(client, world["staff"])
    for url in ("/tournee", "/tournee/enlever", "/tournee/deposer", "/demandes", "/etiquettes"):
        assert client.get(url).status_code == 403, url


def test_point_home_shows_crates_requests_and_co2(client, session, world):
    login(client, world["staff"])
    page = client.get("/").get_data(as_text=True)
    assert world["fresh"].code in page and "Enlèvements demandés" in page
    assert "2 caisses pleines</strong> (50 bouteilles)" in page
    assert "bouteilles collectées ce mois-ci" in page and "0,34 kg" in page
    # 50 bottles × 36 % × 0.34 kg = 6.12 → "6 kg"
    assert ">6 kg<" in page
    assert world["late"].code not in page  # another point's crate


def test_driver_home_says_what_waits(client, world):
    login(client, world["driver"])
    page = client.get("/").get_data(as_text=True)
    assert "3 caisses pleines</strong> à enlever dans 2 points (105 bouteilles)" in page
    assert "1 en retard" in page and "Voir la tournée" in page
