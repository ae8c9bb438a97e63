"""Reservations end to end through HTTP: a winemaker reserves, coordination and the washer see it,
it becomes a sale with its delivery note; another estate neither sees nor touches it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import g
from flask.testing import FlaskClient
from sqlalchemy import func, select

from bottles.check import check_ledger
from bottles.models import Event
from bottles.queries import stock
from bottles.rules import PARIS, Kind, Move, Stage
from resales.models import Reservation, ReservationChange
from tests.factories import csrf_from, login
from tests.washer.dock import make_dock


@pytest.fixture
def shop(factory, session):
    """500 clean bourguignonnes washed 5 days ago (the pace: 500 in 90 days); two estates, each
    with its account."""
    dock = make_dock(factory)
    at = datetime.now(UTC) - timedelta(days=5)
    factory.event(Kind.STOCKTAKE, at=at - timedelta(days=1), washer=dock.washer.id, moves=[Move(
        Stage.OUTSIDE, Stage.SORTED, 500, model_id=dock.bourg.id, reason_id=dock.reasons["count_over"].id)])
    factory.event(Kind.WASH, at=at, washer=dock.washer.id,
                  moves=[Move(Stage.SORTED, Stage.CLEAN, 500, model_id=dock.bourg.id)])
    dock.vigneron = factory.user("winemaker", "vigneron-pinte")
    dock.vigneron.winemaker_id = dock.winemaker.id
    dock.rival_estate = factory.winemaker(estate="Château Voisin")
    dock.rival = factory.user("winemaker", "vigneron-voisin")
    dock.rival.winemaker_id = dock.rival_estate.id
    session.commit()
    return dock


class Person(FlaskClient):
    """A browser of its own: the app context the fixture holds open keeps no one else's sign-in."""

    def open(self, *args, **kwargs):
        for cached in ("_login_user", "csrf_token"):  # Flask-Login's and Flask-WTF's, per person
            g.pop(cached, None)
        return super().open(*args, **kwargs)


def signed_in(app, user) -> Person:
    client = Person(app, app.response_class, use_cookies=True)
    assert login(client, user).status_code == 302
    return client


def day(days: int) -> str:
    """`days` from today in the Jura (the day the pages count from: PARIS, not UTC, which is still
    yesterday between midnight and 1 or 2 a.m.)."""
    return (datetime.now(PARIS) + timedelta(days=days)).date().isoformat()


def reserve(client, url: str = "/ventes/mes-reservations", **data):
    page = client.get(url).get_data(as_text=True)
    request_id = re.search(r'name="request_id" value="([0-9a-f-]+)"', page).group(1)
    return client.post("/ventes/reservations", data={"csrf_token": csrf_from(page), "request_id": request_id,
                                                     **data})


def post(client, url: str, page_url: str, **data):
    page = client.get(page_url).get_data(as_text=True)
    return client.post(url, data={"csrf_token": csrf_from(page), **data})


def text(response) -> str:
    import html
    return html.unescape(response.get_data(as_text=True))


def reservations(session) -> list[Reservation]:
    session.expire_all()
    return list(session.scalars(select(Reservation).order_by(Reservation.id)))


