"""On the demo data: the washer has its coordinates, the coordinator's proposal has stops and
saves, and the optimiser's round over the day's points is never longer than the priority order's."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

from sqlalchemy import select

from bottles.models import User, Washer
from collection_points import plan_queries, routing
from collection_points.models import RoundPlan, WasherLocation
from tests.factories import login, post_form


def test_the_demo_round(app, session, client):
    from bottles.demo import load_demo

    load_demo(session)
    session.commit()
    washer = session.scalar(select(Washer).where(Washer.code == "LAVJURA"))
    location = session.get(WasherLocation, washer.id)
    assert (float(location.latitude), float(location.longitude)) == (46.73, 5.783)
    candidates = plan_queries.candidates(session, datetime.now(UTC).date(), datetime.now(UTC))
    assert len(candidates) >= 6 and any(c.visit.nearly_full for c in candidates)
    places = [("LAVJURA", float(location.latitude), float(location.longitude))] + [
        (c.visit.code, float(c.point.latitude), float(c.point.longitude)) for c in candidates]
    matrix = routing.matrix_from_coordinates(places)
    visits = [c.visit for c in candidates]
    plan = routing.optimise(matrix, "LAVJURA", visits, 500, km_per_bottle=1e6, time_limit_s=1.0)
    assert len(plan.stops) == len(visits)
    assert plan.km <= round(routing.route_km(matrix, "LAVJURA", [v.code for v in visits]), 1)

    login(client, session.scalar(select(User).where(User.username == "coordination")), "demo-coordination")
    page = html.unescape(client.get("/tournees/preparer?propose=1&capacity=24").get_data(as_text=True))
    stops = re.findall(r'name="stop" value="(\d+)"', page)
    assert stops and "Fourgon plein" in page
    saved = post_form(client, "/tournees/preparer", {"capacity": "24", "washer_id": washer.id, "stop": stops},
                      page_url="/tournees/preparer")
    assert saved.status_code == 302
    assert [str(s.collection_point_id) for s in session.scalar(select(RoundPlan)).stops] == stops
