"""Phase pages: list, create/edit, dashboard, comparison, exports (coordinators)."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bottles.auth import role_required
from bottles.db import db
from bottles.i18n import day
from bottles.models import Reason
from reports import charts, exports, operations, report, rollup, rules
from reports.cache import cached, phase_fingerprint
from reports.models import Phase
from reports.queries import point_ids_for, territories

bp = Blueprint("reports", __name__, url_prefix="/phases", template_folder="templates",
               static_folder="static", static_url_path="/static/reports")
COORD = ("coordinator",)


@bp.app_template_filter("kpi")
def kpi_filter(value, key: str) -> str:
    ind = rules.BY_KEY.get(key)
    return rules.fmt_value(ind.kind if ind else "count", value)


@bp.app_template_filter("cellfmt")
def cell_filter(value, header: str = "") -> str:
    """A table cell in French: shares as percentages, euros with cents, counts grouped."""
    return rules.fmt_cell(value, header)


def _now() -> datetime:
    """The moment the pages read the figures at (a phase in progress runs up to today)."""
    return datetime.now(UTC)


def _phase_or_404(phase_id: int) -> Phase:
    _catch_up()
    phase = db.session.get(Phase, phase_id)
    if phase is None:
        abort(404, description="Cette phase n'existe pas.")
    return phase


def _catch_up() -> None:
    """Feed the daily roll-ups with the new events (figures are exact either way; this keeps reads fast)."""
    try:
        if rollup.refresh(db.session):
            db.session.commit()
    except OperationalError:  # another request holds the write lock: the live tail covers it
        db.session.rollback()


@bp.get("/")
@role_required(*COORD)
def index():
    phases = db.session.scalars(select(Phase).order_by(Phase.start_date)).all()
    return render_template("reports/phases.html", phases=phases)


def _form_input() -> operations.PhaseInput:
    form = request.form
    return operations.PhaseInput(
        name=form.get("name", ""), start=form.get("start", ""), end=form.get("end", ""),
        description=form.get("description", ""),
        params={k: form.get(f"param_{k}", "") for k in rules.PARAMS},
        sources={k: form.get(f"source_{k}", "") for k in rules.PARAMS},
        targets={k.removeprefix("target_"): v for k, v in form.items() if k.startswith("target_")})


def _form_page(phase: Phase | None, data: operations.PhaseInput | None = None, error: str = "",
               status: int = 200):
    if data is None and phase is not None:
        data = operations.PhaseInput(
            name=phase.name, start=phase.start_date.isoformat(), end=phase.end_date.isoformat(),
            description=phase.description,
            params={k: _num(v.get("value")) for k, v in (phase.parameters or {}).items()},
            sources={k: v.get("source", "") for k, v in (phase.parameters or {}).items()},
            targets={k: _num(v) for k, v in (phase.targets or {}).items()})
    return render_template("reports/phase_form.html", phase=phase,
                           data=data or operations.PhaseInput("", "", ""), error=error,
                           params=rules.PARAMS, indicators=[i for i in rules.INDICATORS
                                                            if i.key in rules.TARGETABLE]), status


def _num(value) -> str:
    return "" if value is None else f"{value:g}"


@bp.route("/new", methods=["GET", "POST"])
@role_required(*COORD)
def new():
    if request.method == "GET":
        return _form_page(None)
    data = _form_input()
    try:
        phase = operations.save_phase(db.session, data)
    except rules.PhaseError as error:
        db.session.rollback()
        return _form_page(None, data, str(error), 422)
    db.session.commit()
    flash(f"Phase « {phase.name} » créée.", "success")
    return redirect(url_for("reports.dashboard", phase_id=phase.id))


@bp.route("/<int:phase_id>/edit", methods=["GET", "POST"])
@role_required(*COORD)
def edit(phase_id: int):
    phase = _phase_or_404(phase_id)
    if request.method == "GET":
        return _form_page(phase)
    data = _form_input()
    try:
        operations.save_phase(db.session, data, phase)
    except rules.PhaseError as error:
        db.session.rollback()
        return _form_page(db.session.get(Phase, phase_id), data, str(error), 422)
    db.session.commit()
    flash("Phase enregistrée.", "success")
    return redirect(url_for("reports.dashboard", phase_id=phase.id))


def _point_filter() -> tuple[tuple[int, ...] | None, list[str], list[str]]:
    codes = [c for c in request.args.getlist("point") if c]
    terr = [t for t in request.args.getlist("territoire") if t]
    if not codes and not terr:
        return None, [], []
    return tuple(point_ids_for(db.session, codes, terr)), codes, terr


TILES = ["bottles_collected", "collected_to_reused", "return_rate", "eligible_share", "wash_yield",
         "sell_through", "bottles_sold", "transit_loss", "clean_stock_end", "active_collection_points",
         "active_winemakers", "cost_per_clean_bottle_eur"]


CHARTS = {
    "entonnoir": "Entonnoir des pertes : collectées → revendues",
    "territoires": "Bouteilles collectées par mois et par territoire",
    "lavage": "Lavage : rendement et rebuts par motif",
    "ecarts": "Écarts au tri par motif",
    "age-stock": "Âge du stock propre",
    "caisses": "Parc de caisses",
}


def chart_figure(rep: report.Report, name: str):
    """The matplotlib Figure of one dashboard chart."""
    if name == "entonnoir":
        return charts.funnel(rep.funnel)
    if name == "territoires":
        return charts.monthly_by_territory(rep.by_territory)
    if name == "lavage":
        return charts.wash(rep.wash, rep.reason_labels)
    if name == "ecarts":
        refusals = [(rep.reason_labels.get(c, c), q) for c, q in
                    sorted((rep.values["refused_by_reason"] or {}).items(), key=lambda kv: -kv[1])]
        return charts.hbars(refusals, CHARTS[name])
    if name == "age-stock":
        title = f"Âge du stock propre au {day(rep.scope.end, 'long')}" if rep.period.in_progress \
            else "Âge du stock propre en fin de phase"
        return charts.hbars(list(rep.stock_age.items()), title,
                            "Bouteilles (plus anciennes vendues d'abord)")
    return charts.hbars([(r[0], r[1]) for r in rep.table("caisses").rows], CHARTS[name], "Caisses")


@bp.get("/<int:phase_id>/graphiques/<name>.svg")
@role_required(*COORD)
def chart(phase_id: int, name: str):
    """One chart as an SVG image (rendered on the server, cached on the ledger's last seq)."""
    phase = _phase_or_404(phase_id)
    if name not in CHARTS:
        abort(404, description=f"Graphique inconnu : {name}.")
    point_ids = _point_filter()[0]
    svg = cached(db.session, ("chart", name, phase_fingerprint(phase), point_ids,
                              report.phase_period(phase, _now()).until),
                 lambda: charts.to_svg(chart_figure(report.build_cached(db.session, phase, point_ids,
                                                                         _now()), name),
                                       standalone=True))
    return Response(svg, mimetype="image/svg+xml",
                    headers={"Cache-Control": "private, max-age=60"})


@bp.get("/<int:phase_id>")
@role_required(*COORD)
def dashboard(phase_id: int):
    phase = _phase_or_404(phase_id)
    point_ids, codes, terr = _point_filter()
    rep = report.build_cached(db.session, phase, point_ids, _now())
    phases = db.session.scalars(select(Phase).order_by(Phase.start_date)).all()
    period_text = rules.period_sentence(rep.period, lambda d: day(d, "long"))
    return render_template("reports/dashboard.html", phase=phase, rep=rep, charts=CHARTS,
                           period_text=period_text, label=rules.label,
                           tiles=[rules.BY_KEY[k] for k in TILES], references=rules.REFERENCES,
                           sections=_sections(), phases=phases, territories=territories(db.session),
                           chosen_territories=terr, chosen_points=codes, tables=exports.TABLE_NAMES)


def _sections() -> dict[str, list[rules.Indicator]]:
    out: dict[str, list[rules.Indicator]] = {}
    for ind in rules.INDICATORS:
        if ind.kind != "object":
            out.setdefault(ind.section, []).append(ind)
    return out


@bp.get("/compare")
@role_required(*COORD)
def compare():
    _catch_up()
    ids = [int(i) for i in request.args.getlist("phase") if i.isdigit()]
    phases = db.session.scalars(select(Phase).order_by(Phase.start_date)).all()
    chosen = [p for p in phases if p.id in ids] if ids else phases[-2:]
    if request.args.getlist("phase") and len(chosen) != len(request.args.getlist("phase")):
        abort(404, description="Une des phases demandées n'existe pas.")
    now = _now()
    periods = [report.phase_period(p, now) for p in chosen]
    days = rules.compare_days(periods) if len(chosen) >= 2 else None
    values = [report.phase_kpis(db.session, p, now, days) for p in chosen]
    reasons = dict(db.session.execute(select(Reason.code, Reason.label_fr)).all())
    summaries = [rules.summary(values[i - 1], values[i], reasons)
                 for i in range(1, len(values))]
    ratio_keys = ["collected_to_reused", "eligible_share", "wash_yield", "sell_through", "avg_crate_fill"]
    chart = charts.to_svg(charts.compare(
        [p.name for p in chosen], {rules.BY_KEY[k].label: [v[k] for v in values] for k in ratio_keys})) \
        if len(chosen) >= 2 else ""
    spans = [(per.first_day, per.first_day + timedelta(days=(days or 1) - 1)) for per in periods]
    return render_template("reports/compare.html", phases=phases, chosen=chosen, values=values,
                           periods=periods, days=days, spans=spans,
                           summaries=summaries, chart=chart, indicators=rules.INDICATORS,
                           reasons=reasons, change=rules.change, verdict=rules.verdict)


def _slug(phase: Phase) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", phase.name).strip("-").lower() or f"phase-{phase.id}"


@bp.get("/<int:phase_id>/tableaux/<name>.csv")
@role_required(*COORD)
def table_csv(phase_id: int, name: str):
    phase = _phase_or_404(phase_id)
    if name not in exports.TABLE_NAMES:
        abort(404, description=f"Tableau inconnu : {name}.")
    rep = report.build_cached(db.session, phase, _point_filter()[0], _now())
    body = exports.table_csv(rep.table(name))
    return _download(body.encode("utf-8-sig"), f"{_file_stem(phase, rep)}-{name}.csv",
                     "text/csv; charset=utf-8")


@bp.get("/<int:phase_id>/tableaux.xlsx")
@role_required(*COORD)
def workbook(phase_id: int):
    phase = _phase_or_404(phase_id)
    rep = report.build_cached(db.session, phase, _point_filter()[0], _now())
    return _download(exports.workbook(rep), f"{_file_stem(phase, rep)}-tableaux.xlsx",
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.get("/<int:phase_id>/rapport.pdf")
@role_required(*COORD)
def pdf_report(phase_id: int):
    from reports import pdf

    phase = _phase_or_404(phase_id)
    rep = report.build_cached(db.session, phase, None, _now())
    return _download(pdf.phase_pdf(rep), f"{_file_stem(phase, rep)}-rapport.pdf", "application/pdf")


@bp.get("/<int:phase_id>/journal.csv")
@role_required(*COORD)
def journal(phase_id: int):
    from bottles.journal import export_journal

    phase = _phase_or_404(phase_id)
    start, end = rules.phase_bounds(phase.start_date, phase.end_date)
    out = io.StringIO()
    export_journal(db.session, out, start=start, end=end)
    return _download(out.getvalue().encode("utf-8"), f"{_slug(phase)}-journal.csv",
                     "text/csv; charset=utf-8")


def _file_stem(phase: Phase, rep: report.Report) -> str:
    """The phase's slug, plus "en-cours-au-<day>" while it runs (a file read later says so)."""
    if rep.period.in_progress:
        return f"{_slug(phase)}-en-cours-au-{rep.period.until.isoformat()}"
    return _slug(phase)


def _download(body: bytes, filename: str, mimetype: str) -> Response:
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
