"""Label sheets and single labels from the interface (coordinators)."""

from __future__ import annotations

import re

from flask import Response, abort, current_app, render_template, request
from flask_babel import gettext as _
from sqlalchemy import func, select

from bottles import codes
from bottles.auth import role_required
from bottles.db import db
from bottles.models import Crate
from bottles.rules import LedgerError
from bottles.views import crate_or_404
from collection_points import labels, queries
from collection_points.rules import label_base_url_problem
from collection_points.selection import IN_SERVICE, mark_printed, select_crates
from collection_points.views import bp
from collection_points.views.common import now, today


def labels_form(message: str | None = None, status: int = 200):
    """The label sheets' form: points, crates not yet printed, layouts, the address the codes lead to."""
    points = queries.points_in_service(db.session, today())
    unprinted = db.session.scalar(select(func.count(Crate.id)).where(
        Crate.label_printed_at.is_(None), Crate.state.in_(IN_SERVICE)))
    base = current_app.config.get("BASE_URL") or ""
    sample = db.session.scalar(select(Crate.code).where(Crate.state.in_(IN_SERVICE)).order_by(Crate.code)
                               .limit(1)) or codes.make_code(1, current_app.config.get("CRATE_PREFIX", "CJ"))
    return render_template("collection_points/labels.html", points=points, unprinted=unprinted,
                           layouts=labels.LAYOUTS, message=message, form=request.form,
                           base_problem=label_base_url_problem(base),
                           sample_url=labels.crate_url(base, sample)), status


def typed_codes(text: str) -> list[str]:
    """The crate codes typed in the form, separated by spaces, commas, semicolons or new lines."""
    return [code for code in re.split(r"[\s,;]+", text) if code]


def base_url_refusal():
    """The printing refused because the codes would lead to a loopback address (409), or None."""
    problem = label_base_url_problem(current_app.config.get("BASE_URL"))
    if problem is None:
        return None
    return render_template("bottles/error.html", title=_("Étiquettes impossibles à imprimer"),
                           message=problem), 409


@bp.get("/etiquettes")
@role_required("coordinator")
def labels_page():
    """The form to print A4 sheets of crate labels (which crates, which layout)."""
    return labels_form()


@bp.post("/etiquettes")
@role_required("coordinator")
def labels_pdf():
    """The chosen crates' label sheet as a PDF download (marked printed if asked), or the form again."""
    if label_base_url_problem(current_app.config.get("BASE_URL")):
        return labels_form(None, 409)
    form = request.form
    layout = form.get("layout", "3x8")
    if layout not in labels.LAYOUTS:
        return labels_form(_("Format de planche inconnu."), 422)
    which = form.get("which", "")
    try:
        crates = select_crates(
            db.session,
            codes=typed_codes(form.get("codes", "")) if which == "codes" else None,
            point_code=form.get("point") if which == "point" else None,
            first=form.get("first") if which == "range" else None,
            last=form.get("last") if which == "range" else None,
            unprinted=which == "unprinted", all_=which == "all", day=today())
    except LedgerError as error:
        db.session.rollback()
        return labels_form(str(error), 422)
    pdf = labels.sheet_pdf([crate.code for crate in crates], current_app.config["BASE_URL"],
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
    """One crate's label as a PNG, SVG or one-label PDF (`fmt`), shown in the browser."""
    crate = crate_or_404(code)
    refusal = base_url_refusal()
    if refusal is not None:
        return refusal
    base, channel = current_app.config["BASE_URL"], current_app.config["CHANNEL_NAME"]
    layout = request.args.get("layout", "3x8")
    if layout not in labels.LAYOUTS:
        layout = "3x8"
    if fmt == "png":
        body, mimetype = labels.label_png(crate.code, base, channel, layout), "image/png"
    elif fmt == "svg":
        body, mimetype = labels.label_svg(crate.code, base, channel, layout), "image/svg+xml"
    elif fmt == "pdf":
        body, mimetype = labels.sheet_pdf([crate.code], base, channel, layout), "application/pdf"
    else:
        abort(404, description=_("Formats d'étiquette : png, svg ou pdf."))
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'inline; filename="{crate.code}.{fmt}"'})
