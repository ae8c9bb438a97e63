"""The pool simulator on the demo data in headless Chromium (laptop, phone): untick a model, see the
projection move, save the proposal in the next phase."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import select

from reports.models import Phase
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("SHOTS_DIR")


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def _cell(page, row: int, column: int) -> int:
    text = page.locator(f"#table-projection tbody tr:nth-child({row}) td:nth-child({column})").inner_text()
    return int("".join(ch for ch in text if ch.isdigit()))


@pytest.mark.parametrize("device", ["laptop", "phone"])
def test_simulator_in_the_browser(device, request, factory, session):
    from bottles.demo import load_demo

    page = request.getfixturevalue(device)
    load_demo(session)
    factory.user("coordinator", username="coord-demo")
    session.commit()
    one, two = session.scalars(select(Phase).order_by(Phase.start_date)).all()
    page.goto("/login")
    page.fill("#username", "coord-demo")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"/phases/{one.id}/simulateur")
    sold_row = 6
    assert _cell(page, sold_row, 2) == _cell(page, sold_row, 3)  # the current pool: the phase itself
    if device == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(page, f"{device}-simulateur")
    page.locator("input[name=modele]:checked").first.uncheck()
    page.click("button[value=apercu]")
    page.wait_for_load_state()
    assert _cell(page, sold_row, 3) < _cell(page, sold_row, 2)
    _shot(page, f"{device}-simulateur-sans-un-modele")
    page.select_option("#phase_cible", str(two.id))
    page.click("button[value=enregistrer]")
    page.wait_for_load_state()
    assert "Proposition enregistrée" in page.inner_text("body")
    session.rollback()  # a new transaction sees what the server committed
    assert session.get(Phase, two.id).parameters["pool"]["from_phase"] == one.name
    page.goto(f"/phases/{one.id}/modeles")
    if device == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(page, f"{device}-modeles")
    page.goto(f"/phases/{one.id}/rentabilite")
    _shot(page, f"{device}-rentabilite")
