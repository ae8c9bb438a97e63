"""Sessions end when they should, through HTTP (issue 10, point 3).

Signing out, a password change or an admin's reset and deactivation end every sign-in of the
account, remember-me cookies included; no sign-in outlives REMEMBER_DAYS server-side; "Rester
connecté" starts unticked; an account an admin created (or reset) picks its own password first.
The person who changes their own password stays signed in on that device; the others end.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
from flask import g
from flask.testing import FlaskClient
from flask_login.utils import encode_cookie
from sqlalchemy import select

from bottles import auth, config
from bottles.auth import password_matches
from bottles.models import User
from tests.factories import PASSWORD, csrf_from, post_form

REMEMBER = "remember_token"
NEW_PASSWORD = "Savagnin-ouille-27"
DAY = 86400


class Browser(FlaskClient):
    """A test client whose requests start with an empty flask.g, as each request does in
    production: the test's app context is shared by every request, and Flask-Login keeps the
    signed-in person in g (Flask-WTF its CSRF token) — one browser would see another's."""

    def open(self, *args, **kwargs):
        for name in list(g):
            g.pop(name)
        return super().open(*args, **kwargs)


@pytest.fixture(autouse=True)
def _browsers(app):
    app.test_client_class = Browser


def sign_in(client, username: str, password: str = PASSWORD, remember: bool = False):
    """The sign-in form, as a person fills it (remember-me only if ticked)."""
    token = csrf_from(client.get("/login").get_data(as_text=True))
    data = {"username": username, "password": password, "csrf_token": token}
    if remember:
        data["remember"] = "y"
    return client.post("/login", data=data)


def signed_in(client) -> bool:
    response = client.get("/")
    assert response.status_code in (200, 302), response.status_code
    return response.status_code == 200


def cookie_only(app, value: str):
    """A new browser holding nothing but that remember-me cookie."""
    other = app.test_client()
    other.set_cookie(REMEMBER, value)
    return other


def remember_cookie(client) -> str:
    cookie = client.get_cookie(REMEMBER)
    assert cookie is not None, "no remember-me cookie set"
    return cookie.value


def fresh(session, user: User) -> User:
    session.expire_all()
    return session.get(User, user.id)


@pytest.fixture
def paul(session, factory) -> User:
    user = factory.user("driver", username="paul")
    session.commit()
    return user


@pytest.fixture
def admin(app, session, factory):
    """An admin's own browser, signed in."""
    factory.user("admin", username="chef")
    session.commit()
    client = app.test_client()
    assert sign_in(client, "chef").status_code == 302
    return client


def test_remember_me_starts_unticked(client):
    page = client.get("/login").get_data(as_text=True)
    box = re.search(r'<input[^>]*name="remember"[^>]*>', page).group(0)
    assert "checked" not in box
    assert "Rester connecté sur cet appareil" in page


def test_without_the_box_no_remember_cookie(app, paul):
    client = app.test_client()
    assert sign_in(client, "paul").status_code == 302
    assert client.get_cookie(REMEMBER) is None and signed_in(client)


def test_remember_cookie_is_httponly_lax_and_lasts_remember_days(app, paul):
    client = app.test_client()
    before = datetime.now(UTC)
    response = sign_in(client, "paul", remember=True)
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(REMEMBER))
    assert "HttpOnly" in header and "SameSite=Lax" in header
    assert ("Secure" in header) == app.config["REMEMBER_COOKIE_SECURE"]
    assert app.config["REMEMBER_DAYS"] == 30
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", header).group(1))
    assert timedelta(days=30) - timedelta(minutes=1) <= expires - before <= timedelta(days=30, minutes=1)