def test_a_reservation_flows_to_a_sale_with_its_delivery_note(app, session, shop):
    wine = signed_in(app, shop.vigneron)
    page = wine.get("/ventes/mes-reservations")
    assert page.status_code == 200 and "Domaine de la Pinte" in text(page) and "500" in text(page)
    done = reserve(wine, model_id=shop.bourg.id, quantity="300", unit="bottles", wanted_by=day(10),
                   note="mise en bouteille")
    assert done.status_code == 302
    assert "Réservation enregistrée." in text(wine.get(done.headers["Location"]))
    # one pallet (1,200) by 30 days: 200 left in stock, 500/90 a day × 30 = 166 washed: 834 unmet
    beyond = reserve(wine, model_id=shop.bourg.id, quantity="1", unit="pallets", wanted_by=day(30))
    assert beyond.status_code == 302
    shown = text(wine.get(beyond.headers["Location"]))
    assert "834 bouteilles sur 1 200" in shown.replace("\u202f", " ").replace("\xa0", " ")
    assert "demande non satisfaite" in shown
    first, second = reservations(session)
    assert (first.quantity, first.pallets, second.quantity, second.pallets) == (300, None, 1200, 1)
    assert first.winemaker_id == second.winemaker_id == shop.winemaker.id

    # coordination and the washer see it, with the estate's name
    coord = signed_in(app, shop.coordinator)
    listed = text(coord.get("/ventes/reservations"))
    assert "Domaine de la Pinte" in listed and "mise en bouteille" in listed
    staff = signed_in(app, shop.staff)
    prepare = text(staff.get("/ventes/a-preparer"))
    assert "Domaine de la Pinte" in prepare and "300 bouteilles du lavage" in prepare.replace("\u202f", " ")

    # the rival estate sees neither the reservations nor the name, and cannot act on them
    rival = signed_in(app, shop.rival)
    theirs = text(rival.get("/ventes/mes-reservations"))
    assert "Domaine de la Pinte" not in theirs and "mise en bouteille" not in theirs
    mine = "/ventes/mes-reservations"
    assert post(rival, f"/ventes/reservations/{first.id}/annuler", mine).status_code == 404
    assert rival.get(f"/ventes/reservations/{first.id}/vendre").status_code == 403

    # one step: the sale in the ledger, the reservation fulfilled, the delivery note
    sold = post(coord, f"/ventes/reservations/{first.id}/vendre", f"/ventes/reservations/{first.id}/vendre",
                washer_id=shop.washer.id, unit_price="0,30",
                event_id=re.search(r'name="event_id" value="([0-9a-f-]+)"',
                                   coord.get(f"/ventes/reservations/{first.id}/vendre").get_data(as_text=True)
                                   ).group(1))
    assert sold.status_code == 302 and "/ventes/" in sold.headers["Location"]
    first = reservations(session)[0]
    sale = session.get(Event, first.sale_seq)
    assert first.status == "fulfilled" and sale.kind == Kind.SALE.value
    assert [(m.bottle_model_id, m.quantity, m.winemaker_id, m.unit_price_cents) for m in sale.movements] == \
        [(shop.bourg.id, 300, shop.winemaker.id, 30)]
    assert stock(session, Stage.CLEAN, shop.washer.id, shop.bourg.id) == 200
    changes = session.scalars(select(ReservationChange.status).where(
        ReservationChange.reservation_id == first.id).order_by(ReservationChange.id)).all()
    assert changes == ["open", "fulfilled"]
    assert check_ledger(session) == []

    # the delivery note: the winemaker's (page and PDF), not the rival's
    note = wine.get(f"/ventes/{sale.seq}")
    assert note.status_code == 200 and "Bon de livraison" in text(note)
    pdf = wine.get(f"/ventes/{sale.seq}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data[:4] == b"%PDF"
    assert f"/ventes/{sale.seq}.pdf" in text(wine.get("/ventes/mes-reservations"))
    assert rival.get(f"/ventes/{sale.seq}").status_code == 404
    assert rival.get(f"/ventes/{sale.seq}.pdf").status_code == 404
    assert wine.get("/ventes/").status_code == 403  # every estate's sales: not a winemaker's

    # sold once: a second sale of the same reservation is refused, nothing written
    events = session.scalar(select(func.count()).select_from(Event))
    again = post(coord, f"/ventes/reservations/{first.id}/vendre", "/ventes/reservations",
                 washer_id=shop.washer.id, unit_price="", event_id="1b1b1b1b-0000-4000-8000-00000000001b")
    assert again.status_code == 409 and "plus ouverte" in text(again)
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Event)) == events

    # beyond the stock: refused with the washer's stock said, nothing written
    url = f"/ventes/reservations/{second.id}/vendre"
    short = post(coord, url, url,
                 washer_id=shop.washer.id, unit_price="", event_id="2b1b1b1b-0000-4000-8000-00000000001b")
    assert short.status_code == 422 and "Stock insuffisant" in text(short)
    assert reservations(session)[1].status == "open"

    # the winemaker cancels the other one: kept, with its history
    cancelled = post(wine, f"/ventes/reservations/{second.id}/annuler", "/ventes/mes-reservations")
    assert cancelled.status_code == 302
    second = reservations(session)[1]
    assert second.status == "cancelled"
    assert session.scalars(select(ReservationChange.status).where(
        ReservationChange.reservation_id == second.id).order_by(ReservationChange.id)).all() == \
        ["open", "cancelled"]
    assert post(wine, f"/ventes/reservations/{second.id}/annuler", mine).status_code == 409


def test_coordination_reserves_for_an_estate_and_a_double_submission_counts_once(app, session, shop):
    coord = signed_in(app, shop.coordinator)
    page = coord.get("/ventes/reservations").get_data(as_text=True)
    request_id = re.search(r'name="request_id" value="([0-9a-f-]+)"', page).group(1)
    form = {"csrf_token": csrf_from(page), "request_id": request_id, "winemaker_id": shop.rival_estate.id,
            "model_id": shop.clav.id, "quantity": "2", "unit": "pallets", "wanted_by": day(60)}
    assert coord.post("/ventes/reservations", data=form).status_code == 302
    again = coord.post("/ventes/reservations", data=form)
    assert again.status_code == 302 and "Déjà enregistré" in text(coord.get(again.headers["Location"]))
    (row,) = reservations(session)
    assert (row.winemaker_id, row.quantity, row.pallets, row.created_by_id) == \
        (shop.rival_estate.id, 2400, 2, shop.coordinator.id)


