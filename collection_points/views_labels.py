"""Label sheets and single labels from the interface (coordinators)."""

from __future__ import annotations

import re

from flask import Response, current_app, render_template, request
from flask_babel import gettext as _
from sqlalchemy import func, select

from bottles.auth import role_required
from bottles.db import db
from bottles.models import CollectionPoint, Crate
from bottles.rules import LedgerError
from collection_points import labels
from collection_points.selection import IN_SERVICE, mark_printed, select_crates
from collection_points.views import bp, crate_or_404, now


def _page(message: str | None = None, status: int = 200):
    points = list(db.session.scalars(select(CollectionPoint).order_by(CollectionPoint.name)))
    unprinted = db.session.scalar(select(func.count(Crate.id)).where(
        Crate.label_printed_at.is_(None), Crate.state.in_(IN_SERVICE)))
    return render_template("collection_points/labels.html", points=points, unprinted=unprinted,
                           layouts=labels.LAYOUTS, message=message, form=request.form), status


@bp.get("/etiquettes")
@role_required("coordinator")
def labels_page():
    return _page()


@bp.post("/etiquettes")
@role_required("coordinator")
def labels_pdf():
    form = request.form
    layout = form.get("layout", "3x8")
    if layout not in labels.LAYOUTS:
        return _page(_("Format de planche inconnu."), 422)
    which = form.get("which", "")
    try:
        crates = select_crates(
            db.session,
            codes=[c for c in re.split(r"[\s,;]+", form.get("codes", "")) if c] if which == "codes" else None,
            point_code=form.get("point") if which == "point" else None,
            first=form.get("first") if which == "range" else None,
            last=form.get("last") if which == "range" else None,
            unprinted=which == "unprinted", all_=which == "all")
    except LedgerError as error:
        db.session.rollback()
        return _page(str(error), 422)
    pdf = labels.sheet_pdf([c.code for c in crates], current_app.config["BASE_URL"],
                           current_app.config["CHANNEL_NAME"], layout)
    if form.get("mark"):
        mark_printed(db.session, crates, now())
    db.session.commit()
    name = f"etiquettes-{len(crates)}-{layout}.pdf"
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/c/<code>/etiquette.<fmt>")
@role_required("coordinator")
def crate_label(code: str, fmt: str):
    crate = crate_or_404(code)
    base, channel = current_app.config["BASE_URL"], current_app.config["CHANNEL_NAME"]
    layout = request.args.get("layout", "3x8")
    if layout not in labels.LAYOUTS:
        layout = "3x8"
    if fmt == "png":
        body, mime = labels.label_png(crate.code, base, channel, layout), "image/png"
    elif fmt == "svg":
        body, mime = labels.label_svg(crate.code, base, channel, layout), "image/svg+xml"
    elif fmt == "pdf":
        body, mime = labels.sheet_pdf([crate.code], base, channel, layout), "application/pdf"
    else:
        from flask import abort

        abort(404, description=_("Formats d'étiquette : png, svg ou pdf."))
    return Response(body, mimetype=mime,
                    headers={"Content-Disposition": f'inline; filename="{crate.code}.{fmt}"'})
