"""The next phase's decision figures for a phase, assembled from the SQL aggregates: per model
(reports.pool) and "does it pay, does it count" (reports.pays). Used by the pages and the command."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from reports import pays, pool, pool_queries, report
from reports.models import Phase
from reports.period import Period
from reports.phase_input import effective_params
from resales import queries as resale_queries
from resales.matching import ModelBalance, balances


def flows(session: Session, phase: Phase, now: datetime) -> tuple[pool.PoolFlows, date, Period]:
    """The phase's per-model flows over the days covered at `now`, the day projections start (the
    day after the last one covered), and the period."""
    covered = report.phase_period(phase, now)
    scope = report.phase_scope(phase, None, now)
    return pool_queries.pool_flows(session, scope, covered.elapsed_days), covered.until + timedelta(days=1), \
        covered


def model_rows(model_flows: pool.PoolFlows, pallet: int, today: date) -> list[dict]:
    """One row per model in play: figures, clean bottles per month, the day a pallet is full (None:
    never at this pace), soonest first."""
    rows = []
    for model in model_flows.models.values():
        if not model.active:
            continue
        fill = pool.pallet_fill_date(model.clean_stock, model.accepted, model_flows.days, pallet, today)
        pace = None if not model_flows.days else round(model.accepted * 30.4375 / model_flows.days, 1)
        rows.append({"model": model, "pace": pace, "fill": fill, "full_now": model.clean_stock >= pallet})
    return sorted(rows, key=lambda r: (r["fill"] is None, r["fill"] or date.max, r["model"].code))


def reservation_balances(session: Session, now: datetime) -> dict[int, ModelBalance]:
    """Demand against supply per model at `now`: the open reservations matched first come, first
    served to clean stock and the wash pace (resales.matching), and the stock left free."""
    return balances(resale_queries.covers(session, now).values(),
                    resale_queries.clean_stock_by_model(session))


def reservation_kpis(balance: dict[int, ModelBalance], codes: dict[int, str]) -> dict:
    """The reservation keys of `flask reports kpis --json` (docs/indicators.md, "Réservations")."""
    reserved = sum(b.reserved for b in balance.values())
    unmet = sum(b.unmet for b in balance.values())
    return {
        "bottles_reserved_open": reserved,
        "reserved_from_stock": sum(b.from_stock for b in balance.values()),
        "reserved_from_wash": sum(b.from_inflow for b in balance.values()),
        "reserved_unmet": unmet,
        "unmet_demand_share": round(unmet / reserved, 4) if reserved else None,
        "reservations_by_model": {codes.get(model_id, str(model_id)): {
            "reserved": b.reserved, "from_stock": b.from_stock, "from_wash": b.from_inflow,
            "unmet": b.unmet, "clean_stock": b.clean_stock, "free_stock": b.free_stock}
            for model_id, b in balance.items() if b.reserved},
    }


def pays_figures(session: Session, phase: Phase, now: datetime) -> tuple[dict, dict, Period]:
    """(the phase's indicators, its "does it pay, does it count" figures, the period covered)."""
    covered = report.phase_period(phase, now)
    scope = report.phase_scope(phase, None, now)
    values = report.phase_kpis(session, phase, now)
    params = effective_params(phase.parameters)
    pickups, crates = pool_queries.crates_picked_up(session, scope)
    km = report.aggregates(session, scope)[0].round_km
    span = pays.area_span_km(pool_queries.point_places(session))
    return values, pays.figures(values, params, pickups, crates, span, covered.elapsed_days,
                                covered.year_days, km), covered


def kpis(session: Session, phase: Phase, now: datetime) -> dict:
    """The keys `flask reports kpis --json` adds for the whole channel (docs/indicators.md)."""
    model_flows, today, _covered = flows(session, phase, now)
    pallet, _washer = pool_queries.pallet_size(session)
    models = {row["model"].code if row["model"].model_id else "non_precise": {
        "bottles_sorted": row["model"].sorted, "bottles_accepted": row["model"].accepted,
        "bottles_rejected": row["model"].rejected, "bottles_sold": row["model"].sold,
        "clean_stock": row["model"].clean_stock, "clean_per_month": row["pace"],
        "pallet_full_on": row["fill"].isoformat() if row["fill"] else None}
        for row in model_rows(model_flows, pallet, today)}
    codes = {m.model_id: m.code for m in model_flows.models.values()}
    return {**pays_figures(session, phase, now)[1], "pallet_size": pallet, "models": models,
            **reservation_kpis(reservation_balances(session, now), codes)}
