"""Who may do what at the dock: a washer's staff receive and see only the crates coming to their washer.

A crate in transit travels on the round of its pickup; a round names the washer it goes to, or
none (a channel with several washers, a round opened without choosing). Staff may receive a crate
whose round goes to the washer they receive at, or whose round names no washer (or that has no
round): the same crates `queries.expected_crates` lists for them. Coordinators and admins oversee
every washer. The one-crate page, its form and the scan station all check here.
"""

from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from bottles.auth import sees_everything
from bottles.models import Crate, Event, Round, User
from bottles.rules import CrateState
from washer.rules import NotYours


def round_of(session: Session, crate: Crate) -> Round | None:
    """The round a crate in transit travels on (its pickup's), if any."""
    if crate.state != CrateState.IN_TRANSIT.value or crate.last_event_seq is None:
        return None
    round_id = session.scalar(select(Event.round_id).where(Event.seq == crate.last_event_seq))
    return session.get(Round, round_id, options=[lazyload("*")]) if round_id else None  # not its driver


def bound_for(session: Session, crate: Crate) -> int | None:
    """The washer the crate's round goes to; None when it names none (any washer may receive it)."""
    the_round = round_of(session, crate)
    return the_round.washer_id if the_round is not None else None


def may_receive_at(session: Session, user: User, crate: Crate, washer_id: int) -> bool:
    """The person may receive (and see the declared count and point of) the crate at this washer."""
    if sees_everything(user):
        return True
    destination = bound_for(session, crate)
    return destination is None or destination == washer_id


def may_receive_somewhere(session: Session, user: User, crate: Crate) -> bool:
    """The crate goes to one of the person's washers (or to no washer in particular)."""
    if sees_everything(user):
        return True
    destination = bound_for(session, crate)
    return destination is None or destination in {washer.id for washer in user.washers}


def not_yours(crate: Crate) -> LazyString:
    """Why a crate bound for another washer is refused here, saying nothing of its contents."""
    return _l("La caisse %(code)s voyage vers un autre centre de lavage : elle ne peut pas être "
              "réceptionnée ici et rien n'a été enregistré. Prévenez la coordination si elle est "
              "arrivée chez vous.", code=crate.code)


def washer_may_receive(session: Session, user: User, crate: Crate, washer_id: int) -> None:
    """Refuse (403) a crate whose round goes to another washer; nothing about it is shown."""
    if not may_receive_at(session, user, crate, washer_id):
        raise NotYours(not_yours(crate))
