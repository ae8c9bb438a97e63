"""Catalogue CSV import: empty cells keep, `-` clears, a preview before anything is written."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from bottles.models import CollectionPoint
from tests.factories import csrf_from, login

HEADER = "code,name,kind,territory,address,latitude,longitude,contact,phone,active_from,active_until\n"


@pytest.fixture
def coordinator(client, factory):
    factory.point_catalogue()
    user = factory.user("coordinator")
    factory.session.commit()
    login(client, user)
    return user


@pytest.fixture
def point(factory, session):
    row = factory.point(code="CAVE-LONS", name="Cave du Vieux Lons")
    row.active_from = date(2026, 1, 5)
    session.commit()
    return row


def upload(client, slug: str, text: str):
    page = client.get(f"/catalogue/import/{slug}").get_data(as_text=True)
    return client.post(f"/catalogue/import/{slug}", data={
        "csrf_token": csrf_from(page), "file": (io.BytesIO(text.encode()), "fichier.csv")},
        content_type="multipart/form-data")


def confirm_form(html: str) -> dict[str, str]:
    form = html.split('action="/catalogue/import/', 1)[1].split("</form>")[0]
    return dict(re.findall(r'name="([a-z_]+)"[^>]*value="([^"]*)"', form))


def confirm(client, slug: str, preview_html: str, **changes):
    return client.post(f"/catalogue/import/{slug}/confirm", data={**confirm_form(preview_html),
                                                                  **changes})


def snapshot(session, code: str) -> dict:
    session.expire_all()
    row = session.scalar(select(CollectionPoint).where(CollectionPoint.code == code))
    return {name: getattr(row, name) for name in (
        "name", "kind", "territory", "address", "latitude", "longitude", "contact", "phone",
        "active_from", "active_until")}


def test_empty_cells_keep_and_a_preview_comes_before_writing(client, session, coordinator, point):
    before = snapshot(session, "CAVE-LONS")
    response = upload(client, "points", HEADER + "CAVE-LONS,,,,,,,,03 84 99 99 99,,\n")
    assert response.status_code == 200, response.get_data(as_text=True)
    html = response.get_data(as_text=True)
    assert "Aperçu" in html and "03 84 00 00 00" in html and "03 84 99 99 99" in html
    assert "Adresse" not in html.split('class="preview"', 1)[1]  # only the phone changes
    assert snapshot(session, "CAVE-LONS") == before  # nothing written by the preview

    done = confirm(client, "points", html)
    assert done.status_code == 302, done.get_data(as_text=True)
    after = snapshot(session, "CAVE-LONS")
    assert after == {**before, "phone": "03 84 99 99 99"}
    assert after["address"] and after["active_from"] == date(2026, 1, 5)


def test_a_dash_clears_a_field_on_purpose(client, session, coordinator, point):
    html = upload(client, "points", HEADER + "CAVE-LONS,,,,,,,-,,,\n").get_data(as_text=True)
    assert "Mme Martin" in html
    assert confirm(client, "points", html).status_code == 302
    assert snapshot(session, "CAVE-LONS")["contact"] == ""
    page = client.get("/catalogue/import/points").get_data(as_text=True)
    assert "<code>-</code>" in page  # the marker is documented on the page


def test_preview_marks_new_and_unchanged_rows(client, session, coordinator, point):
    text = HEADER + ("CAVE-LONS,Cave du Vieux Lons,,,,,,,,,\n"
                     "BAR-ARBOIS,Bar d'Arbois,restaurant,ECLA,,,,,,,\n")
    response = upload(client, "points", text)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "nouveau" in html and "inchangé" in html and "Bar d&#39;Arbois" in html
    assert session.scalar(select(func.count()).select_from(CollectionPoint)) == 1
    assert confirm(client, "points", html).status_code == 302
    assert session.scalar(select(func.count()).select_from(CollectionPoint)) == 2


def test_a_tampered_or_stale_preview_writes_nothing(client, session, coordinator, point):
    html = upload(client, "points", HEADER + "CAVE-LONS,,,,,,,,03 84 99 99 99,,\n").get_data(as_text=True)
    fields = confirm_form(html)
    forged = confirm(client, "points", html, digest="0" * len(fields["digest"]))
    assert forged.status_code in (400, 409, 422)
    assert snapshot(session, "CAVE-LONS")["phone"] == "03 84 00 00 00"
    # The catalogue changed after the preview: the preview is refused, shown again.
    point = session.scalar(select(CollectionPoint).where(CollectionPoint.code == "CAVE-LONS"))
    point.phone = "03 84 11 11 11"
    session.commit()
    stale = confirm(client, "points", html)
    assert stale.status_code == 409
    assert "03 84 11 11 11" in stale.get_data(as_text=True)
    assert snapshot(session, "CAVE-LONS")["phone"] == "03 84 11 11 11"


def test_french_labels_are_accepted_and_errors_name_the_valid_values(client, session, coordinator):
    text = HEADER + "P1,Cave,Caviste,ecla,,,,,,,\nP2,Bar,Déchèterie,,,,,,,,\nP3,Casino,casino,ECLA,,,,,,,\n"
    response = upload(client, "points", text)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Ligne 4" in body and "casino" in body
    assert "shop" in body and "restaurant" in body and "recycling" in body
    assert "Ligne 2" not in body and "Ligne 3" not in body
    text = HEADER + "P1,Cave,Caviste,ecla,,,,,,,\nP2,Bar,DÉCHÈTERIE,,,,,,,,\n"
    html = upload(client, "points", text).get_data(as_text=True)
    assert confirm(client, "points", html).status_code == 302
    kinds = dict(session.execute(select(CollectionPoint.code, CollectionPoint.kind)).all())
    assert kinds == {"P1": "shop", "P2": "recycling"}
    bad_territory = upload(client, "points", HEADER + "P4,Cave,shop,Lune,,,,,,,\n")
    assert bad_territory.status_code == 422
    assert "Lune" in bad_territory.get_data(as_text=True)
    assert "Pays des Lacs" in bad_territory.get_data(as_text=True)


def test_cli_dry_run_prints_the_preview_and_writes_nothing(app, session, tmp_path, point):
    runner = app.test_cli_runner()
    path = tmp_path / "points.csv"
    path.write_text(HEADER + "CAVE-LONS,,,,,,,,03 84 99 99 99,,\n", encoding="utf-8")
    result = runner.invoke(args=["bottles", "import-catalogue", "points", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "03 84 00 00 00 → 03 84 99 99 99" in result.output
    assert snapshot(session, "CAVE-LONS")["phone"] == "03 84 00 00 00"
    result = runner.invoke(args=["bottles", "import-catalogue", "points", str(path)])
    assert result.exit_code == 0, result.output
    after = snapshot(session, "CAVE-LONS")
    assert after["phone"] == "03 84 99 99 99" and after["address"]
