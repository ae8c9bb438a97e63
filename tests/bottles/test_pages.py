from datetime import timedelta

from bottles.rules import Kind
from tests.factories import T0, login, post_form


def test_login_page_is_french_and_home_needs_login(client):
    assert client.get("/").status_code == 302
    page = client.get("/login")
    assert page.status_code == 200 and "Mot de passe" in page.get_data(as_text=True)


def test_login_with_wrong_password_is_refused(client, factory):
    user = factory.user("coordinator")
    factory.session.commit()
    response = login(client, user, password="mauvais")
    assert response.status_code == 401
    assert "incorrect" in response.get_data(as_text=True)


def test_login_without_csrf_is_refused(client, factory):
    user = factory.user("coordinator")
    factory.session.commit()
    response = client.post("/login", data={"username": user.username, "password": "x"})
    assert response.status_code == 400
    assert "jeton de sécurité" in response.get_data(as_text=True)


def test_each_role_lands_on_its_home(client, factory):
    for role in ("point", "driver", "washer", "coordinator", "admin"):
        user = factory.user(role)
        factory.session.commit()
        assert login(client, user).status_code == 302
        page = client.get("/")
        assert page.status_code == 200
        assert "Bonjour" in page.get_data(as_text=True)
        post_form(client, "/logout", {}, page_url="/")


def test_next_after_login_is_local_only(client, factory):
    user = factory.user("driver")
    factory.session.commit()
    page = client.get("/login?next=https://evil.example/")
    token = page.get_data(as_text=True).split('name="csrf_token" type="hidden" value="')[1][:91]
    response = client.post("/login?next=https://evil.example/", data={
        "username": user.username, "password": "motdepasse-solide", "csrf_token": token})
    assert response.headers["Location"] == "/"


def test_crate_page_shows_state_and_history(client, factory):
    washer, point = factory.washer(), factory.point()
    staff = factory.user("point", points=[point])
    crate = factory.full_crate_at(point, count=42, washer=washer, actor=staff)
    factory.session.commit()
    response = client.get(f"/c/{crate.code}")
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]
    login(client, staff)
    page = client.get(f"/c/{crate.code}").get_data(as_text=True)
    assert crate.code in page and "pleine, enlèvement demandé" in page
    assert "42 bouteilles déposées dans la caisse" in page and "Posée à" in page


def test_crate_page_normalises_typed_codes_and_refuses_bad_ones(client, factory):
    washer = factory.washer()
    user = factory.user("driver")
    crate = factory.crate(washer=washer, at=T0 - timedelta(days=1))
    factory.session.commit()
    login(client, user)
    response = client.get(f"/c/{crate.code.lower().replace('-', '')}")
    assert response.status_code == 302 and response.headers["Location"].endswith(crate.code)
    bad = client.get("/c/" + crate.code[:-1] + ("0" if crate.code[-1] != "0" else "1"))
    assert bad.status_code == 404 and "contrôle" in bad.get_data(as_text=True)
    unknown = client.get("/c/CJ-99999-" + __import__("bottles.codes").codes.check_character("CJ99999"))
    assert unknown.status_code == 404 and "Aucune caisse" in unknown.get_data(as_text=True)


def test_error_pages_are_french(client, factory):
    user = factory.user("point")
    factory.session.commit()
    login(client, user)
    assert "introuvable" in client.get("/nowhere").get_data(as_text=True)


def test_kinds_have_french_labels():
    from bottles.rules import KIND_LABELS

    assert set(KIND_LABELS) == set(Kind)


def test_crate_history_pages_latest_first(client, factory, monkeypatch):
    from bottles import views

    monkeypatch.setattr(views, "HISTORY_PER_PAGE", 2)
    washer, point = factory.washer(), factory.point()
    staff = factory.user("point", points=[point])
    crate = factory.full_crate_at(point, count=42, washer=washer, actor=staff)  # 3 events
    coordinator = factory.user("coordinator")  # point staff do not see the registration
    factory.session.commit()
    login(client, coordinator)
    first = client.get(f"/c/{crate.code}").get_data(as_text=True)
    assert "Déclarée pleine" in first and "Mise en service" not in first
    assert "Page 1 / 2" in first and "Plus anciens" in first
    last = client.get(f"/c/{crate.code}?page=2").get_data(as_text=True)
    assert "Mise en service" in last and "Déclarée pleine" not in last
    assert "Page 2 / 2" in client.get(f"/c/{crate.code}?page=99").get_data(as_text=True)


def test_language_switch_goes_back_to_the_page_but_never_to_another_site(client):
    back = client.get("/lang/en", headers={"Referer": "http://localhost/login?next=/c"})
    assert back.status_code == 302 and back.headers["Location"] == "/login?next=/c"
    evil = client.get("/lang/fr", headers={"Referer": "https://evil.example/phish"})
    assert evil.headers["Location"] == "/"
