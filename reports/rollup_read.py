"""Indicator aggregates read from the daily roll-ups plus the live tail past the watermark."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, time, timedelta

from sqlalchemy import func, or_, select, union_all
from sqlalchemy.orm import Session

from reports import rollup
from reports.models import CrateLead, DailyFlow, DailyWork
from reports.queries import Scope
from reports.rules import PARIS, Aggregates


def days_of(scope: Scope) -> tuple[date, date] | None:
    """(first, last) Paris days of a scope that starts and ends at Paris midnights, else None."""
    start, end = scope.start.astimezone(PARIS), scope.end.astimezone(PARIS)
    if start.time() != time(0) or end.time() != time(0):
        return None
    return start.date(), end.date() - timedelta(days=1)


class Ledger:
    """The roll-ups (up to the watermark) and the tail (after it) of one read, for one scope."""

    def __init__(self, session: Session, scope: Scope) -> None:
        self.session = session
        self.scope = scope
        self.first, self.last = days_of(scope)
        self.points = set(scope.point_ids) if scope.point_ids is not None else None
        mark = rollup.watermark(session)
        self.tail_crates = rollup.tail_crates(session, mark)
        self.tail_flows = rollup.flow_contributions(session, mark, None)
        self.tail_work = rollup.work_contributions(session, mark, None)

    def _keep_point(self, point: int) -> bool:
        return self.points is None or point in self.points

    def flows(self, first: date | None = None, last: date | None = None, by_day: bool = False,
              pairs: list[tuple[str, str]] | None = None) -> dict[tuple, list[int]]:
        """Summed flows in [first, last]: {(from, to, point, reason, winemaker[, day]): [q, cents, glass]}."""
        first = first or self.first
        last = last or self.last
        cols = [DailyFlow.from_stage, DailyFlow.to_stage, DailyFlow.point_id, DailyFlow.reason_id,
                DailyFlow.winemaker_id] + ([DailyFlow.day] if by_day else [])
        query = (select(*cols, func.sum(DailyFlow.quantity), func.sum(DailyFlow.amount_cents),
                        func.sum(DailyFlow.glass_g))
                 .where(DailyFlow.day >= first, DailyFlow.day <= last).group_by(*cols))
        if pairs:
            query = query.where(or_(*[(DailyFlow.from_stage == f) & (DailyFlow.to_stage == t)
                                      for f, t in pairs]))
        if self.points is not None:
            query = query.where(DailyFlow.point_id.in_(self.points or {-1}))
        out: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
        for row in self.session.execute(query):
            acc = out[tuple(rollup._as_date(v) if i == 5 else v for i, v in enumerate(row[:len(cols)]))]
            acc[0] += int(row[-3] or 0)
            acc[1] += int(row[-2] or 0)
            acc[2] += int(row[-1] or 0)
        for (day, f, t, p, r, w), (q, cents, glass) in self.tail_flows.items():
            if first <= day <= last and self._keep_point(p) and (not pairs or (f, t) in pairs):
                acc = out[(f, t, p, r, w, day) if by_day else (f, t, p, r, w)]
                acc[0] += q
                acc[1] += cents
                acc[2] += glass
        return out

    def work(self) -> dict[str, list[float]]:
        """{kind: [events, fill_sum, fill_count, hours, km]} over the scope."""
        query = (select(DailyWork.kind, func.sum(DailyWork.events), func.sum(DailyWork.fill_sum),
                        func.sum(DailyWork.fill_count), func.sum(DailyWork.hours), func.sum(DailyWork.km))
                 .where(DailyWork.day >= self.first, DailyWork.day <= self.last).group_by(DailyWork.kind))
        if self.points is not None:
            query = query.where(DailyWork.point_id.in_(self.points or {-1}))
        out: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0, 0.0, 0.0])
        for kind, *values in self.session.execute(query):
            out[kind] = [float(v or 0) for v in values]
        for (day, kind, p), values in self.tail_work.items():
            if self.first <= day <= self.last and self._keep_point(p):
                out[kind] = [a + b for a, b in zip(out[kind], values, strict=True)]
        return out

    def median_lead(self, kind: str) -> float | None:
        """Median of the rolled-up lead times of `kind` events in the scope (SQL window functions)."""
        base = select(CrateLead.days.label("d")).where(
            CrateLead.kind == kind, CrateLead.day >= self.first, CrateLead.day <= self.last)
        if self.points is not None:
            base = base.where(CrateLead.point_id.in_(self.points or {-1}))
        if self.tail_crates:
            # Crates moved since the watermark: their lead times come live from the ledger.
            base = base.where(CrateLead.crate_id.not_in(self.tail_crates))
            live = rollup.lead_select(self.session, self.tail_crates).subquery()
            extra = select(live.c.days.label("d")).where(
                live.c.kind == kind, live.c.day >= self.first, live.c.day <= self.last)
            if self.points is not None:
                extra = extra.where(live.c.point_id.in_(self.points or {-1}))
            base = union_all(base, extra)
        days = base.subquery()
        ranked = select(days.c.d, func.row_number().over(order_by=days.c.d).label("rn"),
                        func.count().over().label("n")).subquery()
        value = self.session.scalar(select(func.avg(ranked.c.d)).where(
            ranked.c.rn.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2])))
        return None if value is None else float(value)


CLEAN_PAIRS = [("sorted", "clean"), ("outside", "clean"), ("clean", "sold"), ("clean", "lost")]


def aggregates(session: Session, scope: Scope) -> tuple[Aggregates, list[tuple], Ledger]:
    """The same Aggregates and grouped rows as queries.aggregates, from the roll-ups."""
    ledger = Ledger(session, scope)
    grouped = ledger.flows()
    rows = [(f, t, r or None, p or None, w or None, q, cents, glass)
            for (f, t, p, r, w), (q, cents, glass) in grouped.items() if q or cents or glass]
    from reports.queries import reason_codes

    reasons = reason_codes(session)
    agg = Aggregates()
    points, winemakers = set(), set()
    for f, t, reason_id, point_id, winemaker_id, q, cents, glass in rows:
        agg.pairs[(f, t)] = agg.pairs.get((f, t), 0) + q
        code = reasons.get(reason_id, ("sans_motif", ""))[0]
        if (f, t) == ("received", "refused"):
            agg.refused_by_reason[code] = agg.refused_by_reason.get(code, 0) + q
        elif (f, t) == ("sorted", "rejected"):
            agg.rejected_by_reason[code] = agg.rejected_by_reason.get(code, 0) + q
        elif (f, t) == ("clean", "sold"):
            agg.revenue_cents += cents
            agg.glass_g += glass
            if winemaker_id is not None and q:
                winemakers.add(winemaker_id)
        elif (f, t) == ("outside", "at_point") and point_id is not None and q:
            points.add(point_id)
    agg.pairs = {k: v for k, v in agg.pairs.items() if v}
    agg.refused_by_reason = {k: v for k, v in agg.refused_by_reason.items() if v}
    agg.rejected_by_reason = {k: v for k, v in agg.rejected_by_reason.items() if v}
    agg.active_points, agg.active_winemakers = len(points), len(winemakers)
    stock_rows = ledger.flows(date(1900, 1, 1), ledger.last, pairs=CLEAN_PAIRS)
    agg.clean_stock_end = sum(v[0] if t == "clean" else -v[0] for (_f, t, *_r), v in stock_rows.items())
    work = ledger.work()
    pickups = work.get("pickup", [0, 0.0, 0, 0.0, 0.0])
    agg.crate_trips, agg.fill_sum, agg.fill_count = int(pickups[0]), pickups[1], int(pickups[2])
    agg.work_hours = sum(v[3] for v in work.values())
    agg.round_km = sum(v[4] for v in work.values())
    agg.median_full_to_pickup = ledger.median_lead("pickup")
    agg.median_pickup_to_receipt = ledger.median_lead("receipt")
    return agg, rows, ledger


def collected_by_month_territory(ledger: Ledger, points: dict) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for (_f, _t, p, _r, _w, day), (q, _c, _g) in ledger.flows(by_day=True,
                                                             pairs=[("outside", "at_point")]).items():
        if q:
            territory = points.get(p, ("", "", ""))[2] or "sans territoire"
            per = out.setdefault(territory, {})
            per[day.strftime("%Y-%m")] = per.get(day.strftime("%Y-%m"), 0) + q
    return out


def wash_by_month(ledger: Ledger, reasons: dict) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for (_f, t, _p, r, _w, day), (q, _c, _g) in ledger.flows(
            by_day=True, pairs=[("sorted", "clean"), ("sorted", "rejected")]).items():
        if q:
            key = "clean" if t == "clean" else reasons.get(r, ("sans_motif", ""))[0]
            per = out.setdefault(day.strftime("%Y-%m"), {})
            per[key] = per.get(key, 0) + q
    return dict(sorted(out.items()))


def clean_inflow_by_day(ledger: Ledger, days: int = 180) -> list[tuple[date, int]]:
    per: dict[date, int] = {}
    for (_f, _t, _p, _r, _w, day), (q, _c, _g) in ledger.flows(
            ledger.last - timedelta(days=days), ledger.last, by_day=True,
            pairs=[("sorted", "clean"), ("outside", "clean")]).items():
        per[day] = per.get(day, 0) + q
    return sorted((d, q) for d, q in per.items() if q)
