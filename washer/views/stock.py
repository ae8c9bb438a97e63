"""Clean stock: bottles ready for resale by model, in pallets, with the age of their washing."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from bottles.auth import role_required
from bottles.db import db
from bottles.i18n import label
from bottles.models import utcnow
from washer import operations, queries
from washer.rules import InputError, parse_count
from washer.views import bp
from washer.views.common import STAFF, current_washer, page_context


@bp.get("/stock")
@role_required(*STAFF)
def stock():
    """The clean stock by model, in pallets, with the age of the washing; the other stages' stock."""
    washer = current_washer()
    now = utcnow()
    held = queries.stocks(db.session, washer.id)
    names = {model.id: label(model) for model in queries.models(db.session)}
    return render_template("washer/stock.html", **page_context(washer),
                           rows=queries.clean_stock(db.session, washer, now), held=held, names=names,
                           may_edit=current_user.role in ("coordinator", "admin"))


@bp.post("/palette")
@role_required("coordinator")
def pallet():
    """The washer's pallet size changed, then back to the clean stock."""
    washer = current_washer()
    try:
        operations.set_pallet_size(db.session, washer, parse_count(
            request.form.get("pallet_size"), _("Taille de palette"), allow_blank=False))
    except InputError as error:
        db.session.rollback()
        abort(422, description=str(error))
    db.session.commit()
    flash(_("Palette de %(size)s bouteilles pour %(name)s.", size=washer.pallet_size, name=washer.name),
          "success")
    return redirect(url_for("washer.stock", w=washer.id))
