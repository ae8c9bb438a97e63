"""Planned against driven rounds of a phase (docs/indicators.md, "Tournées prévues et parcourues")."""

from __future__ import annotations

from flask import render_template

from bottles.auth import role_required
from bottles.db import db
from bottles.rules import PARIS
from reports import planned_round_queries, planned_rounds
from reports.phase_input import effective_params, param_source
from reports.views import bp
from reports.views.common import COORDINATORS, now, phase_or_404


@bp.get("/<int:phase_id>/tournees")
@role_required(*COORDINATORS)
def planned_rounds_page(phase_id: int):
    """Per day with a planned round: planned and driven km, bottles, cost of the km per bottle."""
    phase = phase_or_404(phase_id)
    cost_per_km = effective_params(phase.parameters)["cost_per_km_eur"]
    days = planned_round_queries.planned_days(db.session, phase.start_date, phase.end_date)
    rows = [{"day": d, "gap": planned_rounds.km_gap(d.planned_km, d.driven_km),
             "gap_share": planned_rounds.km_gap_share(d.planned_km, d.driven_km),
             "planned_cost": planned_rounds.cost_per_bottle(d.planned_km, cost_per_km, d.planned_bottles),
             "driven_cost": planned_rounds.cost_per_bottle(d.driven_km, cost_per_km, d.collected)}
            for d in days]
    return render_template("reports/planned_rounds.html", phase=phase, rows=rows,
                           totals=planned_rounds.totals(days, cost_per_km), cost_per_km=cost_per_km,
                           cost_source=param_source(phase.parameters, "cost_per_km_eur"),
                           today=now().astimezone(PARIS).date())
