"""Reads of the kernel: crates, history, stocks (aggregated in SQL)."""

from __future__ import annotations

from sqlalchemy import Integer, case, func, literal, select, union_all
from sqlalchemy.orm import Session

from bottles import codes
from bottles.models import Crate, Event, Movement, StockLevel
from bottles.rules import MODELLED_STAGES, STOCK_SITE, Site, Stage


def crate_by_code(session: Session, raw: str) -> Crate | None:
    """The crate a scanned or typed code names (raises CrateCodeError on a bad code)."""
    return session.scalar(select(Crate).where(Crate.code == codes.normalise(raw)))


def _crate_events(crate_id: int, point_ids: set[int] | None, kinds: tuple[str, ...] | None):
    """SQL filter: the crate's events, only at these points and of these kinds when given."""
    where = [Event.crate_id == crate_id]
    if point_ids is not None:
        where.append(Event.collection_point_id.in_(point_ids))
    if kinds is not None:
        where.append(Event.kind.in_(kinds))
    return where


def crate_history(session: Session, crate_id: int, limit: int | None = None, offset: int = 0, *,
                  point_ids: set[int] | None = None, kinds: tuple[str, ...] | None = None) -> list[Event]:
    """The crate's events, latest first (a crate in service for years has hundreds)."""
    query = (select(Event).where(*_crate_events(crate_id, point_ids, kinds))
             .order_by(Event.occurred_at.desc(), Event.seq.desc()).offset(offset))
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def crate_event_count(session: Session, crate_id: int, *, point_ids: set[int] | None = None,
                      kinds: tuple[str, ...] | None = None) -> int:
    return int(session.scalar(select(func.count()).where(*_crate_events(crate_id, point_ids, kinds))))


def corrected_seqs(session: Session, seqs: list[int]) -> dict[int, int]:
    """For the given events, which correction (seq) reverses each one, if any."""
    if not seqs:
        return {}
    rows = session.execute(select(Event.corrects_seq, Event.seq)
                           .where(Event.corrects_seq.in_(seqs))).all()
    return {target: seq for target, seq in rows}


def _site_expr(stage_col):
    """SQL: the site id a stage's stock belongs to, from the event's and movement's columns."""
    whens = []
    for stage, site in STOCK_SITE.items():
        column = {Site.COLLECTION_POINT: Event.collection_point_id, Site.WASHER: Event.washer_id,
                  Site.WINEMAKER: Movement.winemaker_id}[site]
        whens.append((stage_col == stage.value, func.coalesce(column, 0)))
    return case(*whens, else_=literal(0))


def _model_expr(stage_col):
    modelled = [s.value for s in MODELLED_STAGES]
    return case((stage_col.in_(modelled), func.coalesce(Movement.bottle_model_id, 0)),
                else_=literal(0))


def ledger_stocks(session: Session) -> dict[tuple[str, int, int], int]:
    """Every held stock recomputed from the raw ledger: Σ in − Σ out, in one SQL query."""
    held = [s.value for s in STOCK_SITE]
    inflow = (select(Movement.to_stage.label("stage"), _site_expr(Movement.to_stage).label("site"),
                     _model_expr(Movement.to_stage).label("model"),
                     Movement.quantity.label("q"))
              .join(Event, Event.seq == Movement.event_seq)
              .where(Movement.to_stage.in_(held)))
    outflow = (select(Movement.from_stage.label("stage"),
                      _site_expr(Movement.from_stage).label("site"),
                      _model_expr(Movement.from_stage).label("model"),
                      (-Movement.quantity).label("q"))
               .join(Event, Event.seq == Movement.event_seq)
               .where(Movement.from_stage.in_(held)))
    both = union_all(inflow, outflow).subquery()
    rows = session.execute(
        select(both.c.stage, both.c.site.cast(Integer), both.c.model.cast(Integer),
               func.sum(both.c.q))
        .group_by(both.c.stage, both.c.site, both.c.model)
    ).all()
    return {(stage, site, model): int(total) for stage, site, model, total in rows if total}


def projected_stocks(session: Session) -> dict[tuple[str, int, int], int]:
    rows = session.execute(select(StockLevel.stage, StockLevel.site_id, StockLevel.model_id,
                                  StockLevel.quantity).where(StockLevel.quantity != 0)).all()
    return {(stage, site, model): int(q) for stage, site, model, q in rows}


def stock(session: Session, stage: Stage, site_id: int | None = None,
          model_id: int | None = None) -> int:
    """Bottles held now in `stage` (optionally at one site, of one model), from the projection."""
    query = select(func.coalesce(func.sum(StockLevel.quantity), 0)).where(
        StockLevel.stage == stage.value)
    if site_id is not None:
        query = query.where(StockLevel.site_id == site_id)
    if model_id is not None:
        query = query.where(StockLevel.model_id == model_id)
    return int(session.scalar(query))


def stock_by_model(session: Session, stage: Stage, site_id: int) -> dict[int, int]:
    rows = session.execute(
        select(StockLevel.model_id, StockLevel.quantity)
        .where(StockLevel.stage == stage.value, StockLevel.site_id == site_id,
               StockLevel.quantity > 0)).all()
    return {model: int(q) for model, q in rows}
