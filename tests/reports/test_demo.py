"""The demo's two phases: created by the AFTER_DEMO hook, different, and phase 2 compares better."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from reports import report
from reports.models import Phase
from tests.factories import login


@pytest.fixture
def demo(app, session):
    from bottles.demo import load_demo

    load_demo(session)
    session.commit()
    return session.scalars(select(Phase).order_by(Phase.start_date)).all()


def test_demo_phases_are_meaningful_and_phase_two_did_better(demo, session, client, factory):
    assert [p.name for p in demo] == ["Phase 1 — 2024-2025", "Phase 2 — 2025-2026"]
    assert all(p.parameters and p.targets for p in demo)
    one, two = (report.phase_kpis(session, p) for p in demo)
    assert one["bottles_collected"] > 10_000 and two["bottles_collected"] > 10_000
    for key in ("collected_to_reused", "eligible_share", "wash_yield", "sell_through"):
        assert two[key] > one[key], key
    label = lambda v: v["refused_by_reason"]["REF-ETIQUETTE"] / v["bottles_received"]  # noqa: E731
    assert label(two) < label(one)
    user = factory.user("coordinator", username="coord-demo")
    session.commit()
    login(client, user)
    page = html.unescape(client.get(f"/phases/compare?phase={demo[0].id}&phase={demo[1].id}")
                         .get_data(as_text=True))
    better = page.split("Ce qui s'améliore")[1].split("</ul>")[0]
    assert re.search(r"le rendement global passe de \d+ % à \d+ %", better)
    assert "la part réemployable passe de" in better
    assert "le rendement de lavage passe de" in better
    assert re.search(r"les écarts pour étiquette permanente[^<]* baissent de \d+ %", better)
    for phase in demo:
        dashboard = client.get(f"/phases/{phase.id}")
        assert dashboard.status_code == 200 and phase.name in dashboard.get_data(as_text=True)
