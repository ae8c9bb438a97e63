"""Deciding the next phase: the figures per bottle model, the pool simulator (whose proposal is
saved in a later phase's parameters), and "does it pay, does it count" with its AGEC/PPWR export."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from bottles.auth import role_required
from bottles.db import db
from bottles.spreadsheet import CODE, INT, PERCENT, TEXT, requested_flavour
from reports import decide, exports, pays, pool, pool_queries, report
from reports.models import Phase
from reports.period import fixed_cost_share, period_sentence
from reports.phase_input import param_source
from reports.pool import PoolError
from reports.report import Table
from reports.views import bp
from reports.views.common import COORDINATORS, download, now, phase_or_404, slug

MAX_IDS = 500  # more ticked boxes than models and estates exist is not a form of ours


def _flows(phase: Phase) -> tuple[pool.PoolFlows, date, object]:
    return decide.flows(db.session, phase, now())


@bp.get("/<int:phase_id>/modeles")
@role_required(*COORDINATORS)
def models(phase_id: int):
    """Per bottle model: monthly inflow, clean stock, sales, pace and the day it fills a pallet."""
    phase = phase_or_404(phase_id)
    flows, today, covered = _flows(phase)
    pallet, washer = pool_queries.pallet_size(db.session)
    rows = decide.model_rows(flows, pallet, today)
    months = sorted({m for r in rows for m in r["model"].sorted_by_month} | set(flows.refused_by_month))
    return render_template("reports/models.html", phase=phase, rows=rows, months=months, flows=flows,
                           pallet=pallet, washer=washer, today=today,
                           demand=decide.reservation_balances(db.session, now()),
                           period_text=period_sentence(covered, _day))


def _day(value: date) -> str:
    from bottles.i18n import day
    return day(value, "long")


def _choice(flows: pool.PoolFlows, source) -> tuple[set[int], set[int]]:
    """The ticked models and estates of a form or query string; the current pool when none was sent."""
    if not source.get("choix"):
        return pool.default_ticks(flows), set()
    model_raw, estate_raw = source.getlist("modele"), source.getlist("domaine")
    if len(model_raw) + len(estate_raw) > MAX_IDS:
        raise PoolError(_l("Trop de cases cochées."))
    ticked = pool.parse_ids(model_raw, set(flows.models), str(_l("Modèle")))
    estates = pool.parse_ids(estate_raw, set(flows.label_refused_by_estate), str(_l("Domaine")))
    return ticked, estates


def _later_phases(phase: Phase) -> list[Phase]:
    return list(db.session.scalars(select(Phase).where(Phase.start_date > phase.start_date)
                                   .order_by(Phase.start_date)))


@bp.route("/<int:phase_id>/simulateur", methods=["GET", "POST"])
@role_required(*COORDINATORS)
def simulator(phase_id: int):
    """Tick the models (and estates whose labels the points refuse), see the projected funnel; save
    the proposal in a later phase's parameters."""
    phase = phase_or_404(phase_id)
    flows, today, covered = _flows(phase)
    source = request.form if request.method == "POST" else request.args
    error, status = "", 200
    try:
        ticked, estates = _choice(flows, source)
    except PoolError as refusal:
        ticked, estates, error, status = pool.default_ticks(flows), set(), str(refusal), refusal.status
    if request.method == "POST" and not error and source.get("action") != "apercu":
        try:
            target = _save(phase, flows, ticked, estates, source.get("phase_cible", ""), today)
        except PoolError as refusal:
            db.session.rollback()
            error, status = str(refusal), refusal.status
        else:
            db.session.commit()
            flash(_("Proposition enregistrée dans les paramètres de la phase « %(name)s ».",
                    name=target.name), "success")
            return redirect(url_for("reports.simulator", phase_id=phase.id, choix=1,
                                    modele=sorted(ticked), domaine=sorted(estates)))
    current = pool.simulate(flows, pool.default_ticks(flows), set(), today)
    projected = pool.simulate(flows, ticked, estates, today)
    names = pool_queries.estates(db.session)
    shown = sorted((m for m in flows.models.values() if m.active or m.model_id in ticked),
                   key=lambda m: m.code)
    return render_template("reports/simulator.html", phase=phase, flows=flows, ticked=ticked,
                           estates=estates, names=names, current=current, projected=projected,
                           assumptions=pool.ASSUMPTIONS, later=_later_phases(phase), error=error,
                           models=shown,
                           period_text=period_sentence(covered, _day)), status


