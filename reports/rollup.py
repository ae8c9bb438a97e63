"""Incremental daily roll-ups of the ledger, provably equal to it (see check()).

The roll-ups hold, per Europe/Paris day, the sums the indicators need. They are fed from the
ledger in event-seq order: an ordinary event adds its movements on its own day; a correction
adds the NEGATED movements of the event it corrects, on that event's day. Summed, the two
cancel, which is exactly docs/indicators.md's rule (corrected events and their corrections both
left out, wherever and whenever the correction was made), for any split of the ledger into
batches. Readers add the "tail" (events past the watermark) computed the same way, so the
flow figures are exact at every moment; lead times are exact up to the watermark.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Float, and_, case, delete, func, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from bottles.models import BottleModel, Crate, Event, Movement, utcnow
from bottles.rules import PARIS
from reports.models import CrateLead, DailyFlow, DailyWork, MonthlyFlow, MonthlyWork, RollupState
from reports.queries import counted

# On PostgreSQL a transaction may commit after a later seq; events younger than this stay in
# the tail (computed live) until every earlier transaction has surely committed.
PG_MARGIN = timedelta(minutes=2)
BATCH = 400_000
# check() sums everything at once up to this many daily roll-up rows (≈ 200 MB), month by month above.
ONE_PASS_ROWS = 300_000
FLOW_KEY = ("day", "from_stage", "to_stage", "point_id", "reason_id", "winemaker_id")
WORK_KEY = ("day", "kind", "point_id")
MONTH_FLOW_KEY = ("month",) + FLOW_KEY[1:]
MONTH_WORK_KEY = ("month",) + WORK_KEY[1:]
FLOW_SUMS = ("quantity", "amount_cents", "glass_g")
WORK_SUMS = ("events", "fill_sum", "fill_count", "hours", "km")


def by_month(contributions: dict[tuple, list]) -> dict[tuple, list]:
    """Daily contributions summed per month (key's first element: the month's first day)."""
    out: dict[tuple, list] = {}
    for (day, *rest), values in contributions.items():
        key = (day.replace(day=1), *rest)
        acc = out.get(key)
        out[key] = list(values) if acc is None else [a + b for a, b in zip(acc, values, strict=True)]
    return out


def _pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _last_sunday(year: int, month: int) -> date:
    d = date(year, month, 31)
    return d - timedelta(days=(d.weekday() + 1) % 7)


def paris_day(session: Session, column):
    """SQL: the Europe/Paris calendar day of a UTC timestamp column."""
    if _pg(session):
        return func.date(func.timezone("Europe/Paris", column))
    lo = session.scalar(select(func.min(Event.occurred_at))) or datetime(2000, 1, 1, tzinfo=UTC)
    hi = session.scalar(select(func.max(Event.occurred_at))) or lo
    whens = []
    for year in range(lo.year, hi.year + 1):
        summer = datetime.combine(_last_sunday(year, 3), datetime.min.time(), UTC) + timedelta(hours=1)
        winter = datetime.combine(_last_sunday(year, 10), datetime.min.time(), UTC) + timedelta(hours=1)
        whens.append((and_(column >= summer, column < winter), literal("+2 hours")))
    return func.date(column, case(*whens, else_=literal("+1 hours")))


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _within(column, days: tuple[date, date] | None) -> list:
    """SQL conditions: `column` (a UTC time) within a day of [first, end), so the occurred_at
    index narrows the rows; the callers keep the Paris days in [first, end) exactly."""
    if days is None:
        return []
    first, end = days
    return [column >= datetime.combine(first - timedelta(days=1), datetime.min.time(), UTC),
            column < datetime.combine(end + timedelta(days=1), datetime.min.time(), UTC)]


def _seqs(column, lo: int, hi: int | None, days: tuple[date, date] | None) -> list:
    """SQL: lo < column <= hi. Within `days`, on `column + 0`: SQLite then narrows the rows by
    the occurred_at index (one month's) instead of by seq (the whole ledger, in check())."""
    if days is not None:
        column = column + 0
    return [column > lo, *([column <= hi] if hi is not None else [])]


def _outside(day: date, days: tuple[date, date] | None) -> bool:
    return days is not None and not days[0] <= day < days[1]


def flow_contributions(session: Session, lo: int, hi: int | None,
                       days: tuple[date, date] | None = None) -> dict[tuple, list[int]]:
    """{(day, from, to, point, reason, winemaker): [q, cents, glass]} for events lo < seq <= hi
    (and counted on a day in `days`, [first, end), when given)."""
    out: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    corrector = aliased(Event)
    for sign, source, where in (
        (1, Event, [Event.kind != "correction"]),
        (-1, Event, [corrector.kind == "correction"]),
    ):
        day = paris_day(session, source.occurred_at).label("day")
        query = select(day, Movement.from_stage, Movement.to_stage,
                       func.coalesce(source.collection_point_id, 0), func.coalesce(Movement.reason_id, 0),
                       func.coalesce(Movement.winemaker_id, 0), func.sum(Movement.quantity),
                       func.sum(Movement.quantity * func.coalesce(Movement.unit_price_cents, 0)),
                       func.sum(case((Movement.to_stage == "sold",
                                      Movement.quantity * func.coalesce(BottleModel.glass_mass_g, 0)),
                                     else_=0)))
        seq_col = Event.seq if sign == 1 else corrector.seq
        if sign == 1:
            query = query.select_from(Movement).join(Event, Event.seq == Movement.event_seq)
        else:
            query = (query.select_from(corrector).join(Event, Event.seq == corrector.corrects_seq)
                     .join(Movement, Movement.event_seq == Event.seq))
        query = (query.outerjoin(BottleModel, BottleModel.id == Movement.bottle_model_id)
                 .where(*_seqs(seq_col, lo, hi, days), *where, *_within(source.occurred_at, days))
                 .group_by(day, Movement.from_stage, Movement.to_stage, source.collection_point_id,
                           Movement.reason_id, Movement.winemaker_id))
        for d, f, t, p, r, w, q, cents, glass in session.execute(query.execution_options(yield_per=50_000)):
            d = _as_date(d)
            if _outside(d, days):
                continue
            acc = out[(d, f, t, int(p), int(r), int(w))]
            acc[0] += sign * int(q or 0)
            acc[1] += sign * int(cents or 0)
            acc[2] += sign * int(glass or 0)
    return out


def work_contributions(session: Session, lo: int, hi: int | None,
                       days: tuple[date, date] | None = None) -> dict[tuple, list[float]]:
    """{(day, kind, point): [events, fill_sum, fill_count, hours, km]} for events lo < seq <= hi
    (and counted on a day in `days`, [first, end), when given)."""
    out: dict[tuple, list[float]] = defaultdict(lambda: [0, 0.0, 0, 0.0, 0.0])
    corrector = aliased(Event)
    for sign in (1, -1):
        picked = (select(func.sum(Movement.quantity)).where(Movement.event_seq == Event.seq)
                  .scalar_subquery())
        fill = case((and_(Event.kind == "pickup", Crate.capacity.is_not(None)),
                     picked.cast(Float) / Crate.capacity), else_=None)
        day = paris_day(session, Event.occurred_at).label("day")
        per_event = select(day, Event.kind.label("kind"),
                           func.coalesce(Event.collection_point_id, 0).label("point"),
                           fill.label("fill"), Event.hours.label("hours"), Event.km.label("km"))
        if sign == 1:
            per_event = per_event.select_from(Event).where(*_seqs(Event.seq, lo, hi, days),
                                                           Event.kind != "correction")
        else:
            per_event = per_event.select_from(corrector).join(Event, Event.seq == corrector.corrects_seq) \
                .where(*_seqs(corrector.seq, lo, hi, days), corrector.kind == "correction")
        per_event = per_event.where(*_within(Event.occurred_at, days))
        sub = per_event.outerjoin(Crate, Crate.id == Event.crate_id).subquery()
        rows = session.execute(select(sub.c.day, sub.c.kind, sub.c.point, func.count(),
                                      func.coalesce(func.sum(sub.c.fill), 0.0), func.count(sub.c.fill),
                                      func.coalesce(func.sum(sub.c.hours), 0),
                                      func.coalesce(func.sum(sub.c.km), 0))
                               .group_by(sub.c.day, sub.c.kind, sub.c.point))
        for d, kind, p, n, fill_sum, fill_n, hours, km in rows:
            d = _as_date(d)
            if _outside(d, days):
                continue
            acc = out[(d, kind, int(p))]
            acc[0] += sign * int(n)
            acc[1] += sign * float(fill_sum or 0)
            acc[2] += sign * int(fill_n)
            acc[3] += sign * float(hours or 0)
            acc[4] += sign * float(km or 0)
    return out


def _days_between(session: Session, later, earlier):
    if _pg(session):
        return func.extract("epoch", later - earlier) / 86400.0
    return func.julianday(later) - func.julianday(earlier)


def lead_select(session: Session, crate_ids):
    """SQL: (seq, crate_id, kind, day, point, days) of every counted pickup and receipt of those crates."""
    window = {"partition_by": Event.crate_id, "order_by": (Event.occurred_at, Event.seq), "rows": (None, -1)}
    prev_full = func.max(case((Event.kind == "crate_full", Event.occurred_at))).over(**window)
    prev_pickup = func.max(case((Event.kind == "pickup", Event.occurred_at))).over(**window)
    base = [Event.crate_id.is_not(None), Event.kind.in_(("crate_full", "pickup", "receipt")), counted()]
    if crate_ids is not None:
        base.append(Event.crate_id.in_(crate_ids))
    sub = select(Event.seq, Event.crate_id, Event.kind, Event.occurred_at.label("at"),
                 paris_day(session, Event.occurred_at).label("day"),
                 func.coalesce(Event.collection_point_id, 0).label("point"),
                 prev_full.label("prev_full"), prev_pickup.label("prev_pickup")).where(*base).subquery()
    prev = case((sub.c.kind == "pickup", sub.c.prev_full), else_=sub.c.prev_pickup)
    return (select(sub.c.seq.label("seq"), sub.c.crate_id.label("crate_id"), sub.c.kind.label("kind"),
                   sub.c.day.label("day"), sub.c.point.label("point_id"),
                   _days_between(session, sub.c.at, prev).label("days"))
            .where(sub.c.kind.in_(("pickup", "receipt")), prev.is_not(None)))


def tail_crates(session: Session, mark: int) -> list[int]:
    """Crates touched by events past the watermark (their lead times are computed live)."""
    return [c for (c,) in session.execute(select(Event.crate_id).where(
        Event.seq > mark, Event.crate_id.is_not(None)).distinct())]


def _insert(session: Session, table):
    return (postgresql.insert if _pg(session) else sqlite.insert)(table)


def _upsert(session: Session, model, key: tuple[str, ...], rows: list[dict], sums: tuple[str, ...]) -> None:
    if not rows:
        return
    stmt = _insert(session, model.__table__)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(key),
        set_={name: getattr(model.__table__.c, name) + getattr(stmt.excluded, name) for name in sums})
    for start in range(0, len(rows), 20_000):
        session.execute(stmt, rows[start:start + 20_000])


