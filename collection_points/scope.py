"""Who may write what: a point's staff act on their own point's crates, a driver on their own open rounds.

Each check raises `NotYours` (403: another person's or site's) or `Refused` (422: closed, wrong state)
and writes nothing; coordinators and admins oversee everything. The crate page's actions, the
round pages and the drivers' scan stations all go through these functions (via operations).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from bottles.auth import sees_everything
from bottles.models import CollectionPoint, Crate, Round, User
from collection_points import explain
from collection_points.rules import NotYours, Refused


def own_point_ids(user: User) -> set[int]:
    return {point.id for point in user.collection_points}


def point_may_use(user: User, point: CollectionPoint) -> None:
    """A point's staff record crates at their own point only."""
    if user.role == "point" and point.id not in own_point_ids(user):
        raise NotYours(_l("Vous n'êtes pas rattaché(e) au point %(point)s.", point=point.name))


def point_may_act_on(session: Session, user: User, crate: Crate) -> None:
    """A point's staff act on the crates standing at their own point only."""
    if user.role == "point" and crate.collection_point_id not in own_point_ids(user):
        raise NotYours(explain.refusal(session, crate,
                                       _l("Cette caisse n'est pas à votre point de collecte.")))


def driver_may_add_to(user: User, round_: Round) -> None:
    """Pickups go on the driver's own round, and only while it is open."""
    if round_.driver_id != user.id and not sees_everything(user):
        raise NotYours(_l("La tournée %(code)s est celle d'un autre chauffeur : rien n'a été enregistré. "
                          "Rechargez la page pour partir de votre propre tournée.", code=round_.code))
    if round_.closed:
        raise Refused(_l("Cette tournée est clôturée (%(code)s) : rien n'a été enregistré. Rechargez la "
                         "page pour en ouvrir une nouvelle.", code=round_.code))


def driver_may_close(user: User, round_: Round) -> None:
    """Only the round's driver (or coordination) closes it."""
    if round_.driver_id != user.id and not sees_everything(user):
        raise NotYours(_l("Seul le chauffeur de la tournée (ou la coordination) peut la clore."))
