"""E2E at phone size: a CSV that changes only a phone number is previewed, confirmed, and the
point keeps its address. Set SHOTS_DIR to keep the screenshots."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import select

from bottles.models import CollectionPoint
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("SHOTS_DIR", "")
HEADER = "code,name,kind,territory,address,latitude,longitude,contact,phone,active_from,active_until\n"


def shot(page, name: str) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, name
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def test_upload_preview_confirm_keeps_the_address(phone, factory, session, tmp_path):
    factory.point_catalogue()
    point = factory.point(code="CAVE-LONS", name="Cave du Vieux Lons")
    factory.point(code="BAR-ARBOIS", name="Bar d'Arbois", territory="Bresse Haute Seille")
    address = point.address
    user = factory.user("coordinator", username="coord")
    session.commit()
    phone.goto("/login")
    phone.fill("#username", user.username)
    phone.fill("#password", PASSWORD)
    phone.click("button[type=submit]")
    phone.wait_for_url("**/")

    csv = tmp_path / "points.csv"
    csv.write_text(HEADER + "CAVE-LONS,,,,,,,,03 84 99 99 99,,\n"
                   "BAR-ARBOIS,,,,,,,,,,\n"
                   "CLAIRVAUX,Supérette des Lacs,grande surface,pays des lacs,,,,,,,\n",
                   encoding="utf-8")
    phone.goto("/catalogue/import/points")
    shot(phone, "phone-import")
    phone.set_input_files("#file", str(csv))
    phone.click("main form button[type=submit]")
    phone.wait_for_selector("text=Aperçu de l'import")
    preview = phone.locator("main").inner_text()
    assert "03 84 00 00 00" in preview and "03 84 99 99 99" in preview
    assert "nouveau" in preview and "1 ligne inchangée" in preview
    shot(phone, "phone-import-preview")
    session.rollback()  # a fresh read, not this test's snapshot
    assert session.scalar(select(CollectionPoint.phone).where(CollectionPoint.code == "CAVE-LONS")) \
        == "03 84 00 00 00"  # the preview wrote nothing

    phone.click("text=Confirmer l'import")
    phone.wait_for_url("**/catalogue/points/")
    assert "Import terminé" in phone.locator("main").inner_text()
    shot(phone, "phone-points-after-import")
    session.rollback()  # a fresh read, not this test's snapshot
    row = session.scalar(select(CollectionPoint).where(CollectionPoint.code == "CAVE-LONS"))
    assert row.phone == "03 84 99 99 99" and row.address == address and row.territory == "ECLA"
    new = session.scalar(select(CollectionPoint).where(CollectionPoint.code == "CLAIRVAUX"))
    assert new.kind == "supermarket" and new.territory == "Pays des Lacs"

    for url, name in (("/catalogue/points/new", "phone-point-form"),
                      ("/catalogue/territories/", "phone-territories"),
                      ("/catalogue/point-kinds/", "phone-point-kinds"),
                      ("/catalogue/", "phone-catalogue")):
        assert phone.goto(url).status == 200
        shot(phone, name)
    phone.goto("/catalogue/points/new")
    phone.fill("#code", "X1")
    phone.fill("#name", "Cave")
    phone.fill("#latitude", "95")
    phone.click("main form button[type=submit]")
    assert "Latitude entre -90 et 90" in phone.locator(".has-error").first.inner_text()
    assert phone.input_value("#name") == "Cave"
    shot(phone, "phone-point-refused")
