"""Indicator aggregates read from the daily roll-ups plus the live tail past the watermark."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, time, timedelta

from sqlalchemy import func, or_, select, union_all
from sqlalchemy.orm import Session

from bottles.models import Event
from bottles.rules import PARIS
from reports import rollup
from reports.indicators import Aggregates, sum_flow_rows
from reports.models import CrateLead, DailyFlow, DailyWork, MonthlyFlow, MonthlyWork
from reports.queries import Scope


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
        behind = (session.scalar(select(func.max(Event.seq))) or 0) > mark
        self.tail_crates = rollup.tail_crates(session, mark) if behind else []
        self.tail_flows = rollup.flow_contributions(session, mark, None) if behind else {}
        self.tail_work = rollup.work_contributions(session, mark, None) if behind else {}

    def _keep_point(self, point: int) -> bool:
        return self.points is None or point in self.points

    def _periods(self, first: date, last: date) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
        """Whole months of [first, last] (read from the monthly roll-up) and the leftover day ranges."""
        after = last + timedelta(days=1)
        full_end = after.replace(day=1)
        m0 = first if first.day == 1 else (first.replace(day=1) + timedelta(days=32)).replace(day=1)
        if m0 >= full_end:
            return None, [(first, last)]
        days = [(first, m0 - timedelta(days=1))] if first < m0 else []
        if full_end <= last:
            days.append((full_end, last))
        return (m0, full_end - timedelta(days=1)), days

    def flows(self, first: date | None = None, last: date | None = None, by_month: bool = False,
              by_day: bool = False, pairs: list[tuple[str, str]] | None = None) -> dict[tuple, list[int]]:
        """Summed flows in [first, last]: {(from, to, point, reason, winemaker[, period]): [q, cents, glass]}.

        Whole months come from the monthly roll-up, the other days from the daily one, the events
        past the watermark from the ledger itself.
        """
        first = first or self.first
        last = last or self.last
        months, day_ranges = (None, [(first, last)]) if by_day else self._periods(first, last)
        out: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])

        def add(key: tuple, q: int, cents: int, glass: int) -> None:
            acc = out[key]
            acc[0] += q
            acc[1] += cents
            acc[2] += glass

        def period(day: date) -> tuple:
            return (day,) if by_day else (day.replace(day=1),) if by_month else ()

        sources = [(DailyFlow, DailyFlow.day, lo, hi) for lo, hi in day_ranges]
        if months:
            sources.append((MonthlyFlow, MonthlyFlow.month, *months))
        for model, when, lo, hi in sources:
            cols = [model.from_stage, model.to_stage, model.point_id, model.reason_id, model.winemaker_id]
            if by_day or by_month:
                cols.append(when)
            query = (select(*cols, func.sum(model.quantity), func.sum(model.amount_cents),
                            func.sum(model.glass_g))
                     .where(when >= lo, when <= hi).group_by(*cols))
            if pairs:
                query = query.where(or_(*[(model.from_stage == f) & (model.to_stage == t) for f, t in pairs]))
            if self.points is not None:
                query = query.where(model.point_id.in_(self.points or {-1}))
            for row in self.session.execute(query):
                key = tuple(row[:5]) + (period(rollup._as_date(row[5])) if by_day or by_month else ())
                add(key, int(row[-3] or 0), int(row[-2] or 0), int(row[-1] or 0))
        for (day, f, t, p, r, w), (q, cents, glass) in self.tail_flows.items():
            if first <= day <= last and self._keep_point(p) and (not pairs or (f, t) in pairs):
                add((f, t, p, r, w) + period(day), q, cents, glass)
        return out

    def work(self) -> dict[str, list[float]]:
        """{kind: [events, fill_sum, fill_count, hours, km]} over the scope."""
        months, day_ranges = self._periods(self.first, self.last)
        sources = [(DailyWork, DailyWork.day, lo, hi) for lo, hi in day_ranges]
        if months:
            sources.append((MonthlyWork, MonthlyWork.month, *months))
        out: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0, 0.0, 0.0])
        for model, when, lo, hi in sources:
            query = (select(model.kind, func.sum(model.events), func.sum(model.fill_sum),
                            func.sum(model.fill_count), func.sum(model.hours), func.sum(model.km))
                     .where(when >= lo, when <= hi).group_by(model.kind))
            if self.points is not None:
                query = query.where(model.point_id.in_(self.points or {-1}))
            for kind, *values in self.session.execute(query):
                out[kind] = [a + float(v or 0) for a, v in zip(out[kind], values, strict=True)]
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
        n = int(self.session.scalar(select(func.count()).select_from(days)) or 0)
        if not n:
            return None
        middle = self.session.scalars(select(days.c.d).order_by(days.c.d).offset((n - 1) // 2)
                                      .limit(2 - n % 2)).all()
        return float(sum(middle) / len(middle))


CLEAN_PAIRS = [("sorted", "clean"), ("outside", "clean"), ("clean", "sold"), ("clean", "lost")]


def aggregates(session: Session, scope: Scope) -> tuple[Aggregates, list[tuple], Ledger]:
    """The same Aggregates and grouped rows as queries.aggregates, from the roll-ups."""
    ledger = Ledger(session, scope)
    grouped = ledger.flows()
    rows = [(f, t, r or None, p or None, w or None, q, cents, glass)
            for (f, t, p, r, w), (q, cents, glass) in grouped.items() if q or cents or glass]
    from reports.queries import reason_codes

    reasons = reason_codes(session)
    totals = Aggregates()
    sum_flow_rows(totals, rows, reasons)
    totals.pairs = {k: v for k, v in totals.pairs.items() if v}
    totals.refused_by_reason = {k: v for k, v in totals.refused_by_reason.items() if v}
    totals.rejected_by_reason = {k: v for k, v in totals.rejected_by_reason.items() if v}
    stock_rows = ledger.flows(date(1900, 1, 1), ledger.last, pairs=CLEAN_PAIRS)
    totals.clean_stock_end = sum(v[0] if t == "clean" else -v[0] for (_f, t, *_r), v in stock_rows.items())
    work = ledger.work()
    pickups = work.get("pickup", [0, 0.0, 0, 0.0, 0.0])
    totals.crate_trips, totals.fill_sum, totals.fill_count = int(pickups[0]), pickups[1], int(pickups[2])
    totals.work_hours = sum(v[3] for v in work.values())
    totals.round_km = sum(v[4] for v in work.values())
    totals.median_full_to_pickup = ledger.median_lead("pickup")
    totals.median_pickup_to_receipt = ledger.median_lead("receipt")
    return totals, rows, ledger


def collected_by_month_territory(ledger: Ledger, points: dict) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for (_f, _t, p, _r, _w, month), (q, _c, _g) in ledger.flows(by_month=True,
                                                               pairs=[("outside", "at_point")]).items():
        if q:
            territory = points.get(p, ("", "", ""))[2] or "sans territoire"
            per = out.setdefault(territory, {})
            per[month.strftime("%Y-%m")] = per.get(month.strftime("%Y-%m"), 0) + q
    return out


def wash_by_month(ledger: Ledger, reasons: dict) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for (_f, t, _p, r, _w, month), (q, _c, _g) in ledger.flows(
            by_month=True, pairs=[("sorted", "clean"), ("sorted", "rejected")]).items():
        if q:
            key = "clean" if t == "clean" else reasons.get(r, ("sans_motif", ""))[0]
            per = out.setdefault(month.strftime("%Y-%m"), {})
            per[key] = per.get(key, 0) + q
    return dict(sorted(out.items()))


def clean_inflow_by_day(ledger: Ledger, days: int = 180) -> list[tuple[date, int]]:
    per: dict[date, int] = {}
    for (_f, _t, _p, _r, _w, day), (q, _c, _g) in ledger.flows(
            ledger.last - timedelta(days=days), ledger.last, by_day=True,
            pairs=[("sorted", "clean"), ("outside", "clean")]).items():
        per[day] = per.get(day, 0) + q
    return sorted((d, q) for d, q in per.items() if q)
