"""Issue 8 point 6: labels never carry a loopback URL, and points out of service get no labels or visits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bottles.rules import Kind
from collection_points.rules import label_base_url_problem
from tests.factories import login, post_form

LOOPBACKS = ["", "http://127.0.0.1:5000", "http://localhost:5000", "http://LOCALHOST",
             "http://[::1]:8000", "http://0.0.0.0:5000", "http://127.1.2.3", "localhost:5000"]


@pytest.mark.parametrize("base", LOOPBACKS)
def test_a_loopback_or_missing_base_url_is_named_with_the_way_to_set_it(base):
    problem = label_base_url_problem(base)
    assert problem is not None and "BASE_URL" in problem


@pytest.mark.parametrize("base", ["https://boucle.example.org", "http://boucle.lan:8000", "https://10.0.0.4"])
def test_a_real_address_is_fine(base):
    assert label_base_url_problem(base) is None


@pytest.mark.parametrize("base", ["http://127.0.0.1:5000", ""])
def test_labels_page_and_single_labels_refuse_a_loopback_base_url(app, client, factory, session, base):
    crate = factory.crate(washer=factory.washer())
    coordinator = factory.user("coordinator")
    session.commit()
    app.config["BASE_URL"] = base
    login(client, coordinator)
    page = client.get("/etiquettes").get_data(as_text=True)
    assert "BASE_URL" in page and "Les codes mèneront à" not in page
    refused = post_form(client, "/etiquettes", {"which": "unprinted", "layout": "3x8", "mark": "1"},
                        page_url="/etiquettes")
    assert refused.status_code == 409 and refused.mimetype == "text/html"
    assert "BASE_URL" in refused.get_data(as_text=True)
    session.expire_all()
    assert session.get(type(crate), crate.id).label_printed_at is None
    for fmt in ("png", "svg", "pdf"):
        single = client.get(f"/c/{crate.code}/etiquette.{fmt}")
        assert single.status_code == 409 and "BASE_URL" in single.get_data(as_text=True)


def test_labels_page_shows_the_url_the_codes_carry(app, client, factory, session):
    crate = factory.crate(washer=factory.washer())
    session.commit()
    app.config["BASE_URL"] = "https://boucle.example.org"
    login(client, factory.user("coordinator"))
    page = client.get("/etiquettes").get_data(as_text=True)
    assert f"Les codes mèneront à https://boucle.example.org/c/{crate.code}" in page


def test_cli_refuses_a_loopback_base_url_unless_given_one(app, factory, session, tmp_path):
    crate = factory.crate(washer=factory.washer())
    session.commit()
    app.config["BASE_URL"] = "http://localhost:5000"
    runner = app.test_cli_runner()
    out = tmp_path / "a.pdf"
    result = runner.invoke(args=["bottles", "labels", str(out), "--all"])
    assert result.exit_code != 0 and "BASE_URL" in result.output and not out.exists()
    result = runner.invoke(args=["bottles", "labels", str(out), "--all", "--base-url", "http://127.0.0.1"])
    assert result.exit_code != 0 and not out.exists()
    result = runner.invoke(args=["bottles", "labels", str(out), "--all", "--base-url",
                                 "https://boucle.example.org/"])
    assert result.exit_code == 0, result.output
    assert "https://boucle.example.org/c/" in result.output
    from tests.collection_points.test_labels import decode_pdf
    assert decode_pdf(out.read_bytes(), tmp_path) == [[f"https://boucle.example.org/c/{crate.code}"]]


@pytest.fixture
def points(factory):
    today = datetime.now(UTC).date()
    return {
        "open": factory.point(code="OPEN", name="Cave ouverte"),
        "later": factory.point(code="LATER", name="Cave pas encore ouverte"),
        "ended": factory.point(code="ENDED", name="Cave fermée en juin"),
        "off": factory.point(code="OFF", name="Cave désactivée"),
        "today": today,
    }


def _out_of_service(p) -> None:
    p["later"].active_from = p["today"] + timedelta(days=10)
    p["ended"].active_until = p["today"] - timedelta(days=1)
    p["off"].active = False


def test_points_out_of_service_are_in_no_round_drop_off_list_or_label_run(app, client, factory, session,
                                                                            points):
    washer = factory.washer()
    driver = factory.user("driver")
    long_ago = datetime.now(UTC) - timedelta(days=30)
    for key in ("open", "later", "ended", "off"):
        factory.event(Kind.CRATE_PLACED, crate=factory.crate(washer=washer), point=points[key].id,
                      actor=driver, at=long_ago)
    session.commit()
    _out_of_service(points)
    pool = factory.crate(washer=washer)
    session.commit()
    login(client, driver)
    plan = client.get("/tournee").get_data(as_text=True)
    assert "Cave ouverte" in plan
    drop = client.get("/tournee/deposer").get_data(as_text=True)
    crate_page = client.get(f"/c/{pool.code}").get_data(as_text=True)
    for page in (plan, drop, crate_page):
        for key in ("later", "ended", "off"):
            assert points[key].name not in page, (key, page[:200])
    refused = post_form(client, f"/c/{pool.code}/placee", {"event_id": "6f1c1a40-0000-4000-8000-000000000001",
                                                          "point_id": points["later"].id},
                        page_url=f"/c/{pool.code}")
    assert refused.status_code == 422 and "pas encore" in refused.get_data(as_text=True)



def test_points_out_of_service_get_no_label_run(client, factory, session, points):
    washer = factory.washer()
    driver = factory.user("driver")
    factory.event(Kind.CRATE_PLACED, crate=factory.crate(washer=washer), point=points["later"].id,
                  actor=driver)
    _out_of_service(points)
    session.commit()
    login(client, factory.user("coordinator"))
    labels_page = client.get("/etiquettes").get_data(as_text=True)
    assert "Cave ouverte" in labels_page and "Cave pas encore ouverte" not in labels_page
    bad = post_form(client, "/etiquettes", {"which": "point", "point": "LATER", "layout": "3x8"},
                    page_url="/etiquettes")
    assert bad.status_code == 422
    assert "pas encore" in bad.get_data(as_text=True)


def test_a_point_active_until_today_is_still_in_service(points):
    from collection_points.rules import point_in_service

    today: date = points["today"]
    p = points["open"]
    p.active_until = today
    assert point_in_service(p, today)
    p.active_from = today + timedelta(days=1)
    assert not point_in_service(p, today)
