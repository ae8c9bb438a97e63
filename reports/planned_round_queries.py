"""SQL for planned against driven rounds: the latest plan of each day and the rounds driven that day,
each as one aggregate query (no query per row)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bottles.models import Event, Movement, Round, User
from bottles.rules import Kind
from collection_points.models import RoundPlan, RoundPlanStop
from reports.planned_rounds import PlannedDay


def planned_days(session: Session, first: date, last: date) -> list[PlannedDay]:
    """Each day from `first` to `last` with a planned round: the latest plan beside the rounds driven."""
    latest = (select(func.max(RoundPlan.id)).where(RoundPlan.round_date.between(first, last))
              .group_by(RoundPlan.round_date))
    stops = (select(RoundPlanStop.plan_id, func.count(RoundPlanStop.id).label("n"))
             .group_by(RoundPlanStop.plan_id).subquery())
    plans = session.execute(
        select(RoundPlan.round_date, RoundPlan.driver_id, RoundPlan.km, RoundPlan.bottles,
               func.coalesce(stops.c.n, 0), User.display_name, User.username)
        .outerjoin(stops, stops.c.plan_id == RoundPlan.id)
        .outerjoin(User, User.id == RoundPlan.driver_id)
        .where(RoundPlan.id.in_(latest)).order_by(RoundPlan.round_date)).all()
    if not plans:
        return []
    collected = (select(Event.round_id.label("rid"), func.sum(Movement.quantity).label("q"))
                 .join(Movement, Movement.event_seq == Event.seq)
                 .where(Event.kind == Kind.PICKUP.value, Event.round_id.is_not(None))
                 .group_by(Event.round_id).subquery())
    rounds = session.execute(
        select(Round.round_date, Round.driver_id, Round.closed, Round.km, func.coalesce(collected.c.q, 0))
        .outerjoin(collected, collected.c.rid == Round.id)
        .where(Round.round_date.in_({p[0] for p in plans}))).all()
    by_day: dict[date, list] = defaultdict(list)
    for row in rounds:
        by_day[row[0]].append(row)
    out = []
    for day, driver_id, km, bottles, n_stops, display, username in plans:
        driven = [r for r in by_day.get(day, []) if driver_id is None or r[1] == driver_id]
        closed = [r for r in driven if r[2] and r[3] is not None]
        out.append(PlannedDay(
            day=day, driver=(display or username or "") if driver_id else "",
            planned_km=float(km), planned_bottles=int(bottles), planned_stops=int(n_stops),
            rounds=len(driven), closed=len(closed),
            driven_km=round(sum(float(r[3]) for r in closed), 1) if closed else None,
            collected=sum(int(r[4]) for r in closed)))
    return out


def kpis(session: Session, first: date, last: date, cost_per_km: float | None) -> dict:
    """The keys `flask reports kpis --json` adds for planned rounds (docs/indicators.md)."""
    from reports.planned_rounds import totals

    days = planned_days(session, first, last)
    done = totals(days, cost_per_km)
    return {"planned_round_days": len(days), "planned_rounds_compared": done.days,
            "planned_km": done.planned_km, "driven_km_of_planned_days": done.driven_km,
            "planned_km_gap_share": None if done.gap_share is None else round(done.gap_share, 4),
            "planned_km_cost_per_bottle_eur": done.planned_cost_per_bottle,
            "driven_km_cost_per_bottle_eur": done.driven_cost_per_bottle}
