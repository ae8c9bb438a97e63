"""Drivers' rounds: the points to visit by priority, opening a round and closing it with km and hours."""

from __future__ import annotations

import uuid
from collections import defaultdict

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from bottles.auth import role_required
from bottles.db import db
from bottles.i18n import number
from bottles.models import CollectionPoint, Crate, Round, User, Washer
from bottles.numbers import parse_id
from bottles.retry import retried
from bottles.rules import CrateState, LedgerError, format_hours
from collection_points import operations, plan_queries, queries
from collection_points.rules import (
    DISTANCE,
    MAX_HOURS,
    MAX_KM,
    is_late,
    maps_links,
    parse_decimal,
    parse_round_hours,
    priority_key,
    visited_on,
    waiting_text,
)
from collection_points.views import bp
from collection_points.views.common import event_id_from, now, refusal_status, today

OTHER_POINTS_SHOWN = 15  # points without full crates, not visited today, listed after the requests


def round_plan(driver: User | None) -> dict:
    """Points to visit, by priority, with what to pick up and how many empty crates to bring."""
    at = now()
    needs = queries.point_needs(db.session, day=today())
    points = {point.id: point for point in db.session.scalars(select(CollectionPoint).where(
        CollectionPoint.id.in_(list(needs))))}
    full = queries.crates_at(db.session, None, (CrateState.FULL.value,))
    declared = queries.declared_counts(db.session, [crate.id for crate in full])
    crates_by_point: dict[int, list[Crate]] = defaultdict(list)
    for crate in full:
        crates_by_point[crate.collection_point_id].append(crate)
    assignments = queries.active_assignments(db.session)
    names = queries.user_names(db.session, {a.driver_id for a in assignments.values()})

    def key(need):
        other = driver is not None and need.point_id in assignments and \
            assignments[need.point_id].driver_id != driver.id
        return (other, *priority_key(need, at))

    ordered = sorted(needs.values(), key=key)
    stops = [{
        "need": need, "point": points[need.point_id], "crates": crates_by_point.get(need.point_id, []),
        "maps": maps_links(points[need.point_id].latitude, points[need.point_id].longitude,
                           points[need.point_id].address),
        "late": is_late(need.oldest_full, at), "waiting": waiting_text(need.oldest_full, at),
        "last_visit": waiting_text(need.last_visit, at) if need.last_visit else _("jamais"),
        "assigned": names.get(assignments[need.point_id].driver_id) if need.point_id in assignments else None,
        "mine": driver is not None and need.point_id in assignments
        and assignments[need.point_id].driver_id == driver.id,
    } for need in ordered]
    return {"requests": [stop for stop in stops if stop["need"].full_crates],
            "others": [stop for stop in stops if not stop["need"].full_crates
                       and not visited_on(stop["need"].last_visit, today())][:OTHER_POINTS_SHOWN],
            "declared": declared, "empties": sum(need.full_crates for need in needs.values())}


def round_page(close_form: dict | None = None, status: int = 200):
    """/tournee; `close_form` re-shows a refused closing form as typed, its message beside the field."""
    plan = round_plan(current_user if current_user.role == "driver" else None)
    current = queries.open_round(db.session, current_user.id)
    summary = queries.round_summary(db.session, current.id) if current else None
    washers = list(db.session.scalars(select(Washer).where(Washer.active.is_(True)).order_by(Washer.name)))
    driver_id = current_user.id if current_user.role == "driver" else None
    return render_template("collection_points/rounds.html", **plan, current=current, summary=summary,
                           washers=washers, token=uuid.uuid4(), close_id=uuid.uuid4(), today=today(),
                           recent=queries.recent_rounds(db.session, current_user.id, 5),
                           planned=plan_queries.latest_plan(db.session, today(), driver_id),
                           close_form=close_form), status


def round_refused(error: LedgerError):
    """Why the round cannot be opened or closed (403 another driver's, 422 closed), a link back."""
    db.session.rollback()
    return render_template("collection_points/refused.html", message=str(error), crate=None,
                           back=url_for("collection_points.round_list"),
                           back_label=_("Revenir à la tournée")), refusal_status(error)


@bp.get("/tournee")
@role_required("driver")
def round_list():
    """The driver's round: points by priority, crates to pick up, empties to bring, the round open."""
    return round_page()


@bp.post("/tournee/ouvrir")
@role_required("driver")
@retried
def round_open():
    """Today's round opened by hand (towards the chosen washer), then back to the round page."""
    token = str(event_id_from(request.form.get("token")))
    raw_washer = request.form.get("washer_id", "")
    washer_id = parse_id(raw_washer)
    washer = db.session.get(Washer, washer_id) if washer_id else None
    if raw_washer and washer is None:
        abort(422, description=_("Centre de lavage inconnu."))
    try:
        the_round = operations.ensure_round(db.session, current_user, today(), token,
                                            washer.id if washer else None)
    except LedgerError as error:
        return round_refused(error)
    db.session.commit()
    flash(_("Tournée %(code)s ouverte.", code=the_round.code), "success")
    return redirect(url_for("collection_points.round_list"))


@bp.post("/tournee/<int:round_id>/clore")
@role_required("driver")
@retried
def round_close(round_id: int):
    """The round closed with its km and hours, or the closing form again with what to fix."""
    the_round = db.session.get(Round, round_id)
    if the_round is None:
        abort(404, description=_("Tournée inconnue."))
    event_id = event_id_from(request.form.get("event_id"))
    try:
        km = parse_decimal(request.form.get("km"), DISTANCE, MAX_KM, 1, field="km")
        hours = parse_round_hours(request.form.get("hours"), MAX_HOURS)
        operations.once(db.session, event_id, lambda: operations.close_round(
            db.session, round_=the_round, actor=current_user, event_id=event_id, at=now(), km=km,
            hours=hours, note=(request.form.get("note") or "").strip()[:500]))
    except LedgerError as error:
        db.session.rollback()
        if getattr(error, "field", "") and the_round.driver_id == current_user.id:
            return round_page({"values": request.form, "field": error.field, "message": str(error)}, 422)
        return round_refused(error)
    db.session.commit()
    flash(_("Tournée %(code)s close : %(km)s km, %(hours)s.", code=the_round.code, km=number(km, 1),
            hours=format_hours(hours)), "success")
    return redirect(url_for("collection_points.round_list"))