def test_remember_days_and_secure_cookies_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    monkeypatch.setenv("BASE_URL", "https://boucle.example")
    monkeypatch.setenv("REMEMBER_DAYS", "7")
    settings = config.load(tmp_path)
    assert settings["REMEMBER_COOKIE_SECURE"] and settings["SESSION_COOKIE_SECURE"]
    assert settings["REMEMBER_DAYS"] == 7 and settings["REMEMBER_COOKIE_DURATION"].days == 7
    for wrong in ("0", "sept", "٧", "401", ""):
        monkeypatch.setenv("REMEMBER_DAYS", wrong)
        with pytest.raises(RuntimeError, match="REMEMBER_DAYS"):
            config.load(tmp_path)


def test_signing_out_ends_every_sign_in_of_the_account(app, session, paul):
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, "paul")
    sign_in(phone, "paul", remember=True)
    kept = remember_cookie(phone)
    assert signed_in(laptop) and signed_in(phone)
    assert post_form(laptop, "/logout", {}, page_url="/").status_code == 302
    assert not signed_in(laptop)
    assert not signed_in(phone)  # its session and its remember-me cookie both ended
    assert not signed_in(cookie_only(app, kept))
    assert fresh(session, paul).session_version == 1
    # Signing in again works, on both.
    assert sign_in(phone, "paul").status_code == 302 and signed_in(phone)


