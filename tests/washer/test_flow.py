"""End to end over HTTP: received crates → sorting → a wash batch → a sale, stocks checked each step."""

from __future__ import annotations

from bottles.check import check_ledger
from bottles.queries import stock
from bottles.rules import Stage
from tests.factories import login, post_form


def test_crates_through_sorting_batch_and_sale(client, session, dock):
    a, b = dock.in_transit(50, 1), dock.in_transit(40, 2)
    session.commit()
    login(client, dock.staff)
    w = dock.washer.id

    page = client.get(f"/lavage/reception?code={a.code.lower()}")
    assert page.status_code == 200 and "Annoncé" in page.get_data(as_text=True)
    r = post_form(client, "/lavage/reception", {"crate_id": a.id, "counted": "50", "event_id": _id(page)},
                  page_url=f"/lavage/reception?code={a.code}")
    assert r.status_code == 302
    page = client.get(f"/lavage/reception?code={b.code}")
    r = post_form(client, "/lavage/reception", {"crate_id": b.id, "counted": "38", "event_id": _id(page),
                                                "reason_id": dock.reasons["transit_breakage"].id},
                  page_url=f"/lavage/reception?code={b.code}")
    assert r.status_code == 302
    assert stock(session, Stage.RECEIVED, w) == 88
    assert stock(session, Stage.IN_TRANSIT) == 0
    assert stock(session, Stage.LOST) == 0  # sinks are not held stocks
    session.refresh(a)
    assert a.state == "in_pool" and a.washer_id == w

    page = client.get("/lavage/tri")
    r = post_form(client, "/lavage/tri", {
        "event_id": _id(page), f"m-{dock.bourg.id}": "60", f"m-{dock.clav.id}": "10",
        f"r-{dock.reasons['cremant'].id}": "8", f"lq-{dock.reasons['permanent_label'].id}": ["6", "4"],
        f"lw-{dock.reasons['permanent_label'].id}": [str(dock.winemaker.id), ""]}, page_url="/lavage/tri")
    assert r.status_code == 302, r.get_data(as_text=True)
    assert stock(session, Stage.RECEIVED, w) == 0
    assert stock(session, Stage.SORTED, w, dock.bourg.id) == 60
    assert stock(session, Stage.SORTED, w, dock.clav.id) == 10

    page = client.get("/lavage/lot")
    assert "Bourguignonne" in page.get_data(as_text=True)
    r = post_form(client, "/lavage/lot", {
        "event_id": _id(page), f"t-{dock.bourg.id}": "60", f"a-{dock.bourg.id}": "55",
        f"x-{dock.bourg.id}-{dock.reasons['label_on'].id}": "3",
        f"x-{dock.bourg.id}-{dock.reasons['broken_wash'].id}": "2", "water_l": "120,5",
        "energy_kwh": "14", "hours": "1.5"}, page_url="/lavage/lot")
    assert r.status_code == 302, r.get_data(as_text=True)
    assert stock(session, Stage.SORTED, w, dock.bourg.id) == 0
    assert stock(session, Stage.CLEAN, w, dock.bourg.id) == 55

    stock_page = client.get("/lavage/stock").get_data(as_text=True)
    assert "55" in stock_page and "Moins d'une palette de 1" in stock_page

    post_form(client, "/logout", {}, page_url="/")
    login(client, dock.coordinator)
    page = client.get("/ventes/nouvelle")
    assert page.status_code == 200
    r = post_form(client, "/ventes/nouvelle", {
        "event_id": _id(page), "winemaker_id": dock.winemaker.id, "washer_id": w,
        "date": "2026-03-10", "model_id": [str(dock.bourg.id)], "quantity": ["50"],
        "unit_price": ["0,30"]}, page_url="/ventes/nouvelle")
    assert r.status_code == 302, r.get_data(as_text=True)
    assert stock(session, Stage.CLEAN, w, dock.bourg.id) == 5
    assert stock(session, Stage.SOLD, dock.winemaker.id, dock.bourg.id) == 50
    note = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Domaine de la Pinte" in note and "17,0 kg" in note and "25,00" in note  # 50×0,34 kg; 50×0,50 €
    assert check_ledger(session) == []
    result = client.application.test_cli_runner().invoke(args=["bottles", "check-ledger"])
    assert result.exit_code == 0, result.output


def _id(page) -> str:
    import re

    return re.search(r'name="event_id" value="([0-9a-f-]+)"', page.get_data(as_text=True)).group(1)
