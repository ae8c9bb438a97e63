"""The washer's blueprint (/lavage): receipt, sorting, wash batches, clean stock, stock-take, history.

One module per page group; what they share is in `common`. Thin views: parse, call an operation,
commit once, redirect.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bottles.db import db
from bottles.errors import error_page
from bottles.models import Event

# import_name is the package, so that templates/ and static/ are the washer's own folders
bp = Blueprint("washer", "washer", url_prefix="/lavage", template_folder="templates",
               static_folder="static", static_url_path="/static/washer")


@bp.errorhandler(IntegrityError)
def answer_race(_error):
    """Two submissions of one form at the same instant: the loser learns it was recorded once."""
    db.session.rollback()
    try:
        event_id = uuid.UUID(request.form.get("event_id", ""))
    except ValueError:
        event_id = None
    if event_id and db.session.scalar(select(Event.seq).where(Event.id == event_id)):
        flash(_("Déjà enregistré (envoi en double) : rien n'a été compté deux fois."), "info")
        return redirect(request.referrer or url_for("washer.receipt"))
    return error_page(409, "Conflit avec un autre enregistrement au même instant : rien n'a été "
                           "enregistré. Rechargez la page et recommencez.")


from washer.views import (  # noqa: E402, F401  (routes on bp)
    batches,
    history,
    receipt,
    rounds,
    sorting,
    stock,
    stocktake,
)
