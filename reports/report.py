"""A phase's report: indicators, series and tables assembled from the SQL aggregates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from bottles.rules import CRATE_STATE_LABELS, PARIS, CrateState, wash_yield
from bottles.spreadsheet import CODE, DATE, DECIMAL, DECIMAL1, EUR, INT, MONTH, PERCENT, ROW, TEXT, Sheet
from reports import queries, rollup_read
from reports.french import SHARE, YIELD
from reports.indicators import BY_KEY, INDICATORS, REFERENCES, compute, funnel, label, stock_age
from reports.models import Phase
from reports.period import Period, fixed_cost_share, period, period_bounds, phase_bounds
from reports.phase_input import PARAMS, effective_params, param_source
from reports.queries import Scope
from reports.targets import TargetStatus, target_status


def phase_period(phase: Phase, now: datetime) -> Period:
    """The days of the phase its figures cover at `now` (a phase in progress runs to today)."""
    return period(phase.start_date, phase.end_date, now)


def phase_scope(phase: Phase, point_ids: tuple[int, ...] | None = None, now: datetime | None = None,
                days: int | None = None) -> Scope:
    """The phase's window: whole (no `now`), or the days covered at `now` (the first `days` only)."""
    if now is None and days is None:
        start, end = phase_bounds(phase.start_date, phase.end_date)
    else:
        start, end = period_bounds(phase_period(phase, now or datetime.now(UTC)), days)
    return Scope(start, end, point_ids)


def previous_phase(session: Session, phase: Phase) -> Phase | None:
    return session.scalar(select(Phase).where(Phase.end_date < phase.start_date)
                          .order_by(Phase.end_date.desc()).limit(1))


def aggregates(session: Session, scope: Scope):
    """(Aggregates, grouped flow rows, roll-up reader or None): roll-ups for whole Paris days."""
    if rollup_read.days_of(scope) is not None:
        return rollup_read.aggregates(session, scope)
    totals, rows = queries.aggregates(session, scope)
    return totals, rows, None


def kpis(session: Session, scope: Scope, params: dict | None = None, fixed_share: float = 1.0) -> dict:
    """The indicators of docs/indicators.md for a scope (default parameters unless given)."""
    totals, _rows, _ledger = aggregates(session, scope)
    return compute(totals, params or effective_params({}), scope.scoped, fixed_share)


def phase_kpis(session: Session, phase: Phase, now: datetime | None = None,
               days: int | None = None) -> dict:
    """The phase's indicators over the days covered at `now` (or its first `days`), cached on the
    ledger's last seq, the phase's content and those days."""
    from reports.cache import cached, phase_fingerprint

    now = now or datetime.now(UTC)
    covered = phase_period(phase, now)
    return cached(session, ("kpis", phase_fingerprint(phase), covered.until, days),
                  lambda: kpis(session, phase_scope(phase, None, now, days),
                               effective_params(phase.parameters),
                               fixed_cost_share(covered, days)))


def build_cached(session: Session, phase: Phase, point_ids: tuple[int, ...] | None = None,
                 now: datetime | None = None) -> Report:
    from reports.cache import cached, phase_fingerprint

    now = now or datetime.now(UTC)
    previous = previous_phase(session, phase)
    key = ("report", phase_fingerprint(phase), phase_fingerprint(previous) if previous else None, point_ids,
           phase_period(phase, now).until)
    return cached(session, key, lambda: build(session, phase, point_ids, now))


@dataclass
class Table:
    """A table as shown, exported to CSV and put in the workbook (headers in the person's language)."""

    name: str
    title: str
    headers: list[str]
    rows: list[list]
    total: list | None = None
    numeric: set[int] = field(default_factory=set)
    # The unit of each column (bottles.spreadsheet: code, text, int, eur, percent, date, month…);
    # a column of mixed figures is ROW and takes each row's unit from row_units.
    units: list[str] = field(default_factory=list)
    row_units: list[str] | None = None

    def sheet(self, title: object | None = None) -> Sheet:
        """The table as the spreadsheet writers take it."""
        return Sheet(str(title if title is not None else self.title), self.headers, self.rows,
                     self.units, self.row_units, self.total)


@dataclass(frozen=True)
class PhaseInfo:
    """A detached copy of the phase's fields (reports are cached across sessions)."""

    id: int
    name: str
    start_date: object
    end_date: object
    description: str
    targets: dict


