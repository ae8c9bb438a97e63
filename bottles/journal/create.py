"""What `import-journal --create-missing` creates for codes the database does not know."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bottles.models import BottleModel, CollectionPoint, Crate, Reason, User, Washer, Winemaker
from bottles.rules import MODELLED_STAGES, Kind, Stage

DRIVER_KINDS = frozenset({Kind.PICKUP, Kind.ROUND_CLOSED, Kind.CRATE_PLACED})
WASHER_KINDS = frozenset({Kind.RECEIPT, Kind.SORTING, Kind.WASH, Kind.STOCKTAKE,
                          Kind.CRATE_REGISTERED})
POINT_KINDS = frozenset({Kind.CRATE_FULL})


def guess_role(kinds: set[Kind | None]) -> str:
    """The role an unknown actor most likely had, from the kinds of events naming them."""
    if kinds & POINT_KINDS:
        return "point"
    if kinds & {Kind.PICKUP, Kind.ROUND_CLOSED}:
        return "driver"
    if kinds & WASHER_KINDS:
        return "washer"
    if kinds & DRIVER_KINDS:
        return "driver"
    return "coordinator"


def reason_kind(pair: tuple[Stage, Stage] | None) -> str:
    """The kind of a missing reason, from the movement it first appears on."""
    if pair is None:
        return "refusal"
    source, target = pair
    if target == Stage.REJECTED:
        return "reject"
    if target == Stage.LOST:
        return "loss"
    if source == Stage.OUTSIDE:
        return "surplus"
    return "refusal"


def _new_row(kind: str, code: str, hint: Any):
    """The catalogue row (or inactive account) a missing code becomes, named after its code."""
    note = "créé par l'import du journal"
    if kind == "point":
        return CollectionPoint(code=code, name=code, contact=note)
    if kind == "washer":
        return Washer(code=code, name=code, contact=note)
    if kind == "winemaker":
        return Winemaker(code=code, estate=code, contact=note)
    if kind == "model":
        return BottleModel(code=code, name=code, volume_ml=750, glass_mass_g=550,
                           in_pool=hint in MODELLED_STAGES)
    if kind == "reason":
        return Reason(code=code, kind=reason_kind(hint), label_fr=code)
    if kind == "crate":
        return Crate(code=code)
    if kind == "actor":
        return User(username=code, display_name=code, role=guess_role(hint or set()), active=False,
                    password_hash="")
    raise ValueError(kind)


def create_rows(session: Session, kind: str, planned: dict[str, int],
                first_use: dict[tuple[str, str], tuple[int, Any]],
                actor_kinds: dict[str, set]) -> dict[str, Any]:
    """Create one row per missing code; return them by code (flushed, ids set)."""
    rows = {code: _new_row(kind, code, actor_kinds.get(code) if kind == "actor"
                       else first_use.get((kind, code), (0, None))[1]) for code in planned}
    session.add_all(rows.values())
    session.flush()
    return rows
