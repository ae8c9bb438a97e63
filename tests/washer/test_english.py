"""The washing centre speaks English after the /lang/en switch; French stays the default."""

from __future__ import annotations

import pytest

from tests.factories import login
from tests.washer.helpers import receive_all, submit


@pytest.fixture
def received(client, session, dock):
    """100 bottles received at the washer, staff signed in (in French, the default)."""
    crates = [dock.in_transit(60, 1), dock.in_transit(40, 2)]
    session.commit()
    login(client, dock.staff)
    receive_all(client, dock, *crates)
    return dock


def test_french_is_the_default(client, received):
    sorting = client.get("/lavage/tri").get_data(as_text=True)
    assert "Session de tri" in sorting and "Enregistrer le tri" in sorting
    assert "bouteilles réceptionnées attendent le tri" in sorting
    assert "Sorting session" not in sorting
    stock = client.get("/lavage/stock").get_data(as_text=True)
    assert "Stock propre" in stock and "Faire un inventaire" in stock
    assert "Clean stock" not in stock


def test_sorting_page_in_english(client, received):
    client.get("/lang/en")
    page = client.get("/lavage/tri").get_data(as_text=True)
    assert "Sorting session" in page and "Save the sorting" in page
    assert "100 received bottles are waiting to be sorted at" in page
    assert "Reusable, by model" in page and "Set aside (not reusable)" in page
    assert "Washing centre" in page and "Stock-take" in page  # the washer's navigation
    assert "Session de tri" not in page and "Enregistrer le tri" not in page
    assert "Bourguignonne 75 cl" in page  # data stays as entered


def test_clean_stock_page_in_english(client, session, received):
    dock = received
    r = submit(client, "/lavage/tri", {f"m-{dock.bourg.id}": "100"})
    assert r.status_code == 302
    r = submit(client, "/lavage/lot", {f"t-{dock.bourg.id}": "100", f"a-{dock.bourg.id}": "100"})
    assert r.status_code == 302, r.get_data(as_text=True)
    client.get("/lang/en")
    page = client.get("/lavage/stock").get_data(as_text=True)
    assert "Clean stock ·" in page and "The oldest wash goes out first." in page
    assert "Upstream" in page and "Do a stock-take" in page
    assert "Stock propre" not in page and "Faire un inventaire" not in page
    client.get("/lang/fr")
    assert "Stock propre" in client.get("/lavage/stock").get_data(as_text=True)


def test_flash_message_in_english(client, received):
    dock = received
    client.get("/lang/en")
    r = submit(client, "/lavage/tri", {f"m-{dock.bourg.id}": "70", f"r-{dock.reasons['cremant'].id}": "30"})
    assert r.status_code == 302
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Sorting saved: 70 bottles sorted, 30 set aside." in page


def test_every_washer_page_renders_in_english(client, session, received):
    dock = received
    submit(client, "/lavage/tri", {f"m-{dock.bourg.id}": "100"})
    client.get("/lang/en")
    expected = {"/lavage/reception": "Crate receipt", "/lavage/lot": "Wash batch",
                "/lavage/inventaire": "Stock-take ·", "/lavage/historique": "Washing centre history",
                "/lavage/tournees": "Receipts by round", "/": "At the receiving dock"}
    for url, text in expected.items():
        r = client.get(url)
        assert r.status_code == 200, url
        assert text in r.get_data(as_text=True), url
    history = client.get("/lavage/historique").get_data(as_text=True)
    seq = int(history.split('/lavage/corriger/')[1].split('"')[0])
    assert "Correct an event" in client.get(f"/lavage/corriger/{seq}").get_data(as_text=True)
