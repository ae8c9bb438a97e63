"""The washer's history of events, and corrections: a wrong entry cancelled by a reverse entry."""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from bottles.auth import role_required
from bottles.db import db
from bottles.models import Crate, Event, utcnow
from bottles.paging import page_number
from bottles.queries import corrected_seqs
from bottles.retry import retried
from bottles.rules import KIND_LABELS, STAGE_LABELS, Kind, LedgerError
from bottles.views import history_names
from washer import operations, queries
from washer.rules import InputError
from washer.views import bp
from washer.views.common import STAFF, allowed_washer_ids, form_event_id, refused_form, typed_note


def site_names() -> dict[str, dict[int, str]]:
    """The kernel's history names, and room for the crates of the page ("crate", filled later)."""
    return {**history_names(), "crate": {}}


def correctable_event(seq: int) -> Event:
    """The event to correct: one of this person's washers, of a kind that can be corrected; else 404."""
    target = db.session.get(Event, seq)
    allowed = allowed_washer_ids()
    if target is None or target.kind not in {kind.value for kind in operations.CORRECTABLE} or (
            allowed is not None and target.washer_id not in allowed):
        abort(404, description=_("Événement introuvable dans votre centre de lavage."))
    return target


def correction_context(seq: int) -> dict:
    """The correction page: the event, its movements to reverse, and what would block it."""
    target = correctable_event(seq)
    already = corrected_seqs(db.session, [seq]).get(seq)
    return {"target": target, "new_id": str(uuid.uuid4()), "kind_labels": KIND_LABELS,
            "stage_labels": STAGE_LABELS, "names": site_names(), "already": already,
            "blockers": [] if already else queries.correction_blockers(db.session, target)}


@bp.get("/historique")
@role_required(*STAFF)
def history():
    """The washer's events, newest first, by page, each with its movements and a way to correct it."""
    page = queries.history(db.session, allowed_washer_ids(), page_number())
    events = list(page.items)
    names = site_names()
    crate_ids = {event.crate_id for event in events if event.crate_id}
    if crate_ids:
        names["crate"] = dict(db.session.execute(select(Crate.id, Crate.code)
                                                 .where(Crate.id.in_(crate_ids))).all())
    return render_template("washer/history.html", page=page, events=events,
                           corrected=corrected_seqs(db.session, [event.seq for event in events]),
                           kind_labels=KIND_LABELS, stage_labels=STAGE_LABELS, names=names,
                           correctable={kind.value for kind in operations.CORRECTABLE})


@bp.get("/corriger/<int:seq>")
@role_required(*STAFF)
def correction(seq: int):
    """The correction page of one event: what its reverse entry would undo, or why it cannot."""
    return render_template("washer/correction.html", values={}, errors={}, **correction_context(seq))


@bp.post("/corriger/<int:seq>")
@role_required(*STAFF)
@retried
def correction_post(seq: int):
    """The reverse entry recorded, then the history; or the page again with why it was refused."""
    target = correctable_event(seq)
    try:
        operations.correct(db.session, actor=current_user, at=utcnow(), event_id=form_event_id(),
                           target_seq=target.seq, note=typed_note(), allowed=allowed_washer_ids())
    except (InputError, LedgerError) as error:
        return refused_form(error, "washer/correction.html", lambda: correction_context(seq))
    db.session.commit()
    flash(_("Correction enregistrée : les mouvements du n° %(seq)s (%(kind)s) sont annulés.",
            seq=target.seq, kind=_(KIND_LABELS[Kind(target.kind)])), "success")
    return redirect(url_for("washer.history"))
