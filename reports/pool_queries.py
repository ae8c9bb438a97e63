"""SQL aggregates behind the model view, the pool simulator and the "does it pay" figures: GROUP BY
in the database, corrections and the events they correct left out (as in reports.queries)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, distinct, func, or_, select
from sqlalchemy.orm import Session

from bottles.i18n import label
from bottles.models import BottleModel, CollectionPoint, Event, Movement, Reason, Washer, Winemaker
from reports.pool import NOT_STATED, ModelFlow, PoolFlows
from reports.queries import Scope, _hour_bucket, _in_scope, _paris, counted

PAIRS = (("received", "sorted"), ("sorted", "clean"), ("sorted", "rejected"), ("clean", "sold"),
         ("received", "refused"), ("outside", "at_point"))
LABEL_WORD = "etiquette"  # a refusal reason whose code holds it is a permanent label


def is_label_reason(code: str | None) -> bool:
    """A refusal for a permanent label (REF-ETIQUETTE, etiquette_permanente…)."""
    return LABEL_WORD in (code or "").lower()


def models_catalogue(session: Session) -> dict[int, ModelFlow]:
    """Every active bottle model (and the ones with bottles), empty figures, by id."""
    return {m.id: ModelFlow(m.id, m.code, label(m), m.in_pool)
            for m in session.scalars(select(BottleModel).order_by(BottleModel.code))}


def pool_flows(session: Session, scope: Scope, days: int) -> PoolFlows:
    """The phase's funnel split by model (monthly sorted, refused by month, label refusals by estate)."""
    flows = PoolFlows(days=days, models=models_catalogue(session))
    bucket = _hour_bucket(session).label("h")
    pair_filter = or_(*(and_(Movement.from_stage == f, Movement.to_stage == t) for f, t in PAIRS),
                      Movement.to_stage == "received")
    rows = session.execute(
        select(bucket, Movement.bottle_model_id, Movement.from_stage, Movement.to_stage, Reason.code,
               Movement.winemaker_id, func.sum(Movement.quantity))
        .select_from(Movement).join(Event, Event.seq == Movement.event_seq)
        .outerjoin(Reason, Reason.id == Movement.reason_id)
        .where(_in_scope(scope), pair_filter)
        .group_by(bucket, Movement.bottle_model_id, Movement.from_stage, Movement.to_stage, Reason.code,
                  Movement.winemaker_id))
    for hour, model_id, from_stage, to_stage, code, winemaker_id, quantity in rows:
        quantity = int(quantity or 0)
        pair = (from_stage, to_stage)
        if to_stage == "received":
            flows.received += quantity
        if pair == ("outside", "at_point"):
            flows.collected += quantity
            continue
        if pair == ("received", "refused"):
            flows.refused += quantity
            month = _paris(hour).strftime("%Y-%m")
            flows.refused_by_month[month] = flows.refused_by_month.get(month, 0) + quantity
            if is_label_reason(code):
                estate = winemaker_id or 0
                by_estate = flows.label_refused_by_estate
                by_estate[estate] = by_estate.get(estate, 0) + quantity
            continue
        if to_stage == "received":
            continue
        model = _model(flows, model_id)
        if pair == ("received", "sorted"):
            model.sorted += quantity
            month = _paris(hour).strftime("%Y-%m")
            model.sorted_by_month[month] = model.sorted_by_month.get(month, 0) + quantity
        elif pair == ("sorted", "clean"):
            model.accepted += quantity
        elif pair == ("sorted", "rejected"):
            model.rejected += quantity
        elif pair == ("clean", "sold"):
            model.sold += quantity
    for model_id, stock in clean_stock_by_model(session, scope.end).items():
        _model(flows, model_id).clean_stock = stock
    for model_id, inflow in clean_inflow_by_model(session, scope.end).items():
        _model(flows, model_id).clean_inflow = inflow
    return flows


