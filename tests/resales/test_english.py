"""Resales speak English after the /lang/en switch (pages, refusals, delivery note and its PDF);
French stays the default."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader

from bottles.rules import Kind, Move, Stage
from tests.factories import csrf_from, login
from tests.washer.dock import make_dock

# French words none of these English pages may hold (data such as "Domaine de la Pinte" aside).
FRENCH = re.compile(r"(?<![\w'-])(?:vente|ventes|vigneron|vignerons|bouteilles?|bon de livraison|"
                    r"stock insuffisant|quantité|modèle|montant|prix|enregistrer|annulée|imprimer|"
                    r"lavage|reçu|évités?|économisés|choisir|lignes?|aucune?|depuis|départ)(?![\w-])",
                    re.IGNORECASE)
DATA = ("Domaine de la Pinte", "Lavage de Dole", "Centre de lavage de Lons",
        "Boucle — réemploi des bouteilles du Jura")  # the channel name is configuration


def french_words(text: str) -> list[str]:
    """The French words left once the visible markup and the test's own data are set aside."""
    text = re.sub(r"<script.*?</script>|<style.*?</style>|<[^>]+>", " ", text, flags=re.S)
    for name in DATA:
        text = text.replace(name, "")
    return FRENCH.findall(text)


@pytest.fixture
def shop(factory, session):
    """A washer with 500 clean bourguignonnes (English name: Burgundy 75 cl), coordinator in."""
    dock = make_dock(factory)
    dock.bourg.name_en = "Burgundy 75 cl"
    at = datetime.now(UTC) - timedelta(days=5)
    factory.event(Kind.STOCKTAKE, at=at - timedelta(days=1), washer=dock.washer.id, moves=[Move(
        Stage.OUTSIDE, Stage.SORTED, 500, model_id=dock.bourg.id, reason_id=dock.reasons["count_over"].id)])
    factory.event(Kind.WASH, at=at, washer=dock.washer.id,
                  moves=[Move(Stage.SORTED, Stage.CLEAN, 500, model_id=dock.bourg.id)])
    session.commit()
    return dock


def _sell(client, shop, quantity: str):
    html = client.get("/ventes/nouvelle").get_data(as_text=True)
    event_id = re.search(r'name="event_id" value="([0-9a-f-]+)"', html).group(1)
    return client.post("/ventes/nouvelle", data={
        "csrf_token": csrf_from(html), "event_id": event_id, "winemaker_id": shop.winemaker.id,
        "washer_id": shop.washer.id, "model_id": [str(shop.bourg.id)], "quantity": [quantity],
        "unit_price": ["0,30"], "note": "Livré au caveau"})


@pytest.fixture
def sold(client, shop):
    """300 bottles sold (in French, the default); the delivery note's number."""
    login(client, shop.coordinator)
    response = _sell(client, shop, "300")
    assert response.status_code == 302
    client.get(response.headers["Location"])  # shows (and so clears) the French "recorded" flash
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_french_is_the_default(client, shop, sold):
    listing = client.get("/ventes/").get_data(as_text=True)
    assert "Ventes aux vignerons" in listing and "Nouvelle vente" in listing and "300 bt" in listing
    note = client.get(f"/ventes/{sold}").get_data(as_text=True)
    assert f"Bon de livraison n° {sold}" in note and "Bourguignonne 75 cl" in note
    assert "Delivery note" not in note and "Burgundy" not in note
    refused = _sell(client, shop, "501").get_data(as_text=True)
    assert ("Stock insuffisant : il n&#39;en reste que 200 en stock propre à Centre de lavage de Lons"
            in refused)
    pdf = " ".join(page.extract_text() for page in PdfReader(
        io.BytesIO(client.get(f"/ventes/{sold}.pdf").data)).pages)
    assert "Bon de livraison" in pdf and "Vigneron : Domaine de la Pinte" in pdf and "Reçu le" in pdf
    assert "Bourguignonne 75 cl" in pdf and "90,00" in pdf


def test_sales_list_in_english(client, shop, sold):
    client.get("/lang/en")
    page = client.get("/ventes/").get_data(as_text=True)
    assert "Sales to winemakers" in page and "New sale" in page and "Buying winemakers" in page
    assert "300 bottles" in page and "€90.00" in page
    assert not french_words(page), french_words(page)


def test_sale_form_with_a_refused_line_in_english(client, shop, sold):
    client.get("/lang/en")
    form = client.get("/ventes/nouvelle").get_data(as_text=True)
    assert "Clean stock available" in form and "Burgundy 75 cl — 200 in stock" in form
    assert "Record the sale" in form and "Unit price (€)" in form
    assert not french_words(form), french_words(form)
    refused = _sell(client, shop, "501")
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "Sale not recorded: fix what is pointed out." in page
    assert "Not enough stock: only 200 left in clean stock at" in page
    assert not french_words(page), french_words(page)
    unreadable = _sell(client, shop, "deux").get_data(as_text=True)
    assert "Quantity “deux”: a whole number of bottles, greater than zero." in unreadable


def test_delivery_note_page_and_pdf_in_english(client, shop, sold):
    client.get("/lang/en")
    page = client.get(f"/ventes/{sold}").get_data(as_text=True)
    assert f"Delivery note no. {sold}" in page and "Winemaker:" in page and "Burgundy 75 cl" in page
    assert "saved compared with 300 new bottles at €0.80 (€240.00)" in page
    assert "Cancel this sale (correction)" in page and "Print" in page
    assert not french_words(page.replace("Livré au caveau", "")), french_words(page)
    pdf = " ".join(page.extract_text() for page in PdfReader(
        io.BytesIO(client.get(f"/ventes/{sold}.pdf").data)).pages)
    assert f"Delivery note no. {sold}" in pdf and "Winemaker: Domaine de la Pinte" in pdf
    assert "Burgundy 75 cl" in pdf and "€90.00" in pdf and "Received on" in pdf
    assert "Glass avoided:" in pdf and "CO2 avoided:" in pdf
    assert not french_words(pdf.replace("Livré au caveau", "")), french_words(pdf)
