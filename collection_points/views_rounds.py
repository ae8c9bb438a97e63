"""Drivers' rounds (priority list, open/close, scan stations) and coordinators' pickup requests."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from bottles import codes
from bottles.auth import role_required
from bottles.db import db
from bottles.i18n import number
from bottles.models import CollectionPoint, Crate, Round, User, Washer
from bottles.rules import CrateState, LedgerError, format_hours
from collection_points import operations, queries
from collection_points.rules import (
    MAX_HOURS,
    MAX_KM,
    is_late,
    maps_links,
    parse_count,
    parse_decimal,
    parse_round_hours,
    priority_key,
    visited_on,
    waiting_text,
)
from collection_points.views import bp, event_id_from, now, today

MAX_BATCH = 200


def round_plan(driver: User | None) -> dict:
    """Points to visit, by priority, with what to pick up and how many empty crates to bring."""
    at = datetime.now(UTC)
    needs = queries.point_needs(db.session, day=today())
    points = {p.id: p for p in db.session.scalars(select(CollectionPoint).where(
        CollectionPoint.id.in_(list(needs))))}
    full = queries.crates_at(db.session, None, (CrateState.FULL.value,))
    declared = queries.declared_counts(db.session, [c.id for c in full])
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
        "need": n, "point": points[n.point_id], "crates": crates_by_point.get(n.point_id, []),
        "maps": maps_links(points[n.point_id].latitude, points[n.point_id].longitude,
                           points[n.point_id].address),
        "late": is_late(n.oldest_full, at), "waiting": waiting_text(n.oldest_full, at),
        "last_visit": waiting_text(n.last_visit, at) if n.last_visit else _("jamais"),
        "assigned": names.get(assignments[n.point_id].driver_id) if n.point_id in assignments else None,
        "mine": driver is not None and n.point_id in assignments
        and assignments[n.point_id].driver_id == driver.id,
    } for n in ordered]
    return {"requests": [s for s in stops if s["need"].full_crates],
            "others": [s for s in stops if not s["need"].full_crates
                       and not visited_on(s["need"].last_visit, today())][:15],
            "declared": declared, "empties": sum(n.full_crates for n in needs.values())}


@bp.get("/tournee")
@role_required("driver")
def round_list():
    return _round_page()


def _round_page(close_form: dict | None = None, status: int = 200):
    """/tournee; `close_form` re-shows a refused closing form as typed, its message beside the field."""
    plan = round_plan(current_user if current_user.role == "driver" else None)
    current = queries.open_round(db.session, current_user.id)
    summary = queries.round_summary(db.session, current.id) if current else None
    washers = list(db.session.scalars(select(Washer).where(Washer.active.is_(True)).order_by(Washer.name)))
    return render_template("collection_points/rounds.html", **plan, current=current, summary=summary,
                           washers=washers, token=uuid.uuid4(), close_id=uuid.uuid4(), today=today(),
                           recent=queries.recent_rounds(db.session, current_user.id, 5),
                           close_form=close_form), status


@bp.post("/tournee/ouvrir")
@role_required("driver")
def round_open():
    token = str(event_id_from(request.form.get("token")))
    raw_washer = request.form.get("washer_id", "")
    washer = db.session.get(Washer, int(raw_washer)) if raw_washer.isdigit() else None
    if raw_washer and washer is None:
        abort(422, description=_("Centre de lavage inconnu."))
    round_ = operations.ensure_round(db.session, current_user, today(), token, washer.id if washer else None)
    db.session.commit()
    flash(_("Tournée %(code)s ouverte.", code=round_.code), "success")
    return redirect(url_for("collection_points.round_list"))


@bp.post("/tournee/<int:round_id>/clore")
@role_required("driver")
def round_close(round_id: int):
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        abort(404, description=_("Tournée inconnue."))
    event_id = event_id_from(request.form.get("event_id"))
    try:
        km = parse_decimal(request.form.get("km"), "Le kilométrage", MAX_KM, 1, field="km")
        hours = parse_round_hours(request.form.get("hours"), MAX_HOURS)
        operations.once(db.session, event_id, lambda: operations.close_round(
            db.session, round_=round_, actor=current_user, event_id=event_id, at=now(), km=km, hours=hours,
            note=(request.form.get("note") or "").strip()[:500]))
    except LedgerError as error:
        db.session.rollback()
        if getattr(error, "field", "") and round_.driver_id == current_user.id:
            return _round_page({"values": request.form, "field": error.field, "message": str(error)}, 422)
        return render_template("collection_points/refused.html", message=str(error), crate=None,
                               back=url_for("collection_points.round_list"),
                               back_label=_("Revenir à la tournée")), 422
    db.session.commit()
    flash(_("Tournée %(code)s close : %(km)s km, %(hours)s.", code=round_.code, km=number(km, 1),
            hours=format_hours(hours)), "success")
    return redirect(url_for("collection_points.round_list"))


@bp.get("/tournee/enlever")
@role_required("driver")
def scan_pickup_page():
    current = queries.open_round(db.session, current_user.id)
    return render_template("collection_points/scan_pickup.html", current=current, token=uuid.uuid4())


@bp.get("/tournee/deposer")
@role_required("driver")
def scan_place_page():
    points = queries.points_in_service(db.session, today())
    chosen = request.args.get("point", type=int)
    return render_template("collection_points/scan_place.html", points=points, chosen=chosen)


def _batch_items() -> tuple[list, dict]:
    """(code, crate, event id, count) per scanned line, and the page's fields, from the JSON body."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        abort(400, description=_("Liste de caisses illisible : rien n'a été enregistré."))
    items, fields = body["items"], body.get("fields") or {}
    if not items or len(items) > MAX_BATCH or not isinstance(fields, dict):
        abort(400, description=_("Envoyez entre 1 et %(n)s caisses à la fois.", n=MAX_BATCH))
    wanted = []
    for item in items:
        if not isinstance(item, dict):
            abort(400, description=_("Liste de caisses illisible : rien n'a été enregistré."))
        raw = str(item.get("code") or "")
        try:
            code = codes.normalise(raw)
        except codes.CrateCodeError as error:
            wanted.append((raw[:40], None, str(error), None))
            continue
        try:
            event_id = uuid.UUID(str(item.get("event_id")))
        except ValueError:
            event_id = None
        wanted.append((code, event_id, None, item.get("count")))
    found = {c.code: c for c in db.session.scalars(select(Crate).where(
        Crate.code.in_([w[0] for w in wanted if w[2] is None])))}
    rows = [(code, found.get(code), event_id, error, count) for code, event_id, error, count in wanted]
    return rows, fields


