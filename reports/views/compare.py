"""The comparison of phases: side by side, over as many days while one still runs."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from bottles.auth import role_required
from bottles.db import db
from bottles.numbers import parse_id
from reports import charts, report
from reports.french import french
from reports.indicators import BY_KEY, INDICATORS
from reports.models import Phase
from reports.period import compare_days
from reports.queries import reason_labels
from reports.summary import change, summary, verdict
from reports.views import bp
from reports.views.common import COORDINATORS, catch_up, now

RATIO_KEYS = ["collected_to_reused", "eligible_share", "wash_yield", "sell_through", "avg_crate_fill"]


@bp.get("/compare")
@role_required(*COORDINATORS)
def compare():
    """The chosen phases (by default the last two) side by side, with a generated summary and a chart."""
    catch_up()
    ids = [number for raw in request.args.getlist("phase") if (number := parse_id(raw))]
    phases = db.session.scalars(select(Phase).order_by(Phase.start_date)).all()
    chosen = [phase for phase in phases if phase.id in ids] if ids else phases[-2:]
    if request.args.getlist("phase") and len(chosen) != len(request.args.getlist("phase")):
        abort(404, description=_("Une des phases demandées n'existe pas."))
    moment = now()
    periods = [report.phase_period(phase, moment) for phase in chosen]
    days = compare_days(periods) if len(chosen) >= 2 else None
    values = [report.phase_kpis(db.session, phase, moment, days) for phase in chosen]
    reasons = reason_labels(db.session)
    summaries = [summary(values[i - 1], values[i], reasons) for i in range(1, len(values))]
    chart = charts.to_svg(charts.compare(
        [phase.name for phase in chosen],
        {str(BY_KEY[key].label): [phase_values[key] for phase_values in values] for key in RATIO_KEYS}),
        label=_("Comparer les phases")) if len(chosen) >= 2 else ""
    spans = [(covered.first_day, covered.first_day + timedelta(days=(days or 1) - 1)) for covered in periods]
    return render_template("reports/compare.html", phases=phases, chosen=chosen, values=values,
                           periods=periods, days=days, spans=spans,
                           summaries=summaries, chart=chart, indicators=INDICATORS,
                           reasons=reasons, change=change, verdict=verdict,
                           separator=" ; " if french() else "; ")
