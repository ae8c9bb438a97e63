"""Issue 8 §9 and §8 on the washer's forms: stock-take counted before compared, every wrong model
reported, hours as people type them, errors beside the field, what was typed kept."""

from __future__ import annotations

import re

import pytest

from bottles.models import Event
from bottles.queries import stock
from bottles.rules import Stage
from tests.factories import login
from tests.washer.helpers import receive_all, submit

ST = "/lavage/inventaire?etape=sorted"


@pytest.fixture
def sorted_stock(client, session, dock):
    """100 bottles received then sorted (80 bourguignonnes, 20 clavelins), staff signed in."""
    crates = [dock.in_transit(60, 1), dock.in_transit(40, 2)]
    session.commit()
    login(client, dock.staff)
    receive_all(client, dock, *crates)
    r = submit(client, "/lavage/tri", {f"m-{dock.bourg.id}": "80", f"m-{dock.clav.id}": "20"})
    assert r.status_code == 302
    return dock


def _field(html: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)
    return re.search(r'value="([^"]*)"', tag).group(1)


def test_stocktake_starts_blank_without_the_expected_figures(client, sorted_stock):
    dock = sorted_stock
    html = client.get(ST).get_data(as_text=True)
    assert _field(html, f"c-{dock.bourg.id}") == "" and _field(html, f"c-{dock.clav.id}") == ""
    assert "Attendu" not in html and ">80<" not in html


def test_stocktake_shows_expected_against_counted_before_confirming(client, session, sorted_stock):
    dock = sorted_stock
    before = session.query(Event).count()
    r = submit(client, ST, {f"c-{dock.bourg.id}": "75"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and session.query(Event).count() == before  # nothing recorded yet
    assert "Attendu" in html and ">80<" in html and _field(html, f"c-{dock.bourg.id}") == "75"
    assert "5 manquantes" in html
    assert "non compté" in html  # the clavelin left blank is said to stay as it is, not "as expected"
    r = submit(client, ST, {f"c-{dock.bourg.id}": "75", f"e-{dock.bourg.id}": "80", "action": "confirm",
                            "loss_reason": dock.reasons["transit_breakage"].id}, page_url=ST)
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    assert stock(session, Stage.SORTED, dock.washer.id, dock.bourg.id) == 75
    assert stock(session, Stage.SORTED, dock.washer.id, dock.clav.id) == 20


def test_stocktake_with_nothing_counted_is_refused(client, session, sorted_stock):
    r = submit(client, ST, {"action": "confirm"})
    assert r.status_code == 422 and "Comptez" in r.get_data(as_text=True)


def test_stocktake_confirm_after_the_stock_moved_shows_the_new_expected(client, session, sorted_stock):
    dock = sorted_stock
    before = session.query(Event).count()
    r = submit(client, ST, {f"c-{dock.bourg.id}": "75", f"e-{dock.bourg.id}": "90", "action": "confirm",
                            "loss_reason": dock.reasons["transit_breakage"].id})
    assert r.status_code == 409 and "a changé" in r.get_data(as_text=True)
    assert session.query(Event).count() == before


def test_wash_batch_reports_every_inconsistent_model_beside_it(client, session, sorted_stock):
    dock = sorted_stock
    r = submit(client, "/lavage/lot", {f"t-{dock.bourg.id}": "80", f"a-{dock.bourg.id}": "70",
                                       f"t-{dock.clav.id}": "20", f"a-{dock.clav.id}": "25",
                                       "hours": "4h30"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "mais le lot a pris 80" in html and "mais le lot a pris 20" in html
    assert html.count('class="error"') >= 2
    assert _field(html, f"a-{dock.clav.id}") == "25" and _field(html, "hours") == "4h30"


@pytest.mark.parametrize("typed, stored", [("4h30", 4.5), ("4,5", 4.5), ("2:15", 2.25)])
def test_hours_are_typed_as_people_write_them(client, session, sorted_stock, typed, stored):
    dock = sorted_stock
    r = submit(client, "/lavage/lot", {f"t-{dock.bourg.id}": "10", f"a-{dock.bourg.id}": "10",
                                       "hours": typed})
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    assert float(session.query(Event).filter_by(kind="wash").one().hours) == stored


def test_bad_hours_are_shown_beside_the_field_and_the_sorting_is_kept(client, session, dock):
    crate = dock.in_transit(60, 1)
    session.commit()
    login(client, dock.staff)
    receive_all(client, dock, crate)
    r = submit(client, "/lavage/tri", {f"m-{dock.bourg.id}": "50", "hours": "beaucoup"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "4h30" in html
    hours = html.split('id="hours"')[1][:600]
    assert 'class="error"' in hours  # beside the field
    assert _field(html, f"m-{dock.bourg.id}") == "50" and _field(html, "hours") == "beaucoup"
    assert stock(session, Stage.RECEIVED, dock.washer.id) == 60


def test_washer_messages_use_plurals_and_no_brackets(client, session, sorted_stock):
    dock = sorted_stock
    r = submit(client, "/lavage/lot", {f"t-{dock.bourg.id}": "1", f"a-{dock.bourg.id}": "1"})
    assert r.status_code == 302
    html = client.get("/lavage/stock").get_data(as_text=True)
    assert "1 conforme, 0 rebut" in html
    sorting = session.query(Event).filter_by(kind="sorting").one()
    r = submit(client, f"/lavage/corriger/{sorting.seq}", {"note": "x"})
    assert "(e)" not in r.get_data(as_text=True)
