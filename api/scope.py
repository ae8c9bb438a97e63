"""What a token's person may read: the same sites as their pages (bottles.auth, the packages' scope.py)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_, true
from sqlalchemy.orm import Session

from bottles.auth import sees_everything
from bottles.models import Crate, Event, StockLevel, User
from bottles.rules import STOCK_SITE, CrateState, Site
from washer import scope as washer_scope

# What point staff see of the ledger: their own point's events, none of the washer's work
# (as on the crate page, bottles.views.POINT_STAFF_KINDS).
POINT_STAFF_KINDS = ("crate_placed", "crate_full", "pickup", "receipt")
DRIVER_KINDS = ("crate_placed", "crate_full", "pickup", "round_closed")


def _points(user: User) -> set[int]:
    return {point.id for point in user.collection_points}


def _washers(user: User) -> set[int]:
    return {washer.id for washer in user.washers}


def may_see_crate(session: Session, user: User, crate: Crate) -> bool:
    """A crate at the person's point, at (or coming to) their washer; drivers and overseers: all."""
    if sees_everything(user) or user.role == "driver":
        return True
    if user.role == "point":
        return crate.collection_point_id in _points(user)
    if user.role == "washer":
        if crate.washer_id in _washers(user):
            return True
        return crate.state == CrateState.IN_TRANSIT.value and \
            washer_scope.may_receive_somewhere(session, user, crate)
    return False


def crates_where(user: User) -> ColumnElement[bool]:
    """SQL filter of the crate list (a washer's list: the crates at their washers)."""
    if sees_everything(user) or user.role == "driver":
        return true()
    if user.role == "point":
        return Crate.collection_point_id.in_(_points(user) or {-1})
    if user.role == "washer":
        return Crate.washer_id.in_(_washers(user) or {-1})
    return false()


def events_where(user: User) -> ColumnElement[bool]:
    """SQL filter of the events a person may read."""
    if sees_everything(user):
        return true()
    if user.role == "point":
        return and_(Event.collection_point_id.in_(_points(user) or {-1}),
                    Event.kind.in_(POINT_STAFF_KINDS))
    if user.role == "washer":
        return Event.washer_id.in_(_washers(user) or {-1})
    if user.role == "driver":
        return or_(Event.kind.in_(DRIVER_KINDS[:3]),
                   and_(Event.kind == "round_closed", Event.actor_id == user.id))
    return false()


def history_where(user: User) -> ColumnElement[bool]:
    """SQL filter of a visible crate's history (a washer: their own work and the point's side)."""
    if user.role == "washer":
        return or_(Event.washer_id.in_(_washers(user) or {-1}), Event.washer_id.is_(None))
    return events_where(user)


def stocks_where(user: User) -> ColumnElement[bool]:
    """SQL filter of the stock rows: a point's stages at one's points, a washer's at one's washers."""
    if sees_everything(user):
        return true()
    point_stages = [s.value for s, site in STOCK_SITE.items() if site == Site.COLLECTION_POINT]
    washer_stages = [s.value for s, site in STOCK_SITE.items() if site == Site.WASHER]
    if user.role == "driver":
        return StockLevel.stage.in_(point_stages)
    if user.role == "point":
        return and_(StockLevel.stage.in_(point_stages), StockLevel.site_id.in_(_points(user) or {-1}))
    if user.role == "washer":
        return and_(StockLevel.stage.in_(washer_stages), StockLevel.site_id.in_(_washers(user) or {-1}))
    return false()


def seller_washers(user: User) -> set[int] | None:
    """Washers whose clean stock the person may sell, as on the sale form (resales.views): every one
    for coordination (None), else their washers that let their staff sell."""
    if sees_everything(user):
        return None
    return {washer.id for washer in user.washers if washer.staff_may_sell}
