"""Users' admin pages through HTTP: admins only, create, edit, deactivate, password, safeguards."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bottles.auth import password_matches
from bottles.models import User
from tests.factories import csrf_from, login, post_form

NEW = {"username": "marie", "display_name": "Marie Vuillet", "role": "point", "phone": "",
       "language": "fr", "password": "Vin-jaune-1774", "confirm": "Vin-jaune-1774"}


@pytest.fixture
def admin(client, factory):
    user = factory.user("admin", username="chef")
    factory.session.commit()
    login(client, user)
    return user


def sign_in_again(client, user, password=None):
    """Sign out, then in as `user` (test clients share the app context, so one client is used)."""
    post_form(client, "/logout", {}, page_url="/")
    return login(client, user, **({"password": password} if password else {}))


def users(session) -> int:
    return session.scalar(select(func.count()).select_from(User))


def test_admin_creates_a_point_account_that_can_sign_in(app, client, session, admin, factory):
    point = factory.point(code="CAVE1", name="Cave de Lons")
    session.commit()
    page = client.get("/people/new").get_data(as_text=True)
    assert "Cave de Lons (CAVE1)" in page
    response = post_form(client, "/people/new", {**NEW, "points": str(point.id)})
    assert response.status_code == 302, response.get_data(as_text=True)
    marie = session.scalar(select(User).where(User.username == "marie"))
    assert marie.role == "point" and [p.code for p in marie.collection_points] == ["CAVE1"]
    assert password_matches(marie, "Vin-jaune-1774")
    listing = client.get("/people/?q=VUILLET").get_data(as_text=True)
    assert "marie" in listing and "Cave de Lons" in listing and "1 compte" in listing
    assert sign_in_again(client, marie, "Vin-jaune-1774").status_code == 302


@pytest.mark.parametrize(("change", "message"), [
    ({"password": "court1", "confirm": "court1"}, "au moins 8 caractères"),
    ({"password": "motdepasse", "confirm": "motdepasse"}, "trop courant"),
    ({"password": "seulementdeslettres", "confirm": "seulementdeslettres"}, "chiffre ou un signe"),
    ({"password": "marie-2026!", "confirm": "marie-2026!"}, "identifiant"),
    ({"confirm": "autre-chose-42"}, "diffèrent"),
    ({"username": "chef"}, "existe déjà"),
    ({"username": "CHEF"}, "existe déjà"),
    ({"username": "x" * 65}, "64 caractères au plus"),
    ({"display_name": ""}, "Champ obligatoire"),
    ({"role": "dieu"}, "choix valide"),
    ({"role": "point"}, "au moins un point de collecte"),
    ({"role": "washer"}, "au moins un centre de lavage"),
])
def test_bad_accounts_are_refused(client, session, admin, change, message):
    response = post_form(client, "/people/new", {**NEW, **change})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert users(session) == 1


def test_edit_role_sites_and_deactivate(app, client, session, admin, factory):
    washer = factory.washer()
    user = factory.user("driver", username="paul")
    session.commit()
    page = client.get(f"/people/{user.id}")
    assert page.status_code == 200 and "Nouveau mot de passe" in page.get_data(as_text=True)
    response = post_form(client, f"/people/{user.id}", {
        "username": "paul", "display_name": "Paul Lavage", "role": "washer", "language": "en",
        "phone": "06 00 00 00 00", "washers": str(washer.id)})
    assert response.status_code == 302
    session.expire_all()
    user = session.get(User, user.id)
    assert user.role == "washer" and user.language == "en" and [w.id for w in user.washers] == [washer.id]
    response = post_form(client, f"/people/{user.id}/active", {"active": "0"}, page_url=f"/people/{user.id}")
    assert response.status_code == 302
    session.expire_all()
    assert session.get(User, user.id).active is False
    post_form(client, f"/people/{user.id}/active", {"active": "1"}, page_url=f"/people/{user.id}")
    session.expire_all()
    assert session.get(User, user.id).active is True
    post_form(client, f"/people/{user.id}/active", {"active": "0"}, page_url=f"/people/{user.id}")
    assert sign_in_again(client, user).status_code == 401


def test_reset_password(app, client, session, admin, factory):
    user = factory.user("driver", username="paul")
    session.commit()
    bad = post_form(client, f"/people/{user.id}/password", {"password": "court", "confirm": "court"},
                    page_url=f"/people/{user.id}")
    assert bad.status_code == 422 and "au moins 8 caractères" in bad.get_data(as_text=True)
    good = post_form(client, f"/people/{user.id}/password",
                     {"password": "Arbois-Pupillin-9", "confirm": "Arbois-Pupillin-9"},
                     page_url=f"/people/{user.id}")
    assert good.status_code == 302
    session.expire_all()
    assert password_matches(session.get(User, user.id), "Arbois-Pupillin-9")
    assert sign_in_again(client, user, "Arbois-Pupillin-9").status_code == 302


def test_nobody_deactivates_themselves_or_the_last_admin(client, session, admin, factory):
    response = post_form(client, f"/people/{admin.id}/active", {"active": "0"},
                         page_url=f"/people/{admin.id}")
    assert response.status_code == 409 and "propre compte" in response.get_data(as_text=True)
    response = post_form(client, f"/people/{admin.id}", {
        "username": "chef", "display_name": "Chef", "role": "coordinator", "language": "fr"})
    assert response.status_code == 409 and "propre rôle" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(User, admin.id).active and session.get(User, admin.id).role == "admin"
    # A second admin, deactivated: the first one stays the last active admin.
    other = factory.user("admin", username="adjoint")
    session.commit()
    post_form(client, f"/people/{other.id}/active", {"active": "0"}, page_url=f"/people/{other.id}")
    session.expire_all()
    assert session.get(User, other.id).active is False


def test_last_active_admin_keeps_role_when_edited_by_another(app, client, session, factory):
    boss = factory.user("admin", username="boss")
    session.commit()
    # Only way to edit the last admin is from another admin account; make one then deactivate boss.
    second = factory.user("admin", username="second")
    session.commit()
    login(client, second)
    assert post_form(client, f"/people/{boss.id}/active", {"active": "0"},
                     page_url=f"/people/{boss.id}").status_code == 302
    # Now `second` is the last active admin; boss (inactive) cannot take it away from them.
    session.expire_all()
    from bottles.people.operations import PeopleError, set_active, update_user

    with pytest.raises(PeopleError):
        set_active(session, session.get(User, boss.id), session.get(User, second.id), False)
    with pytest.raises(PeopleError):
        update_user(session, session.get(User, boss.id), session.get(User, second.id),
                    {"username": "second", "display_name": "S", "role": "driver"})
    session.rollback()


def test_missing_csrf_changes_nothing(client, session, admin, factory):
    user = factory.user("driver", username="paul")
    session.commit()
    assert client.post("/people/new", data=NEW).status_code == 400
    assert client.post(f"/people/{user.id}/active", data={"active": "0"}).status_code == 400
    assert client.post(f"/people/{user.id}/password", data={"password": "Xyz-12345678",
                                                           "confirm": "Xyz-12345678"}).status_code == 400
    session.expire_all()
    assert users(session) == 2 and session.get(User, user.id).active


def test_search_role_filter_and_paging(client, session, admin, factory):
    for n in range(30):
        factory.user("driver" if n % 2 else "point", username=f"u{n:02d}")
    session.commit()
    first = client.get("/people/").get_data(as_text=True)
    assert "31 compte" in first and "Page 1 / 2" in first
    assert "15 compte" in client.get("/people/?role=driver").get_data(as_text=True)
    assert "0 compte" in client.get("/people/?active=0").get_data(as_text=True)
    assert "u29" in client.get("/people/?page=2").get_data(as_text=True)


@pytest.mark.parametrize("role", ["point", "driver", "washer", "coordinator"])
def test_people_pages_are_for_admins_only(client, session, factory, role):
    user = factory.user(role)
    session.commit()
    login(client, user)
    for url in ("/people/", "/people/new", f"/people/{user.id}"):
        assert client.get(url).status_code == 403, url
    token = csrf_from(client.get("/").get_data(as_text=True))
    response = client.post(f"/people/{user.id}", data={
        "csrf_token": token, "username": user.username, "display_name": "x", "role": "admin",
        "language": "fr"})
    assert response.status_code == 403
    session.expire_all()
    assert session.get(User, user.id).role == role


def test_deactivating_signs_the_person_out_everywhere(app, session, factory):
    admin = factory.user("admin", username="chef")
    driver = factory.user("driver", username="paul")
    session.commit()
    driver_client = app.test_client()
    login(driver_client, driver)
    assert driver_client.get("/").status_code == 200
    from bottles.people.operations import set_active

    set_active(session, admin, driver, False)
    session.commit()
    session.expire_all()
    response = driver_client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
