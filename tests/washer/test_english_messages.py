"""The washer's refusals and history in English after /lang/en, and still French by default."""

from __future__ import annotations

import re

import pytest

from tests.factories import login
from tests.washer.helpers import receive_all, submit

FRENCH = ("bouteilles", "caisse", "depuis", "mais le lot", "conforme", "rebut", "réceptionnées",
          "en transport", "valeur", "doit", "Heures travaillées", " à ")


def text(response) -> str:
    """The page's visible words: tags, the language switch and the navigation's own names left out."""
    html = response.get_data(as_text=True)
    main = html.split("<main", 1)[-1].split("</main>", 1)[0]
    return re.sub(r"<[^>]+>", " ", main)


def assert_no_french(page: str) -> None:
    found = [word for word in FRENCH if word in page]
    assert not found, (found, page)


@pytest.fixture
def received(client, session, dock):
    """100 bottles received and sorted at the washer, staff signed in (French, the default)."""
    crates = [dock.in_transit(60, 1), dock.in_transit(40, 2)]
    session.commit()
    login(client, dock.staff)
    receive_all(client, dock, *crates)
    assert submit(client, "/lavage/tri", {f"m-{dock.bourg.id}": "100"}).status_code == 302
    client.get("/lavage/tri")  # the French confirmation shown and gone
    dock.crates = crates
    return dock


def test_refused_receipt_in_english(client, received):
    client.get("/lang/en")
    response = client.get(f"/lavage/reception?code={received.crates[0].code}")
    assert response.status_code == 409
    page = text(response)
    assert f"Crate {received.crates[0].code} is not in transit: it has been" in page
    assert re.search(r"since \d{1,2}/\d{1,2}/\d{2} at \d{1,2}:\d{2}\s?[AP]M", page), page
    assert "pas en transport" not in page and "depuis le" not in page


def test_refused_receipt_stays_french_by_default(client, received):
    page = text(client.get(f"/lavage/reception?code={received.crates[0].code}"))
    assert "n'est pas en transport : elle est" in page
    assert re.search(r"depuis le \d\d/\d\d/\d{4} à \d\d:\d\d", page), page


def test_refused_wash_batch_in_english(client, session, received):
    dock = received
    dock.bourg.name_en = "Burgundy 75 cl"
    session.commit()
    client.get("/lang/en")
    response = submit(client, "/lavage/lot", {f"t-{dock.bourg.id}": "80", f"a-{dock.bourg.id}": "70",
                                              "water_l": "-3", "hours": "99"})
    assert response.status_code == 422
    page = text(response)
    assert "Water: the value must be between 0 and 1,000,000." in page
    response = submit(client, "/lavage/lot", {f"t-{dock.bourg.id}": "80", f"a-{dock.bourg.id}": "70"})
    page = text(response)
    assert "Burgundy 75 cl: 70 accepted + 0 rejects = 70, but the batch took 80 bottles." in page
    assert "Bourguignonne" not in page
    assert_no_french(page)
    response = submit(client, "/lavage/lot", {f"t-{dock.bourg.id}": "10", f"a-{dock.bourg.id}": "10",
                                              "hours": "abc"})
    assert response.status_code == 422 and "Hours worked:" in text(response)


def test_refused_wash_batch_stays_french(client, received):
    dock = received
    response = submit(client, "/lavage/lot", {f"t-{dock.bourg.id}": "80", f"a-{dock.bourg.id}": "70",
                                              "water_l": "-3"})
    page = text(response)
    assert "Eau : la valeur doit être entre 0 et 1\u202f000\u202f000." in page
    response = submit(client, "/lavage/lot", {f"t-{dock.bourg.id}": "80", f"a-{dock.bourg.id}": "70"})
    assert "70 conformes + 0 rebut = 70, mais le lot a pris 80 bouteilles." in text(response)


def test_history_in_english(client, received):
    client.get("/lang/en")
    page = text(client.get("/lavage/historique"))
    assert "60: in transit → received (unsorted)" in page
    assert_no_french(page.replace("Bourguignonne", ""))
    client.get("/lang/fr")
    page = text(client.get("/lavage/historique"))
    assert "60 : en transport → réceptionnées (non triées)" in page
