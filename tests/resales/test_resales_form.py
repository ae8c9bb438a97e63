"""The sale form: only models with clean stock, a running total, errors beside the field,
what was typed kept, French plurals and decimal commas."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bottles.models import Event
from bottles.rules import Kind, Move, Stage
from tests.factories import login
from tests.resales import test_resales
from tests.resales.test_resales import _lines, _sell

STATIC = Path(__file__).resolve().parents[2] / "resales" / "static"


@pytest.fixture
def shop(factory, session):
    """The washer of test_resales: 500 clean bourguignonnes, 100 clavelins, no crémant."""
    return test_resales.shop.__wrapped__(factory, session)


def _model_options(html: str) -> set[str]:
    """The model ids offered in the lines' selects."""
    selects = re.findall(r'<select name="model_id".*?</select>', html, re.S)
    return {value for select in selects for value in re.findall(r'<option value="(\d+)"', select)}


def test_the_form_offers_only_models_with_clean_stock_at_the_washer(client, session, shop,
                                                                      factory):
    other = factory.washer(code="LAV9", name="Centre de Poligny")
    at = datetime.now(UTC) - timedelta(days=2)
    factory.event(Kind.STOCKTAKE, at=at, washer=other.id, moves=[Move(
        Stage.OUTSIDE, Stage.CLEAN, 7, model_id=shop.cremant.id,
        reason_id=shop.reasons["count_over"].id)])
    session.commit()
    login(client, shop.coordinator)
    html = client.get("/ventes/nouvelle").get_data(as_text=True)
    offered = _model_options(html)
    assert offered == {str(shop.bourg.id), str(shop.clav.id), str(shop.cremant.id)}
    # each option says at which washer its stock is, and how much is there
    assert re.search(rf'<option value="{shop.cremant.id}" data-washer="{other.id}" '
                     rf'data-stock="7"[^>]*>Crémant 75 cl — 7 en stock</option>', html)
    assert re.search(rf'<option value="{shop.bourg.id}" data-washer="{shop.washer.id}" '
                     rf'data-stock="500"', html)
    # crémant has no clean stock at the first washer: selling it there is refused beside the line
    r = _sell(client, _lines(shop, (shop.cremant.id, "1", "0,30")))
    assert r.status_code == 422
    assert "Aucune bouteille propre de ce modèle" in _field_error(r.get_data(as_text=True),
                                                                  "quantity-0")


def test_washer_staff_see_only_their_washer_s_models(client, session, shop):
    shop.washer.staff_may_sell = True
    session.commit()
    login(client, shop.staff)
    html = client.get("/ventes/nouvelle").get_data(as_text=True)
    assert _model_options(html) == {str(shop.bourg.id), str(shop.clav.id)}


def _field_error(html: str, field: str) -> str:
    found = re.search(rf'<p class="field-error" id="{field}-error"[^>]*>(.*?)</p>', html, re.S)
    assert found, f"no error beside {field}"
    return found.group(1)


def test_a_refused_sale_keeps_what_was_typed_and_says_what_is_wrong_beside_each_field(
        client, session, shop):
    login(client, shop.coordinator)
    r = _sell(client, {**_lines(shop, (shop.bourg.id, "501", "0,30"), (shop.clav.id, "12", "abc")),
                       "note": "livraison jeudi", "winemaker_id": ""})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "il n&#39;en reste que 500 en stock propre" in _field_error(html, "quantity-0")
    assert "Prix « abc » illisible" in _field_error(html, "unit_price-1")
    assert "choisissez" in _field_error(html, "winemaker_id")
    assert 'aria-invalid="true" aria-describedby="quantity-0-error"' in html
    for typed in ('value="501"', 'value="0,30"', 'value="12"', 'value="abc"',
                  'value="livraison jeudi"'):
        assert typed in html
    assert re.search(rf'<option value="{shop.clav.id}"[^>]* selected', html)
    assert session.query(Event).filter_by(kind="sale").count() == 0


