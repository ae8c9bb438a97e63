"""Resales: a sale from clean stock, its delivery note (page and PDF), winemaker page, corrections."""

from __future__ import annotations

import io
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from bottles.check import check_ledger
from bottles.models import Event, Setting
from bottles.queries import stock
from bottles.rules import Kind, Move, Stage
from tests.factories import csrf_from, login, post_form
from tests.washer.dock import make_dock


@pytest.fixture
def shop(factory, session):
    """A washer with 500 clean bourguignonnes and 100 clavelins."""
    dock = make_dock(factory)
    w = dock.washer.id
    at = datetime.now(UTC) - timedelta(days=5)
    for model, q in ((dock.bourg, 500), (dock.clav, 100)):
        factory.event(Kind.STOCKTAKE, at=at - timedelta(days=1), washer=w, moves=[Move(
            Stage.OUTSIDE, Stage.SORTED, q, model_id=model.id, reason_id=dock.reasons["count_over"].id)])
        factory.event(Kind.WASH, at=at, washer=w,
                      moves=[Move(Stage.SORTED, Stage.CLEAN, q, model_id=model.id)])
    session.commit()
    return dock


def _sell(client, data: dict):
    html = client.get("/ventes/nouvelle").get_data(as_text=True)
    event_id = re.search(r'name="event_id" value="([0-9a-f-]+)"', html).group(1)
    return client.post("/ventes/nouvelle", data={"csrf_token": csrf_from(html), "event_id": event_id,
                                                 **data})


def _lines(shop, *lines):
    return {"winemaker_id": shop.winemaker.id, "washer_id": shop.washer.id,
            "model_id": [str(m) for m, _q, _p in lines], "quantity": [q for _m, q, _p in lines],
            "unit_price": [p for _m, _q, p in lines]}


