"""Reads for the catalogue pages: filtered, searched, paged lists."""

from __future__ import annotations

import re

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from bottles.catalogue.kinds import CatalogueKind
from bottles.models import Crate, Washer

PER_PAGE = 25
MAX_SEARCH = 100


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def entries(kind: CatalogueKind, search: str, filters: dict[str, str]) -> Select:
    """Rows of a catalogue kind matching a search on code/name and the chosen filters."""
    model = kind.model
    query = select(model)
    search = search.strip()[:MAX_SEARCH]
    if search:
        pattern = _like(search)
        query = query.where(or_(*(func.lower(getattr(model, attr)).like(pattern, escape="\\")
                                  for attr in kind.search)))
    for flt in kind.filters:
        value = filters.get(flt.param, "")
        if value == "" or value not in {choice for choice, _label in flt.options()}:
            continue
        column = getattr(model, flt.attr)
        query = query.where(column.is_(value == "1") if flt.attr in ("active", "in_pool")
                            else column == value)
    return query.order_by(model.active.desc(), func.lower(model.code))


def crates(search: str, state: str, site: str) -> Select:
    """Crates by code, state and site ("p12" = collection point 12, "w3" = washer 3)."""
    query = select(Crate)
    search = re.sub(r"[\s\-]", "", search.strip()[:MAX_SEARCH]).upper()
    if search:
        query = query.where(func.replace(Crate.code, "-", "").like(_like(search).upper(), escape="\\"))
    if state:
        query = query.where(Crate.state == state)
    match = re.fullmatch(r"([pw])([0-9]{1,9})", site or "")
    if match:
        column = Crate.collection_point_id if match.group(1) == "p" else Crate.washer_id
        query = query.where(column == int(match.group(2)))
    return query.order_by(Crate.code)


def next_crate_numbers(session: Session, prefix: str, count: int) -> list[int]:
    """The `count` numbers after the highest crate number already used with `prefix`."""
    # Numbers are zero-padded to five digits, so the greatest code has the greatest number.
    highest = session.scalar(select(func.max(Crate.code)).where(
        Crate.code.like(f"{prefix}-_____-_")))
    start = int(highest.split("-")[1]) + 1 if highest else 1
    return list(range(start, start + count))


def active_washers(session: Session) -> list[Washer]:
    return list(session.scalars(select(Washer).where(Washer.active.is_(True)).order_by(Washer.name)))


def crate_counts_by_state(session: Session) -> dict[str, int]:
    rows = session.execute(select(Crate.state, func.count()).group_by(Crate.state)).all()
    return {state or "": n for state, n in rows}