def _answer(results: list[operations.ScanResult], done):
    """done(n): the translated "n crate(s) …" sentence."""
    recorded = sum(r.status == "recorded" for r in results)
    already = sum(r.status == "already" for r in results)
    refused = len(results) - recorded - already
    if recorded:
        db.session.commit()
    else:
        db.session.rollback()
    parts = [done(recorded) if recorded else _("Rien n'a été enregistré")]
    if already:
        parts.append(ngettext("%(num)s déjà enregistrée", "%(num)s déjà enregistrées", already))
    if refused:
        parts.append(ngettext("%(num)s refusée : voir la liste", "%(num)s refusées : voir la liste", refused))
    status = 422 if refused and not (recorded or already) else 200
    return jsonify({"results": [r.as_json() for r in results], "message": ", ".join(parts) + "."}), status


def _run(items: list, act, done_text: str) -> list[operations.ScanResult]:
    ready = [(code, crate, event_id, count) for code, crate, event_id, error, count in items if error is None]
    results = {r.code: r for r in operations.run_batch(db.session, ready, act, done_text)}
    return [results[code] if error is None else operations.ScanResult(code, "refused", error)
            for code, _crate, _event_id, error, _count in items]


@bp.post("/tournee/enlever")
@role_required("driver")
def scan_pickup():
    items, fields = _batch_items()
    round_ = operations.ensure_round(db.session, current_user, today(),
                                     str(fields.get("round_token") or uuid.uuid4()))
    at = now()

    def act(crate: Crate, event_id: uuid.UUID, count):
        counted = None
        if count not in (None, ""):
            counted = parse_count(count, crate.capacity, what="Le nombre compté", allow_zero=True)
        return operations.pick_up(db.session, crate=crate, actor=current_user, event_id=event_id, at=at,
                                  counted=counted, round_id=round_.id)

    results = _run(items, act, _("Enlevée (tournée %(code)s).", code=round_.code))
    return _answer(_offer_declare_full(results, items),
                   lambda n: ngettext("%(num)s caisse enlevée", "%(num)s caisses enlevées", n))


def _offer_declare_full(results: list[operations.ScanResult], items: list) -> list[operations.ScanResult]:
    """A crate refused because it is still filling at its point: the driver may declare it full."""
    crates = {code: crate for code, crate, _event_id, _error, _count in items if crate is not None}
    offered = []
    for result in results:
        crate = crates.get(result.code)
        if result.status == "refused" and crate is not None and crate.state == CrateState.AT_POINT.value:
            result = replace(result, action={
                "label": _("Déclarer pleine"), "url": url_for("bottles.crate", code=crate.code) + "#action"})
        offered.append(result)
    return offered


@bp.post("/tournee/deposer")
@role_required("driver")
def scan_place():
    items, fields = _batch_items()
    raw_point = str(fields.get("point_id") or "")
    point = db.session.get(CollectionPoint, int(raw_point)) if raw_point.isdigit() else None
    if point is None:
        abort(422, description=_("Choisissez d'abord le point de collecte où vous déposez les caisses."))
    at = now()

    def act(crate: Crate, event_id: uuid.UUID, _count):
        return operations.place_crate(db.session, crate=crate, point=point, actor=current_user,
                                      event_id=event_id, at=at)

    return _answer(_run(items, act, _("Déposée à %(point)s.", point=point.name)),
                   lambda n: ngettext("%(num)s caisse déposée à %(point)s",
                                      "%(num)s caisses déposées à %(point)s", n, point=point.name))


@bp.get("/demandes")
@role_required("coordinator")
def requests_list():
    plan = round_plan(None)
    return render_template("collection_points/requests.html", **plan, drivers=queries.drivers(db.session))


@bp.post("/demandes/<int:point_id>/attribuer")
@role_required("coordinator")
def assign(point_id: int):
    point = db.session.get(CollectionPoint, point_id)
    raw = request.form.get("driver_id", "")
    driver = db.session.get(User, int(raw)) if raw.isdigit() else None
    if point is None or driver is None:
        abort(422, description=_("Choisissez un point et un chauffeur existants."))
    try:
        operations.assign(db.session, point=point, driver=driver, by=current_user, at=now())
    except LedgerError as error:
        db.session.rollback()
        abort(422, description=str(error))
    db.session.commit()
    flash(_("%(point)s attribué à %(driver)s.", point=point.name,
            driver=driver.display_name or driver.username), "success")
    return redirect(url_for("collection_points.requests_list"))

