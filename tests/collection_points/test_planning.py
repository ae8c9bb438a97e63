"""Round planning through HTTP (docs/rounds.md): the coordinator proposes the day's round (full and
nearly full points, the van's capacity, points left out and why, points without coordinates listed
with a link), saves it, the driver sees the ordered list with map links; a washer's coordinates and
an imported distance matrix; every bad input a French message, a 422 and nothing saved."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bottles.rules import Kind, Move, Stage
from collection_points.models import RoundPlan, RoundPlanStop, RouteDistance, WasherLocation
from tests.factories import login, post_form

PAGE = "/tournees/preparer"


class Page:
    """A response whose text reads as a person does (entities unescaped)."""

    def __init__(self, response) -> None:
        self.status_code = response.status_code
        self.text = html.unescape(response.get_data(as_text=True))
        self.raw = response.get_data(as_text=True)


def count(session, model) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def world(factory, session):
    f = factory
    now = datetime.now(UTC)
    washer = f.washer("LAVLONS", "Centre de lavage de Lons")
    coordinator, driver = f.user("coordinator"), f.user("driver")
    places = {"ARLAY": (46.7640, 5.5440), "BEAUFORT": (46.5730, 5.4260), "CONLIEGE": (46.6520, 5.5980),
              "MONTMOROT": (46.6780, 5.5150)}
    points = {}
    for code, (lat, lon) in places.items():
        point = f.point(code=code, name=f"Cave de {code.title()}")
        point.latitude, point.longitude = Decimal(str(lat)), Decimal(str(lon))
        points[code] = point
    points["NOWHERE"] = f.point(code="NOWHERE", name="Épicerie sans adresse GPS")
    for code in ("ARLAY", "BEAUFORT", "NOWHERE"):
        f.full_crate_at(points[code], count=55, washer=washer, at=now - timedelta(days=3))
    f.full_crate_at(points["CONLIEGE"], count=60, washer=washer, at=now - timedelta(days=2))
    f.full_crate_at(points["CONLIEGE"], count=40, washer=washer, at=now - timedelta(days=2))
    # MONTMOROT fills a crate a week (8 in 8 weeks, all picked up) and its empty crate was placed 9 days ago
    for week in range(8):
        crate = f.full_crate_at(points["MONTMOROT"], count=50, washer=washer,
                                at=now - timedelta(days=7 * week + 12))
        f.event(Kind.PICKUP, at=now - timedelta(days=7 * week + 10), crate=crate,
                point=points["MONTMOROT"].id, moves=[Move(Stage.AT_POINT, Stage.IN_TRANSIT, 50)])
    empty = f.crate(washer=washer, at=now - timedelta(days=20))
    f.event(Kind.CRATE_PLACED, at=now - timedelta(days=9), crate=empty, point=points["MONTMOROT"].id)
    session.commit()
    return dict(f=f, washer=washer, coordinator=coordinator, driver=driver, points=points, now=now)


def set_washer(client, world, lat="46,6742", lon="5.5547"):
    return Page(post_form(client, f"/tournees/lavage/{world['washer'].id}/coordonnees",
                     {"latitude": lat, "longitude": lon}, page_url=PAGE))


def propose(client, **params):
    query = {"propose": "1", "capacity": "10", "worth": "1", **params}
    return Page(client.get(PAGE, query_string=query))


def stops_of(html: str) -> list[str]:
    return re.findall(r'name="stop" value="(\d+)"', html)


def test_propose_save_and_drive_the_round(client, session, world):
    login(client, world["coordinator"])
    refused = propose(client)
    assert refused.status_code == 422 and "n'a pas de coordonnées" in refused.text
    assert set_washer(client, world).status_code == 302
    location = session.get(WasherLocation, world["washer"].id)
    assert location.latitude == Decimal("46.6742")
    page = propose(client)
    html = page.text
    assert page.status_code == 200, html
    points = world["points"]
    ids = stops_of(html)
    assert set(ids) == {str(points[c].id) for c in ("ARLAY", "BEAUFORT", "CONLIEGE", "MONTMOROT")}
    assert "1 presque pleine" in html  # MONTMOROT by its pace: a crate a week, 9 days of filling
    assert "Points sans coordonnées" in html and f"/catalogue/points/{points['NOWHERE'].id}" in html
    assert " km" in html and "arrêts" in html
    assert count(session, RoundPlan) == 0  # proposing writes nothing
    saved = post_form(client, PAGE, {"day": "", "capacity": "10", "washer_id": world["washer"].id,
                                     "source": "coordinates", "road_factor": "1,3", "worth": "1",
                                     "driver_id": world["driver"].id, "stop": ids}, page_url=PAGE)
    assert saved.status_code == 302
    plan = session.scalar(select(RoundPlan))
    assert [str(s.collection_point_id) for s in plan.stops] == ids
    assert plan.crates == 5 and plan.bottles == 55 + 55 + 100 + 50
    assert plan.created_by_id == world["coordinator"].id and plan.driver_id == world["driver"].id
    back = float(plan.km) - sum(float(s.leg_km) for s in plan.stops)
    assert 0 < back < 30  # the way back to the washer, from the last stop
    post_form(client, "/logout", {}, page_url="/")
    login(client, world["driver"])
    driver_page = Page(client.get("/tournee/prevue")).raw
    names = [points[c].name for c in ("ARLAY", "BEAUFORT", "CONLIEGE", "MONTMOROT")]
    order = sorted(names, key=driver_page.index)
    by_id = {str(p.id): p.name for p in points.values()}
    assert order == [by_id[i] for i in ids]
    assert "geo:46.764000,5.544000" in driver_page
    assert "https://www.openstreetmap.org/?mlat=46.764000&amp;mlon=5.544000" in driver_page
    assert "<script src=\"http" not in driver_page and "tile" not in driver_page


def test_a_smaller_van_leaves_points_and_says_why(client, session, world):
    login(client, world["coordinator"])
    set_washer(client, world)
    html = propose(client, capacity="2").text
    assert "Fourgon plein" in html and "Points laissés par l'optimiseur" in html
    assert len(stops_of(html)) >= 1


def test_points_not_worth_the_detour_at_the_default_worth(client, session, world):
    login(client, world["coordinator"])
    set_washer(client, world)
    html = propose(client, worth="").text
    assert "Pas rentable aujourd'hui" in html and "km de détour pour 55 bouteilles" in html
    assert propose(client, worth="11").status_code == 422
    assert "détour accepté par bouteille" in propose(client, worth="-1").text


def test_points_excluded_by_the_coordinator(client, session, world):
    login(client, world["coordinator"])
    set_washer(client, world)
    skip = world["points"]["BEAUFORT"].id
    html = propose(client, skip=str(skip)).text
    assert str(skip) not in stops_of(html) and "Points laissés de côté par vous" in html


@pytest.mark.parametrize(("capacity", "words"), [
    ("0", "au moins 1 caisse"), ("-4", "au moins 1 caisse"), ("100000", "dépasse 500"),
    ("beaucoup", "nombre entier"),
])
def test_bad_van_capacity_is_refused_and_nothing_saved(client, session, world, capacity, words):
    login(client, world["coordinator"])
    set_washer(client, world)
    page = propose(client, capacity=capacity)
    assert page.status_code == 422 and words in page.text
    saved = Page(post_form(client, PAGE, {"capacity": capacity, "washer_id": world["washer"].id,
                                     "stop": [world["points"]["ARLAY"].id]}, page_url=PAGE))
    assert saved.status_code == 422 and words in saved.text
    assert count(session, RoundPlan) == 0 and count(session, RoundPlanStop) == 0


@pytest.mark.parametrize("stops", [[], ["NOWHERE"], ["ARLAY", "ARLAY"], ["ARLAY", "BEAUFORT", "CONLIEGE"]])
def test_a_round_that_no_longer_fits_is_refused(client, session, world, stops):
    """No stop, a point without coordinates, twice the same point, more crates than the van."""
    login(client, world["coordinator"])
    set_washer(client, world)
    ids = [world["points"][code].id for code in stops]
    saved = Page(post_form(client, PAGE, {"capacity": "3", "washer_id": world["washer"].id, "stop": ids},
                           page_url=PAGE))
    assert saved.status_code == 422 and "rien n'a été enregistré" in saved.text
    assert count(session, RoundPlan) == 0


@pytest.mark.parametrize(("lat", "lon"), [("abc", "5.5"), ("95", "5.5"), ("46.5", "-190"), ("", ""),
                                          ("46.1234567", "5.5")])
def test_bad_washer_coordinates(client, session, world, lat, lon):
    login(client, world["coordinator"])
    page = set_washer(client, world, lat, lon)
    assert page.status_code == 422 and "doit être un nombre entre" in page.text
    assert count(session, WasherLocation) == 0


def matrix_csv(codes: list[str], km=lambda i, j: abs(i - j) * 7.5) -> bytes:
    lines = [";" + ";".join(codes)]
    lines += [code + ";" + ";".join(f"{km(i, j):.1f}".replace(".", ",") for j in range(len(codes)))
              for i, code in enumerate(codes)]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()


def upload(client, data: bytes, name="matrice.csv"):
    import io

    return Page(post_form(client, "/tournees/matrice", {"file": (io.BytesIO(data), name)}, page_url=PAGE,
                          content_type="multipart/form-data"))


def test_an_imported_matrix_gives_the_distances(client, session, world):
    login(client, world["coordinator"])
    codes = ["LAVLONS", "ARLAY", "BEAUFORT", "CONLIEGE", "MONTMOROT", "NOWHERE"]
    assert upload(client, matrix_csv(codes)).status_code == 302
    assert count(session, RouteDistance) == 30
    html = propose(client, source="csv").text
    ids = stops_of(html)
    assert len(ids) == 5  # NOWHERE has no coordinates but is in the matrix
    saved = post_form(client, PAGE, {"capacity": "10", "washer_id": world["washer"].id, "source": "csv",
                                     "worth": "1", "stop": ids}, page_url=PAGE)
    assert saved.status_code == 302
    plan = session.scalar(select(RoundPlan))
    position = {world["points"][c].id: codes.index(c) for c in codes[1:]}
    path = [0, *(position[int(i)] for i in ids), 0]
    legs = zip(path, path[1:], strict=False)
    assert float(plan.km) == pytest.approx(sum(abs(a - b) * 7.5 for a, b in legs), abs=0.1)
    assert plan.matrix_source == "csv" and plan.road_factor is None
    # a matrix without a point of the day: the proposal names it
    assert upload(client, matrix_csv(codes[:-2])).status_code == 302
    refused = propose(client, source="csv")
    assert refused.status_code == 422
    assert "ne contient pas MONTMOROT, NOWHERE" in refused.text
    assert post_form(client, "/tournees/matrice/effacer", {}, page_url=PAGE).status_code == 302
    assert count(session, RouteDistance) == 0


@pytest.mark.parametrize(("data", "words"), [
    (b";LAVLONS;ARLAY;BEAUFORT\nLAVLONS;0;1;2\nARLAY;1;0;2\n", "pas carrée"),
    (b";LAVLONS;ARLAY\nLAVLONS;0;-3\nARLAY;1;0\n", "entre 0 et"),
    (b";LAVLONS;ARLAY\nLAVLONS;0;loin\nARLAY;1;0\n", "n'est pas une distance"),
    (b";LAVLONS;XYZ\nLAVLONS;0;3\nXYZ;1;0\n", "Codes inconnus"),
    (b";LAVLONS;ARLAY\nLAVLONS;0;3\nBEAUFORT;1;0\n", "ne sont pas ceux"),
    (b"", "Choisissez un fichier"),
])
def test_a_malformed_matrix_is_refused_and_the_previous_one_kept(client, session, world, data, words):
    login(client, world["coordinator"])
    assert upload(client, matrix_csv(["LAVLONS", "ARLAY"])).status_code == 302
    page = upload(client, data)
    assert page.status_code == 422 and words in page.text, page.text
    assert count(session, RouteDistance) == 2


def test_the_driver_without_a_plan_is_sent_to_the_round(client, world):
    login(client, world["driver"])
    page = Page(client.get("/tournee/prevue"))
    assert page.status_code == 200 and "Pas de tournée prévue" in page.text
    assert client.get("/tournee/prevue?day=demain").status_code == 400


def test_the_round_page_points_to_the_planned_round(client, session, world):
    login(client, world["coordinator"])
    set_washer(client, world)
    ids = stops_of(propose(client).text)
    post_form(client, PAGE, {"capacity": "10", "washer_id": world["washer"].id, "worth": "1", "stop": ids},
              page_url=PAGE)
    post_form(client, "/logout", {}, page_url="/")
    login(client, world["driver"])
    page = Page(client.get("/tournee")).text
    assert "Tournée prévue aujourd'hui : 4 arrêts dans l'ordre" in page and "/tournee/prevue" in page
    client.get("/lang/en")
    assert "Round planned today: 4 stops in order" in Page(client.get("/tournee")).text
