"""Catalogue and people pages: plurals without "(s)", errors beside the field, typed text kept."""

from __future__ import annotations

import re

import pytest

from tests.factories import csrf_from, login, post_form


@pytest.fixture
def admin(client, factory):
    factory.point_catalogue()
    user = factory.user("admin", username="chef")
    factory.session.commit()
    login(client, user)
    return user


def test_counts_are_plural_words_not_brackets(client, session, admin, factory):
    factory.washer()
    factory.crate()
    factory.winemaker(code="V1")
    session.commit()
    for url, expected in (("/catalogue/winemakers/", "1 résultat"), ("/catalogue/crates/", "1 caisse"),
                          ("/people/", "1 compte")):
        body = client.get(url).get_data(as_text=True)
        assert expected in body and "(s)" not in body, url
    factory.winemaker(code="V2")
    factory.crate()
    factory.user("driver")
    session.commit()
    for url, expected in (("/catalogue/winemakers/", "2 résultats"), ("/catalogue/crates/", "2 caisses"),
                          ("/people/", "2 comptes")):
        assert expected in client.get(url).get_data(as_text=True), url
    index = client.get("/catalogue/").get_data(as_text=True)
    assert "2 entrées" in index and "2 caisses dans le parc" in index and "(s)" not in index


def test_a_crate_batch_says_how_many_in_words(client, session, admin):
    page = client.get("/catalogue/crates/new").get_data(as_text=True)
    event_id = page.split('name="event_id" type="hidden" value="')[1].split('"')[0]
    client.post("/catalogue/crates/new", data={"csrf_token": csrf_from(page), "event_id": event_id,
                                               "count": "3", "capacity": "60", "washer_id": "0"})
    body = client.get("/catalogue/crates/").get_data(as_text=True)
    assert "3 caisses enregistrées" in body and "(s)" not in body


def test_a_refused_point_keeps_what_was_typed_and_says_why_beside_the_field(client, session, admin):
    response = post_form(client, "/catalogue/points/new", {
        "code": "CAVE-LONS", "name": "Cave du Vieux Lons", "kind": "caviste", "territory": "Lune",
        "address": "12 rue du Commerce", "latitude": "95", "phone": "03 84 00 00 00"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    for typed in ('value="Cave du Vieux Lons"', 'value="12 rue du Commerce"', 'value="95"',
                  'value="03 84 00 00 00"'):
        assert typed in body, typed
    latitude = body.split('for="latitude"')[1].split("</div>")[0]
    assert "Latitude entre -90 et 90" in latitude
    territory = body.split('for="territory"')[1].split("</div>")[0]
    assert "Lune" in territory and "Pays des Lacs" in territory
    assert re.search(r'<option[^>]*selected[^>]*value="shop"|<option[^>]*value="shop"[^>]*selected', body)


def test_refusing_to_deactivate_yourself_is_said_on_the_account_page(client, session, admin):
    page = client.get(f"/people/{admin.id}").get_data(as_text=True)
    response = client.post(f"/people/{admin.id}/active", data={"csrf_token": csrf_from(page),
                                                               "active": "0"})
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    access = body.split("<h2>Accès</h2>")[1]
    assert "propre compte" in access and 'value="chef"' in body  # the account form, not a bare page


def test_refusing_to_drop_your_own_admin_role_is_said_beside_the_role(client, session, admin):
    response = post_form(client, f"/people/{admin.id}", {
        "username": "chef", "display_name": "Nouveau nom", "role": "coordinator", "language": "fr"})
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    role_field = body.split('for="role"')[1].split("</div>")[0]
    assert "propre rôle" in role_field and 'value="Nouveau nom"' in body