def test_prices_with_a_decimal_comma_and_the_server_total(client, session, shop):
    login(client, shop.coordinator)
    r = _sell(client, {**_lines(shop, (shop.bourg.id, "10", "0,30"), (shop.clav.id, "3", "0,45")),
                       "winemaker_id": ""})
    html = r.get_data(as_text=True)
    # the total the server computed from what it could read is shown, the script updates it
    assert re.search(r'<output[^>]*id="sale-total"[^>]*>4,35\s*€</output>', html), html[-2000:]


def test_the_running_total_script_is_a_static_file_not_inline(client, shop):
    login(client, shop.coordinator)
    html = client.get("/ventes/nouvelle").get_data(as_text=True)
    assert re.search(r'<script src="/ventes/static/resales/resales\.js[^"]*" defer></script>', html)
    assert not re.search(r"<script>(?!\s*</script>)", html), "inline script"
    script = (STATIC / "resales.js").read_text()
    assert "sale-total" in script and "unit_price" in script
    note = client.get("/ventes/").get_data(as_text=True)
    assert "onclick" not in note



def test_the_pages_load_their_script_and_style(client, shop):
    """The resales package serves its own static files: every page's JS and CSS answer."""
    login(client, shop.coordinator)
    for page in ("/ventes/", "/ventes/nouvelle"):
        html = client.get(page).get_data(as_text=True)
        urls = re.findall(r'<(?:script src|link rel="stylesheet" href)="(/ventes/static/[^"?]+)', html)
        assert {url.rsplit("/", 1)[1] for url in urls} >= {"resales.js", "resales.css"}, page
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            assert response.get_data() == (STATIC / url.rsplit("/", 1)[1]).read_bytes(), url
            response.close()

def test_the_delivery_note_says_1_bouteille(client, session, shop):
    login(client, shop.coordinator)
    r = _sell(client, _lines(shop, (shop.bourg.id, "1", "0,30")))
    assert r.status_code == 302
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "1 bouteille<" in html and "1 bouteilles" not in html
    assert "1 bouteille neuve à" in html
    assert "onclick" not in html


def _plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\xa0", " ")


@pytest.mark.browser
def test_phone_running_total_refusal_and_delivery_note(phone, session, shop):
    """At 390 px: the total follows the typing, a refusal keeps it, the note fits the screen."""
    import os

    from tests.factories import PASSWORD

    shots = os.environ.get("SHOTS_DIR")

    def shot(name: str) -> None:
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390, phone.url
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            phone.screenshot(path=f"{shots}/{name}.png", full_page=True)

    phone.goto("/ventes/nouvelle")
    phone.fill("#username", shop.coordinator.username)
    phone.fill("#password", PASSWORD)
    phone.click("button[type=submit]")
    phone.wait_for_url("**/ventes/nouvelle")
    phone.select_option("#winemaker_id", str(shop.winemaker.id))
    phone.select_option("#model_id-0", str(shop.bourg.id))
    phone.fill("#quantity-0", "10")
    assert _plain(phone.locator("#sale-total").inner_text()) == "3,00 €"
    phone.select_option("#model_id-1", str(shop.clav.id))
    phone.fill("#quantity-1", "3")
    phone.fill("#unit_price-1", "0,45")
    assert _plain(phone.locator("#sale-total").inner_text()) == "4,35 €"
    phone.click(".add-line")
    assert phone.locator(".sale-line").count() == 3
    phone.fill("#quantity-2", "600")  # the new line took the price above, 0,45
    phone.select_option("#model_id-2", str(shop.bourg.id))
    shot("v1-vente-saisie")
    phone.click("form.sale button[type=submit]")
    assert "dont 10 déjà pris par les lignes du dessus" in phone.locator(
        "#quantity-2-error").inner_text()
    assert phone.locator("#quantity-1").input_value() == "3"
    assert phone.locator("#unit_price-1").input_value() == "0,45"
    assert _plain(phone.locator("#sale-total").inner_text()) == "274,35 €"
    shot("v2-vente-refusee")
    phone.fill("#quantity-2", "")
    phone.select_option("#model_id-2", "")
    phone.click("form.sale button[type=submit]")
    phone.wait_for_url("**/ventes/*")
    assert "4,35" in phone.locator("tfoot").inner_text()
    shot("v3-bon-de-livraison")
