"""The crate page does the job: placed, full, picked up — and clear refusals that record nothing."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import func, select

from bottles.models import Crate, Event, Round
from bottles.queries import stock
from bottles.rules import Kind, Stage
from tests.factories import login, post_form


def events(session) -> int:
    return session.scalar(select(func.count(Event.seq)))


def form_ids(html: str) -> list[str]:
    return re.findall(r'name="event_id" value="([0-9a-f-]{36})"', html)


@pytest.fixture
def world(factory):
    washer = factory.washer()
    point, other = factory.point(name="Cave du Jura"), factory.point(name="Fromagerie de Poligny")
    staff = factory.user("point", points=[point])
    driver = factory.user("driver")
    crate = factory.crate(washer=washer, capacity=60)
    factory.session.commit()
    return {"washer": washer, "point": point, "other": other, "staff": staff, "driver": driver,
            "crate": crate, "f": factory}


def test_staff_places_then_declares_full_and_a_resubmit_records_once(client, session, world):
    crate, staff, point = world["crate"], world["staff"], world["point"]
    login(client, staff)
    page = client.get(f"/c/{crate.code}").get_data(as_text=True)
    assert "Placée ici — Cave du Jura" in page
    event_id = form_ids(page)[0]
    before = events(session)
    data = {"event_id": event_id, "point_id": point.id}
    first = post_form(client, f"/c/{crate.code}/placee", data, page_url=f"/c/{crate.code}")
    again = post_form(client, f"/c/{crate.code}/placee", data, page_url=f"/c/{crate.code}")
    assert first.status_code == again.status_code == 302
    assert events(session) == before + 1
    page = client.get(f"/c/{crate.code}").get_data(as_text=True)
    assert 'value="60"' in page and "Pleine — demander l" in page
    full_id = form_ids(page)[0]
    for _ in range(2):  # double tap
        response = post_form(client, f"/c/{crate.code}/pleine", {"event_id": full_id, "count": "48",
                                                                  "note": "bien rangée"},
                             page_url=f"/c/{crate.code}")
        assert response.status_code == 302
    assert events(session) == before + 2
    assert stock(session, Stage.AT_POINT, point.id) == 48
    page = client.get(f"/c/{crate.code}").get_data(as_text=True)
    assert "enlèvement est demandé" in page and "48 bouteilles" in page


def test_full_with_split_by_model(client, session, world):
    f, crate, staff, point = world["f"], world["crate"], world["staff"], world["point"]
    model = f.model()
    f.event(Kind.CRATE_PLACED, crate=crate, point=point.id, actor=staff)
    session.commit()
    login(client, staff)
    response = post_form(client, f"/c/{crate.code}/pleine", {
        "event_id": str(uuid.uuid4()), "count": "50", f"model_{model.id}": "30"}, page_url=f"/c/{crate.code}")
    assert response.status_code == 302
    event = session.scalar(select(Event).where(Event.kind == "crate_full"))
    assert {m.bottle_model_id: m.quantity for m in event.movements} == {model.id: 30, None: 20}


@pytest.mark.parametrize("count, message", [
    ("-1", "au moins 1"), ("0", "au moins 1"), ("181", "trois fois la capacité"),
    ("12.5", "nombre entier"), ("douze", "nombre entier"), ("", "obligatoire"),
    ("99999999999999999999", "nombre entier"),
])
def test_bad_counts_are_refused_and_nothing_recorded(client, session, world, count, message):
    f, crate, staff, point = world["f"], world["crate"], world["staff"], world["point"]
    f.event(Kind.CRATE_PLACED, crate=crate, point=point.id, actor=staff)
    session.commit()
    login(client, staff)
    before = events(session)
    response = post_form(client, f"/c/{crate.code}/pleine", {"event_id": str(uuid.uuid4()), "count": count},
                         page_url=f"/c/{crate.code}")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert events(session) == before


def test_missing_csrf_and_missing_event_id_record_nothing(client, session, world):
    f, crate, staff, point = world["f"], world["crate"], world["staff"], world["point"]
    f.event(Kind.CRATE_PLACED, crate=crate, point=point.id, actor=staff)
    session.commit()
    login(client, staff)
    before = events(session)
    response = client.post(f"/c/{crate.code}/pleine", data={"event_id": str(uuid.uuid4()), "count": "10"})
    assert response.status_code == 400 and "jeton de sécurité" in response.get_data(as_text=True)
    response = post_form(client, f"/c/{crate.code}/pleine", {"count": "10"}, page_url=f"/c/{crate.code}")
    assert response.status_code == 400 and "identifiant" in response.get_data(as_text=True)
    assert events(session) == before


def test_staff_of_another_point_gets_an_explanation_not_an_action(client, session, world):
    f, crate, point = world["f"], world["crate"], world["point"]
    other_staff = f.user("point", points=[world["other"]])
    f.event(Kind.CRATE_PLACED, crate=crate, point=point.id, actor=world["staff"])
    session.commit()
    login(client, other_staff)
    page = client.get(f"/c/{crate.code}").get_data(as_text=True)
    assert "pas à votre point" in page and "Cave du Jura" in page and "Mme Martin" in page
    assert "Pleine — demander" not in page
    before = events(session)
    response = post_form(client, f"/c/{crate.code}/pleine", {"event_id": str(uuid.uuid4()), "count": "10"},
                         page_url=f"/c/{crate.code}")
    assert response.status_code == 403 and "pas à votre point" in response.get_data(as_text=True)
    assert events(session) == before


def test_driver_picks_up_and_a_second_pickup_explains_where_it_is(client, session, world):
    f, point, driver = world["f"], world["point"], world["driver"]
    crate = f.full_crate_at(point, count=40, washer=world["washer"], actor=world["staff"])
    session.commit()
    login(client, driver)
    page = client.get(f"/c/{crate.code}").get_data(as_text=True)
    assert "Enlevée" in page and "40 bouteilles" in page
    event_id = form_ids(page)[0]
    response = post_form(client, f"/c/{crate.code}/enlevee", {"event_id": event_id, "counted": "38"},
                         page_url=f"/c/{crate.code}")
    assert response.status_code == 302
    pickup = session.scalar(select(Event).where(Event.kind == "pickup"))
    assert pickup.movements[0].quantity == 40 and "Compté à l'enlèvement : 38" in pickup.note
    assert pickup.round_id == session.scalar(select(Round.id))
    assert stock(session, Stage.IN_TRANSIT, point.id) == 40 and stock(session, Stage.AT_POINT, point.id) == 0
    page = client.get(f"/c/{crate.code}").get_data(as_text=True)
    assert "déjà enlevée" in page and "remettez-la au centre de lavage" in page
    response = post_form(client, f"/c/{crate.code}/enlevee", {"event_id": str(uuid.uuid4())},
                         page_url=f"/c/{crate.code}")
    assert response.status_code == 422
    assert "déjà été enlevée" in response.get_data(as_text=True) and "depuis le" in response.get_data(
        as_text=True)


def test_driver_places_empty_crate_at_a_point_only_from_the_pool(client, session, world):
    crate, driver, other = world["crate"], world["driver"], world["other"]
    login(client, driver)
    page = client.get(f"/c/{crate.code}").get_data(as_text=True)
    assert "Déposée vide au point" in page and "Fromagerie de Poligny" in page
    response = post_form(client, f"/c/{crate.code}/placee", {"event_id": str(uuid.uuid4()),
                                                             "point_id": other.id},
                         page_url=f"/c/{crate.code}")
    assert response.status_code == 302
    assert session.get(Crate, crate.id).collection_point_id == other.id
    before = events(session)
    response = post_form(client, f"/c/{crate.code}/placee", {"event_id": str(uuid.uuid4()),
                                                             "point_id": other.id},
                         page_url=f"/c/{crate.code}")
    assert response.status_code == 422 and "caisse vide du parc" in response.get_data(as_text=True)
    assert events(session) == before


@pytest.mark.parametrize("kind, label", [(Kind.CRATE_RETIRED, "retirée du parc"),
                                         (Kind.CRATE_LOST, "perdue")])
def test_retired_and_lost_crates_are_explained(client, session, world, kind, label):
    f, crate = world["f"], world["crate"]
    f.event(kind, crate=crate, actor=world["driver"])
    session.commit()
    login(client, world["driver"])
    page = client.get(f"/c/{crate.code}").get_data(as_text=True)
    assert "ne peut plus servir" in page and label in page
    before = events(session)
    response = post_form(client, f"/c/{crate.code}/placee", {"event_id": str(uuid.uuid4()),
                                                             "point_id": world["point"].id},
                         page_url=f"/c/{crate.code}")
    assert response.status_code == 422 and "ne peut plus servir" in response.get_data(as_text=True)
    assert events(session) == before


def test_unknown_code_and_wrong_check_character(client, world):
    login(client, world["driver"])
    code = world["crate"].code
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    assert client.get(f"/c/{wrong}").status_code == 404
    response = client.post(f"/c/{wrong}/enlevee", data={})
    assert response.status_code in (400, 404)
    assert "contrôle" in post_form(client, f"/c/{wrong}/enlevee", {"event_id": str(uuid.uuid4())},
                                   page_url="/").get_data(as_text=True)
    assert post_form(client, "/c/CJ-99999-0/enlevee", {"event_id": str(uuid.uuid4())},
                     page_url="/").status_code == 404


def test_point_staff_cannot_pick_up(client, session, world):
    crate = world["f"].full_crate_at(world["point"], washer=world["washer"], actor=world["staff"])
    session.commit()
    login(client, world["staff"])
    response = post_form(client, f"/c/{crate.code}/enlevee", {"event_id": str(uuid.uuid4())}, page_url="/")
    assert response.status_code == 403
