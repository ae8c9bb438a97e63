"""Catalogue pages through HTTP: lists, search, paging, create, edit, (de)activate, refusals."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from bottles.models import BottleModel, CollectionPoint, Reason, Washer, Winemaker
from tests.factories import login, post_form

GOOD = {
    "models": {"code": "CLAV62", "name": "Clavelin 62 cl", "volume_ml": "620", "colour": "feuille morte",
               "glass_mass_g": "600", "in_pool": "y"},
    "reasons": {"code": "ETIQ", "kind": "refusal", "label_fr": "Étiquette permanente",
                "label_en": "Permanent label"},
    "points": {"code": "CAVE-LONS", "name": "Cave du Vieux Lons", "kind": "shop", "territory": "ECLA",
               "address": "12 rue du Commerce", "latitude": "46,6742", "longitude": "5.5547",
               "contact": "Mme Martin", "phone": "03 84 00 00 00", "active_from": "2026-01-05",
               "active_until": "2026-12-31"},
    "washers": {"code": "LAV-LONS", "name": "Centre de lavage de Lons", "pallet_size": "1200"},
    "winemakers": {"code": "DOM-ROLET", "estate": "Domaine Rolet", "commune": "Arbois",
                   "email": "contact@rolet.example"},
}
TABLES = {"models": BottleModel, "reasons": Reason, "points": CollectionPoint, "washers": Washer,
          "winemakers": Winemaker}
NAME = {"models": "name", "reasons": "label_fr", "points": "name", "washers": "name",
        "winemakers": "estate"}


@pytest.fixture
def coordinator(client, factory):
    factory.point_catalogue()
    user = factory.user("coordinator")
    factory.session.commit()
    login(client, user)
    return user


def count(session, table) -> int:
    return session.scalar(select(func.count()).select_from(table))


@pytest.mark.parametrize("slug", list(GOOD))
def test_create_edit_deactivate_each_kind(client, session, coordinator, slug):
    table = TABLES[slug]
    page = client.get(f"/catalogue/{slug}/new")
    assert page.status_code == 200
    response = post_form(client, f"/catalogue/{slug}/new", GOOD[slug])
    assert response.status_code == 302, response.get_data(as_text=True)
    row = session.scalar(select(table).where(table.code == GOOD[slug]["code"]))
    assert row is not None and row.active
    listing = client.get(f"/catalogue/{slug}/?q={GOOD[slug]['code'].lower()}").get_data(as_text=True)
    assert GOOD[slug]["code"] in listing and "1 résultat" in listing

    edited = {**GOOD[slug], NAME[slug]: "Nom corrigé"}
    response = post_form(client, f"/catalogue/{slug}/{row.id}", edited)
    assert response.status_code == 302
    session.expire_all()
    assert getattr(session.get(table, row.id), NAME[slug]) == "Nom corrigé"

    edit_page = client.get(f"/catalogue/{slug}/{row.id}").get_data(as_text=True)
    assert "Rien n'est jamais supprimé" in edit_page
    response = post_form(client, f"/catalogue/{slug}/{row.id}/active", {"active": "0"},
                         page_url=f"/catalogue/{slug}/{row.id}")
    assert response.status_code == 302
    session.expire_all()
    assert session.get(table, row.id).active is False
    assert "désactivé" in client.get(f"/catalogue/{slug}/?active=0").get_data(as_text=True)
    assert GOOD[slug]["code"] not in client.get(f"/catalogue/{slug}/?active=1").get_data(as_text=True)
    post_form(client, f"/catalogue/{slug}/{row.id}/active", {"active": "1"},
              page_url=f"/catalogue/{slug}/{row.id}")
    session.expire_all()
    assert session.get(table, row.id).active is True


def test_point_values_are_stored_as_typed(client, session, coordinator):
    post_form(client, "/catalogue/points/new", GOOD["points"])
    point = session.scalar(select(CollectionPoint))
    assert str(point.latitude) == "46.674200" and point.territory == "ECLA"
    assert point.active_from.isoformat() == "2026-01-05"


def test_duplicate_code_any_case_is_refused(client, session, coordinator, factory):
    factory.model(code="CLAV62")
    session.commit()
    response = post_form(client, "/catalogue/models/new", {**GOOD["models"], "code": "clav62"})
    assert response.status_code == 422
    assert "existe déjà" in response.get_data(as_text=True)
    assert count(session, BottleModel) == 1


def test_editing_keeps_its_own_code_but_not_another(client, session, coordinator, factory):
    factory.model(code="BOURG75")
    other = factory.model(code="CLAV62", name="Clavelin", volume_ml=620)
    session.commit()
    same = post_form(client, f"/catalogue/models/{other.id}", {**GOOD["models"], "code": "CLAV62"})
    assert same.status_code == 302
    clash = post_form(client, f"/catalogue/models/{other.id}", {**GOOD["models"], "code": "Bourg75"})
    assert clash.status_code == 422 and "existe déjà" in clash.get_data(as_text=True)
    session.expire_all()
    assert session.get(BottleModel, other.id).code == "CLAV62"


@pytest.mark.parametrize(("slug", "change", "message"), [
    ("models", {"code": ""}, "Champ obligatoire"),
    ("models", {"name": "x" * 121}, "120 caractères au plus"),
    ("models", {"volume_ml": "-750"}, "entre 1 et 10000"),
    ("models", {"volume_ml": "99999999999999999999"}, "entre 1 et 10000"),
    ("models", {"glass_mass_g": "lourd"}, "Nombre entier attendu"),
    ("models", {"code": "avec espace"}, "sans espace"),
    ("points", {"latitude": "91"}, "Latitude entre -90 et 90"),
    ("points", {"longitude": "-181"}, "Longitude entre -180 et 180"),
    ("points", {"latitude": "nord"}, "Nombre décimal attendu"),
    ("points", {"active_from": "2026-06-01", "active_until": "2026-01-01"}, "doit suivre"),
    ("points", {"active_from": "01/06/2026"}, "AAAA-MM-JJ"),
    ("points", {"address": "a" * 256}, "255 caractères au plus"),
    ("points", {"kind": "casino"}, "Not a valid choice"),
    ("reasons", {"label_fr": ""}, "Champ obligatoire"),
    ("washers", {"pallet_size": "0"}, "entre 1 et 100000"),
    ("winemakers", {"email": "pas-un-courriel"}, "Courriel invalide"),
    ("winemakers", {"code": "C" * 33}, "32 caractères au plus"),
])
def test_bad_input_is_refused_and_changes_nothing(client, session, coordinator, slug, change, message):
    response = post_form(client, f"/catalogue/{slug}/new", {**GOOD[slug], **change})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Rien n'a été enregistré" in body
    if message != "Not a valid choice":
        assert message in body
    assert count(session, TABLES[slug]) == 0


def test_missing_csrf_is_refused_and_changes_nothing(client, session, coordinator, factory):
    model = factory.model()
    session.commit()
    response = client.post("/catalogue/models/new", data=GOOD["models"])
    assert response.status_code == 400 and "jeton de sécurité" in response.get_data(as_text=True)
    response = client.post(f"/catalogue/models/{model.id}/active", data={"active": "0"})
    assert response.status_code == 400
    session.expire_all()
    assert count(session, BottleModel) == 1 and session.get(BottleModel, model.id).active


def test_toggle_needs_a_clear_value(client, session, coordinator, factory):
    model = factory.model()
    session.commit()
    response = post_form(client, f"/catalogue/models/{model.id}/active", {"active": "peut-être"},
                         page_url=f"/catalogue/models/{model.id}")
    assert response.status_code == 400
    session.expire_all()
    assert session.get(BottleModel, model.id).active


def test_search_filters_and_paging(client, session, coordinator, factory):
    for n in range(30):
        factory.point(code=f"PT{n:02d}", name=f"Épicerie {n}",
                      territory="Pays des Lacs" if n % 3 == 0 else "ECLA")
    session.commit()
    first = client.get("/catalogue/points/").get_data(as_text=True)
    assert "30 résultat" in first and "Page 1 / 2" in first and "PT00" in first and "PT29" not in first
    second = client.get("/catalogue/points/?page=2").get_data(as_text=True)
    assert "PT29" in second and "PT00" not in second
    lakes = client.get("/catalogue/points/?territory=Pays+des+Lacs").get_data(as_text=True)
    assert "10 résultat" in lakes and "PT03" in lakes and "PT01" not in lakes
    found = client.get("/catalogue/points/?q=picerie 7").get_data(as_text=True)
    assert "1 résultat" in found and "PT07" in found
    assert "0 résultat" in client.get("/catalogue/points/?q=100%25").get_data(as_text=True)
    assert client.get("/catalogue/points/?page=-3").status_code == 200
    assert client.get("/catalogue/points/?page=999").status_code == 200
    assert client.get("/catalogue/points/?territory=Mars").status_code == 200


def test_index_and_unknown_kind(client, coordinator, factory):
    page = client.get("/catalogue/")
    assert page.status_code == 200 and "Points de collecte" in page.get_data(as_text=True)
    assert client.get("/catalogue/dragons/").status_code == 404
    assert client.get("/catalogue/models/424242").status_code == 404


@pytest.mark.parametrize("role", ["point", "driver", "washer"])
def test_catalogue_is_for_coordinators_only(client, session, factory, role):
    model = factory.model()
    user = factory.user(role)
    session.commit()
    login(client, user)
    for url in ("/catalogue/", "/catalogue/models/", "/catalogue/models/new",
                f"/catalogue/models/{model.id}", "/catalogue/crates/", "/catalogue/crates/new",
                "/catalogue/import/models", "/catalogue/import/models/example.csv"):
        assert client.get(url).status_code == 403, url
    token_page = client.get("/").get_data(as_text=True)
    from tests.factories import csrf_from

    response = client.post("/catalogue/models/new", data={**GOOD["models"],
                                                          "csrf_token": csrf_from(token_page)})
    assert response.status_code == 403
    assert count(session, BottleModel) == 1
    assert "Catalogue" not in client.get("/").get_data(as_text=True)


def test_catalogue_needs_sign_in(client):
    response = client.get("/catalogue/models/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_admin_reaches_catalogue_and_sees_links(client, factory, session):
    admin = factory.user("admin")
    session.commit()
    login(client, admin)
    home = client.get("/").get_data(as_text=True)
    assert "/catalogue/" in home and "/people/" in home
    assert client.get("/catalogue/reasons/").status_code == 200


def test_a_code_taken_at_the_same_moment_gives_409(client, session, coordinator, monkeypatch):
    """The form check passed, then someone else saved the same code: the database refuses it."""
    from bottles.catalogue import forms

    monkeypatch.setattr(forms.CatalogueForm, "validate_code", lambda self, field: None)
    assert post_form(client, "/catalogue/winemakers/new", GOOD["winemakers"]).status_code == 302
    response = post_form(client, "/catalogue/winemakers/new", GOOD["winemakers"])
    assert response.status_code == 409 and "rien n&#39;a été enregistré" in response.get_data(as_text=True)
    assert count(session, Winemaker) == 1


def test_a_deactivated_kind_and_territory_stay_on_the_points_that_have_them(
        client, session, coordinator, factory):
    point = factory.point(code="OLD1", territory="Hors Jura")
    point.kind = factory.point_kind("wine_bar", "bar à vins")
    point.point_kind.active = False
    point.territory_row.active = False
    session.commit()
    page = client.get(f"/catalogue/points/{point.id}").get_data(as_text=True)
    for value in ("wine_bar", "Hors Jura"):
        assert re.search(f'<option[^>]*selected[^>]*value="{value}"|<option[^>]*value="{value}"[^>]*selected',
                         page), value
    response = post_form(client, f"/catalogue/points/{point.id}", {
        "code": "OLD1", "name": "Bar à vins", "kind": "wine_bar", "territory": "Hors Jura"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(CollectionPoint, point.id).name == "Bar à vins"
    new_point = client.get("/catalogue/points/new").get_data(as_text=True)
    assert "Hors Jura" not in new_point and "wine_bar" not in new_point