def watermark(session: Session) -> int:
    return int(session.scalar(select(RollupState.last_seq).where(RollupState.id == 1)) or 0)


def refresh(session: Session) -> int:
    """Feed the roll-ups with the events past the watermark; returns how many seqs were read.

    Flushes, never commits (the caller commits). Two refreshers never double count: the
    watermark moves first, guarded by its old value.
    """
    if session.get(RollupState, 1) is None:
        session.add(RollupState(id=1, last_seq=0))
        session.flush()
    lo = watermark(session)
    limit = select(func.max(Event.seq))
    if _pg(session):
        limit = limit.where(Event.recorded_at < utcnow() - PG_MARGIN)
    hi = int(session.scalar(limit) or 0)
    if hi <= lo:
        return 0
    claimed = session.execute(update(RollupState).where(RollupState.id == 1, RollupState.last_seq == lo)
                              .values(last_seq=hi, updated_at=utcnow()))
    if claimed.rowcount != 1:
        return 0
    for start in range(lo, hi, BATCH):  # bounded memory, even for a first read of the whole ledger
        end = min(start + BATCH, hi)
        flows = flow_contributions(session, start, end)
        for model, key, rows in ((DailyFlow, FLOW_KEY, flows),
                                 (MonthlyFlow, MONTH_FLOW_KEY, by_month(flows))):
            _upsert(session, model, key, [dict(zip(key + FLOW_SUMS, k + tuple(v), strict=True))
                                          for k, v in rows.items() if any(v)], FLOW_SUMS)
        del flows
        work = work_contributions(session, start, end)
        for model, key, rows in ((DailyWork, WORK_KEY, work), (MonthlyWork, MONTH_WORK_KEY, by_month(work))):
            _upsert(session, model, key, [dict(zip(key + WORK_SUMS, k + tuple(v), strict=True))
                                          for k, v in rows.items() if any(v)], WORK_SUMS)
    crates = select(Event.crate_id).where(Event.seq > lo, Event.seq <= hi, Event.crate_id.is_not(None)) \
        .distinct()
    affected = None if lo == 0 else [c for (c,) in session.execute(crates)]
    if affected is not None and len(affected) > 20_000:
        affected = None
        session.execute(delete(CrateLead))
    if affected is None or affected:
        if affected is not None:
            for start in range(0, len(affected), 5000):
                session.execute(delete(CrateLead).where(CrateLead.crate_id.in_(affected[start:start + 5000])))
        rows = session.execute(lead_select(session, affected).execution_options(yield_per=20_000))
        for part in rows.partitions():
            session.execute(CrateLead.__table__.insert(), [
                {"seq": s, "crate_id": c, "kind": k, "day": _as_date(d), "point_id": p, "days": float(days)}
                for s, c, k, d, p, days in part])
    session.flush()
    return hi - lo


