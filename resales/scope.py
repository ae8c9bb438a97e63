"""Who may see and act on which sale and reservation (403 / 404 before any write).

Coordinators and admins oversee everything. A washer's staff see the sales of their washers and
sell where their washer allows it. A winemaker sees only their own estate: its reservations, its
purchases and delivery notes; another estate's reservation or sale is not found (404), so its
existence is not revealed either.
"""

from __future__ import annotations

from flask import abort, make_response
from flask_babel import gettext as _

from bottles.auth import OVERSEERS
from bottles.errors import error_page
from bottles.models import Event, User
from resales.models import Reservation


def own_estate(user: User) -> int:
    """A winemaker's estate; an account with none linked sees nothing (403, said in French)."""
    if user.role != "winemaker" or user.winemaker_id is None:
        abort(make_response(error_page(403, _("Ce compte n'est rattaché à aucun domaine : demandez à "
                                              "l'administration de le rattacher au vôtre."))))
    return user.winemaker_id


def may_see_sale(user: User, sale: Event) -> bool:
    """Overseers: every sale; washer staff: their washers'; a winemaker: their estate's purchases."""
    if user.role in OVERSEERS:
        return True
    if user.role == "winemaker":
        return user.winemaker_id is not None and any(
            move.winemaker_id == user.winemaker_id for move in sale.movements)
    return sale.washer_id in {washer.id for washer in user.washers}


def may_see_reservation(user: User, reservation: Reservation) -> bool:
    """Overseers and the washers' staff (what to prepare for whom): all; a winemaker: their own."""
    if user.role == "winemaker":
        return reservation.winemaker_id == user.winemaker_id
    return user.role in OVERSEERS or user.role == "washer"


def may_cancel(user: User, reservation: Reservation) -> bool:
    """Coordination, or the estate that reserved."""
    return user.role in OVERSEERS or (user.role == "winemaker"
                                      and reservation.winemaker_id == user.winemaker_id)


def seller_washers(user: User) -> set[int] | None:
    """Washers the person may sell from: None (all) for overseers, else those allowing their staff
    (empty for a winemaker or a washer whose centre does not sell)."""
    if user.role in OVERSEERS:
        return None
    if user.role != "washer":
        return set()
    return {washer.id for washer in user.washers if washer.staff_may_sell}
