"""Issue 8 §1: a refused form looks refused — nothing shown is read from the failed transaction."""

from __future__ import annotations

import uuid

import pytest

from bottles.check import check_ledger
from bottles.models import Event
from bottles.queries import stock
from bottles.rules import Stage
from tests.factories import login
from tests.washer.helpers import receive_all, submit


@pytest.fixture
def received(client, session, dock):
    """100 bottles received at the washer (60 + 40), staff signed in."""
    crates = [dock.in_transit(60, 1), dock.in_transit(40, 2)]
    session.commit()
    login(client, dock.staff)
    receive_all(client, dock, *crates)
    return dock


def _sort(client, dock, bourg=80, clav=20):
    r = submit(client, "/lavage/tri", {f"m-{dock.bourg.id}": str(bourg), f"m-{dock.clav.id}": str(clav)})
    assert r.status_code == 302, r.get_data(as_text=True)


def test_a_refused_correction_is_not_shown_as_corrected_and_names_what_to_correct_first(
        client, session, received):
    dock = received
    _sort(client, dock)  # every received bottle is sorted: the receipts' bottles are gone
    receipt = session.query(Event).filter_by(kind="receipt").order_by(Event.seq).first()
    sorting = session.query(Event).filter_by(kind="sorting").one()
    before = session.query(Event).count()
    r = submit(client, f"/lavage/corriger/{receipt.seq}", {"note": "mauvaise caisse"})
    html = r.get_data(as_text=True)
    assert r.status_code == 409, html[:2000]
    assert "corrigé par" not in html and "déjà été corrigé" not in html
    assert 'class="corrected' not in html
    assert "mauvaise caisse" in html  # the reason typed is kept in the re-shown form
    # what to do: the sorting that used these bottles, with a link to its correction page
    assert f'href="/lavage/corriger/{sorting.seq}"' in html
    assert "Corrigez d'abord" in html
    assert session.query(Event).count() == before
    again = client.get(f"/lavage/corriger/{receipt.seq}").get_data(as_text=True)
    assert 'name="note"' in again and "déjà été corrigé" not in again
    assert check_ledger(session) == []


def test_correcting_what_blocks_then_the_receipt_works(client, session, received):
    dock = received
    _sort(client, dock)
    receipt = session.query(Event).filter_by(kind="receipt").order_by(Event.seq).first()
    sorting = session.query(Event).filter_by(kind="sorting").one()
    assert submit(client, f"/lavage/corriger/{sorting.seq}", {"note": "tri à refaire"}).status_code == 302
    r = submit(client, f"/lavage/corriger/{receipt.seq}", {"note": "mauvaise caisse"})
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    assert stock(session, Stage.RECEIVED, dock.washer.id) == 40


def test_only_the_latest_events_needed_are_listed(client, session, received):
    """Three sortings of 30 then a receipt correction needing 60 of the 10 left: the two latest."""
    dock = received
    for _ in range(3):
        _sort(client, dock, 30, 0)
    first, second, third = session.query(Event).filter_by(kind="sorting").order_by(Event.seq).all()
    receipt = session.query(Event).filter_by(kind="receipt").order_by(Event.seq).first()
    html = submit(client, f"/lavage/corriger/{receipt.seq}", {"note": "x"}).get_data(as_text=True)
    assert f"/lavage/corriger/{third.seq}" in html and f"/lavage/corriger/{second.seq}" in html
    assert f"/lavage/corriger/{first.seq}" not in html


def test_a_refused_wash_batch_shows_the_stock_as_it_is(client, session, received):
    """The first model's stock was taken inside the failed transaction: the page must not show it."""
    dock = received
    _sort(client, dock)
    first, second = sorted([dock.bourg, dock.clav], key=lambda m: m.id)
    have = {dock.bourg.id: 80, dock.clav.id: 20}
    r = submit(client, "/lavage/lot", {
        f"t-{first.id}": str(have[first.id]), f"a-{first.id}": str(have[first.id]),
        f"t-{second.id}": str(have[second.id] + 1), f"a-{second.id}": str(have[second.id] + 1)})
    html = r.get_data(as_text=True)
    assert r.status_code == 409, html[:2000]
    assert f"{have[first.id]} triées en attente" in html
    assert f'name="t-{first.id}"' in html and f'value="{have[first.id]}"' in html
    assert stock(session, Stage.SORTED, dock.washer.id, first.id) == have[first.id]


def test_a_refused_receipt_shows_the_crate_still_to_receive(client, session, dock):
    crate = dock.in_transit(50, 1)
    session.commit()
    login(client, dock.staff)
    page = f"/lavage/reception?code={crate.code}"
    r = submit(client, "/lavage/reception", {"crate_id": crate.id, "counted": "45",
                                             "event_id": str(uuid.uuid4())}, page_url=page)
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and 'value="45"' in html
    assert "Annoncé" in html and crate.code in html
