"""Matplotlib reads `$…$` as mathematics: names typed with dollars are drawn as typed (issue 10, point 7)."""

from __future__ import annotations

from tests import world as world_module
from tests.factories import login


def test_dollars_in_names_are_drawn_as_text(app, factory, client):
    """Matplotlib reads `$…$` as mathematics: a phase, a reason or a territory named with dollars still
    gives every chart, the comparison and the PDF report, with the name as typed."""
    from reports.charts import PHASE_CHARTS

    world = world_module.build(factory)
    world.phases[1].name = "Phase $x^2$ 100$"
    world.reasons["REJ-SALE"].label_fr = "Casse $$"
    world.reasons["REJ-CASSE"].label_fr = r"Casse $\frac{1}{0}$"
    world.points[0].territory_row.name = "Jura $\\alpha"
    factory.session.commit()
    login(client, world.users["coordinator"])
    phase = world.phases[1].id
    for name in PHASE_CHARTS:
        response = client.get(f"/phases/{phase}/graphiques/{name}.svg")
        assert response.status_code == 200, name
        if name == "lavage":
            assert "Casse $$" in response.get_data(as_text=True)
    compare = client.get(f"/phases/compare?phase={world.phases[0].id}&phase={phase}")
    assert compare.status_code == 200
    assert "Phase $x^2$ 100$" in compare.get_data(as_text=True)
    report = client.get(f"/phases/{phase}/rapport.pdf")
    assert report.status_code == 200 and report.mimetype == "application/pdf"