def check(session: Session) -> list[str]:
    """Every difference between the roll-ups and the raw ledger up to the watermark, computed
    month by month so that memory holds one month's sums, whatever the ledger's size."""
    hi = watermark(session)
    problems = []
    stored = sum(session.scalar(select(func.count()).select_from(model)) or 0
                 for model in (DailyFlow, DailyWork))
    # A month at a time costs a pass over the ledger per month (5x slower at a million events on
    # SQLite): only when the sums would not fit comfortably in memory at once.
    windows = [None] if stored <= ONE_PASS_ROWS else _months(session, hi)
    for days in windows:
        problems.extend(_month_differences(session, hi, days))
    problems.extend(_lead_differences(session, hi))
    return problems


def _months(session: Session, hi: int) -> list[tuple[date, date]]:
    """[first day, next month's first day) of every month the ledger or the roll-ups touch."""
    bounds = [session.execute(select(func.min(Event.occurred_at), func.max(Event.occurred_at))
                              .where(Event.seq <= hi)).one()]
    bounds += [session.execute(select(func.min(model.day), func.max(model.day))).one()
               for model in (DailyFlow, DailyWork)]
    days = [_as_date(value.astimezone(PARIS).date() if isinstance(value, datetime) else value)
            for pair in bounds for value in pair if value is not None]
    if not days:
        return []
    month, last = min(days).replace(day=1), max(days).replace(day=1)
    months = []
    while month <= last:
        following = (month + timedelta(days=32)).replace(day=1)
        months.append((month, following))
        month = following
    return months


