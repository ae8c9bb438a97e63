"""Sorting, wash batches, clean stock, stock-take, corrections and the home panel over HTTP."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from bottles.check import check_ledger
from bottles.models import Event, Movement
from bottles.queries import stock
from bottles.rules import Kind, Move, Stage
from tests.factories import login, post_form
from tests.washer.helpers import receive_all, submit


@pytest.fixture
def received(client, session, dock):
    """100 bottles received at the washer, staff signed in."""
    crates = [dock.in_transit(60, 1), dock.in_transit(40, 2)]
    session.commit()
    login(client, dock.staff)
    receive_all(client, dock, *crates)
    return dock


def test_sorting_page_has_counters_per_model_and_refusals(client, received):
    page = client.get("/lavage/tri").get_data(as_text=True)
    assert "Bourguignonne 75 cl" in page and "Clavelin 62 cl" in page
    assert "Crémant 75 cl" not in page  # not in the pool: refused, not sorted
    assert page.count('data-step="1"') >= 6 and "100" in page
    assert "Domaine de la Pinte" in page  # permanent label names the estate


def test_sorting_records_models_refusals_and_estate(client, session, received):
    dock = received
    r = submit(client, "/lavage/tri", {f"m-{dock.bourg.id}": "70", f"r-{dock.reasons['cremant'].id}": "12",
                                       f"lq-{dock.reasons['permanent_label'].id}": "8",
                                       f"lw-{dock.reasons['permanent_label'].id}": dock.winemaker.id,
                                       "hours": "0,5"})
    assert r.status_code == 302
    assert stock(session, Stage.RECEIVED, dock.washer.id) == 10
    assert stock(session, Stage.SORTED, dock.washer.id, dock.bourg.id) == 70
    label = session.query(Movement).filter_by(reason_id=dock.reasons["permanent_label"].id).one()
    assert label.winemaker_id == dock.winemaker.id and label.quantity == 8
    event = session.get(Event, label.event_seq)
    assert event.kind == "sorting" and float(event.hours) == 0.5


@pytest.mark.parametrize("data, message", [
    ({"m-{bourg}": "-5"}, "entier positif"),
    ({"m-{bourg}": "2.5"}, "entier positif"),
    ({"m-{bourg}": "deux"}, "entier positif"),
    ({"m-{bourg}": "101"}, "Stock insuffisant"),
    ({"m-{cremant}": "5"}, "inconnu"),
    ({"m-99999": "5"}, "inconnu"),
    ({"m-abc": "5"}, "inconnu"),
    ({"r-{brokenwash}": "5"}, "motif"),
    ({}, "Aucune bouteille"),
])
def test_sorting_bad_input_is_refused_and_records_nothing(client, session, received, data, message):
    dock = received
    ids = {"bourg": dock.bourg.id, "cremant": dock.cremant.id,
           "brokenwash": dock.reasons["broken_wash"].id}
    form = {k.format(**ids): v for k, v in data.items()}
    before = session.query(Event).count()
    r = submit(client, "/lavage/tri", form)
    assert r.status_code in (409, 422)
    assert message in r.get_data(as_text=True)
    assert session.query(Event).count() == before
    assert stock(session, Stage.RECEIVED, dock.washer.id) == 100


def _sort(client, dock, bourg=80, clav=20):
    r = submit(client, "/lavage/tri", {f"m-{dock.bourg.id}": str(bourg), f"m-{dock.clav.id}": str(clav)})
    assert r.status_code == 302


def test_wash_batch_accepts_and_rejects_per_model(client, session, received):
    dock = received
    _sort(client, dock)
    page = client.get("/lavage/lot").get_data(as_text=True)
    assert "80 triées" in page and "Étiquette" not in page.split("Rebuts par motif")[0][-50:]
    r = submit(client, "/lavage/lot", {
        f"t-{dock.bourg.id}": "80", f"a-{dock.bourg.id}": "74",
        f"x-{dock.bourg.id}-{dock.reasons['label_on'].id}": "4",
        f"x-{dock.bourg.id}-{dock.reasons['dirty'].id}": "2",
        f"t-{dock.clav.id}": "10", f"a-{dock.clav.id}": "10", "water_l": "300", "energy_kwh": "12,5"})
    assert r.status_code == 302, r.get_data(as_text=True)
    assert stock(session, Stage.CLEAN, dock.washer.id, dock.bourg.id) == 74
    assert stock(session, Stage.CLEAN, dock.washer.id, dock.clav.id) == 10
    assert stock(session, Stage.SORTED, dock.washer.id, dock.clav.id) == 10
    event = session.query(Event).filter_by(kind="wash").one()
    assert float(event.water_l) == 300 and float(event.energy_kwh) == 12.5
    home = client.get("/").get_data(as_text=True)
    assert "rendement de lavage" in home and "93" in home  # 84 / 90
    assert "Étiquette restée" in home or "label on" in home


@pytest.mark.parametrize("extra, status, message", [
    ({"t": "80", "a": "70"}, 422, "mais le lot a pris 80"),
    ({"t": "81", "a": "81"}, 409, "Stock insuffisant"),
    ({"t": "10", "a": "-10"}, 422, "entier positif"),
    ({"t": "10", "a": "9", "x": "1", "reason": 1}, 422, "motif"),  # a refusal reason, not a reject one
    ({"t": "x", "a": "1"}, 422, "entier positif"),
    ({"water_l": "-3", "t": "1", "a": "1"}, 422, "Eau"),
    ({}, 422, "aucune bouteille"),
])
def test_wash_bad_input_records_nothing(client, session, received, extra, status, message):
    dock = received
    _sort(client, dock)
    before = session.query(Event).count()
    m = dock.bourg.id
    form = {}
    if "t" in extra:
        form[f"t-{m}"] = extra["t"]
    if "a" in extra:
        form[f"a-{m}"] = extra["a"]
    if "x" in extra:
        form[f"x-{m}-{dock.reasons['cremant'].id}"] = extra["x"]
    if "water_l" in extra:
        form["water_l"] = extra["water_l"]
    r = submit(client, "/lavage/lot", form)
    assert r.status_code == status, r.get_data(as_text=True)[:3000]
    assert message in r.get_data(as_text=True)
    assert session.query(Event).count() == before
    assert stock(session, Stage.SORTED, dock.washer.id, m) == 80


def test_clean_stock_age_fifo_pallets_and_hygiene_flag(client, session, dock, factory):
    old = datetime.now(UTC) - timedelta(days=40)
    recent = datetime.now(UTC) - timedelta(days=3)
    w = dock.washer.id
    factory.event(Kind.STOCKTAKE, at=old - timedelta(days=1), washer=w,
                  moves=[Move(Stage.OUTSIDE, Stage.SORTED, 3000, model_id=dock.bourg.id,
                              reason_id=dock.reasons["count_over"].id)])
    factory.event(Kind.WASH, at=old, washer=w, moves=[Move(Stage.SORTED, Stage.CLEAN, 1000,
                                                           model_id=dock.bourg.id)])
    factory.event(Kind.WASH, at=recent, washer=w, moves=[Move(Stage.SORTED, Stage.CLEAN, 1500,
                                                              model_id=dock.bourg.id)])
    # a sale of 700 draws on the oldest wash first: 300 of the old wash remain, stale
    factory.event(Kind.SALE, at=recent + timedelta(hours=1), washer=w, moves=[Move(
        Stage.CLEAN, Stage.SOLD, 700, model_id=dock.bourg.id, unit_price_cents=30,
        winemaker_id=dock.winemaker.id)])
    dock.washer.pallet_size = 1000
    session.commit()
    login(client, dock.staff)
    page = client.get("/lavage/stock").get_data(as_text=True)
    assert "1\u202f800" in page or "1 800" in page
    assert "1 palette</strong> de 1" in page and "+ 800 bouteilles" in page
    assert "il y a 40 j" in page and "⚠ 300 bouteilles lavées il y a plus de 30 jours" in page
    home = client.get("/").get_data(as_text=True)
    assert "au-delà de 30 j" in home


def test_pallet_size_is_for_coordinators(client, session, dock):
    session.commit()
    login(client, dock.staff)
    r = post_form(client, "/lavage/palette", {"pallet_size": "600"}, page_url="/lavage/stock")
    assert r.status_code == 403
    post_form(client, "/logout", {}, page_url="/")
    login(client, dock.coordinator)
    r = post_form(client, "/lavage/palette", {"pallet_size": "0", "w": dock.washer.id},
                  page_url="/lavage/stock")
    assert r.status_code == 422
    r = post_form(client, "/lavage/palette", {"pallet_size": "600", "w": dock.washer.id},
                  page_url="/lavage/stock")
    assert r.status_code == 302
    session.refresh(dock.washer)
    assert dock.washer.pallet_size == 600


def test_stocktake_records_losses_and_surpluses(client, session, received):
    dock = received
    _sort(client, dock)
    page = client.get("/lavage/inventaire?etape=sorted").get_data(as_text=True)
    assert 'value="80"' not in page and 'value="20"' not in page  # counted first, blank
    b, c = dock.bourg.id, dock.clav.id
    r = submit(client, "/lavage/inventaire?etape=sorted", {
        f"c-{b}": "75", f"c-{c}": "22", f"e-{b}": "80", f"e-{c}": "20", "action": "confirm",
        "loss_reason": dock.reasons["transit_breakage"].id,
        "surplus_reason": dock.reasons["count_over"].id}, page_url="/lavage/inventaire?etape=sorted")
    assert r.status_code == 302
    assert stock(session, Stage.SORTED, dock.washer.id, dock.bourg.id) == 75
    assert stock(session, Stage.SORTED, dock.washer.id, dock.clav.id) == 22
    r = submit(client, "/lavage/inventaire?etape=sorted",
               {f"c-{b}": "75", f"e-{b}": "75", "action": "confirm"},
               page_url="/lavage/inventaire?etape=sorted")
    assert r.status_code == 302
    r = submit(client, "/lavage/inventaire?etape=sorted",
               {f"c-{b}": "70", f"e-{b}": "75", "action": "confirm"},
               page_url="/lavage/inventaire?etape=sorted")
    assert r.status_code == 422 and "motif" in r.get_data(as_text=True)
    r = submit(client, "/lavage/inventaire?etape=received", {"c-0": "3", "e-0": "0", "action": "confirm"},
               page_url="/lavage/inventaire?etape=received")
    assert r.status_code == 422 and "Surplus" in r.get_data(as_text=True)
    r = submit(client, "/lavage/inventaire?etape=received",
               {"c-0": "3", "e-0": "0", "action": "confirm",
                "surplus_reason": dock.reasons["count_over"].id},
               page_url="/lavage/inventaire?etape=received")
    assert r.status_code == 302 and stock(session, Stage.RECEIVED, dock.washer.id) == 3
    assert client.get("/lavage/inventaire?etape=sold").status_code == 404
    assert check_ledger(session) == []


def test_correction_reverses_sorting_and_history_shows_both(client, session, received):
    dock = received
    _sort(client, dock)
    sorting = session.query(Event).filter_by(kind="sorting").one()
    history = client.get("/lavage/historique").get_data(as_text=True)
    assert f"/lavage/corriger/{sorting.seq}" in history
    r = submit(client, f"/lavage/corriger/{sorting.seq}", {"note": ""})
    assert r.status_code == 422
    r = submit(client, f"/lavage/corriger/{sorting.seq}", {"note": "inversé bourguignonne et clavelin"})
    assert r.status_code == 302
    assert stock(session, Stage.RECEIVED, dock.washer.id) == 100
    assert stock(session, Stage.SORTED, dock.washer.id) == 0
    history = client.get("/lavage/historique").get_data(as_text=True)
    assert f"annule le n° {sorting.seq}" in history and "corrigé par" in history
    r = submit(client, f"/lavage/corriger/{sorting.seq}", {"note": "encore", "event_id": str(uuid.uuid4())})
    assert r.status_code == 409 and "déjà été corrigé" in r.get_data(as_text=True)
    assert check_ledger(session) == []


def test_correcting_a_receipt_puts_the_crate_back_in_transit(client, session, received):
    dock = received
    receipt = session.query(Event).filter_by(kind="receipt").order_by(Event.seq).first()
    r = submit(client, f"/lavage/corriger/{receipt.seq}", {"note": "mauvaise caisse"})
    assert r.status_code == 302, r.get_data(as_text=True)
    crate = receipt.crate_id
    from bottles.models import Crate

    assert session.get(Crate, crate).state == "in_transit"
    assert stock(session, Stage.IN_TRANSIT) == 60 and stock(session, Stage.RECEIVED, dock.washer.id) == 40
    assert check_ledger(session) == []


def test_another_washers_staff_sees_and_changes_nothing(client, session, dock):
    crate = dock.in_transit(50)
    session.commit()
    login(client, dock.staff)
    receive_all(client, dock, crate)
    receipt = session.query(Event).filter_by(kind="receipt").one()
    post_form(client, "/logout", {}, page_url="/")
    login(client, dock.outsider)
    assert client.get(f"/lavage/tri?w={dock.washer.id}").status_code == 403
    assert client.get(f"/lavage/corriger/{receipt.seq}").status_code == 404
    r = submit(client, f"/lavage/tri?w={dock.washer.id}", {f"m-{dock.bourg.id}": "10"},
               page_url="/lavage/tri")
    assert r.status_code == 403
    assert f"corriger/{receipt.seq}" not in client.get("/lavage/historique").get_data(as_text=True)
    page = client.get("/lavage/tri").get_data(as_text=True)
    assert "0 bouteille réceptionnée attend le tri" in page  # French: 0 is singular
    assert stock(session, Stage.RECEIVED, dock.washer.id) == 50


def test_pages_need_a_washer_role(client, session, dock, factory):
    point_staff = factory.user("point", points=[dock.point])
    session.commit()
    login(client, point_staff)
    for url in ("/lavage/reception", "/lavage/tri", "/lavage/lot", "/lavage/stock", "/lavage/inventaire",
                "/lavage/historique", "/lavage/tournees"):
        assert client.get(url).status_code == 403, url


def test_home_panel_counts_expected_crates_and_waiting_bottles(client, session, received):
    dock = received
    dock.in_transit(33, 5)
    session.commit()
    _sort(client, dock, 50, 10)
    home = client.get("/").get_data(as_text=True)
    assert "caisse attendue (33 bouteilles annoncées)" in home  # one crate: singular
    assert "reçues, à trier" in home and ">40<" in home and ">60<" in home


@pytest.mark.parametrize("url", ["/lavage/tri", "/lavage/lot", "/lavage/inventaire?etape=clean",
                                 "/lavage/corriger/1", "/lavage/palette"])
def test_forms_without_csrf_token_record_nothing(client, session, received, url):
    dock = received
    before = session.query(Event).count()
    r = client.post(url, data={f"m-{dock.bourg.id}": "10", "event_id": str(uuid.uuid4()), "note": "x",
                               "pallet_size": "10"})
    assert r.status_code == 400 and "jeton" in r.get_data(as_text=True)
    assert session.query(Event).count() == before


def test_a_double_submission_racing_in_is_answered_as_recorded_once(client, session, received, monkeypatch):
    from sqlalchemy.exc import IntegrityError

    from washer import operations

    dock = received
    page = client.get("/lavage/tri").get_data(as_text=True)
    event_id = page.split('name="event_id" value="')[1].split('"')[0]
    first = submit(client, "/lavage/tri", {f"m-{dock.bourg.id}": "10", "event_id": event_id})
    assert first.status_code == 302

    def racing(*_a, **_k):
        raise IntegrityError("INSERT INTO events", {}, Exception("duplicate key"))

    monkeypatch.setattr(operations, "sort", racing)
    again = submit(client, "/lavage/tri", {f"m-{dock.bourg.id}": "10", "event_id": event_id})
    assert again.status_code == 302
    other = submit(client, "/lavage/tri", {f"m-{dock.bourg.id}": "10"})
    assert other.status_code == 409 and "Conflit" in other.get_data(as_text=True)
    assert stock(session, Stage.SORTED, dock.washer.id, dock.bourg.id) == 10


def test_the_demo_catalogues_label_reason_lets_the_sorter_name_the_estate(client, session, received, factory):
    reason = factory.reason("REF-ETIQUETTE", "refusal", "Étiquette permanente (colle non lavable)")
    factory.reason("REJ-ETIQUETTE", "reject", "Étiquette non décollée")
    session.commit()
    page = client.get("/lavage/tri").get_data(as_text=True)
    assert f'name="lq-{reason.id}"' in page and f'name="lw-{reason.id}"' in page
    assert f'name="r-{reason.id}"' not in page
    r = submit(client, "/lavage/tri", {f"lq-{reason.id}": ["5", "3"],
                                       f"lw-{reason.id}": [str(received.winemaker.id), ""]})
    assert r.status_code == 302
    rows = session.query(Movement).filter_by(reason_id=reason.id).order_by(Movement.quantity).all()
    assert [(m.quantity, m.winemaker_id is not None) for m in rows] == [(3, False), (5, True)]
