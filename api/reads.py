"""Reads: crates (state, site, history), stocks, events since a seq, phases and their indicators."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from flask.views import MethodView
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api import auth, bp
from api import schemas as s
from api.errors import ApiError
from api.scope import crates_where, events_where, history_where, may_see_crate, stocks_where
from bottles import codes
from bottles.db import db
from bottles.ledger import lock_by_code
from bottles.models import Crate, Event, StockLevel, utcnow
from bottles.rules import PARIS
from reports import decide, planned_round_queries, report, rollup
from reports.models import Phase
from reports.phase_input import effective_params

CRATES_PER_PAGE = 100
HISTORY = 50


def attach_crate_codes(session: Session, events: list[Event]) -> list[Event]:
    """Each event's crate code (one query), for EventOut."""
    ids = {event.crate_id for event in events if event.crate_id}
    found = dict(session.execute(select(Crate.id, Crate.code).where(Crate.id.in_(ids))).all()) if ids else {}
    for event in events:
        event.crate_code = found.get(event.crate_id)
    return events


def crate_named(raw: str, lock: bool = False) -> Crate:
    """The crate a code names, or 404 (a malformed code too: nothing to say about it).

    `lock`: read it under its row lock, as the request's first lock (bottles.ledger.lock_in_order:
    a crate is locked before any stock row), so the write's operation need not read it again."""
    try:
        code = codes.normalise(raw)
    except ValueError:
        raise ApiError(404, code="caisse_inconnue",
                       message=_l("Aucune caisse %(code)s dans le parc.", code=raw[:32])) from None
    session = db.session
    crate = lock_by_code(session, code) if lock else session.scalar(select(Crate).where(Crate.code == code))
    if crate is None:
        raise ApiError(404, code="caisse_inconnue",
                       message=_l("Aucune caisse %(code)s dans le parc.", code=code))
    return crate


@bp.route("/crates")
class Crates(MethodView):
    @bp.arguments(s.CrateQuery(), location="query")
    @bp.response(200, s.CratePage)
    @bp.alt_response(401, schema=s.Refusal)
    def get(self, args: dict):
        """Crates the token's person may see (a point's, a washer's; all for drivers and coordination)."""
        person = auth.user()
        where = [crates_where(person)]
        if "state" in args:
            where.append(Crate.state == args["state"])
        if "point_id" in args:
            where.append(Crate.collection_point_id == args["point_id"])
        if "washer_id" in args:
            where.append(Crate.washer_id == args["washer_id"])
        total = int(db.session.scalar(select(func.count()).select_from(Crate).where(*where)))
        pages = max(1, -(-total // CRATES_PER_PAGE))
        page = min(args["page"], pages)
        items = list(db.session.scalars(select(Crate).where(*where).order_by(Crate.code)
                                        .offset((page - 1) * CRATES_PER_PAGE).limit(CRATES_PER_PAGE)))
        return {"items": items, "page": page, "pages": pages, "total": total}


@bp.route("/crates/<code>")
class OneCrate(MethodView):
    @bp.response(200, s.CrateDetail)
    @bp.alt_response(403, schema=s.Refusal)
    @bp.alt_response(404, schema=s.Refusal)
    def get(self, code: str):
        """A crate: state, site and its latest events (as much as its person may see)."""
        person = auth.user()
        crate = crate_named(code)
        if not may_see_crate(db.session, person, crate):
            raise ApiError(403, code="pas_votre_site", message=_l(
                "Cette caisse n'est pas à l'un de vos sites."))
        history = list(db.session.scalars(
            select(Event).where(Event.crate_id == crate.id, history_where(person))
            .order_by(Event.seq.desc()).limit(HISTORY)))
        crate.history = attach_crate_codes(db.session, history)
        return crate


@bp.route("/stocks")
class Stocks(MethodView):
    @bp.arguments(s.StockQuery(), location="query")
    @bp.response(200, s.StockList)
    def get(self, args: dict):
        """Bottles held now, by stage, site (point, washer or winemaker id) and model (0: unsorted)."""
        where = [stocks_where(auth.user()), StockLevel.quantity != 0]
        for key, column in (("stage", StockLevel.stage), ("site_id", StockLevel.site_id),
                            ("model_id", StockLevel.model_id)):
            if key in args:
                where.append(column == args[key])
        rows = db.session.scalars(select(StockLevel).where(*where).order_by(
            StockLevel.stage, StockLevel.site_id, StockLevel.model_id))
        return {"items": list(rows)}


def paris_start(day) -> datetime:
    return datetime.combine(day, time.min, tzinfo=PARIS).astimezone(UTC)


@bp.route("/events")
class Events(MethodView):
    @bp.arguments(s.EventQuery(), location="query")
    @bp.response(200, s.EventPage)
    def get(self, args: dict):
        """The ledger in seq order from `since` (exclusive): pass `next_since` back to read on."""
        where = [events_where(auth.user()), Event.seq > args["since"]]
        if "kind" in args:
            where.append(Event.kind == args["kind"])
        if "point_id" in args:
            where.append(Event.collection_point_id == args["point_id"])
        if "washer_id" in args:
            where.append(Event.washer_id == args["washer_id"])
        if "crate" in args:
            where.append(Event.crate_id == crate_named(args["crate"]).id)
        if "date_from" in args:
            where.append(Event.occurred_at >= paris_start(args["date_from"]))
        if "date_to" in args:
            where.append(Event.occurred_at < paris_start(args["date_to"] + timedelta(days=1)))
        limit = args["limit"]
        rows = list(db.session.scalars(select(Event).where(*where).order_by(Event.seq).limit(limit + 1)))
        more = len(rows) > limit
        rows = rows[:limit]
        return {"items": attach_crate_codes(db.session, rows), "has_more": more,
                "next_since": rows[-1].seq if more else None}


@bp.route("/phases")
class Phases(MethodView):
    @bp.response(200, s.PhaseList)
    @bp.alt_response(403, schema=s.Refusal)
    def get(self):
        """The experimentation phases (coordination and admins)."""
        auth.allow()
        return {"items": list(db.session.scalars(select(Phase).order_by(Phase.start_date)))}


def indicators(phase: Phase) -> dict:
    """The phase's figures with the keys of `flask reports kpis --json` (reports/cli.py: the same
    three parts, the phase's figures, the decision's and the planned rounds'; a test compares them)."""
    if rollup.refresh(db.session):
        db.session.commit()
    now = utcnow()
    covered = report.phase_period(phase, now)
    values = {**report.phase_kpis(db.session, phase, now), **decide.kpis(db.session, phase, now),
              **planned_round_queries.kpis(db.session, phase.start_date, phase.end_date,
                                           effective_params(phase.parameters)["cost_per_km_eur"])}
    days = {"phase_status": covered.status,
            "figures_until": covered.until.isoformat() if covered.elapsed_days else None,
            "elapsed_days": covered.elapsed_days, "phase_days": covered.phase_days}
    return {**days, **values}


@bp.route("/phases/<int:phase_id>")
class OnePhase(MethodView):
    @bp.response(200, s.PhaseDetail)
    @bp.alt_response(403, schema=s.Refusal)
    @bp.alt_response(404, schema=s.Refusal)
    def get(self, phase_id: int):
        """A phase and its indicators (docs/indicators.md)."""
        auth.allow()
        phase = db.session.get(Phase, phase_id)
        if phase is None:
            raise ApiError(404, code="phase_inconnue", message=_l("Aucune phase n°%(id)s.", id=phase_id))
        return {"id": phase.id, "name": phase.name, "start_date": phase.start_date,
                "end_date": phase.end_date, "indicators": indicators(phase)}