def _model(flows: PoolFlows, model_id: int | None) -> ModelFlow:
    model_id = model_id or NOT_STATED
    if model_id not in flows.models:
        flows.models[model_id] = ModelFlow(model_id, "—", "", False)
    return flows.models[model_id]


def clean_stock_by_model(session: Session, end: datetime) -> dict[int, int]:
    """Clean stock per model at `end` (all history before it)."""
    rows = session.execute(
        select(Movement.bottle_model_id,
               func.sum(case((Movement.to_stage == "clean", Movement.quantity), else_=-Movement.quantity)))
        .join(Event, Event.seq == Movement.event_seq)
        .where(Event.occurred_at < end, counted(),
               or_(Movement.to_stage == "clean", Movement.from_stage == "clean"))
        .group_by(Movement.bottle_model_id))
    out: dict[int, int] = {}
    for model_id, quantity in rows:
        out[model_id or NOT_STATED] = out.get(model_id or NOT_STATED, 0) + int(quantity or 0)
    return out


def clean_inflow_by_model(session: Session, end: datetime,
                          days: int = 180) -> dict[int, list[tuple[date, int]]]:
    """Bottles entering clean stock per model and Paris day over the `days` before `end`."""
    bucket = _hour_bucket(session).label("h")
    rows = session.execute(
        select(bucket, Movement.bottle_model_id, func.sum(Movement.quantity)).select_from(Movement)
        .join(Event, Event.seq == Movement.event_seq)
        .where(Event.occurred_at >= end - timedelta(days=days), Event.occurred_at < end, counted(),
               Movement.to_stage == "clean")
        .group_by(bucket, Movement.bottle_model_id))
    per: dict[int, dict[date, int]] = {}
    for hour, model_id, quantity in rows:
        days_of = per.setdefault(model_id or NOT_STATED, {})
        day = _paris(hour).date()
        days_of[day] = days_of.get(day, 0) + int(quantity or 0)
    return {model_id: sorted(days_of.items()) for model_id, days_of in per.items()}


def pallet_size(session: Session) -> tuple[int, str]:
    """The washer's pallet size (the first active washer's) and its name."""
    washer = session.scalar(select(Washer).where(Washer.active.is_(True)).order_by(Washer.id).limit(1))
    if washer is None:
        return 1200, ""
    return int(washer.pallet_size or 1200), washer.name


def estates(session: Session) -> dict[int, tuple[str, str]]:
    """{winemaker id: (code, estate)}."""
    return {i: (c, e) for i, c, e in session.execute(select(Winemaker.id, Winemaker.code, Winemaker.estate))}


def crates_picked_up(session: Session, scope: Scope) -> tuple[int, int]:
    """(pickups, distinct crates picked up) over the scope."""
    pickups, crates = session.execute(
        select(func.count(), func.count(distinct(Event.crate_id)))
        .where(Event.kind == "pickup", _in_scope(scope))).one()
    return int(pickups or 0), int(crates or 0)


def point_places(session: Session) -> list[tuple[float, float]]:
    """(latitude, longitude) of the active collection points that have them."""
    rows = session.execute(select(CollectionPoint.latitude, CollectionPoint.longitude).where(
        CollectionPoint.active.is_(True), CollectionPoint.latitude.is_not(None),
        CollectionPoint.longitude.is_not(None)))
    return [(float(lat), float(lon)) for lat, lon in rows]


def sold_by_winemaker(session: Session, scope: Scope) -> list[tuple[str, str, int]]:
    """(code, estate, clean bottles bought) per winemaker over the scope, most first."""
    rows = session.execute(
        select(Winemaker.code, Winemaker.estate, func.sum(Movement.quantity))
        .select_from(Movement).join(Event, Event.seq == Movement.event_seq)
        .join(Winemaker, Winemaker.id == Movement.winemaker_id)
        .where(_in_scope(scope), Movement.from_stage == "clean", Movement.to_stage == "sold")
        .group_by(Winemaker.code, Winemaker.estate))
    return sorted(((c, e, int(q)) for c, e, q in rows), key=lambda r: (-r[2], r[0]))