def _between(column, days: tuple[date, date] | None) -> list:
    return [] if days is None else [column >= days[0], column < days[1]]


def _month_differences(session: Session, hi: int, days: tuple[date, date] | None) -> list[str]:
    """The differences of one month (all months if None): daily and monthly flows and work."""
    problems = []
    expected = {k: v for k, v in flow_contributions(session, 0, hi, days).items() if any(v)}
    stored = {(_as_date(r.day), r.from_stage, r.to_stage, r.point_id, r.reason_id, r.winemaker_id):
              [r.quantity, r.amount_cents, r.glass_g]
              for r in _plain_rows(session, DailyFlow, *_between(DailyFlow.day, days))}
    stored = {k: v for k, v in stored.items() if any(v)}
    for key in sorted(set(expected) | set(stored), key=str):
        if expected.get(key) != stored.get(key):
            problems.append(f"flux {key}: journal {expected.get(key)}, cumul {stored.get(key)}")
    month_expected = {k: v for k, v in by_month(expected).items() if any(v)}
    month_stored = {(_as_date(r.month), r.from_stage, r.to_stage, r.point_id, r.reason_id, r.winemaker_id):
                    [r.quantity, r.amount_cents, r.glass_g]
                    for r in _plain_rows(session, MonthlyFlow, *_between(MonthlyFlow.month, days))}
    month_stored = {k: v for k, v in month_stored.items() if any(v)}
    for key in sorted(set(month_expected) | set(month_stored), key=str):
        if month_expected.get(key) != month_stored.get(key):
            problems.append(f"flux mensuel {key}: journal {month_expected.get(key)}, "
                            f"cumul {month_stored.get(key)}")
    work_expected = {k: v for k, v in work_contributions(session, 0, hi, days).items() if any(v)}
    work_stored = {(_as_date(r.day), r.kind, r.point_id): [r.events, r.fill_sum, r.fill_count, r.hours, r.km]
                   for r in _plain_rows(session, DailyWork, *_between(DailyWork.day, days))}
    work_stored = {k: v for k, v in work_stored.items() if any(v)}
    month_work = {(_as_date(r.month), r.kind, r.point_id): [r.events, r.fill_sum, r.fill_count, r.hours, r.km]
                  for r in _plain_rows(session, MonthlyWork, *_between(MonthlyWork.month, days))}
    for label, exp, got in (("travail", work_expected, work_stored),
                            ("travail mensuel", by_month(work_expected), month_work)):
        for key in sorted(set(exp) | set(got), key=str):
            a, b = exp.get(key, [0] * 5), got.get(key, [0] * 5)
            if any(abs(x - y) > 1e-6 for x, y in zip(a, b, strict=True)):
                problems.append(f"{label} {key}: journal {a}, cumul {b}")
    return problems


