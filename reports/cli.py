"""`flask reports …`: phases, indicators, exports from the command line."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from bottles.db import db
from reports import operations, queries, report, rollup
from reports.french import fmt_value, plural
from reports.indicators import INDICATORS, label
from reports.models import Phase
from reports.period import fixed_cost_share, period_sentence
from reports.phase_input import PhaseError, effective_params, parse_pairs


def fr_day(value) -> str:
    """A French long date ("1er septembre 2026") outside a request."""
    from bottles.i18n import day

    return day(value, "long")

group = click.Group("reports", help="Boucle : phases d'expérimentation, indicateurs, exports.")


def _now() -> datetime:
    """The moment the figures are read at (a phase in progress runs up to today)."""
    return datetime.now(UTC)


def _fail(error: Exception) -> None:
    db.session.rollback()
    click.echo(f"Erreur : {error}", err=True)
    sys.exit(2)


@group.command("add-phase")
@click.option("--name", required=True, help="Nom de la phase.")
@click.option("--start", required=True, help="Premier jour, AAAA-MM-JJ (heure de Paris).")
@click.option("--end", required=True, help="Dernier jour inclus, AAAA-MM-JJ.")
@click.option("--description", default="", help="Le modèle de la phase.")
@click.option("--param", "params", multiple=True, help="Paramètre clé=valeur (répétable).")
@click.option("--source", "sources", multiple=True, help="Source d'un paramètre clé=texte.")
@click.option("--target", "targets", multiple=True, help="Objectif clé=valeur (répétable).")
@with_appcontext
def add_phase(name: str, start: str, end: str, description: str, params: tuple[str, ...],
              sources: tuple[str, ...], targets: tuple[str, ...]) -> None:
    """Create an experimentation phase (dates never overlap another phase)."""
    try:
        data = operations.PhaseInput(
            name=name, start=start, end=end, description=description,
            params=parse_pairs(list(params), "Paramètre"),
            sources=parse_pairs(list(sources), "Source"),
            targets=parse_pairs(list(targets), "Objectif"))
        phase = operations.save_phase(db.session, data)
    except PhaseError as error:
        _fail(error)
        return
    db.session.commit()
    click.echo(f"Phase « {phase.name} » créée : du {phase.start_date:%d/%m/%Y} au "
               f"{phase.end_date:%d/%m/%Y}.")


@group.command("phases")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@with_appcontext
def list_phases(as_json: bool) -> None:
    """List the phases in date order."""
    phases = db.session.scalars(select(Phase).order_by(Phase.start_date)).all()
    if as_json:
        click.echo(json.dumps([{
            "name": p.name, "start": p.start_date.isoformat(), "end": p.end_date.isoformat(),
            "description": p.description, "parameters": p.parameters, "targets": p.targets,
        } for p in phases], ensure_ascii=False, indent=2))
        return
    if not phases:
        click.echo("Aucune phase.")
    for p in phases:
        extra = f" · {plural(len(p.parameters or {}), 'paramètre', 'paramètres')}, " \
                f"{plural(len(p.targets or {}), 'objectif', 'objectifs')}"
        click.echo(f"{p.name}\t{p.start_date.isoformat()} → {p.end_date.isoformat()}{extra}")


@group.command("kpis")
@click.option("--phase", "phase_name", required=True, help="Nom de la phase.")
@click.option("--point", "points", multiple=True, help="Limiter à un point de collecte (code, répétable).")
@click.option("--territory", "territories", multiple=True, help="Limiter à un territoire (répétable).")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON (clés de docs/indicators.md).")
@with_appcontext
def kpis(phase_name: str, points: tuple[str, ...], territories: tuple[str, ...], as_json: bool) -> None:
    """Print the phase's indicators (optionally for some collection points or territories only)."""
    try:
        phase = operations.phase_by_name(db.session, phase_name)
        point_ids = None
        if points or territories:
            point_ids = tuple(queries.point_ids_for(db.session, list(points), list(territories)))
            if not point_ids:
                raise PhaseError("Aucun point de collecte ne correspond à ces codes ou territoires.")
    except PhaseError as error:
        _fail(error)
        return
    if rollup.refresh(db.session):
        db.session.commit()
    now = _now()
    covered = report.phase_period(phase, now)
    if point_ids is None:
        values = report.phase_kpis(db.session, phase, now)
    else:
        values = report.kpis(db.session, report.phase_scope(phase, point_ids, now),
                             effective_params(phase.parameters), fixed_cost_share(covered))
    if as_json:
        days = {"phase_status": covered.status,
                "figures_until": covered.until.isoformat() if covered.elapsed_days else None,
                "elapsed_days": covered.elapsed_days, "phase_days": covered.phase_days}
        if point_ids is None:  # the decision figures are the whole channel's (docs/indicators.md)
            from reports import decide, planned_round_queries

            values = {**values, **decide.kpis(db.session, phase, now), **planned_round_queries.kpis(
                db.session, phase.start_date, phase.end_date,
                effective_params(phase.parameters)["cost_per_km_eur"])}
        click.echo(json.dumps({**days, **values}, ensure_ascii=False, indent=2))
        return
    click.echo(period_sentence(covered, fr_day) + "\n")
    for indicator in INDICATORS:
        value = values[indicator.key]
        shown = (", ".join(f"{k} {v}" for k, v in value.items()) or "—") if indicator.kind == "object" \
            else fmt_value(indicator.kind, value)
        click.echo(f"{str(label(indicator.key, covered)):<48} {shown}")


@group.command("export-pdf")
@click.option("--phase", "phase_name", required=True)
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def export_pdf(phase_name: str, out: Path) -> None:
    """Write the phase's A4 PDF report."""
    from reports import pdf

    try:
        phase = operations.phase_by_name(db.session, phase_name)
    except PhaseError as error:
        _fail(error)
        return
    out.write_bytes(pdf.phase_pdf(report.build(db.session, phase, now=_now())))
    click.echo(f"Rapport écrit : {out}")


@group.command("refresh-rollups")
@click.option("--rebuild", is_flag=True, help="Vider les cumuls et relire tout le journal.")
@with_appcontext
def refresh_rollups(rebuild: bool) -> None:
    """Feed the daily roll-ups with the events past their watermark (or rebuild them)."""
    if rebuild:
        rollup.rebuild(db.session)
        read = rollup.watermark(db.session)
    else:
        read = rollup.refresh(db.session)
    db.session.commit()
    mark = rollup.watermark(db.session)
    click.echo(f"Cumuls quotidiens à jour : {plural(read, 'événement lu', 'événements lus')}, "
               f"jusqu'au n° {mark}.")


@group.command("check-rollups")
@with_appcontext
def check_rollups() -> None:
    """Recompute the roll-ups from the raw ledger and compare; exit 1 on any difference."""
    problems = rollup.check(db.session)
    if problems:
        for problem in problems[:200]:
            click.echo(problem, err=True)
        click.echo(f"{plural(len(problems), 'différence', 'différences')} entre le journal et les "
                   "cumuls.", err=True)
        sys.exit(1)
    click.echo(f"Cumuls et journal concordent (jusqu'à l'événement n° {rollup.watermark(db.session)}).")
