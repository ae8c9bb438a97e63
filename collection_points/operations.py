"""Writes of points and drivers: take the actor and the time, append to the ledger, flush, never commit."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, lazyload
from sqlalchemy.orm.exc import StaleDataError

from bottles.ledger import Draft, LedgerConflict, Recorded, event_by_id, held, lock_in_order, record
from bottles.models import CollectionPoint, Crate, Round, User, Washer
from bottles.rules import CrateState, Kind, LedgerError, Move, Stage
from collection_points import explain, queries, scope
from collection_points.models import PickupAssignment
from collection_points.rules import COUNTED, PARIS, Refused, out_of_service_reason, parse_count


def _replay(session: Session, event_id: uuid.UUID, kind: Kind, crate: Crate | None) -> Recorded | None:
    """The same form or scan sent again: the event already recorded, untouched."""
    locks = held(session)
    if crate is not None and crate.id in locks.crates and event_id in locks.unused_ids:
        return None  # the caller looked, under the crate's lock (the API's write)
    existing = event_by_id(session, event_id)
    if existing is None:
        if crate is not None and crate.id in locks.crates:  # looked under the crate's lock: record()
            locks.unused_ids.add(event_id)                   # need not look again
        return None
    if existing.kind != kind.value or (crate is not None and existing.crate_id != crate.id):
        raise LedgerConflict(_l("Cet identifiant d'événement a déjà servi pour autre chose : rien n'est "
                                "enregistré. Rechargez la page avant de recommencer."))
    return Recorded(existing, False)


# A write that lost a race: no twin committed meanwhile (RACED), or its crate moved (CHANGED).
RACED = _l("Conflit avec un autre enregistrement : rechargez la page et réessayez.")
CHANGED = _l("Cette caisse vient d'être modifiée par quelqu'un d'autre : rechargez la page pour voir où "
             "elle en est.")


def savepoint(session: Session):
    """A SAVEPOINT nested in the request's transaction (SQLite too: see bottles.db)."""
    return session.begin_nested()


def _lock(session: Session, crate: Crate) -> None:
    """Re-read the crate under a row lock: a concurrent scan waits here, then sees the new state
    (once per transaction: the API's write already did, and record() will not again)."""
    lock_in_order(session, [crate.id])


def _usable(session: Session, crate: Crate) -> None:
    if crate.state in (CrateState.RETIRED, CrateState.LOST):
        raise Refused(explain.refusal(session, crate, _l("Cette caisse ne peut plus servir.")))


def place_crate(session: Session, *, crate: Crate, point: CollectionPoint, actor: User,
                event_id: uuid.UUID, at: datetime, note: str = "", field: bool = False) -> Recorded:
    """An empty crate from the pool arrives at `point` (driver drop or staff confirmation).

    `field`: `at` is the phone's field time (bottles.field_time), kept and checked by the ledger."""
    _lock(session, crate)  # first: a twin request waits here, then finds its event below
    replay = _replay(session, event_id, Kind.CRATE_PLACED, crate)
    if replay:
        return replay
    _usable(session, crate)
    closed = out_of_service_reason(point, at.astimezone(PARIS).date())
    if closed:
        raise Refused(_l("%(closed)s La caisse ne peut pas y être déposée.", closed=closed))
    scope.point_may_use(actor, point)
    if crate.state != CrateState.IN_POOL:
        raise Refused(explain.refusal(
            session, crate, _l("Seule une caisse vide du parc (réceptionnée au centre de lavage) peut être "
                               "déposée à un point.")))
    return record(session, Draft(id=event_id, kind=Kind.CRATE_PLACED, occurred_at=at, actor_id=actor.id,
                                 crate_id=crate.id, collection_point_id=point.id, note=note, field=field))


def declare_full(session: Session, *, crate: Crate, actor: User, event_id: uuid.UUID, at: datetime,
                 count: int, split: dict[int, int] | None = None, note: str = "",
                 field: bool = False) -> Recorded:
    """The crate is full: its bottles enter the channel at its point; a pickup is requested."""
    _lock(session, crate)  # first: a twin request waits here, then finds its event below
    replay = _replay(session, event_id, Kind.CRATE_FULL, crate)
    if replay:
        return replay
    _usable(session, crate)
    scope.point_may_act_on(session, actor, crate)
    if crate.state != CrateState.AT_POINT:
        why = (_l("Cette caisse est déjà déclarée pleine.") if crate.state == CrateState.FULL
               else _l("Seule une caisse posée à un point peut être déclarée pleine."))
        raise Refused(explain.refusal(session, crate, why))
    parse_count(count, crate.capacity)
    split = split or {}
    moves = [Move(Stage.OUTSIDE, Stage.AT_POINT, q, model_id=m) for m, q in sorted(split.items())]
    rest = count - sum(split.values())
    if rest > 0:
        moves.append(Move(Stage.OUTSIDE, Stage.AT_POINT, rest))
    return record(session, Draft(id=event_id, kind=Kind.CRATE_FULL, occurred_at=at, actor_id=actor.id,
                                 crate_id=crate.id, collection_point_id=crate.collection_point_id,
                                 moves=moves, note=note, field=field))