def _plain_rows(session: Session, model, *where):
    """A roll-up table's rows as plain named tuples, streamed (no ORM identity map to fill)."""
    return session.execute(select(*model.__table__.columns).where(*where)
                            .execution_options(yield_per=50_000))


def _lead_differences(session: Session, hi: int):
    """Lead-time rows that differ, by a merge of two seq-ordered streams (constant memory)."""
    query = lead_select(session, None)
    ledger = session.execute(query.where(query.selected_columns.seq <= hi)
                             .order_by(query.selected_columns.seq).execution_options(yield_per=50_000))
    stored = session.execute(select(CrateLead.seq, CrateLead.crate_id, CrateLead.kind, CrateLead.day,
                                    CrateLead.point_id, CrateLead.days)
                             .order_by(CrateLead.seq).execution_options(yield_per=50_000))
    done = (float("inf"), None)

    def keyed(rows):
        for seq, crate, kind, day, point, days in rows:
            yield int(seq), (int(crate), kind, _as_date(day), int(point), round(float(days), 6))
        yield done

    left, right = keyed(ledger), keyed(stored)
    a, b = next(left), next(right)
    while a is not done or b is not done:
        if a[0] == b[0]:
            if a[1] != b[1]:
                yield f"délai {a[0]}: journal {a[1]}, cumul {b[1]}"
            a, b = next(left), next(right)
        elif a[0] < b[0]:
            yield f"délai {a[0]}: journal {a[1]}, cumul None"
            a = next(left)
        else:
            yield f"délai {b[0]}: journal None, cumul {b[1]}"
            b = next(right)


def rebuild(session: Session) -> None:
    """Empty the roll-ups and read the whole ledger again."""
    for model in (DailyFlow, DailyWork, MonthlyFlow, MonthlyWork):
        session.execute(delete(model))
    session.execute(delete(CrateLead))
    if session.get(RollupState, 1) is None:
        session.add(RollupState(id=1, last_seq=0))
    session.execute(update(RollupState).values(last_seq=0))
    session.flush()
    refresh(session)