@dataclass
class Report:
    phase: PhaseInfo
    scope: Scope
    period: Period
    values: dict
    previous: dict | None
    previous_name: str | None
    params: dict
    funnel: list[dict]
    by_territory: dict[str, dict[str, int]]
    wash: dict[str, dict[str, int]]
    stock_age: dict[str, int]
    fleet: dict[str, int]
    stale_crates: int
    reason_labels: dict[str, str]
    tables: list[Table]
    targets: dict[str, TargetStatus] = field(default_factory=dict)
    previous_days: int | None = None  # the previous phase is read over its first days only

    def table(self, name: str) -> Table:
        return next(t for t in self.tables if t.name == name)


PERMANENT_LABEL_HINTS = ("tiquette", "label", "permanent")


def is_permanent_label(code: str, reason_label: str) -> bool:
    text = f"{code} {reason_label}".lower()
    return "perman" in text or ("tiquette" in text and "lav" not in text)


def build(session: Session, phase: Phase, point_ids: tuple[int, ...] | None = None,
          now: datetime | None = None) -> Report:
    """Everything a phase's dashboard, PDF and exports show, in a fixed number of queries.

    A phase in progress is read up to today's Paris midnight; its previous phase over as many days.
    """
    now = now or datetime.now(UTC)
    covered = phase_period(phase, now)
    scope = phase_scope(phase, point_ids, now)
    params = effective_params(phase.parameters)
    totals, rows, ledger = aggregates(session, scope)
    values = compute(totals, params, scope.scoped, fixed_cost_share(covered))
    previous = previous_phase(session, phase)
    prev_days = covered.elapsed_days if covered.in_progress else None
    prev_values = phase_kpis(session, previous, now, prev_days) if previous else None
    names = queries.names(session)
    reason_labels = queries.reason_labels(session)
    at = min(scope.end, now)
    fleet, stale = queries.crate_fleet(session, at)
    if ledger is not None:
        by_territory = rollup_read.collected_by_month_territory(ledger, names["point"])
        wash = rollup_read.wash_by_month(ledger, names["reason"]) if not scope.scoped else {}
        inflow = rollup_read.clean_inflow_by_day(ledger)
    else:
        by_territory = queries.collected_by_month_territory(session, scope)
        wash = queries.wash_by_month(session, scope) if not scope.scoped else {}
        inflow = queries.clean_inflow_by_day(session, scope.end)
    report = Report(
        phase=PhaseInfo(phase.id, phase.name, phase.start_date, phase.end_date, phase.description or "",
                        dict(phase.targets or {})),
        scope=scope, period=covered, values=values, previous=prev_values, previous_days=prev_days,
        previous_name=first_days(previous.name, prev_days)
        if previous else None, params=params, funnel=funnel(values),
        by_territory=by_territory, wash=wash,
        stock_age=stock_age(values["clean_stock_end"] or 0, inflow,
                                  (scope.end.astimezone(PARIS)).date()),
        fleet=fleet, stale_crates=stale, reason_labels=reason_labels, tables=[])
    report.targets = {key: status for key, target in (phase.targets or {}).items()
                      if key in BY_KEY
                      and (status := target_status(BY_KEY[key], values.get(key), target, covered))}
    report.tables = [
        period_table(covered),
        indicator_table(report, phase),
        point_table(rows, names["point"]),
        winemaker_table(rows, names["winemaker"], params),
        reason_table("refus", _l("Écarts au tri par motif"), values["refused_by_reason"] or {},
                     reason_labels),
        reason_table("rebuts", _l("Rebuts de lavage par motif"), values["rejected_by_reason"] or {},
                     reason_labels),
        permanent_label_table(rows, names),
        monthly_table(report.by_territory),
        wash_table(report.wash, reason_labels),
        fleet_table(fleet, stale),
        params_table(phase),
    ]
    return report


# The spreadsheet unit of an indicator's kind, and of a parameter's unit.
KIND_UNITS = {"count": INT, "ratio": PERCENT, "eur": EUR, "days": DECIMAL1, "kg": DECIMAL1, "hours": DECIMAL1,
              "fte": DECIMAL, "object": TEXT}
PARAM_UNITS = {"new_bottle_price_eur": EUR, "resale_price_eur": EUR, "wash_cost_per_bottle_eur": EUR,
               "cost_per_km_eur": EUR, "fixed_costs_eur": EUR, "co2_new_bottle_kg": DECIMAL,
               "co2_reused_bottle_kg": DECIMAL, "bottles_on_market": INT}
STATUS_FR = {"finished": _l("terminée"), "in_progress": _l("en cours"), "not_started": _l("pas commencée")}
TOTAL = _l("Total")


