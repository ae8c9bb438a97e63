"""The drivers' scan stations: crates picked up, empty crates dropped at a point, many in one go.

The list comes from the kernel's scan station (bottles/static/scan.js) and is read by bottles.scan.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from flask import abort, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from bottles import scan
from bottles.auth import role_required
from bottles.body_limits import accepts_body
from bottles.db import db
from bottles.errors import error_page
from bottles.models import CollectionPoint, Crate
from bottles.numbers import parse_id
from bottles.retry import retried
from bottles.rules import CrateState, Kind, LedgerError
from collection_points import operations, queries
from collection_points.rules import COUNTED, parse_count
from collection_points.views import bp
from collection_points.views.common import now, refusal_status, today


def scanned_batch() -> scan.ScanBatch:
    """The list the station sent; an unreadable one is refused whole (400)."""
    try:
        return scan.parse_batch(request.get_json(silent=True))
    except scan.ScanBatchError as error:
        abort(400, description=str(error))


def run_scanned(batch: scan.ScanBatch, crates: dict[str, Crate], act: Callable, done_text: str
                ) -> list[operations.ScanResult]:
    """`act(crate, event_id, count, field_time)` on each readable line, in its own savepoint (a
    field time refused refuses its line); unreadable codes refused; in the list's order."""
    ready = [(item.code, crates.get(item.code), item.event_id, item.count)
             for item in batch.items if item.error is None]
    lines = {(item.code, item.event_id): item for item in batch.items if item.error is None}
    server_now = now()

    def act_at(crate: Crate, event_id: uuid.UUID, count):
        """`act` with the line's field time (None: dated by the server once its locks are held)."""
        field = scan.field_time_of(db.session, lines[(crate.code, event_id)], current_user, server_now)
        return act(crate, event_id, count, field)

    results = {result.code: result for result in operations.run_batch(db.session, ready, act_at, done_text)}
    return [operations.ScanResult(item.code, "refused", item.error) if item.error else results[item.code]
            for item in batch.items]


def batch_answer(results: list[operations.ScanResult], done: Callable[[int], str]):
    """The JSON answer: one row per line and a summary; `done(count)` says "count crate(s) …" translated."""
    tally = scan.tally(result.status for result in results)
    if tally.recorded:
        db.session.commit()
    else:
        db.session.rollback()
    parts = [done(tally.recorded) if tally.recorded else _("Rien n'a été enregistré")]
    if tally.already:
        parts.append(ngettext("%(num)s déjà enregistrée", "%(num)s déjà enregistrées", tally.already))
    if tally.refused:
        parts.append(ngettext("%(num)s refusée : voir la liste", "%(num)s refusées : voir la liste",
                              tally.refused))
    return jsonify({"results": [result.as_json() for result in results],
                    "message": ", ".join(parts) + "."}), tally.status


def offer_declare_full(results: list[operations.ScanResult], crates: dict[str, Crate]
                       ) -> list[operations.ScanResult]:
    """A crate refused because it is still filling at its point: the driver may declare it full."""
    offered = []
    for result in results:
        crate = crates.get(result.code)
        if result.status == "refused" and crate is not None and crate.state == CrateState.AT_POINT.value:
            result = replace(result, action={
                "label": _("Déclarer pleine"), "url": url_for("bottles.crate", code=crate.code) + "#action"})
        offered.append(result)
    return offered


@bp.get("/tournee/enlever")
@role_required("driver")
def scan_pickup_page():
    """The scan station for crates picked up: many crates in a row, one confirmation."""
    current = queries.open_round(db.session, current_user.id)
    return render_template("collection_points/scan_pickup.html", current=current, token=uuid.uuid4())


@bp.get("/tournee/deposer")
@role_required("driver")
def scan_place_page():
    """The scan station for empty crates left at a point, the point chosen first."""
    points = queries.points_in_service(db.session, today())
    chosen = parse_id(request.args.get("point"))
    return render_template("collection_points/scan_place.html", points=points, chosen=chosen)


@bp.post("/tournee/enlever")
@accepts_body(scan.MAX_BODY_BYTES)
@role_required("driver")
@retried
def scan_pickup():
    """Each scanned crate picked up on today's round: a result per crate (JSON) and a summary."""
    batch = scanned_batch()
    try:  # the batch's round is checked first: another driver's (403) or a closed one (422) refuses it whole
        the_round = operations.ensure_round(db.session, current_user, today(),
                                            str(batch.fields.get("round_token") or uuid.uuid4()))
    except LedgerError as error:
        db.session.rollback()
        return error_page(refusal_status(error), str(error))
    crates = scan.crates_locked(db.session, batch.items, Kind.PICKUP)
    at = now()

    def act(crate: Crate, event_id: uuid.UUID, count, field: datetime | None):
        counted = None
        if count is not None:
            counted = parse_count(count, crate.capacity, what=COUNTED, allow_zero=True)
        return operations.pick_up(db.session, crate=crate, actor=current_user, event_id=event_id,
                                  at=field or at, counted=counted, round_id=the_round.id,
                                  field=field is not None)

    results = run_scanned(batch, crates, act, _("Enlevée (tournée %(code)s).", code=the_round.code))
    return batch_answer(offer_declare_full(results, crates),
                        lambda count: ngettext("%(num)s caisse enlevée", "%(num)s caisses enlevées", count))


@bp.post("/tournee/deposer")
@accepts_body(scan.MAX_BODY_BYTES)
@role_required("driver")
@retried
def scan_place():
    """Each scanned empty crate recorded at the chosen point: a result per crate (JSON) and a summary."""
    batch = scanned_batch()
    point_id = parse_id(batch.fields.get("point_id"))
    point = db.session.get(CollectionPoint, point_id) if point_id else None
    if point is None:
        abort(422, description=_("Choisissez d'abord le point de collecte où vous déposez les caisses."))
    crates = scan.crates_locked(db.session, batch.items, Kind.CRATE_PLACED)
    at = now()

    def act(crate: Crate, event_id: uuid.UUID, _count, field: datetime | None):
        return operations.place_crate(db.session, crate=crate, point=point, actor=current_user,
                                      event_id=event_id, at=field or at, field=field is not None)

    results = run_scanned(batch, crates, act, _("Déposée à %(point)s.", point=point.name))
    return batch_answer(results, lambda count: ngettext("%(num)s caisse déposée à %(point)s",
                                                        "%(num)s caisses déposées à %(point)s", count,
                                                        point=point.name))
