"""collection_points in English: the /lang/en switch turns the driver's round and the crate panel English."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import login


@pytest.fixture
def world(factory):
    washer = factory.washer()
    point = factory.point(name="Cave du Jura")
    staff = factory.user("point", points=[point])
    driver = factory.user("driver")
    full = factory.full_crate_at(point, count=42, washer=washer, actor=staff,
                                 at=datetime.now(UTC) - timedelta(days=2))
    empty = factory.crate(washer=washer, capacity=60)
    factory.session.commit()
    return {"point": point, "staff": staff, "driver": driver, "full": full, "empty": empty}


def test_round_page_is_french_by_default(client, world):
    login(client, world["driver"])
    page = client.get("/tournee").get_data(as_text=True)
    assert "Scanner les caisses enlevées" in page and "emportez 1 caisse vide" in page
    assert "Scan the picked-up crates" not in page


def test_round_page_in_english(client, world):
    login(client, world["driver"])
    client.get("/lang/en")
    page = client.get("/tournee").get_data(as_text=True)
    assert "Scan the picked-up crates" in page and "Drop off empty crates" in page
    assert "bring 1 empty crate" in page and "<strong>1</strong> full crate" in page
    assert "<strong>42</strong> bottles · waiting for" in page and "Cave du Jura" in page
    assert "Start the round of" in page
    assert "Scanner les caisses enlevées" not in page and "emportez" not in page


def test_crate_panels_in_english(client, world):
    login(client, world["driver"])
    client.get("/lang/en")
    page = client.get(f"/c/{world['full'].code}").get_data(as_text=True)
    assert "bottles</strong> declared at Cave du Jura" in page and "Picked up</button>" in page
    assert "Count doesn't match?" in page and "A round will be opened for today." in page
    assert "Enlevée</button>" not in page
    page = client.get(f"/c/{world['empty'].code}").get_data(as_text=True)
    assert "Dropped off empty at Cave du Jura" in page and "Déposée vide" not in page


def test_crate_panel_french_without_switch_and_back(client, world):
    login(client, world["staff"])
    page = client.get(f"/c/{world['full'].code}").get_data(as_text=True)
    assert "l'enlèvement est demandé, le chauffeur passera" in page
    client.get("/lang/en")
    page = client.get(f"/c/{world['full'].code}").get_data(as_text=True)
    assert "pickup requested, the driver will come by" in page
    client.get("/lang/fr")
    page = client.get(f"/c/{world['full'].code}").get_data(as_text=True)
    assert "le chauffeur passera" in page
