"""Sign-in is throttled per account and per address, and does not reveal which accounts exist.

No test sleeps: each app starts with empty counters, and `limiter.reset()` clears them.
"""

from __future__ import annotations

import re

import pytest

from bottles import auth
from bottles.db import db
from bottles.throttle import limiter
from tests.factories import PASSWORD, csrf_from


@pytest.fixture
def site(app, db_url):
    """An app of its own on the test's database, with no app context held across requests."""
    from wsgi import create_app

    served = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "TESTING": True, "SECRET_KEY": "t"})
    yield served
    with served.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def person(factory):
    """A committed point account (the other app reads it through its own session)."""
    def make():
        user = factory.user("point")
        db.session.commit()
        return user
    return make


def _attempt(client, username: str, password: str, address: str):
    """One sign-in through the form from `address`, with a client of its own (no cookie kept)."""
    env = {"REMOTE_ADDR": address}
    token = csrf_from(client.get("/login", environ_base=env).get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token}, environ_base=env)


def _fail(app, username: str, address: str, times: int) -> None:
    for _ in range(times):
        assert _attempt(app.test_client(), username, "mauvais1", address).status_code == 401


def test_an_account_is_locked_for_a_while_after_ten_failures_from_anywhere(site, person):
    user = person()
    for i in range(10):
        _fail(site, user.username, f"10.0.0.{i}", 1)
    response = _attempt(site.test_client(), user.username, PASSWORD, "10.0.1.1")
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "Trop de tentatives de connexion" in page
    wait = int(response.headers["Retry-After"])
    assert 0 < wait <= 60
    assert re.search(rf"{wait} secondes?", page), page
    assert 'name="username"' in page  # the sign-in page itself, the form kept
    other = person()
    assert _attempt(site.test_client(), other.username, PASSWORD, "10.0.1.1").status_code == 302


def test_usernames_are_counted_without_case_or_spaces(site, person):
    user = person()
    for i in range(10):
        _fail(site, f"  {user.username.upper()} " if i % 2 else user.username, f"10.0.0.{i}", 1)
    assert _attempt(site.test_client(), user.username, PASSWORD, "10.0.1.1").status_code == 429


def test_an_address_is_locked_after_ten_failures_on_any_accounts(site, person):
    user = person()
    for i in range(10):
        _fail(site, f"inconnu{i}", "192.0.2.7", 1)
    assert _attempt(site.test_client(), user.username, PASSWORD, "192.0.2.7").status_code == 429
    assert _attempt(site.test_client(), user.username, PASSWORD, "192.0.2.8").status_code == 302


def test_successful_sign_ins_are_not_counted(site, person):
    user = person()
    _fail(site, user.username, "192.0.2.9", 9)
    for _ in range(15):
        assert _attempt(site.test_client(), user.username, PASSWORD, "192.0.2.9").status_code == 302
    assert _attempt(site.test_client(), user.username, "mauvais1", "192.0.2.9").status_code == 401


def test_a_sign_in_form_refused_for_a_missing_field_is_not_counted(site, person):
    user = person()
    for _ in range(12):
        assert _attempt(site.test_client(), user.username, "", "192.0.2.10").status_code == 400
    assert _attempt(site.test_client(), user.username, PASSWORD, "192.0.2.10").status_code == 302


def test_the_limit_is_a_setting_and_reset_clears_it(app, db_url, person):
    from wsgi import create_app

    hourly = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "TESTING": True, "SECRET_KEY": "t",
                         "LOGIN_LIMIT": "2 per hour"})
    user = person()
    _fail(hourly, user.username, "192.0.2.11", 2)
    response = _attempt(hourly.test_client(), user.username, PASSWORD, "192.0.2.11")
    assert response.status_code == 429
    assert 60 < int(response.headers["Retry-After"]) <= 3600
    assert "minutes" in response.get_data(as_text=True)
    limiter.reset()
    assert _attempt(hourly.test_client(), user.username, PASSWORD, "192.0.2.11").status_code == 302
    with hourly.app_context():
        db.session.remove()
        db.engine.dispose()


def test_each_app_starts_with_empty_counters(site, person, db_url):
    from wsgi import create_app

    user = person()
    _fail(site, user.username, "192.0.2.12", 10)
    assert _attempt(site.test_client(), user.username, PASSWORD, "192.0.2.12").status_code == 429
    fresh = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "TESTING": True, "SECRET_KEY": "t"})
    assert _attempt(fresh.test_client(), user.username, PASSWORD, "192.0.2.12").status_code == 302
    with fresh.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("known", [True, False])
def test_known_and_unknown_usernames_run_exactly_one_scrypt(factory, monkeypatch, known):
    user = factory.user("point") if known else None
    auth.password_matches(None, "préchauffe")  # the dummy hash is made once, on first use
    calls: list[str] = []
    real_check = auth.check_password_hash
    monkeypatch.setattr(auth, "check_password_hash",
                        lambda h, p: calls.append("check") or real_check(h, p))
    monkeypatch.setattr(auth, "generate_password_hash",
                        lambda *a, **k: calls.append("generate") or "")
    assert auth.password_matches(user, "mauvais1") is False
    assert calls == ["check"]


def test_the_dummy_hash_uses_the_same_scrypt_parameters_as_real_ones(factory):
    user = factory.user("point")
    assert auth.dummy_hash().split("$")[0] == user.password_hash.split("$")[0]
