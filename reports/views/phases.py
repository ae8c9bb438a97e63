"""The list of phases and the form that creates or edits one."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from bottles.auth import role_required
from bottles.db import db
from reports import operations
from reports.french import plain_number
from reports.indicators import INDICATORS, TARGETABLE
from reports.models import Phase
from reports.period import period
from reports.phase_input import PARAMS, PhaseError
from reports.views import bp
from reports.views.common import COORDINATORS, now, phase_or_404


@bp.get("/")
@role_required(*COORDINATORS)
def index():
    """The phases in date order (each with what its figures cover today), with links to create one
    and to compare them."""
    phases = db.session.scalars(select(Phase).order_by(Phase.start_date)).all()
    moment = now()
    periods = {phase.id: period(phase.start_date, phase.end_date, moment) for phase in phases}
    return render_template("reports/phases.html", phases=phases, periods=periods)


def form_input() -> operations.PhaseInput:
    """The phase as the form sent it, not yet checked."""
    form = request.form
    return operations.PhaseInput(
        name=form.get("name", ""), start=form.get("start", ""), end=form.get("end", ""),
        description=form.get("description", ""),
        params={key: form.get(f"param_{key}", "") for key in PARAMS},
        sources={key: form.get(f"source_{key}", "") for key in PARAMS},
        targets={key.removeprefix("target_"): value for key, value in form.items()
                 if key.startswith("target_")})


def form_page(phase: Phase | None, data: operations.PhaseInput | None = None,
              error: PhaseError | None = None, status: int = 200):
    """The phase form, filled with the phase (or what was typed) and the refusal if any.

    A refusal about one of the form's inputs is shown beside it (`error_field`); one about no
    input of the form (an unknown target key) stays whole at the top.
    """
    if data is None and phase is not None:
        data = operations.PhaseInput(
            name=phase.name, start=phase.start_date.isoformat(), end=phase.end_date.isoformat(),
            description=phase.description,
            params={key: _typed(value.get("value")) for key, value in (phase.parameters or {}).items()
                    if key in PARAMS},
            sources={key: value.get("source", "") for key, value in (phase.parameters or {}).items()
                     if key in PARAMS},
            targets={key: _typed(value) for key, value in (phase.targets or {}).items()})
    indicators = [indicator for indicator in INDICATORS if indicator.key in TARGETABLE]
    inputs = {"name", "start", "end", "description"} | {f"{kind}_{key}" for key in PARAMS
                                                         for kind in ("param", "source")} \
        | {f"target_{indicator.key}" for indicator in indicators}
    error_field = error.field if error is not None and error.field in inputs else ""
    return render_template("reports/phase_form.html", phase=phase,
                           data=data or operations.PhaseInput("", "", ""),
                           error=str(error) if error is not None else "", error_field=error_field,
                           params=PARAMS, plain=plain_number, indicators=indicators), status


def _typed(value) -> str:
    """A stored number as the form shows it (empty when unset)."""
    return "" if value is None else f"{value:g}"


@bp.route("/new", methods=["GET", "POST"])
@role_required(*COORDINATORS)
def new():
    """The form for a new phase; once saved, its dashboard."""
    if request.method == "GET":
        return form_page(None)
    data = form_input()
    try:
        phase = operations.save_phase(db.session, data)
    except PhaseError as error:
        db.session.rollback()
        return form_page(None, data, error, 422)
    db.session.commit()
    flash(_("Phase « %(name)s » créée.", name=phase.name), "success")
    return redirect(url_for("reports.dashboard", phase_id=phase.id))


@bp.route("/<int:phase_id>/edit", methods=["GET", "POST"])
@role_required(*COORDINATORS)
def edit(phase_id: int):
    """The phase's form, filled in; once saved, its dashboard."""
    phase = phase_or_404(phase_id)
    if request.method == "GET":
        return form_page(phase)
    data = form_input()
    try:
        operations.save_phase(db.session, data, phase)
    except PhaseError as error:
        db.session.rollback()
        return form_page(db.session.get(Phase, phase_id), data, error, 422)
    db.session.commit()
    flash(_("Phase enregistrée."), "success")
    return redirect(url_for("reports.dashboard", phase_id=phase.id))
