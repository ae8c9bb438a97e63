"""Crates (batch registration through the ledger) and CSV import, through HTTP and the CLI."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from bottles import codes
from bottles.models import BottleModel, CollectionPoint, Crate, Event, Reason, Washer, Winemaker
from tests.factories import csrf_from, login

TABLES = {"models": BottleModel, "reasons": Reason, "points": CollectionPoint, "washers": Washer,
          "winemakers": Winemaker, "crates": Crate}


@pytest.fixture
def coordinator(client, factory):
    factory.point_catalogue()
    user = factory.user("coordinator")
    factory.session.commit()
    login(client, user)
    return user


def count(session, table) -> int:
    return session.scalar(select(func.count()).select_from(table))


def batch(client, **data):
    page = client.get("/catalogue/crates/new").get_data(as_text=True)
    event_id = page.split('name="event_id" type="hidden" value="')[1].split('"')[0]
    form = {"csrf_token": csrf_from(page), "event_id": event_id, "count": "3", "capacity": "60",
            "washer_id": "0", **data}
    return client.post("/catalogue/crates/new", data=form), form


def test_batch_registers_next_numbers_through_the_ledger(client, session, coordinator, factory):
    washer = factory.washer()
    factory.crate(number=7)
    session.commit()
    page = client.get("/catalogue/crates/new").get_data(as_text=True)
    assert codes.make_code(8) in page
    response, form = batch(client, washer_id=str(washer.id), capacity="48")
    assert response.status_code == 302
    made = session.scalars(select(Crate).where(Crate.code != codes.make_code(7)).order_by(Crate.code)).all()
    assert [c.code for c in made] == [codes.make_code(n) for n in (8, 9, 10)]
    assert all(c.capacity == 48 and c.state == "in_pool" and c.washer_id == washer.id for c in made)
    events = session.scalars(select(Event).where(Event.crate_id.in_([c.id for c in made]))).all()
    assert len(events) == 3 and {e.kind for e in events} == {"crate_registered"}
    assert {e.actor_id for e in events} == {coordinator.id}
    # The same form sent again registers nothing more.
    again = client.post("/catalogue/crates/new", data=form)
    assert again.status_code == 302 and count(session, Crate) == 4
    listing = client.get("/catalogue/crates/").get_data(as_text=True)
    assert "4 caisse" in listing and codes.make_code(10) in listing


@pytest.mark.parametrize(("field", "value"), [("count", "0"), ("count", "501"), ("capacity", "0"),
                                              ("capacity", "501"), ("capacity", "-5"),
                                              ("count", "beaucoup"), ("washer_id", "999")])
def test_batch_refuses_bad_numbers(client, session, coordinator, field, value):
    response, _form = batch(client, **{field: value})
    assert response.status_code == 422
    assert count(session, Crate) == 0 and count(session, Event) == 0


def test_batch_without_csrf_changes_nothing(client, session, coordinator):
    response = client.post("/catalogue/crates/new", data={"count": "2", "capacity": "60",
                                                          "washer_id": "0"})
    assert response.status_code == 400 and count(session, Crate) == 0


def test_crate_list_filters_and_capacity_edit(client, session, coordinator, factory):
    washer, point = factory.washer(), factory.point()
    factory.crate(number=1, washer=washer)
    full = factory.full_crate_at(point, washer=washer)
    session.commit()
    at_point = client.get(f"/catalogue/crates/?site=p{point.id}").get_data(as_text=True)
    assert full.code in at_point and codes.make_code(1) not in at_point
    in_pool = client.get("/catalogue/crates/?state=in_pool").get_data(as_text=True)
    assert codes.make_code(1) in in_pool and full.code not in in_pool
    by_code = client.get("/catalogue/crates/?q=cj00001").get_data(as_text=True)
    assert "1 caisse" in by_code
    assert client.get("/catalogue/crates/?state=volee&site=zz").status_code == 200
    crate = session.scalar(select(Crate).where(Crate.code == codes.make_code(1)))
    page = client.get(f"/catalogue/crates/{crate.id}").get_data(as_text=True)
    bad = client.post(f"/catalogue/crates/{crate.id}", data={"csrf_token": csrf_from(page),
                                                             "capacity": "9999"})
    assert bad.status_code == 422 and "entre 1 et 500" in bad.get_data(as_text=True)
    good = client.post(f"/catalogue/crates/{crate.id}", data={"csrf_token": csrf_from(page),
                                                              "capacity": "40"})
    assert good.status_code == 302
    session.expire_all()
    assert session.get(Crate, crate.id).capacity == 40


def upload(client, slug: str, text: str, encoding: str = "utf-8"):
    """Send a file, then confirm its preview (a refused file answers at the first step)."""
    page = client.get(f"/catalogue/import/{slug}").get_data(as_text=True)
    preview = client.post(f"/catalogue/import/{slug}", data={
        "csrf_token": csrf_from(page), "file": (io.BytesIO(text.encode(encoding)), "fichier.csv")},
        content_type="multipart/form-data")
    if preview.status_code != 200:
        return preview
    html = preview.get_data(as_text=True)
    form = html.split(f'action="/catalogue/import/{slug}/confirm"', 1)[1].split("</form>")[0]
    return client.post(f"/catalogue/import/{slug}/confirm",
                       data=dict(re.findall(r'name="([a-z_]+)"[^>]*value="([^"]*)"', form)))


@pytest.mark.parametrize("slug", list(TABLES))
def test_example_file_imports_and_twice_changes_nothing(client, session, coordinator, factory, slug):
    page = client.get(f"/catalogue/import/{slug}").get_data(as_text=True)
    assert "Colonnes attendues" in page and "<code class=\"required\">code</code>" in page
    example = client.get(f"/catalogue/import/{slug}/example.csv")
    assert example.status_code == 200 and example.mimetype == "text/csv"
    if slug == "crates":
        factory.washer(code="LAV-LONS")
        session.commit()
    text = example.get_data(as_text=True)
    rows = len(text.strip().splitlines()) - 1
    response = upload(client, slug, text)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert count(session, TABLES[slug]) == rows
    events = count(session, Event)
    again = upload(client, slug, text)
    assert again.status_code == 302
    assert count(session, TABLES[slug]) == rows and count(session, Event) == events
    home = client.get("/").get_data(as_text=True)
    assert "Import terminé" in home and "0 mis à jour" in home and "(s)" not in home


def test_import_updates_existing_codes_any_case(client, session, coordinator, factory):
    factory.model(code="BOURG75", name="Ancien nom")
    session.commit()
    response = upload(client, "models", "code;name;volume_ml;glass_mass_g\n"
                                        "bourg75;Bourguignonne 75 cl;750;550\nCLAV62;Clavelin;620;600\n")
    assert response.status_code == 302
    session.expire_all()
    names = dict(session.execute(select(BottleModel.code, BottleModel.name)).all())
    assert names == {"BOURG75": "Bourguignonne 75 cl", "CLAV62": "Clavelin"}
    # in_pool absent from the file: a new model enters the pool.
    assert session.scalar(select(BottleModel.in_pool).where(BottleModel.code == "CLAV62")) is True


def test_bad_file_imports_nothing_and_lists_each_row(client, session, coordinator):
    text = ("code,name,kind,territory,latitude,longitude,active_from,active_until\n"
            "P1,Cave,shop,ECLA,46.67,5.55,2026-01-01,\n"
            "P2,,shop,ECLA,,,,\n"
            "P3,Bar,casino,ECLA,95,5.55,,\n"
            "p1,Doublon,shop,ECLA,,,,\n"
            "P5,Cave,shop,Lune,,,2026-05-01,2026-01-01\n")
    response = upload(client, "points", text)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "a été importé" in body
    for expected in ("Ligne 3", "Ligne 4", "Latitude entre -90 et 90", "Ligne 5", "figure déjà ligne 2",
                     "Ligne 6", "doit suivre"):
        assert expected in body, expected
    assert "Ligne 2 " not in body
    assert count(session, CollectionPoint) == 0


@pytest.mark.parametrize(("slug", "text", "message"), [
    ("models", "", "vide"),
    ("models", "name,volume_ml\nX,750\n", "Colonnes obligatoires manquantes : code"),
    ("models", "code,name,volume_ml,glass_mass_g,prix\nA,B,750,500,3\n", "Colonnes inconnues : prix"),
    ("models", "code,name,volume_ml,glass_mass_g\n", "Aucune ligne"),
    ("models", "code,name,volume_ml,glass_mass_g\nA,B,-750,500\n", "entre 1 et 10000"),
    ("models", "code,name,volume_ml,glass_mass_g\nA,B,750,500,trop\n", "plus de valeurs"),
    ("models", "code,name,volume_ml,glass_mass_g,in_pool\nA,B,750,500,peut-être\n", ""),
    ("reasons", "code,kind,label_fr\nR1,refusal," + "x" * 121 + "\n", "120 caractères au plus"),
    ("crates", "code,capacity\nCJ-00001-Z,60\n", "caractère de contrôle"),
    ("crates", f"code,capacity\n{codes.make_code(1)},900\n", "entre 1 et 500"),
    ("crates", f"code,washer\n{codes.make_code(1)},NULLEPART\n", "inconnu"),
    ("crates", f"code\n{codes.make_code(1)}\n{codes.make_code(1).lower()}\n", "figure déjà"),
])
def test_bad_files_are_refused(client, session, coordinator, slug, text, message):
    response = upload(client, slug, text)
    if message == "":  # a yes/no column with another word reads as yes: that is accepted
        assert response.status_code == 302
        return
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(session, TABLES[slug]) == 0 and count(session, Event) == 0


def test_windows_semicolon_file_is_read(client, session, coordinator):
    text = "code;estate;commune\nDOM1;Domaine de la Pinte;Arbois\nDOM2;Château-Chalon;Ménétru\n"
    response = upload(client, "winemakers", text, encoding="cp1252")
    assert response.status_code == 302
    assert session.scalar(select(Winemaker.commune).where(Winemaker.code == "DOM2")) == "Ménétru"


def test_import_without_file_or_csrf(client, session, coordinator):
    page = client.get("/catalogue/import/models").get_data(as_text=True)
    response = client.post("/catalogue/import/models", data={"csrf_token": csrf_from(page)},
                           content_type="multipart/form-data")
    assert response.status_code == 422 and "Choisissez un fichier" in response.get_data(as_text=True)
    response = client.post("/catalogue/import/models", data={
        "file": (io.BytesIO(b"code,name,volume_ml,glass_mass_g\nA,B,750,500\n"), "f.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 400 and count(session, BottleModel) == 0
    assert client.get("/catalogue/import/dragons").status_code == 404


def test_cli_import_catalogue(app, session, tmp_path, factory):
    runner = app.test_cli_runner()
    good = tmp_path / "vignerons.csv"
    good.write_text("code,estate,commune\nV1,Domaine A,Arbois\nV2,Domaine B,Poligny\n", encoding="utf-8")
    result = runner.invoke(args=["bottles", "import-catalogue", "winemakers", str(good)])
    assert result.exit_code == 0, result.output
    assert "2 créé" in result.output
    session.expire_all()
    assert count(session, Winemaker) == 2
    result = runner.invoke(args=["bottles", "import-catalogue", "winemakers", str(good)])
    assert result.exit_code == 0 and "0 créé, 0 mis à jour, 2 inchangés" in result.output
    bad = tmp_path / "mauvais.csv"
    bad.write_text("code,estate\nV3,\n", encoding="utf-8")
    result = runner.invoke(args=["bottles", "import-catalogue", "winemakers", str(bad)])
    assert result.exit_code != 0 and "Ligne 2" in result.output
    session.expire_all()
    assert count(session, Winemaker) == 2
    result = runner.invoke(args=["bottles", "import-catalogue", "dragons", str(good)])
    assert result.exit_code != 0
    factory.washer(code="LAV-LONS")
    session.commit()
    crates = tmp_path / "caisses.csv"
    crates.write_text(f"code,capacity,washer\n{codes.make_code(5)},50,lav-lons\n", encoding="utf-8")
    result = runner.invoke(args=["bottles", "import-catalogue", "crates", str(crates)])
    assert result.exit_code == 0, result.output
    session.expire_all()
    crate = session.scalar(select(Crate))
    assert crate.state == "in_pool" and crate.capacity == 50 and count(session, Event) == 1


def retire_form(client, crate_id: int) -> dict:
    page = client.get(f"/catalogue/crates/{crate_id}").get_data(as_text=True)
    tail = page.split(f'action="/catalogue/crates/{crate_id}/retire"')[1]
    event_id = tail.split('name="event_id" type="hidden" value="')[1].split('"')[0]
    return {"csrf_token": csrf_from(page), "event_id": event_id}


def test_retire_an_empty_crate_once(client, session, coordinator, factory):
    crate = factory.crate(washer=factory.washer())
    session.commit()
    form = retire_form(client, crate.id)
    missing = client.post(f"/catalogue/crates/{crate.id}/retire", data={**form, "note": ""})
    assert missing.status_code == 422 and count(session, Event) == 1
    response = client.post(f"/catalogue/crates/{crate.id}/retire", data={**form, "note": "fond cassé"})
    assert response.status_code == 302
    again = client.post(f"/catalogue/crates/{crate.id}/retire", data={**form, "note": "fond cassé"})
    assert again.status_code == 302
    session.expire_all()
    assert session.get(Crate, crate.id).state == "retired"
    kinds = session.scalars(select(Event.kind).where(Event.crate_id == crate.id)).all()
    assert sorted(kinds) == ["crate_registered", "crate_retired"]


def test_a_full_crate_cannot_be_retired(client, session, coordinator, factory):
    crate = factory.full_crate_at(factory.point(), washer=factory.washer())
    session.commit()
    page = client.get(f"/catalogue/crates/{crate.id}").get_data(as_text=True)
    assert "Seule une caisse vide" in page
    import uuid

    response = client.post(f"/catalogue/crates/{crate.id}/retire", data={
        "csrf_token": csrf_from(page), "event_id": str(uuid.uuid4()), "note": "usée"})
    assert response.status_code == 409 and "Impossible" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Crate, crate.id).state == "full" and count(session, Event) == 3