def test_changing_ones_password_keeps_this_device_and_ends_the_others(app, session, paul):
    here, there = app.test_client(), app.test_client()
    sign_in(here, "paul", remember=True)
    sign_in(there, "paul", remember=True)
    their_cookie = remember_cookie(there)
    page = here.get("/account/password")
    assert page.status_code == 200 and "Mot de passe actuel" in page.get_data(as_text=True)
    response = post_form(here, "/account/password", {
        "current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Vos autres appareils sont déconnectés" in here.get("/").get_data(as_text=True)
    assert signed_in(here)
    assert signed_in(cookie_only(app, remember_cookie(here)))  # this device's new cookie works
    assert not signed_in(there) and not signed_in(cookie_only(app, their_cookie))
    user = fresh(session, paul)
    assert password_matches(user, NEW_PASSWORD) and not password_matches(user, PASSWORD)
    assert sign_in(app.test_client(), "paul").status_code == 401
    assert sign_in(app.test_client(), "paul", NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"current": "pas-le-bon-42"}, "current", "Ce n'est pas votre mot de passe actuel."),
    ({"current": ""}, "current", "Champ obligatoire."),
    ({"password": "court1", "confirm": "court1"}, "password", "au moins 8 caractères"),
    ({"confirm": "autre-chose-42"}, "confirm", "Les deux mots de passe diffèrent."),
    ({"password": PASSWORD, "confirm": PASSWORD}, "password", "différent de l'actuel"),
])
def test_a_refused_password_change_changes_nothing(app, session, paul, change, field, message):
    here, there = app.test_client(), app.test_client()
    sign_in(here, "paul")
    sign_in(there, "paul")
    response = post_form(here, "/account/password", {
        "current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD, **change})
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422 and message in page
    assert re.search(rf'class="field has-error">\s*<label for="{field}"', page), "said beside its field"
    assert "Rien n'a été enregistré" in page
    user = fresh(session, paul)
    assert password_matches(user, PASSWORD) and user.session_version == 0
    assert signed_in(here) and signed_in(there)


def test_an_admins_reset_ends_the_sessions_and_asks_for_a_new_password(app, session, admin, paul):
    phone = app.test_client()
    sign_in(phone, "paul", remember=True)
    kept = remember_cookie(phone)
    response = post_form(admin, f"/people/{paul.id}/password",
                         {"password": "Arbois-Pupillin-9", "confirm": "Arbois-Pupillin-9"},
                         page_url=f"/people/{paul.id}")
    assert response.status_code == 302
    assert "Ses sessions en cours sont fermées" in admin.get(response.headers["Location"]).get_data(
        as_text=True)
    assert not signed_in(phone) and not signed_in(cookie_only(app, kept))
    assert fresh(session, paul).must_change_password
    # The next sign-in goes to the password page first.
    assert sign_in(phone, "paul", "Arbois-Pupillin-9").headers["Location"] == "/account/password"
    post_form(phone, "/account/password", {"current": "Arbois-Pupillin-9",
                                           "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert signed_in(phone) and not fresh(session, paul).must_change_password
    assert signed_in(admin)  # the admin's own sign-in is untouched


def test_an_admin_resetting_their_own_password_stays_signed_in(app, session, admin):
    chef = session.scalar(select(User).where(User.username == "chef"))
    response = post_form(admin, f"/people/{chef.id}/password",
                         {"password": "Arbois-Pupillin-9", "confirm": "Arbois-Pupillin-9"},
                         page_url=f"/people/{chef.id}")
    assert response.status_code == 302 and signed_in(admin)
    assert not fresh(session, chef).must_change_password


def test_deactivation_ends_the_sessions_and_remember_cookies(app, session, admin, paul):
    phone = app.test_client()
    sign_in(phone, "paul", remember=True)
    kept = remember_cookie(phone)
    assert signed_in(phone) and signed_in(cookie_only(app, kept))
    response = post_form(admin, f"/people/{paul.id}/active", {"active": "0"},
                         page_url=f"/people/{paul.id}")
    assert response.status_code == 302
    assert not signed_in(phone) and not signed_in(cookie_only(app, kept))
    # Reactivated, the old sign-ins stay ended: the person signs in again.
    post_form(admin, f"/people/{paul.id}/active", {"active": "1"}, page_url=f"/people/{paul.id}")
    assert not signed_in(phone) and not signed_in(cookie_only(app, kept))
    assert sign_in(phone, "paul").status_code == 302 and signed_in(phone)


def test_a_remember_cookie_alone_signs_in_until_the_version_moves(app, session, paul):
    phone = app.test_client()
    sign_in(phone, "paul", remember=True)
    kept = remember_cookie(phone)
    assert signed_in(cookie_only(app, kept))
    laptop = app.test_client()
    sign_in(laptop, "paul")
    post_form(laptop, "/logout", {}, page_url="/")
    assert not signed_in(cookie_only(app, kept))


def test_no_sign_in_outlives_remember_days(app, session, paul, monkeypatch):
    phone, shop = app.test_client(), app.test_client()
    sign_in(phone, "paul", remember=True)
    sign_in(shop, "paul")  # not remembered: the browser session, also bounded server-side
    kept = remember_cookie(phone)
    started = auth.now()
    monkeypatch.setattr(auth, "now", lambda: started + 29 * DAY)
    assert signed_in(cookie_only(app, kept)) and signed_in(shop)
    monkeypatch.setattr(auth, "now", lambda: started + 30 * DAY + 60)
    assert not signed_in(cookie_only(app, kept))
    assert not signed_in(phone) and not signed_in(shop)
    assert fresh(session, paul).session_version == 0  # nothing was written: time alone ended them


def test_forged_or_old_format_cookies_are_refused(app, session, paul):
    """The cookie carries "id:version:signed-in time", signed with SECRET_KEY."""
    now = auth.now()
    assert signed_in(cookie_only(app, encode_cookie(f"{paul.id}:0:{now}")))
    for payload in (f"{paul.id}:0:{now - 31 * DAY}",       # too old
                    f"{paul.id}:0:{now + 2 * DAY}",        # from the future
                    f"{paul.id}:1:{now}",                  # another version
                    f"{paul.id}",                          # a sign-in from before versions
                    f"{paul.id}:0:{now}:x", f"{paul.id}:٠:{now}", f":0:{now}"):
        assert not signed_in(cookie_only(app, encode_cookie(payload))), payload
    assert not signed_in(cookie_only(app, f"{paul.id}:0:{now}|not-the-signature"))


def test_an_account_an_admin_creates_picks_its_password_at_first_sign_in(app, session, admin,
                                                                         factory):
    driver_data = {"username": "marie", "display_name": "Marie Vuillet", "role": "driver",
                   "phone": "", "language": "fr", "password": "Vin-jaune-1774",
                   "confirm": "Vin-jaune-1774"}
    response = post_form(admin, "/people/new", driver_data)
    assert response.status_code == 302
    assert "choisira son propre mot de passe" in admin.get(response.headers["Location"]).get_data(
        as_text=True)
    marie = session.scalar(select(User).where(User.username == "marie"))
    assert marie.must_change_password
    phone = app.test_client()
    response = sign_in(phone, "marie", "Vin-jaune-1774")
    assert response.status_code == 302 and response.headers["Location"] == "/account/password"
    # Every other page sends her back there, with a French message; JSON callers get a 403.
    for url in ("/", "/c", "/people/"):
        response = phone.get(url)
        assert response.status_code == 302 and response.headers["Location"] == "/account/password"
    page = phone.get("/account/password").get_data(as_text=True)
    assert "Choisissez votre propre mot de passe avant de continuer." in page
    assert "choisi par l'administration" in html.unescape(page)
    response = phone.get("/", headers={"Accept": "application/json"})
    assert response.status_code == 403
    assert response.get_json()["error"] == "Choisissez votre propre mot de passe avant de continuer."
    assert phone.get("/static/bottles/boucle.css").status_code == 200
    response = post_form(phone, "/account/password", {
        "current": "Vin-jaune-1774", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        page_url="/account/password")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert signed_in(phone) and not fresh(session, marie).must_change_password


def test_signing_out_is_open_before_the_change(app, session, admin):
    post_form(admin, "/people/new", {"username": "marie", "display_name": "Marie", "role": "driver",
                                     "phone": "", "language": "fr", "password": "Vin-jaune-1774",
                                     "confirm": "Vin-jaune-1774"})
    phone = app.test_client()
    sign_in(phone, "marie", "Vin-jaune-1774")
    response = post_form(phone, "/logout", {}, page_url="/account/password")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert phone.get("/").headers["Location"].startswith("/login")


def test_accounts_from_the_factories_and_the_command_line_are_not_forced(app, session, paul):
    client = app.test_client()
    assert sign_in(client, "paul").headers["Location"] == "/"
    assert not fresh(session, paul).must_change_password


def test_missing_csrf_ends_nothing_and_changes_nothing(app, session, admin, paul):
    phone = app.test_client()
    sign_in(phone, "paul", remember=True)
    kept = remember_cookie(phone)
    assert phone.post("/logout").status_code == 400
    assert phone.post("/account/password", data={
        "current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 400
    assert admin.post(f"/people/{paul.id}/password", data={
        "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 400
    assert admin.post(f"/people/{paul.id}/active", data={"active": "0"}).status_code == 400
    user = fresh(session, paul)
    assert user.session_version == 0 and user.active and not user.must_change_password
    assert password_matches(user, PASSWORD)
    assert signed_in(phone) and signed_in(cookie_only(app, kept))


def test_the_password_page_is_for_signed_in_people(client):
    response = client.get("/account/password")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_guessing_the_current_password_is_throttled_like_a_sign_in(app, session, paul):
    """A left-open session cannot be used to try passwords: 10 a minute, then 429 with the wait."""
    phone = app.test_client()
    sign_in(phone, "paul")
    short = {"current": PASSWORD, "password": "court1", "confirm": "court1"}
    for _ in range(12):  # a new password refused for its length is not a guess
        assert post_form(phone, "/account/password", short).status_code == 422
    wrong = {"current": "pas-le-bon-42", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    for _ in range(10):
        assert post_form(phone, "/account/password", wrong).status_code == 422
    refused = post_form(phone, "/account/password", {**wrong, "current": PASSWORD})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "Trop d'essais du mot de passe actuel" in html.unescape(refused.get_data(as_text=True))
    assert password_matches(fresh(session, paul), PASSWORD)