def test_sale_with_two_lines_and_its_delivery_note(client, session, shop):
    login(client, shop.coordinator)
    form = client.get("/ventes/nouvelle").get_data(as_text=True)
    assert "0,3" in form and "Domaine de la Pinte" in form and "500" in form
    r = _sell(client, _lines(shop, (shop.bourg.id, "300", "0,30"), (shop.clav.id, "50", "0.45")))
    assert r.status_code == 302, r.get_data(as_text=True)
    assert stock(session, Stage.CLEAN, shop.washer.id, shop.bourg.id) == 200
    assert stock(session, Stage.CLEAN, shop.washer.id, shop.clav.id) == 50
    assert stock(session, Stage.SOLD, shop.winemaker.id) == 350
    note = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Bon de livraison" in note and "Boucle" in note
    assert "112,50" in note  # 300 × 0,30 + 50 × 0,45
    assert "167,50" in note  # saving: 350 × 0,80 − 112,50
    assert "119,0 kg" in note  # CO₂: 350 × 0,34
    assert "195,0 kg" in note  # glass: 300 × 0,55 + 50 × 0,60
    seq = int(r.headers["Location"].rsplit("/", 1)[1])
    pdf = client.get(f"/ventes/{seq}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    from pypdf import PdfReader

    text = PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()
    assert "Domaine de la Pinte" in text and "112,50" in text and "119,0 kg" in text
    page = client.get(f"/ventes/vigneron/{shop.winemaker.id}").get_data(as_text=True)
    assert "350" in page and "167,50" in page and "119,0 kg" in page
    assert "Domaine de la Pinte" in client.get("/ventes/").get_data(as_text=True)
    assert f'href="/ventes/{seq}"' in client.get("/lavage/historique").get_data(as_text=True)
    assert check_ledger(session) == []


def test_default_price_comes_from_the_setting(client, session, shop):
    session.add(Setting(key="resale_price_cents", value="25"))
    session.add(Setting(key="new_bottle_price_cents", value="160"))
    session.commit()
    login(client, shop.coordinator)
    assert "0,25" in client.get("/ventes/nouvelle").get_data(as_text=True)
    r = _sell(client, _lines(shop, (shop.bourg.id, "100", "")))
    assert r.status_code == 302
    sale = session.query(Event).filter_by(kind="sale").one()
    assert sale.movements[0].unit_price_cents == 25
    note = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "135,00" in note  # 100 × (1,60 − 0,25)


@pytest.mark.parametrize("lines, status, message", [
    ([], 422, "au moins une ligne"),
    ([("bourg", "10", "-0,10")], 422, "entre 0 et 10"),
    ([("bourg", "10", "10,01")], 422, "entre 0 et 10"),
    ([("bourg", "10", "abc")], 422, "illisible"),
    ([("bourg", "-10", "0,30")], 422, "entier"),
    ([("bourg", "1.5", "0,30")], 422, "entier"),
    ([("bourg", "501", "0,30")], 422, "Stock insuffisant : il n&#39;en reste que 500"),
    ([("99999", "1", "0,30")], 422, "inconnu"),
    ([("cremant", "1", "0,30")], 422, "Aucune bouteille propre de ce modèle"),
])
def test_bad_sales_record_nothing(client, session, shop, lines, status, message):
    login(client, shop.coordinator)
    ids = {"bourg": shop.bourg.id, "cremant": shop.cremant.id}
    resolved = [(ids.get(m, m), q, p) for m, q, p in lines]
    r = _sell(client, _lines(shop, *resolved))
    assert r.status_code == status, r.get_data(as_text=True)[-3000:]
    assert message in r.get_data(as_text=True)
    assert session.query(Event).filter_by(kind="sale").count() == 0
    assert stock(session, Stage.CLEAN, shop.washer.id) == 600


def test_sale_needs_a_winemaker_a_date_not_in_the_future_and_csrf(client, session, shop):
    login(client, shop.coordinator)
    data = _lines(shop, (shop.bourg.id, "10", "0,30"))
    assert _sell(client, {**data, "winemaker_id": ""}).status_code == 422
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    assert _sell(client, {**data, "date": tomorrow}).status_code == 422
    assert _sell(client, {**data, "date": "10/03/2026"}).status_code == 422
    r = client.post("/ventes/nouvelle", data={**data, "event_id": str(uuid.uuid4())})
    assert r.status_code == 400
    assert session.query(Event).filter_by(kind="sale").count() == 0
    r = _sell(client, {**data, "date": "2026-03-10"})
    assert r.status_code == 302
    sale = session.query(Event).filter_by(kind="sale").one()
    assert sale.occurred_at.date().isoformat() == "2026-03-10"


def test_washer_staff_sell_only_where_allowed(client, session, shop):
    login(client, shop.staff)
    assert client.get("/ventes/nouvelle").status_code == 403
    shop.washer.staff_may_sell = True
    session.commit()
    assert client.get("/ventes/nouvelle").status_code == 200
    r = _sell(client, {**_lines(shop, (shop.bourg.id, "10", "0,30")), "washer_id": shop.other.id})
    assert r.status_code == 403 and "ce centre de lavage" in r.get_data(as_text=True)
    assert _sell(client, _lines(shop, (shop.bourg.id, "10", "0,30"))).status_code == 302
    assert client.get(f"/ventes/vigneron/{shop.winemaker.id}").status_code == 403
    seq = session.query(Event).filter_by(kind="sale").one().seq
    post_form(client, "/logout", {}, page_url="/")
    login(client, shop.outsider)
    assert client.get(f"/ventes/{seq}").status_code == 404
    assert client.get(f"/ventes/{seq}.pdf").status_code == 404


def test_correcting_a_sale_returns_the_bottles(client, session, shop):
    login(client, shop.coordinator)
    r = _sell(client, _lines(shop, (shop.bourg.id, "100", "0,30")))
    url = r.headers["Location"]
    seq = int(url.rsplit("/", 1)[1])
    page = client.get(url).get_data(as_text=True)
    event_id = re.findall(r'name="event_id" value="([0-9a-f-]+)"', page)[-1]
    r = client.post(f"/ventes/{seq}/corriger", data={"csrf_token": csrf_from(page), "event_id": event_id,
                                                    "note": ""})
    assert r.status_code == 422
    r = client.post(f"/ventes/{seq}/corriger", data={"csrf_token": csrf_from(page), "event_id": event_id,
                                                    "note": "mauvais vigneron"})
    assert r.status_code == 302
    assert stock(session, Stage.CLEAN, shop.washer.id, shop.bourg.id) == 500
    assert stock(session, Stage.SOLD) == 0
    note = client.get(url).get_data(as_text=True)
    assert "a été annulée" in note
    assert "annulée" in client.get("/ventes/").get_data(as_text=True)
    page = client.get(f"/ventes/vigneron/{shop.winemaker.id}").get_data(as_text=True)
    assert "Aucun achat" not in page and ">0<" in page  # the purchase is listed, struck, not counted
    assert check_ledger(session) == []


def test_estates_with_permanent_labels_come_first(client, session, shop, factory):
    from washer import operations as washer_ops

    other = factory.winemaker(estate="Domaine Aaa")
    crate = shop.in_transit(40)
    washer_ops.receive(session, actor=shop.staff, at=datetime.now(UTC), event_id=uuid.uuid4(),
                       washer_id=shop.washer.id, crate=crate, counted=40)
    washer_ops.sort(session, actor=shop.staff, at=datetime.now(UTC), event_id=uuid.uuid4(),
                    washer_id=shop.washer.id, eligible={shop.bourg.id: 20}, refusals=[
                        washer_ops.Refusal(shop.reasons["permanent_label"].id, 17, shop.winemaker.id)])
    session.commit()
    login(client, shop.coordinator)
    page = client.get("/ventes/vignerons").get_data(as_text=True)
    assert "17 bouteilles écartées pour étiquette permanente" in page
    assert page.index("Domaine de la Pinte") < page.index(other.estate)
    detail = client.get(f"/ventes/vigneron/{shop.winemaker.id}").get_data(as_text=True)
    assert "17 bouteilles de ce domaine" in detail


def test_crate_page_offers_the_receipt_to_the_washer(client, session, shop):
    crate = shop.in_transit(12)
    session.commit()
    login(client, shop.staff)
    page = client.get(f"/c/{crate.code}").get_data(as_text=True)
    assert "Réceptionner cette caisse" in page and f"/lavage/reception?code={crate.code}" in page


def test_sales_list_pages(client, session, shop, monkeypatch):
    from resales import views

    monkeypatch.setattr(views, "SALES_PER_PAGE", 1)
    login(client, shop.coordinator)
    first = _sell(client, _lines(shop, (shop.bourg.id, "10", "0,30")))
    second = _sell(client, _lines(shop, (shop.bourg.id, "20", "0,30")))
    assert first.status_code == second.status_code == 302
    page1 = client.get("/ventes/").get_data(as_text=True)
    page2 = client.get("/ventes/?page=2").get_data(as_text=True)
    assert "Plus anciennes" in page1 and "Plus anciennes" not in page2
    assert "Plus récentes" in page2
    assert page1.count('href="/ventes/') - page1.count('href="/ventes/vig') >= 1
    assert client.get("/ventes/?page=x").status_code == 200
    assert "Aucune vente sur cette page" in client.get("/ventes/?page=99").get_data(as_text=True)
