"""Wash batches: bottles taken, accepted and rejected by model, with water, energy and hours."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from bottles.auth import role_required
from bottles.db import db
from bottles.i18n import number
from bottles.models import utcnow
from bottles.numbers import parse_id
from bottles.retry import retried
from bottles.rules import LedgerError, Stage
from washer import operations, queries
from washer.rules import InputError, parse_count, parse_optional_decimal, parse_optional_hours
from washer.views import bp
from washer.views.common import (
    STAFF,
    allowed_washer_ids,
    blank_form,
    bottles_moved,
    current_washer,
    form_event_id,
    ids_from,
    page_context,
    refused_form,
    typed_note,
)

REJECT_FIELD = "x-"  # x-<model id>-<reason id>: bottles of that model rejected for that reason
MAX_WATER_OR_ENERGY = 1_000_000


def wash_context(washer) -> dict:
    """The batch form: the sorted models waiting, their stock and the reject reasons."""
    sorted_stock = queries.stocks(db.session, washer.id)[Stage.SORTED]
    models = [model for model in queries.models(db.session) if model.id in sorted_stock]
    return {**page_context(washer), "models": models, "sorted_stock": sorted_stock,
            "reasons": operations.ensure_reasons(db.session, "reject")}


def wash_lines() -> list[operations.WashLine]:
    """Taken and accepted bottles per model (t-<id>, a-<id>), with their rejects by reason."""
    lines: dict[int, operations.WashLine] = {}
    for model_id, raw in ids_from("t-").items():
        lines[model_id] = operations.WashLine(
            model_id, parse_count(raw, _("Bouteilles prises"), field=f"t-{model_id}"),
            parse_count(request.form.get(f"a-{model_id}"), "Bouteilles conformes", field=f"a-{model_id}"))
    for key, raw in request.form.items():
        if key.startswith(REJECT_FIELD):
            parts = key.split("-")
            model_id, reason_id = (parse_id(part) for part in parts[1:]) if len(parts) == 3 else (None, None)
            if model_id is None or reason_id is None:
                raise InputError(_("Rebut illisible : rien n'est enregistré."))
            line = lines.setdefault(model_id, operations.WashLine(model_id, 0, 0))
            line.rejects[reason_id] = parse_count(raw, _("Rebuts"), field=key)
    return list(lines.values())


@bp.get("/lot")
@role_required(*STAFF)
def batch():
    """The wash batch form: accepted and rejected bottles by model, water, energy, hours."""
    return blank_form("washer/batch.html", wash_context(current_washer()))


@bp.post("/lot")
@role_required(*STAFF)
@retried
def batch_post():
    """The wash batch recorded, then the clean stock; or the form again with what to fix."""
    washer = current_washer()
    try:
        lines = wash_lines()
        recorded = operations.wash(
            db.session, actor=current_user, at=utcnow(), event_id=form_event_id(), washer_id=washer.id,
            lines=lines,
            water_l=parse_optional_decimal(request.form.get("water_l"), _("Eau"), MAX_WATER_OR_ENERGY,
                                           "water_l"),
            energy_kwh=parse_optional_decimal(request.form.get("energy_kwh"), _("Énergie"),
                                              MAX_WATER_OR_ENERGY, "energy_kwh"),
            hours=parse_optional_hours(request.form.get("hours")),
            note=typed_note(), allowed=allowed_washer_ids())
    except (InputError, LedgerError) as error:
        return refused_form(error, "washer/batch.html", lambda: wash_context(washer))
    db.session.commit()
    good = bottles_moved(recorded.event, to_stage=Stage.CLEAN)
    bad = bottles_moved(recorded.event, to_stage=Stage.REJECTED)
    flash(_("Lot de lavage enregistré : %(good)s, %(bad)s.",
            good=ngettext("%(n)s conforme", "%(n)s conformes", good, n=number(good)),
            bad=ngettext("%(n)s rebut", "%(n)s rebuts", bad, n=number(bad))), "success")
    return redirect(url_for("washer.stock", w=washer.id))
