"""What the washer's views share: the washer the page is about, the form's event id and ids, a refusal."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from flask import abort, flash, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from bottles.auth import washer_ids
from bottles.db import db
from bottles.models import Event
from bottles.numbers import ID_MAX, ascii_digits, bounded, parse_id
from bottles.rules import STAGE_LABELS, Stage
from washer import queries
from washer.rules import InputError, NotYours

STAFF = ("washer",)
NOTE_LENGTH = 500


def allowed_washer_ids() -> set[int] | None:
    """The washers the person works for; None for those who see every washer."""
    return washer_ids(current_user)


def washer_choices() -> list:
    """The washers the person may choose between, in the order of the washer menu."""
    return queries.washers_for(db.session, allowed_washer_ids())


def current_washer(raw: str | None = None):
    """The washer the page is about: `raw` (else ?w=<id>) when several, else the person's only one."""
    choices = washer_choices()
    raw = request.values.get("w", "") if raw is None else raw
    if raw:
        washer_id = parse_id(raw)
        if washer_id is None:
            abort(404, description=_("Centre de lavage inconnu."))
        chosen = next((washer for washer in choices if washer.id == washer_id), None)
        if chosen is None:
            abort(403)
        return chosen
    if not choices:
        abort(403)
    return choices[0]


def form_event_id() -> uuid.UUID:
    """The event id the form was shown with; without it nothing can be recorded once (400)."""
    try:
        return uuid.UUID(request.form.get("event_id", ""))
    except ValueError:
        abort(400, description=_("Identifiant d'événement manquant ou illisible : rechargez la page."))


def typed_note() -> str:
    """The form's optional note, cut to what the ledger keeps."""
    return request.form.get("note", "")[:NOTE_LENGTH]


def int_or_none(raw: str | None, what: str) -> int | None:
    """An optional id typed or chosen in a form (`what` names it in the refusal)."""
    raw = (raw or "").strip()
    if not raw:
        return None
    number = parse_id(raw)
    if number is None:
        raise InputError(_("%(what)s : valeur illisible.", what=what))
    return number


def ids_from(prefix: str) -> dict[int, str]:
    """Form fields `<prefix><id>` → their raw values; a non-numeric id is refused."""
    values = {}
    for key, value in request.form.items():
        if key.startswith(prefix):
            digits = ascii_digits(key[len(prefix):])
            model_id = bounded(digits, ID_MAX) if digits else None  # 0: the unsorted bottles of `received`
            if model_id is None:
                raise InputError(_("Modèle de bouteille inconnu du catalogue : rien n'est enregistré."))
            values[model_id] = value
    return values


def refused_form(error: Exception, template: str, context: Callable[[], dict]):
    """Re-show the form with the message and what was typed; nothing was recorded.

    `context` is built only after the rollback: nothing shown is read from the failed transaction.
    """
    db.session.rollback()
    status = 403 if isinstance(error, NotYours) else 422 if isinstance(error, InputError) else 409
    flash(str(error), "error")  # at the top, and beside the field it is about when there is one
    page = {**context(), "values": request.form, "errors": getattr(error, "fields", {})}
    return render_template(template, **page), status


def blank_form(template: str, context: dict):
    """A form shown as new; committed, since showing it may have created the standard reasons."""
    page = render_template(template, values={}, **context)
    db.session.commit()
    return page


def page_context(washer) -> dict:
    """What every washer page shows: the washer, the others to switch to, a fresh event id."""
    return {"washer": washer, "choices": washer_choices(), "new_id": str(uuid.uuid4()),
            "stage_labels": STAGE_LABELS, "errors": {}}


def bottles_moved(event: Event, *, to_stage: Stage | None = None, from_stage: Stage | None = None) -> int:
    """Bottles the event moved into `to_stage` (or out of `from_stage`), for its confirmation message."""
    return sum(movement.quantity for movement in event.movements
               if (to_stage is None or movement.to_stage == to_stage.value)
               and (from_stage is None or movement.from_stage == from_stage.value))