def first_days(name: str | None, days: int | None) -> str | None:
    """A phase's name, and "(16 premiers jours)" when it is read over its first days only."""
    if name is None or not days:
        return name
    return ngettext("%(name)s (%(num)s premier jour)", "%(name)s (%(num)s premiers jours)", days, name=name)


def period_table(covered: Period) -> Table:
    """What the figures cover: the phase's state and the last day included (exports say it too)."""
    until = covered.until.isoformat() if covered.elapsed_days else None
    rows = [["phase_status", _l("État de la phase"), covered.status, STATUS_FR[covered.status]],
            ["first_day", _l("Premier jour de la phase"), covered.first_day.isoformat(), ""],
            ["last_day", _l("Dernier jour de la phase"), covered.last_day.isoformat(), ""],
            ["figures_until", _l("Chiffres jusqu'au (inclus)"), until,
             _l("minuit, heure de Paris") if covered.in_progress else ""],
            ["elapsed_days", _l("Jours couverts"), covered.elapsed_days, ""],
            ["phase_days", _l("Jours de la phase"), covered.phase_days, ""]]
    return Table("periode", _l("Période couverte par les chiffres"),
                 [_l("Clé"), _l("Champ"), _l("Valeur"), _l("Précision")], rows,
                 units=[CODE, TEXT, ROW, TEXT], row_units=[TEXT, DATE, DATE, DATE, INT, INT])


def indicator_table(report: Report, phase: Phase) -> Table:
    rows = []
    for ind in INDICATORS:
        if ind.kind == "object":
            continue
        ref = REFERENCES.get(ind.key)
        status = report.targets.get(ind.key)
        rows.append([ind.key, label(ind.key, report.period), report.values.get(ind.key),
                     (phase.targets or {}).get(ind.key), status.mark if status else None,
                     (report.previous or {}).get(ind.key), ref[0] if ref else None])
    previous_header = first_days(gettext("Phase précédente"), report.previous_days)
    return Table("indicateurs", _l("Indicateurs"), [_l("Clé"), _l("Indicateur"), _l("Valeur"), _l("Objectif"),
                                                     _l("Suivi de l'objectif"), previous_header,
                                                     _l("Référence")], rows,
                 numeric={2, 3, 5, 6}, units=[CODE, TEXT, ROW, ROW, TEXT, ROW, ROW],
                 row_units=[KIND_UNITS[BY_KEY[row[0]].kind] for row in rows])


def point_table(rows: list[tuple], points: dict) -> Table:
    by_point: dict[int | None, list[int]] = {}
    columns = {("outside", "at_point"): 0, ("at_point", "in_transit"): 1, ("in_transit", "received"): 2,
               ("outside", "received"): 2, ("in_transit", "lost"): 3}
    for f, t, _r, point_id, _w, q, _c, _g in rows:
        if (f, t) in columns:
            line = by_point.setdefault(point_id, [0, 0, 0, 0])
            line[columns[(f, t)]] += int(q)
    out = []
    for point_id, line in by_point.items():
        if point_id is None:
            continue
        code, name, territory = points.get(point_id, ("?", "?", ""))
        out.append([code, name, territory or "", *line])
    out.sort(key=lambda r: -r[3])
    total = [TOTAL, "", "", *(sum(r[i] for r in out) for i in range(3, 7))]
    return Table("points", _l("Par point de collecte"),
                 [_l("Code"), _l("Point de collecte"), _l("Territoire"), _l("Collectées"), _l("Enlevées"),
                  _l("Réceptionnées"), _l("Pertes en transport")], out, total, {3, 4, 5, 6},
                 [CODE, TEXT, TEXT, INT, INT, INT, INT])


def winemaker_table(rows: list[tuple], winemakers: dict, params: dict) -> Table:
    by_winemaker: dict[int, list] = {}
    for f, t, _r, _p, winemaker_id, q, cents, glass in rows:
        if (f, t) == ("clean", "sold") and winemaker_id is not None:
            line = by_winemaker.setdefault(winemaker_id, [0, 0, 0])
            line[0] += int(q)
            line[1] += int(cents or 0)
            line[2] += int(glass or 0)
    new_price = params["new_bottle_price_eur"]
    out = []
    for wid, (q, cents, glass) in by_winemaker.items():
        code, estate = winemakers.get(wid, ("?", "?"))
        out.append([code, estate, q, round(cents / 100, 2), round(q * new_price - cents / 100, 2),
                    round(glass / 1000, 1)])
    out.sort(key=lambda r: -r[2])
    total = [TOTAL, "", sum(r[2] for r in out), round(sum(r[3] for r in out), 2),
             round(sum(r[4] for r in out), 2), round(sum(r[5] for r in out), 1)]
    return Table("vignerons", _l("Par vigneron acheteur"),
                 [_l("Code"), _l("Domaine"), _l("Bouteilles achetées"), _l("Montant (€)"), _l("Économie (€)"),
                  _l("Verre évité (kg)")], out, total, {2, 3, 4, 5}, [CODE, TEXT, INT, EUR, EUR, DECIMAL1])