def pick_up(session: Session, *, crate: Crate, actor: User, event_id: uuid.UUID, at: datetime,
            counted: int | None = None, round_id: int | None = None, note: str = "",
            field: bool = False) -> Recorded:
    """A driver takes a full crate: its declared bottles go in transit on the driver's round.

    A different count seen by the driver goes in the note: the ledger moves what was declared
    (the point's stock holds exactly that), and the washer's counted receipt records any
    shortfall as lost or surplus as found, so nothing is left hanging at the point.
    """
    _lock(session, crate)  # first: a twin request waits here, then finds its event below
    replay = _replay(session, event_id, Kind.PICKUP, crate)
    if replay:
        return replay
    _usable(session, crate)
    if crate.state != CrateState.FULL:
        why = {CrateState.IN_TRANSIT: _l("Cette caisse a déjà été enlevée."),
               CrateState.AT_POINT: _l("Cette caisse n'a pas été déclarée pleine : déclarez-la pleine "
                                       "(avec son nombre de bouteilles) avant de l'enlever."),
               CrateState.IN_POOL: _l("Cette caisse est vide, dans le parc : il n'y a rien à enlever.")}
        reason = why.get(CrateState(crate.state), _l("Enlèvement impossible."))
        raise Refused(explain.refusal(session, crate, reason))
    declared = queries.declared_counts(session, [crate.id]).get(crate.id, 0)
    if declared <= 0:
        raise Refused(explain.refusal(session, crate,
                                      _l("Aucune bouteille n'est déclarée dans cette caisse.")))
    if counted is not None:
        parse_count(counted, crate.capacity, what=COUNTED, allow_zero=True)
        if counted != declared:  # stored French, as notes are: washer.rules.driver_count reads it back
            bottles = "bouteille" if counted <= 1 else "bouteilles"
            extra = f"Compté à l'enlèvement : {counted} {bottles} (déclaré : {declared})."
            note = f"{extra} {note}".strip()
    point_id = crate.collection_point_id
    result = record(session, Draft(id=event_id, kind=Kind.PICKUP, occurred_at=at, actor_id=actor.id,
                                   crate_id=crate.id, collection_point_id=point_id, round_id=round_id,
                                   moves=[Move(Stage.AT_POINT, Stage.IN_TRANSIT, declared)], note=note,
                                   field=field))
    if result.created and point_id is not None and queries.full_crates_at(session, point_id) == 0:
        for assignment in session.scalars(select(PickupAssignment).where(
                PickupAssignment.collection_point_id == point_id, PickupAssignment.active.is_(True))):
            assignment.active = False
    return result


def ensure_round(session: Session, driver: User, day: date, token: str,
                 washer_id: int | None = None) -> Round:
    """The driver's open round, or a new one named after the form's token (a double tap opens one)."""
    code = f"T-{day:%Y%m%d}-{token.replace('-', '')[:8].upper()}"
    existing = session.scalar(select(Round).where(Round.code == code).options(lazyload("*")))
    if existing is not None:  # the same page again; never another driver's round, nor a closed one
        scope.driver_may_add_to(driver, existing)
        return existing
    current = queries.open_round(session, driver.id)
    if current is not None:
        return current
    if washer_id is None:  # a channel with one washer: the round goes there
        washers = session.scalars(select(Washer.id).where(Washer.active.is_(True)).limit(2)).all()
        washer_id = washers[0] if len(washers) == 1 else None
    try:
        with savepoint(session):
            new = Round(code=code, driver_id=driver.id, round_date=day, washer_id=washer_id)
            session.add(new)
            session.flush()
    except IntegrityError:  # the same form, sent twice at once: the other request opened it
        return session.scalar(select(Round).where(Round.code == code))
    return new


def close_round(session: Session, *, round_: Round, actor: User, event_id: uuid.UUID, at: datetime,
                km: Decimal, hours: Decimal, note: str = "") -> Recorded:
    """km and hours go to the ledger (round_closed) and to the round, in the same transaction."""
    replay = _replay(session, event_id, Kind.ROUND_CLOSED, None)
    if replay:
        return replay
    scope.driver_may_close(actor, round_)
    if round_.closed:
        raise Refused(_l("La tournée %(code)s est déjà close.", code=round_.code))
    result = record(session, Draft(id=event_id, kind=Kind.ROUND_CLOSED, occurred_at=at, actor_id=actor.id,
                                   round_id=round_.id, washer_id=round_.washer_id, km=km, hours=hours,
                                   note=note))
    round_.closed, round_.km, round_.hours = True, km, hours
    session.flush()
    return result


def assign(session: Session, *, point: CollectionPoint, driver: User, by: User,
           at: datetime) -> PickupAssignment:
    if driver.role != "driver" or not driver.active:
        raise Refused(_l("On ne peut attribuer un enlèvement qu'à un chauffeur actif."))
    for old in session.scalars(select(PickupAssignment).where(
            PickupAssignment.collection_point_id == point.id, PickupAssignment.active.is_(True))):
        if old.driver_id == driver.id:
            return old
        old.active = False
    row = PickupAssignment(collection_point_id=point.id, driver_id=driver.id, assigned_by_id=by.id,
                           assigned_at=at, active=True)
    session.add(row)
    session.flush()
    return row


def once(session: Session, event_id: uuid.UUID, act: Callable[[], Recorded]) -> Recorded:
    """Run one form's write in a savepoint; the same event id committed meanwhile counts as done."""
    try:
        with savepoint(session):
            return act()
    except IntegrityError:
        again = event_by_id(session, event_id)
        if again is None:
            raise LedgerError(RACED) from None
        return Recorded(again, False)
    except StaleDataError:
        raise LedgerError(CHANGED) from None
