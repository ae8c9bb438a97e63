"""A phase's dashboard and its charts as SVG images."""

from __future__ import annotations

from flask import Response, abort, render_template
from flask_babel import gettext as _
from sqlalchemy import select

from bottles.auth import role_required
from bottles.db import db
from bottles.i18n import day
from reports import charts, exports, report
from reports.cache import cached, phase_fingerprint
from reports.charts import PHASE_CHARTS
from reports.indicators import BY_KEY, INDICATORS, REFERENCES, Indicator, label
from reports.models import Phase
from reports.period import period_sentence
from reports.queries import territories
from reports.views import bp
from reports.views.common import COORDINATORS, now, phase_or_404, point_filter

TILES = ["bottles_collected", "collected_to_reused", "return_rate", "eligible_share", "wash_yield",
         "sell_through", "bottles_sold", "transit_loss", "clean_stock_end", "active_collection_points",
         "active_winemakers", "cost_per_clean_bottle_eur"]


@bp.get("/<int:phase_id>/graphiques/<name>.svg")
@role_required(*COORDINATORS)
def chart(phase_id: int, name: str):
    """One chart as an SVG image (rendered on the server, cached on the ledger's last seq)."""
    phase = phase_or_404(phase_id)
    if name not in PHASE_CHARTS:
        abort(404, description=_("Graphique inconnu : %(name)s.", name=name))
    point_ids = point_filter()[0]
    svg = cached(db.session, ("chart", name, phase_fingerprint(phase), point_ids,
                              report.phase_period(phase, now()).until),
                 lambda: charts.to_svg(charts.phase_chart(report.build_cached(db.session, phase, point_ids,
                                                                               now()), name),
                                       standalone=True))
    return Response(svg, mimetype="image/svg+xml",
                    headers={"Cache-Control": "private, max-age=60"})


@bp.get("/<int:phase_id>")
@role_required(*COORDINATORS)
def dashboard(phase_id: int):
    """The phase's figures (all points or some): tiles, targets, charts, indicators and tables."""
    phase = phase_or_404(phase_id)
    point_ids, codes, chosen_territories = point_filter()
    phase_report = report.build_cached(db.session, phase, point_ids, now())
    phases = db.session.scalars(select(Phase).order_by(Phase.start_date)).all()
    period_text = period_sentence(phase_report.period, lambda value: day(value, "long"))
    return render_template("reports/dashboard.html", phase=phase, rep=phase_report, charts=PHASE_CHARTS,
                           period_text=period_text, label=label,
                           tiles=[BY_KEY[key] for key in TILES], references=REFERENCES,
                           sections=sections(), phases=phases, territories=territories(db.session),
                           chosen_territories=chosen_territories, chosen_points=codes,
                           tables=exports.TABLE_NAMES)


def sections() -> dict[str, list[Indicator]]:
    """The indicators shown as figures, grouped by section (flow, network, money)."""
    out: dict[str, list[Indicator]] = {}
    for indicator in INDICATORS:
        if indicator.kind != "object":
            out.setdefault(indicator.section, []).append(indicator)
    return out