def test_a_winemaker_posting_for_another_estate_reserves_for_their_own(app, session, shop):
    wine = signed_in(app, shop.vigneron)
    done = reserve(wine, model_id=shop.bourg.id, quantity="10", wanted_by=day(3),
                   winemaker_id=shop.rival_estate.id)
    assert done.status_code == 302
    (row,) = reservations(session)
    assert row.winemaker_id == shop.winemaker.id


def test_a_winemaker_account_without_an_estate_sees_nothing(app, session, factory):
    lost = factory.user("winemaker", "vigneron-sans-domaine")
    session.commit()
    client = signed_in(app, lost)
    page = client.get("/ventes/mes-reservations")
    assert page.status_code == 403 and "rattaché à aucun domaine" in text(page)


def test_an_admin_creates_a_winemaker_account_linked_to_one_estate(app, session, factory, shop):
    from bottles.models import User

    admin = signed_in(app, factory.user("admin", "admin-boucle"))
    base = {"username": "vigneron-neuf", "display_name": "Vigneron neuf", "role": "winemaker",
            "language": "fr", "password": "Savagnin-2027", "confirm": "Savagnin-2027"}
    missing = post(admin, "/people/new", "/people/new", **base)
    assert missing.status_code == 422 and "Rattachez ce compte de vigneron à son domaine." in text(missing)
    unknown = post(admin, "/people/new", "/people/new", **base, winemaker_id="999999")
    assert unknown.status_code == 422 and "Domaine inconnu" in text(unknown)
    assert session.scalar(select(func.count()).select_from(User).where(User.username == "vigneron-neuf")) == 0
    made = post(admin, "/people/new", "/people/new", **base, winemaker_id=str(shop.rival_estate.id))
    assert made.status_code == 302
    session.expire_all()
    user = session.scalar(select(User).where(User.username == "vigneron-neuf"))
    assert (user.role, user.winemaker_id) == ("winemaker", shop.rival_estate.id)
    form = text(admin.get(f"/people/{user.id}"))
    assert "Château Voisin" in form and "Domaine (vigneron)" in form
    # another role keeps no estate
    post(admin, f"/people/{user.id}", f"/people/{user.id}", **{**base, "role": "driver"},
         winemaker_id=str(shop.rival_estate.id))
    session.expire_all()
    assert session.get(User, user.id).winemaker_id is None


def test_a_sale_corrected_gives_its_reservation_back(app, session, shop):
    """The delivered reservation's sale cancelled (from the note, the washer's page or the API):
    the reservation is open again, its history says which sale was cancelled and why."""
    coord = signed_in(app, shop.coordinator)
    assert reserve(coord, "/ventes/reservations", winemaker_id=shop.winemaker.id, model_id=shop.bourg.id,
                   quantity="120", unit="bottles", wanted_by=day(10)).status_code == 302
    reservation = reservations(session)[0]
    url = f"/ventes/reservations/{reservation.id}/vendre"
    form = coord.get(url).get_data(as_text=True)
    event_id = re.search(r'name="event_id" value="([0-9a-f-]+)"', form).group(1)
    sold = post(coord, url, url, washer_id=shop.washer.id, unit_price="", event_id=event_id)
    assert sold.status_code == 302
    sale_seq = reservations(session)[0].sale_seq
    assert sale_seq is not None and stock(session, Stage.CLEAN, shop.washer.id, shop.bourg.id) == 380

    corrected = post(coord, f"/ventes/{sale_seq}/corriger", f"/ventes/{sale_seq}",
                     event_id="3c1b1b1b-0000-4000-8000-00000000003c", note="palette cassée au chargement")
    assert corrected.status_code == 302
    reservation = reservations(session)[0]
    assert (reservation.status, reservation.sale_seq) == ("open", None)
    change = ReservationChange
    changes = session.execute(select(change.status, change.sale_seq, change.note)
                              .where(ReservationChange.reservation_id == reservation.id)
                              .order_by(ReservationChange.id)).all()
    assert [tuple(c) for c in changes] == [("open", None, ""), ("fulfilled", sale_seq, ""),
                                           ("open", sale_seq, "palette cassée au chargement")]
    assert stock(session, Stage.CLEAN, shop.washer.id, shop.bourg.id) == 500
    shown = text(coord.get("/ventes/reservations"))
    assert f"rouverte : vente n° {sale_seq} corrigée" in shown and "palette cassée" in shown
    # open again: it can be sold once more
    again = coord.get(url)
    assert again.status_code == 200
