"""Which crates get labels: one, a point's, a range of codes, all, or all never printed."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from bottles import codes as crate_codes
from bottles.models import CollectionPoint, Crate
from bottles.rules import CrateState
from collection_points.operations import Refused
from collection_points.rules import out_of_service_reason

MAX_LABELS = 5000
IN_SERVICE = [s.value for s in CrateState if s not in (CrateState.RETIRED, CrateState.LOST)]


def _code(raw: str) -> str:
    try:
        return crate_codes.normalise(raw)
    except crate_codes.CrateCodeError as error:
        raise Refused(str(error)) from None


def select_crates(session: Session, *, codes: list[str] | None = None, all_: bool = False,
                  unprinted: bool = False, point_code: str | None = None, first: str | None = None,
                  last: str | None = None, day: date | None = None) -> list[Crate]:
    """The crates chosen, in code order; a clear refusal when the choice is empty or wrong."""
    query = select(Crate).order_by(Crate.code)
    chosen = False
    if codes:
        wanted = [_code(c) for c in codes]
        found = list(session.scalars(query.where(Crate.code.in_(wanted))))
        missing = sorted(set(wanted) - {c.code for c in found})
        if missing:
            raise Refused(lazy_ngettext("Caisse inconnue : %(codes)s.", "Caisses inconnues : %(codes)s.",
                                        len(missing), codes=", ".join(missing[:10])))
        return found
    if point_code:
        point = session.scalar(select(CollectionPoint).where(CollectionPoint.code == point_code.strip()))
        if point is None:
            raise Refused(_l("Point de collecte inconnu : %(code)s.", code=point_code))
        closed = out_of_service_reason(point, day) if day is not None else None
        if closed:
            raise Refused(_l("%(closed)s Aucune étiquette n'est imprimée pour lui.", closed=closed))
        query = query.where(Crate.collection_point_id == point.id,
                            Crate.state.in_([CrateState.AT_POINT.value, CrateState.FULL.value]))
        chosen = True
    if first or last:
        if not (first and last):
            raise Refused(_l("Une plage demande une première et une dernière caisse."))
        low, high = sorted([_code(first), _code(last)])
        query = query.where(Crate.code >= low, Crate.code <= high)
        chosen = True
    if unprinted:
        query = query.where(Crate.label_printed_at.is_(None))
        chosen = True
    if all_:
        chosen = True
    if not chosen:
        raise Refused(_l("Choisissez des caisses : des codes, un point, une plage, --unprinted ou --all."))
    crates = list(session.scalars(query.where(Crate.state.in_(IN_SERVICE)).limit(MAX_LABELS + 1)))
    if len(crates) > MAX_LABELS:
        raise Refused(_l("Plus de %(max)s étiquettes d'un coup : découpez la sélection.", max=MAX_LABELS))
    if not crates:
        raise Refused(_l("Aucune caisse ne correspond à cette sélection."))
    return crates


def mark_printed(session: Session, crates: list[Crate], at: datetime) -> None:
    for crate in crates:
        crate.label_printed_at = at
    session.flush()
