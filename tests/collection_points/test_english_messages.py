"""Crate refusals and the driver's round in English after /lang/en, and still French by default."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import login, post_form

FRENCH = ("Cette caisse", "caisse", "bouteilles", "depuis", "En cas de doute", "appelez", "pleine",
          "enlèvement", "jamais", "moins d'une heure", " j ", "tournée")


def text(response) -> str:
    """The visible words of the page's main part (navigation and language switch left out)."""
    html = response.get_data(as_text=True)
    main = html.split("<main", 1)[-1].split("</main>", 1)[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


def assert_no_french(page: str) -> None:
    found = [word for word in FRENCH if word in page]
    assert not found, (found, page)


@pytest.fixture
def world(factory):
    washer = factory.washer()
    point = factory.point(name="Cave du Jura")
    staff = factory.user("point", points=[point])
    driver = factory.user("driver")
    full = factory.full_crate_at(point, count=42, washer=washer, actor=staff,
                                 at=datetime.now(UTC) - timedelta(days=9))
    factory.session.commit()
    return {"point": point, "staff": staff, "driver": driver, "full": full}


def declare_full_again(client, crate):
    return post_form(client, f"/c/{crate.code}/pleine", {"event_id": str(uuid.uuid4()), "count": "30"},
                     page_url=f"/c/{crate.code}")


def test_refused_crate_action_in_english(client, world):
    login(client, world["staff"])
    client.get("/lang/en")
    response = declare_full_again(client, world["full"])
    assert response.status_code == 422
    page = text(response)
    assert "This crate is already declared full." in page
    assert f"Crate {world['full'].code} is full, pickup requested" in page and "If in doubt, call" in page
    assert_no_french(page)


def test_refused_count_in_english(client, world):
    login(client, world["driver"])
    client.get("/lang/en")
    code = world["full"].code
    response = post_form(client, f"/c/{code}/enlevee", {"event_id": str(uuid.uuid4()), "counted": "douze"},
                         page_url=f"/c/{code}")
    assert response.status_code == 422
    assert "The counted number must be a whole number (got “douze”)." in text(response)


def test_refused_crate_action_stays_french(client, world):
    login(client, world["staff"])
    page = text(declare_full_again(client, world["full"]))
    assert "Cette caisse est déjà déclarée pleine." in page and "En cas de doute, appelez" in page


def test_round_page_in_english_has_days_not_j(client, world):
    login(client, world["driver"])
    client.get("/lang/en")
    page = text(client.get("/tournee"))
    assert re.search(r"waiting for \d+ days", page), page
    assert_no_french(page.replace("Cave du Jura", ""))
    client.get("/lang/fr")
    page = text(client.get("/tournee"))
    assert re.search(r"\b\d+ j\b", page) and not re.search(r"\d+ days", page), page
