"""A phase in progress and its comparison with a finished phase, in headless Chromium (laptop, phone)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.factories import PASSWORD
from tests.reports import in_progress_fixture

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("SHOTS_DIR")


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def _sign_in(page, username: str) -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


@pytest.mark.parametrize("device", ["laptop", "phone"])
def test_phase_in_progress_dashboard_and_comparison(device, request, factory, session):
    page = request.getfixturevalue(device)
    two = in_progress_fixture.build(factory, session)
    factory.user("coordinator", username="coordination")
    session.commit()
    _sign_in(page, "coordination")
    page.goto(f"/phases/{two.running.id}")
    banner = page.locator("#period")
    assert banner.is_visible() and "Phase en cours" in banner.inner_text()
    assert "30 premiers jours" in banner.inner_text()
    tile = page.locator(".tile[data-key=bottles_collected]")
    assert "en retard" in tile.inner_text() and "85 par mois" in tile.inner_text().replace("\u202f", " ")
    assert "✗" not in page.locator(".kpi-tiles").inner_text()
    assert page.locator(".tile[data-key=clean_stock_end] .label").inner_text() == "Stock propre à ce jour"
    if device == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(page, f"{device}-1-phase-en-cours")
    page.goto(f"/phases/compare?phase={two.done.id}&phase={two.running.id}")
    note = page.locator("#same-period")
    assert note.is_visible() and "30 premiers jours" in note.inner_text()
    assert "baissent de 28 %" in page.locator(".summary").inner_text()
    if device == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(page, f"{device}-2-comparaison")