def reason_table(name: str, title: str, counts: dict[str, int], labels: dict[str, str]) -> Table:
    total = sum(counts.values())
    out = [[code, labels.get(code, code), q, round(q / total, 4) if total else None]
           for code, q in sorted(counts.items(), key=lambda kv: -kv[1])]
    return Table(name, title, [_l("Code"), _l("Motif"), _l("Bouteilles"), SHARE], out,
                 [TOTAL, "", total, 1.0 if total else None], {2, 3}, [CODE, TEXT, INT, PERCENT])


def permanent_label_table(rows: list[tuple], names: dict) -> Table:
    by_estate: dict[int | None, int] = {}
    for f, t, reason_id, _p, winemaker_id, q, _c, _g in rows:
        if (f, t) != ("received", "refused"):
            continue
        code, reason_label = names["reason"].get(reason_id, ("", ""))
        if is_permanent_label(code, reason_label):
            by_estate[winemaker_id] = by_estate.get(winemaker_id, 0) + int(q)
    out = []
    for wid, q in sorted(by_estate.items(), key=lambda kv: -kv[1]):
        code, estate = names["winemaker"].get(wid, ("—", _l("Domaine non identifié")))
        out.append([code, estate, q])
    return Table("etiquettes", _l("Écarts pour étiquette permanente, par domaine"),
                 [_l("Code"), _l("Domaine"), _l("Bouteilles écartées")], out,
                 [TOTAL, "", sum(r[2] for r in out)], {2}, [CODE, TEXT, INT])


def monthly_table(by_territory: dict[str, dict[str, int]]) -> Table:
    months = sorted({m for by_month in by_territory.values() for m in by_month})
    terr = sorted(by_territory)
    out = [[m, *(by_territory[t].get(m, 0) for t in terr), sum(by_territory[t].get(m, 0) for t in terr)]
           for m in months]
    total = [TOTAL, *(sum(by_territory[t].values()) for t in terr),
             sum(sum(v.values()) for v in by_territory.values())]
    return Table("mois", _l("Bouteilles collectées par mois et par territoire"),
                 [_l("Mois"), *terr, TOTAL], out, total, set(range(1, len(terr) + 2)),
                 [MONTH, *(INT for _t in terr), INT])


def wash_table(wash: dict[str, dict[str, int]], labels: dict[str, str]) -> Table:
    codes = sorted({k for counts in wash.values() for k in counts if k != "clean"})
    out = []
    for month, counts in wash.items():
        washed = sum(counts.values())
        out.append([month, washed, counts.get("clean", 0),
                    round(wash_yield(counts.get("clean", 0), washed), 4) if washed else None,
                    *(counts.get(c, 0) for c in codes)])
    return Table("lavage", _l("Lavage par mois : rendement et rebuts par motif"),
                 [_l("Mois"), _l("Lavées"), _l("Conformes"), YIELD, *(labels.get(c, c) for c in codes)],
                 out, None, set(range(1, 4 + len(codes))), [MONTH, INT, INT, PERCENT, *(INT for _c in codes)])


def fleet_table(fleet: dict[str, int], stale: int) -> Table:
    out = [[gettext(CRATE_STATE_LABELS[CrateState(s)]) if s in CrateState._value2member_map_ else s, n]
           for s, n in sorted(fleet.items())]
    out.append([_l("en service, sans mouvement depuis 60 jours"), stale])
    return Table("caisses", _l("Parc de caisses"), [_l("État"), _l("Caisses")], out, None, {1}, [TEXT, INT])


def params_table(phase: Phase) -> Table:
    values = effective_params(phase.parameters)
    out = [[key, p.label, values[key], p.unit, param_source(phase.parameters, key)]
           for key, p in PARAMS.items()]
    return Table("parametres", _l("Paramètres et sources"),
                 [_l("Clé"), _l("Paramètre"), _l("Valeur"), _l("Unité"), _l("Source")], out, None, {2},
                 [CODE, TEXT, ROW, TEXT, TEXT], [PARAM_UNITS.get(key, DECIMAL) for key in PARAMS])
