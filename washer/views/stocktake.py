"""Stock-take: counted against expected for one stage, reviewed, then the gaps recorded."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from bottles.auth import role_required
from bottles.db import db
from bottles.i18n import label, number
from bottles.models import utcnow
from bottles.retry import retried
from bottles.rules import LedgerError, Stage
from washer import operations, queries
from washer.rules import InputError, parse_count
from washer.views import bp
from washer.views.common import (
    STAFF,
    allowed_washer_ids,
    blank_form,
    bottles_moved,
    current_washer,
    form_event_id,
    ids_from,
    int_or_none,
    page_context,
    refused_form,
    typed_note,
)


def stocktake_context(washer, stage: Stage, counted: dict[int, int] | None = None) -> dict:
    """The stock-take form; with `counted`, the review: expected against counted, per model."""
    held = queries.stocks(db.session, washer.id)[stage]
    models = [] if stage == Stage.RECEIVED else [
        model for model in queries.models(db.session) if model.in_pool or model.id in held]
    lines = ([(0, _("Bouteilles non triées"))] if stage == Stage.RECEIVED
             else [(model.id, label(model)) for model in models])
    review = None
    if counted is not None:
        review = [{"id": line_id, "name": name, "expected": held.get(line_id, 0),
                   "counted": counted.get(line_id),
                   "gap": None if line_id not in counted else counted[line_id] - held.get(line_id, 0)}
                  for line_id, name in lines]
    return {**page_context(washer), "stage": stage, "lines": lines, "review": review,
            "stages": operations.STOCKTAKE_STAGES,
            "loss_reasons": operations.ensure_reasons(db.session, "loss"),
            "surplus_reasons": operations.ensure_reasons(db.session, "surplus")}


def chosen_stage() -> Stage:
    """The stage being counted (?etape=, clean stock by default); another value is a 404."""
    raw = request.values.get("etape", Stage.CLEAN.value)
    if raw not in {stage.value for stage in operations.STOCKTAKE_STAGES}:
        abort(404, description=_("Étape d'inventaire inconnue."))
    return Stage(raw)


def typed_counts() -> dict[int, int]:
    """The counts typed (a blank field is not counted); at least one is needed."""
    counted = {model_id: parse_count(value, _("Bouteilles comptées"), field=f"c-{model_id}")
               for model_id, value in ids_from("c-").items() if value.strip()}
    if not counted:
        raise InputError(_("Comptez au moins un modèle : un champ laissé vide n'est pas compté."))
    return counted


def typed_counts_or_none() -> dict[int, int] | None:
    """The counts for re-showing a refused review; None (the blank form) if they are unreadable."""
    try:
        return typed_counts()
    except InputError:
        return None


def review_page(washer, stage: Stage, counted: dict[int, int], status: int = 200):
    """The review of the counts as typed: expected against counted, per model."""
    page = {**stocktake_context(washer, stage, counted), "values": request.form}
    return render_template("washer/stocktake.html", **page), status


@bp.get("/inventaire")
@role_required(*STAFF)
def stocktake():
    """The stock-take form for one stage: a count field per model."""
    return blank_form("washer/stocktake.html", stocktake_context(current_washer(), chosen_stage()))


@bp.post("/inventaire")
@role_required(*STAFF)
@retried
def stocktake_post():
    """First the counts, then the review (expected against counted), then the confirmation."""
    washer = current_washer()
    stage = chosen_stage()
    try:
        counted = typed_counts()
        if request.form.get("action") != "confirm":
            return review_page(washer, stage, counted)
        held = queries.stocks(db.session, washer.id)[stage]
        shown = {model_id: value.strip() for model_id, value in ids_from("e-").items()}
        if any(shown.get(model_id) != str(held.get(model_id, 0)) for model_id in counted):
            flash(_("Le stock attendu a changé depuis votre comptage (une autre saisie) : vérifiez "
                    "les écarts ci-dessous, puis confirmez."), "warning")
            return review_page(washer, stage, counted, 409)
        recorded = operations.stocktake(
            db.session, actor=current_user, at=utcnow(), event_id=form_event_id(), washer_id=washer.id,
            stage=stage, counted=counted,
            loss_reason_id=int_or_none(request.form.get("loss_reason"), _("Motif")),
            surplus_reason_id=int_or_none(request.form.get("surplus_reason"), _("Motif")),
            note=typed_note(), allowed=allowed_washer_ids())
    except (InputError, LedgerError) as error:
        return refused_form(error, "washer/stocktake.html", lambda: stocktake_context(
            washer, stage, typed_counts_or_none()))
    db.session.commit()
    if recorded is None:
        flash(_("Inventaire conforme : aucun écart, rien à enregistrer."), "success")
    else:
        lost = bottles_moved(recorded.event, to_stage=Stage.LOST)
        extra = bottles_moved(recorded.event, from_stage=Stage.OUTSIDE)
        flash(_("Inventaire enregistré : %(lost)s, %(extra)s.",
                lost=ngettext("%(n)s manquante", "%(n)s manquantes", lost, n=number(lost)),
                extra=ngettext("%(n)s en plus", "%(n)s en plus", extra, n=number(extra))), "success")
    return redirect(url_for("washer.stock", w=washer.id))