def _save(phase: Phase, flows: pool.PoolFlows, ticked: set[int], estates: set[int], target_raw: str,
          today: date) -> Phase:
    """Store the proposal in the chosen later phase's parameters (its other parameters kept)."""
    target_raw = (target_raw or "").strip()
    later = {p.id: p for p in _later_phases(phase)}
    if not later:
        raise PoolError(_l("Aucune phase après celle-ci : créez d'abord la phase suivante, puis "
                           "enregistrez la proposition."))
    if not (target_raw.isascii() and target_raw.isdigit()) or int(target_raw) not in later:
        raise PoolError(_l("Choisissez une phase qui commence après celle-ci."))
    target = later[int(target_raw)]
    names = pool_queries.estates(db.session)
    saved = pool.proposal(ticked, estates, {i: m.code for i, m in flows.models.items()},
                          {i: names.get(i, ("—", ""))[0] for i in estates}, phase.name, today)
    target.parameters = {**(target.parameters or {}), "pool": saved}
    db.session.flush()
    return target


@bp.get("/<int:phase_id>/rentabilite")
@role_required(*COORDINATORS)
def pays_page(phase_id: int):
    """Does it pay, does it count: rotations, costs, break-even, ADEME verdicts, AGEC/PPWR export."""
    phase = phase_or_404(phase_id)
    values, figures, covered = decide.pays_figures(db.session, phase, now())
    uses = figures["uses_per_bottle"]
    verdicts = {"cost": pays.cost_verdict(figures["cost_per_clean_bottle_sold_eur"],
                                          figures["new_bottle_price_eur"]),
                "uses": pays.ademe_uses(uses), "distance": pays.ademe_distance(figures["collection_area_km"])}
    return render_template("reports/pays.html", phase=phase, values=values, figures=figures,
                           verdicts=verdicts, definitions=pays.DEFINITIONS, sources=pays,
                           new_price_source=param_source(phase.parameters, "new_bottle_price_eur"),
                           fixed_share=fixed_cost_share(covered),
                           period_text=period_sentence(covered, _day))


def agec_tables(phase: Phase) -> list[Table]:
    """The producer's figures (reused units per buyer; the share needs their own total) and the
    definitions quoted with their sources."""
    scope = report.phase_scope(phase, None, now())
    bought = pool_queries.sold_by_winemaker(db.session, scope)
    headers = [_("Code"), _("Domaine"), _("Unités réemployées mises sur le marché"),
               _("Toutes unités mises sur le marché"), _("Part réemployée")]
    rows = [[code, estate, qty, None, None] for code, estate, qty in bought]
    total = [_("Total"), "", sum(r[2] for r in rows), None, None]
    figures = Table("agec", _("Unités réemployées (AGEC)"), headers, rows, total, {2, 3, 4},
                    [CODE, TEXT, INT, INT, PERCENT])
    definitions = Table("definitions", _("Définitions et sources"),
                        [_("Cadre"), _("Terme"), _("Définition"), _("Source")],
                        [[frame, str(term), str(text), str(source)]
                         for frame, term, text, source in pays.DEFINITIONS], units=[CODE, TEXT, TEXT, TEXT])
    note = Table("note", _("À lire"), [_("Note")], [
        [_("Une unité réemployée est une bouteille propre vendue par la filière à ce producteur pendant "
           "la phase : elle sert au moins pour la deuxième fois.")],
        [_("La part réemployée se calcule avec toutes les unités que le producteur a mises sur le marché, "
           "que la filière ne connaît pas : à compléter par le producteur.")]], units=[TEXT])
    return [figures, definitions, note]


@bp.get("/<int:phase_id>/agec.csv")
@role_required(*COORDINATORS)
def agec_csv(phase_id: int):
    """The AGEC figures per producer as CSV: French Excel's by default, `?format=rfc4180` for tools."""
    phase = phase_or_404(phase_id)
    body = exports.table_csv(agec_tables(phase)[0], requested_flavour())
    return download(body, f"{slug(phase)}-agec.csv", "text/csv; charset=utf-8")


@bp.get("/<int:phase_id>/agec.xlsx")
@role_required(*COORDINATORS)
def agec_xlsx(phase_id: int):
    """The AGEC figures, the definitions quoted and their sources, as one workbook."""
    phase = phase_or_404(phase_id)
    body = exports.workbook(SimpleNamespace(tables=agec_tables(phase)))
    return download(body, f"{slug(phase)}-agec-ppwr.xlsx",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
