"""The pool simulator on the demo data: the current pool ticked gives the phase's own funnel, exactly;
leaving a model out or refusing an estate's labels at the point moves the figures the expected way."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from reports import decide, pool, report
from reports.models import Phase


@pytest.fixture
def demo(app, session):
    from bottles.demo import load_demo

    load_demo(session)
    session.commit()
    return session.scalars(select(Phase).order_by(Phase.start_date)).all()


def test_simulator_on_the_demo(demo, session):
    now = datetime.now(UTC)
    for phase in demo:
        flows, today, _covered = decide.flows(session, phase, now)
        values = report.phase_kpis(session, phase, now)
        current = pool.default_ticks(flows)
        same = pool.simulate(flows, current, set(), today)
        assert (same.collected, same.refused, same.washed, same.sold, same.unsold_clean) == (
            values["bottles_collected"], values["bottles_refused"], values["bottles_washed"],
            values["bottles_sold"], values["clean_stock_end"]), phase.name
        assert same.reuse_rate == pytest.approx(values["collected_to_reused"])
        # Leave out the model that sold most: fewer sold, more refused, a lower reuse rate.
        top = max(current, key=lambda i: flows.models[i].sold)
        assert flows.models[top].sold > 0
        without = pool.simulate(flows, current - {top}, set(), today)
        assert without.sold < same.sold and without.refused > same.refused
        assert without.washed < same.washed and without.reuse_rate < same.reuse_rate
        # Refuse the permanent labels of every estate at the point: fewer collected, same sold.
        estates = set(flows.label_refused_by_estate)
        assert estates, phase.name
        labels = pool.simulate(flows, current, estates, today)
        assert labels.collected < same.collected and labels.sold == same.sold
        assert labels.reuse_rate > same.reuse_rate
