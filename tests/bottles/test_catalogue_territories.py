"""Territories and point kinds are catalogue rows a coordinator manages, not code."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from bottles.models import CollectionPoint, PointKind, Territory
from tests.factories import csrf_from, login, post_form


@pytest.fixture
def coordinator(client, factory):
    factory.point_catalogue()
    user = factory.user("coordinator")
    factory.session.commit()
    login(client, user)
    return user


def test_a_coordinator_adds_a_territory_and_a_point_kind_then_uses_them(client, session, coordinator):
    assert client.get("/catalogue/territories/").status_code == 200
    response = post_form(client, "/catalogue/territories/new", {"code": "ARBOIS-POLIGNY",
                                                                 "name": "Arbois-Poligny"})
    assert response.status_code == 302, response.get_data(as_text=True)
    response = post_form(client, "/catalogue/point-kinds/new", {
        "code": "coop", "label_fr": "cave coopérative", "label_en": "cooperative cellar"})
    assert response.status_code == 302, response.get_data(as_text=True)
    form = client.get("/catalogue/points/new").get_data(as_text=True)
    assert "Arbois-Poligny" in form and "cave coopérative" in form
    response = post_form(client, "/catalogue/points/new", {
        "code": "FRUITIERE", "name": "Fruitière vinicole", "kind": "coop",
        "territory": "Arbois-Poligny"})
    assert response.status_code == 302, response.get_data(as_text=True)
    point = session.scalar(select(CollectionPoint).where(CollectionPoint.code == "FRUITIERE"))
    assert point.territory == "Arbois-Poligny" and point.kind == "coop"
    listing = client.get("/catalogue/points/?territory=Arbois-Poligny").get_data(as_text=True)
    assert "FRUITIERE" in listing and "cave coopérative" in listing


def test_a_deactivated_territory_is_no_longer_offered(client, session, coordinator, factory):
    territory = Territory(code="CHAMPAGNOLE", name="Champagnole")
    session.add(territory)
    session.commit()
    assert "Champagnole" in client.get("/catalogue/points/new").get_data(as_text=True)
    page = client.get(f"/catalogue/territories/{territory.id}").get_data(as_text=True)
    response = client.post(f"/catalogue/territories/{territory.id}/active",
                           data={"csrf_token": csrf_from(page), "active": "0"})
    assert response.status_code == 302
    assert "Champagnole" not in client.get("/catalogue/points/new").get_data(as_text=True)


def test_territories_and_point_kinds_import_from_csv(client, session, coordinator):
    for slug, text in (("territories", "code,name\nCHAMPAGNOLE,Champagnole\n"),
                       ("point-kinds", "code,label_fr\ncoop,cave coopérative\n")):
        page = client.get(f"/catalogue/import/{slug}").get_data(as_text=True)
        preview = client.post(f"/catalogue/import/{slug}", data={
            "csrf_token": csrf_from(page), "file": (io.BytesIO(text.encode()), "f.csv")},
            content_type="multipart/form-data")
        assert preview.status_code == 200, preview.get_data(as_text=True)
        html = preview.get_data(as_text=True)
        form = html.split(f'action="/catalogue/import/{slug}/confirm"', 1)[1].split("</form>")[0]
        import re
        fields = dict(re.findall(r'name="([a-z_]+)"[^>]*value="([^"]*)"', form))
        assert client.post(f"/catalogue/import/{slug}/confirm", data=fields).status_code == 302
    assert session.scalar(select(Territory.id).where(Territory.name == "Champagnole"))
    assert session.scalar(select(PointKind.label_fr).where(PointKind.code == "coop")) == \
        "cave coopérative"


def test_a_territory_name_is_unique_whatever_the_case(client, session, coordinator):
    session.add(Territory(code="CHAMPAGNOLE", name="Champagnole"))
    session.commit()
    response = post_form(client, "/catalogue/territories/new", {"code": "CHAMP2", "name": "champagnole"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "existe déjà" in body and 'value="CHAMP2"' in body
