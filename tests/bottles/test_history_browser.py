"""The history import in a browser, on a phone and on a laptop: the example workbook uploaded, the
Total row refused on the page, the last data line set, the preview checked; the page never scrolls
sideways. Screenshots go to $SHOTS when it is set (docs/import.md shows how to look at them)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bottles.db import db
from bottles.history import example
from tests.bottles.test_history_import import CODES, POINT_CODES, XLSX
from tests.factories import PASSWORD

SIZES = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1280, "height": 800}}


@pytest.mark.parametrize("size", SIZES)
def test_mapping_and_preview_pages(browser, live_server, factory, size):
    for name, code in CODES.items():
        factory.model(code, name)
    for code, (name, _opens, _pace) in zip(POINT_CODES, example.POINTS, strict=True):
        factory.point(code, name)
    factory.user("coordinator", "camille")
    db.session.commit()
    shots = Path(os.environ["SHOTS"]) if os.environ.get("SHOTS") else None
    context = browser.new_context(viewport=SIZES[size], locale="fr-FR", base_url=live_server.url,
                                  service_workers="block", is_mobile=size == "phone",
                                  has_touch=size == "phone")
    page = context.new_page()
    try:
        page.goto("/login")
        page.fill("#username", "camille")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.goto("/historique/")
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        if shots:
            page.screenshot(path=shots / f"history-index-{size}.png", full_page=True)
        page.set_input_files("#file", str(XLSX))
        page.click("text=Lire le fichier")
        page.wait_for_selector("h1:has-text('Correspondance des colonnes')")
        assert page.input_value("#field-2") == "quantity:BOURG75"
        assert "ligne 41 : ligne de total" in page.inner_text("#problems")
        if shots:
            page.screenshot(path=shots / f"history-mapping-{size}.png", full_page=True)
        page.fill("#last_line", "40")
        page.click("button[value=preview]")
        page.wait_for_selector("#preview")
        assert "Vérifié avec les règles du journal" in page.inner_text("#preview")
        top = page.evaluate("document.getElementById('preview').getBoundingClientRect().top")
        assert top < SIZES[size]["height"], "the preview is not in view after checking"
        assert page.locator("#preview tbody tr").count() == 20
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the page scrolls sideways by {overflow}px"
        if shots:
            page.screenshot(path=shots / f"history-preview-{size}.png")  # where the page lands
            page.screenshot(path=shots / f"history-preview-{size}-full.png", full_page=True)
        page.click("text=Importer ces lignes au journal")
        page.wait_for_selector("text=Import terminé")
        assert "32 événement(s) et 128 mouvement(s)" in page.inner_text("main")
    finally:
        context.close()
