"""Replay the whole ledger and compare it with every current-state projection."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import groupby
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from bottles.field_time import FIELD_TIME_SKEW
from bottles.ledger import replay_crate
from bottles.models import Crate, Event, Round
from bottles.queries import ledger_stocks, projected_stocks
from bottles.rules import Kind


def stock_differences(session: Session) -> list[str]:
    """Stocks whose projection disagrees with the ledger's sum of movements, or go negative."""
    replayed, projected = ledger_stocks(session), projected_stocks(session)
    problems = []
    for key in sorted(set(replayed) | set(projected)):
        if replayed.get(key, 0) != projected.get(key, 0):
            stage, site, model = key
            problems.append(
                f"stock {stage} site={site} model={model}: ledger {replayed.get(key, 0)}, "
                f"projection {projected.get(key, 0)}")
        elif replayed.get(key, 0) < 0:
            problems.append(f"stock {key} negative in the ledger: {replayed[key]}")
    return problems


def crate_differences(session: Session) -> list[str]:
    """Crates whose projection (state, site, since, last event) disagrees with their replayed events."""
    rows = session.execute(
        select(Event.crate_id, Event.seq, Event.kind, Event.corrects_seq, Event.occurred_at,
               Event.collection_point_id, Event.washer_id)
        .where(Event.crate_id.is_not(None)).order_by(Event.crate_id, Event.seq)
        .execution_options(yield_per=20_000)
    )
    replayed = {}
    for crate_id, group in groupby(rows, key=lambda r: r[0]):
        replayed[crate_id] = replay_crate(
            [(seq, Kind(kind), corrects, occurred_at, point_id, washer_id)
             for _crate, seq, kind, corrects, occurred_at, point_id, washer_id in group])
    problems = []
    crates = session.execute(select(Crate.id, Crate.code, Crate.state, Crate.collection_point_id,
                                    Crate.washer_id, Crate.state_since, Crate.last_event_seq))
    for crate_id, code, *projection in crates:
        expected = replayed.get(crate_id, (None, None, None, None, None))
        if tuple(projection) != expected:
            problems.append(f"crate {code}: projection {tuple(projection)}, ledger {expected}")
    return problems


def round_projection(session: Session, round_ids: list[int] | None = None) -> dict[int, tuple]:
    """(closed, km, hours) of each round from the ledger: its latest uncorrected round_closed."""
    corrected = select(Event.corrects_seq).where(Event.corrects_seq.is_not(None))
    query = (select(Event.round_id, Event.km, Event.hours)
             .where(Event.kind == Kind.ROUND_CLOSED.value, Event.round_id.is_not(None),
                    Event.seq.not_in(corrected))
             .order_by(Event.round_id, Event.seq))
    rounds = select(Round.id)
    if round_ids is not None:
        query = query.where(Event.round_id.in_(round_ids))
        rounds = rounds.where(Round.id.in_(round_ids))
    projected: dict[int, tuple] = {round_id: (False, None, None)
                                   for round_id in session.scalars(rounds)}
    for round_id, km, hours in session.execute(query):
        projected[round_id] = (True, km, hours)
    return projected


def round_differences(session: Session) -> list[str]:
    """Rounds whose closed flag, km or hours disagree with their round_closed events."""
    expected = round_projection(session)
    problems = []
    for round_id, code, closed, km, hours in session.execute(
            select(Round.id, Round.code, Round.closed, Round.km, Round.hours)):
        want_closed, want_km, want_hours = expected.get(round_id, (False, None, None))
        if bool(closed) != want_closed or (want_closed and (km, hours) != (want_km, want_hours)):
            problems.append(f"round {code}: projection closed={bool(closed)} km={km} hours={hours}, "
                            f"ledger closed={want_closed} km={want_km} hours={want_hours}")
    return problems


# How far an event's time may precede the one it follows (two servers' clocks, a form's rounding).
TIME_SKEW = timedelta(seconds=2)
INVERSION = "time inversion"  # how each such finding begins


class Inverted(NamedTuple):
    """An event as an inversion names it."""

    seq: int
    kind: str
    occurred_at: datetime


def tolerance(occurred_at: datetime, recorded_at: datetime | None, skew: timedelta) -> timedelta:
    """How far an event may precede its cause: `skew` between the server's own readings; two
    clocks' skew (FIELD_TIME_SKEW) when its time was given (a phone's field time, a late
    offline queue, a typed or imported date: dated before the server learnt it)."""
    given = recorded_at is not None and occurred_at < recorded_at - skew
    return max(skew, FIELD_TIME_SKEW) if given else skew


def time_inversions(session: Session, skew: timedelta = TIME_SKEW) -> list[str]:
    """Events dated more than their tolerance before their cause: the crate's previous event in
    seq order, or the event a correction reverses. The order of record is seq; a time is only
    what a clock said. A late queue whose field times follow the crate's history is not one."""
    found: dict[tuple[int, int], str] = {}
    rows = session.execute(
        select(Event.crate_id, Event.seq, Event.kind, Event.occurred_at, Event.recorded_at)
        .where(Event.crate_id.is_not(None)).order_by(Event.crate_id, Event.seq)
        .execution_options(yield_per=20_000))
    for _crate_id, group in groupby(rows, key=lambda r: r[0]):
        previous = None
        for _crate, seq, kind, at, recorded in group:
            event = Inverted(seq, kind, at)
            if previous is not None and at < previous.occurred_at - tolerance(at, recorded, skew):
                found[(seq, previous.seq)] = _inversion(event, previous)
            previous = event
    target = aliased(Event)
    for seq, kind, at, recorded, cause_seq, cause_kind, cause_at in session.execute(
            select(Event.seq, Event.kind, Event.occurred_at, Event.recorded_at, target.seq, target.kind,
                   target.occurred_at).join(target, target.seq == Event.corrects_seq)):
        if at < cause_at - tolerance(at, recorded, skew):
            found[(seq, cause_seq)] = _inversion(Inverted(seq, kind, at),
                                                 Inverted(cause_seq, cause_kind, cause_at))
    return [found[key] for key in sorted(found)]


def _inversion(event: Inverted, cause: Inverted) -> str:
    late = (cause.occurred_at - event.occurred_at).total_seconds()
    return (f"{INVERSION}: seq {event.seq} ({event.kind}) at {event.occurred_at.isoformat()} is "
            f"{late:g} s before seq {cause.seq} ({cause.kind}) at {cause.occurred_at.isoformat()}, "
            "which it follows")


def check_ledger(session: Session) -> list[str]:
    """Every difference between the ledger and the projections, and every event dated before
    its cause, named; empty when all agree."""
    return (stock_differences(session) + crate_differences(session) + round_differences(session)
            + time_inversions(session))
