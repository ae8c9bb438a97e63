"""French first, English available: the switch, the catalogue of translations, French formats."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask import session as flask_session

from bottles import i18n
from tests.factories import login


def spaces(text: str) -> str:
    """Babel uses (narrow) no-break spaces in French numbers; compare with plain spaces."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


def test_login_is_french_by_default_and_english_after_the_switch(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="fr">' in page and "Mot de passe" in page and "Se connecter" in page
    assert 'href="/lang/en"' in page
    switched = client.get("/lang/en", headers={"Referer": "/login"})
    assert switched.status_code == 302 and switched.headers["Location"].endswith("/login")
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page
    for english in ("Password", "Username", "Sign in", "Stay signed in on this device"):
        assert english in page, english
    assert "Mot de passe" not in page
    client.get("/lang/fr")
    assert "Mot de passe" in client.get("/login").get_data(as_text=True)


def test_unknown_language_is_ignored(client):
    client.get("/lang/xx")
    assert "Mot de passe" in client.get("/login").get_data(as_text=True)


def test_wrong_password_message_and_error_pages_in_english(client, factory):
    user = factory.user("driver")
    factory.session.commit()
    client.get("/lang/en")
    response = login(client, user, password="faux")
    assert response.status_code == 401 and "Wrong username or password." in response.get_data(as_text=True)
    login(client, user)
    missing = client.get("/nowhere")
    assert missing.status_code == 404 and "Page not found" in missing.get_data(as_text=True)
    forbidden = client.get("/catalogue/")
    assert forbidden.status_code == 403 and "Access denied" in forbidden.get_data(as_text=True)
    home = client.get("/").get_data(as_text=True)
    assert "Hello" in home and "Sign out" in home and "driver area" in home


def test_catalogue_pages_in_english(client, factory):
    factory.point(code="P1", territory="ECLA")
    user = factory.user("coordinator")
    factory.session.commit()
    login(client, user)
    client.get("/lang/en")
    page = client.get("/catalogue/points/").get_data(as_text=True)
    assert "Collection points" in page and "Add" in page and "wine shop, grocery" in page
    assert "Territory" in page and "Territoire" not in page
    assert "Expected columns" in client.get("/catalogue/import/points").get_data(as_text=True)


def test_user_language_is_used_when_no_switch(client, factory):
    user = factory.user("coordinator")
    user.language = "en"
    factory.session.commit()
    login(client, user)
    assert "What do you want to do?" in client.get("/").get_data(as_text=True)


@pytest.fixture
def french(app):
    with app.test_request_context("/"):
        yield


@pytest.fixture
def english(app):
    with app.test_request_context("/"):
        flask_session["lang"] = "en"
        yield


def test_french_formats(french):
    assert spaces(i18n.money(123450)) == "1 234,50 €"
    assert spaces(i18n.number(1234567)) == "1 234 567"
    assert spaces(i18n.number(3.14159, 2)) == "3,14"
    assert spaces(i18n.percent(0.364, 1)) == "36,4 %"
    assert i18n.day(date(2026, 3, 2)) == "2 mars 2026"
    assert i18n.money(None) == "—"


def test_times_are_shown_in_paris(french):
    winter = datetime(2026, 1, 15, 23, 30, tzinfo=UTC)   # Paris: UTC+1, next day
    summer = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)      # Paris: UTC+2
    assert "16/01/2026" in i18n.when(winter) and "00:30" in i18n.when(winter)
    assert "11:00" in i18n.when(summer)
    assert i18n.day(winter) == "16 janv. 2026"


def test_english_formats(english):
    assert spaces(i18n.money(123450)) == "€1,234.50"
    assert i18n.day(date(2026, 3, 2)) == "Mar 2, 2026"


def test_refusals_are_explained_in_english_too(client, factory):
    from tests.factories import post_form

    user = factory.user("coordinator")
    factory.model(code="BOURG75")
    factory.session.commit()
    login(client, user)
    client.get("/lang/en")
    response = post_form(client, "/catalogue/models/new", {
        "code": "bourg75", "name": "", "volume_ml": "-1", "glass_mass_g": "x"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    for english in ("already exists (ignoring case)", "Required field.", "Whole number between 1 and 10000.",
                    "Whole number expected.", "Nothing was saved"):
        assert english in body, english


@pytest.mark.parametrize("package_message", [
    ("%(num)s bouteille", "%(num)s bouteilles"),  # kernel
    ("%(num)s caisse enlevée", "%(num)s caisses enlevées"),  # collection points
    ("%(n)s bouteille triée", "%(n)s bouteilles triées"),  # washer
])
def test_french_counts_zero_as_singular_and_english_as_plural(app, package_message):
    from flask_babel import ngettext, refresh

    one, many = package_message
    with app.test_request_context():
        forms = [ngettext(one, many, n, n=n) for n in (0, 1, 2)]
        assert forms == [one % {"num": 0, "n": 0}, one % {"num": 1, "n": 1}, many % {"num": 2, "n": 2}]
        flask_session["lang"] = "en"
        refresh()
        assert "bottles" in ngettext("%(num)s bouteille", "%(num)s bouteilles", 0)


def test_first_of_the_month_is_1er_in_french_only(app):
    with app.test_request_context():
        assert i18n.day(date(2026, 3, 1), "long") == "1er mars 2026"
        assert i18n.day(date(2026, 3, 11), "long") == "11 mars 2026"
        assert i18n.day(date(2026, 3, 1), "short") == "01/03/2026"
        flask_session["lang"] = "en"
        from flask_babel import refresh

        refresh()
        assert "1er" not in i18n.day(date(2026, 3, 1), "long")


@pytest.mark.parametrize(("typed", "hours"), [("4h30", "4.50"), ("4,5", "4.50"), ("4:30", "4.50"),
                                              ("4 h", "4.00"), ("0h45", "0.75"), ("7", "7.00")])
def test_hours_as_people_type_them(typed, hours):
    from decimal import Decimal

    from bottles.rules import parse_hours

    assert parse_hours(typed) == Decimal(hours)


@pytest.mark.parametrize("typed", ["abc", "25", "4h75", "-1", "", "4,555"])
def test_hours_that_are_not_hours_are_refused_in_french(typed):
    from bottles.rules import parse_hours

    with pytest.raises(ValueError, match="h|durée"):
        parse_hours(typed)
