"""A day's collection round, optimised (docs/rounds.md): which points to visit and in which order.

Pure: no Flask but lazy gettext, no session. The inputs are plain values (the washer as depot, the
visits with the crates and bottles each brings, a distance matrix in km), the answer a `Plan`.
The solver is Google OR-Tools' routing library: one vehicle (the van) whose capacity is in crates,
the washer as start and end, each visit optional at a penalty proportional to the bottles it
brings (a point not worth the detour is left out), first solution by the cheapest arc from the
path's end, then guided local search within a time limit. The answer is never worse, by the
solver's own objective (km driven + penalties of the points left), than the priority order round.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from bottles.numbers import ascii_decimal
from bottles.spreadsheet import BOM, sniff_dialect
from collection_points.rules import figure

EARTH_RADIUS_KM = 6371.0
ROAD_FACTOR = 1.3  # road km ÷ straight-line km in rural Jura (docs/rounds.md)
SPEED_KMH = 45.0  # a van's average on the Jura's roads, stops excluded
STOP_MINUTES = 10.0  # parking, walking in, swapping crates
KM_PER_BOTTLE = 0.13  # detour worth driving for one bottle: (0.30 € resale − 0.22 € wash) ÷ 0.60 €/km
NEARLY_FULL_WEIGHT = 0.5  # a nearly full crate would also be picked next time: half its worth
MAX_KM_PER_BOTTLE = Decimal("10")
LATE_PENALTY_KM = 100_000
MAX_VAN_CRATES = 500
MAX_MATRIX_SIZE = 400  # places in an imported matrix
MAX_MATRIX_KM = Decimal("5000")
TIME_LIMIT_S = 1.0
METRES = 1000


class RoutingError(ValueError):
    """An input the optimiser cannot take; its message is for the coordinator (French by default)."""

    def __init__(self, message: str | LazyString, field: str = "") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Visit:
    """A point to collect: its code, the crates it holds (full and nearly full) and their bottles."""

    point_id: int
    code: str
    full_crates: int
    nearly_full: int = 0
    bottles: int = 0
    nearly_bottles: int = 0
    late: bool = False  # a full crate waiting for more than a week: never left for its worth

    @property
    def crates(self) -> int:
        return self.full_crates + self.nearly_full

    def worth_km(self, km_per_bottle: float) -> float:
        """The detour worth driving for this visit: its bottles, the nearly full ones at half worth."""
        return km_per_bottle * (self.bottles + NEARLY_FULL_WEIGHT * self.nearly_bottles)


@dataclass(frozen=True)
class Matrix:
    """Road km (and driving minutes) between places, in the order of `codes`."""

    codes: tuple[str, ...]
    km: tuple[tuple[float, ...], ...]
    speed_kmh: float = SPEED_KMH
    source: str = "coordinates"  # or "csv"

    def index(self) -> dict[str, int]:
        return {code: i for i, code in enumerate(self.codes)}

    def minutes(self, km: float) -> float:
        return km / self.speed_kmh * 60


@dataclass(frozen=True)
class Stop:
    """One stop of the planned round, with the leg driven to reach it."""

    visit: Visit
    leg_km: float
    leg_minutes: float


@dataclass(frozen=True)
class Skipped:
    """A point left out of the round, and why (a stable code and the sentence)."""

    visit: Visit
    code: str  # van_full | not_worth | excluded
    reason: object


@dataclass
class Plan:
    """The round: stops in order, the way back to the washer, totals, and the points left out."""

    stops: list[Stop]
    back_km: float
    back_minutes: float
    skipped: list[Skipped] = field(default_factory=list)
    solver_seconds: float = 0.0
    improved: bool = True  # False when the priority order was kept (the solver found nothing better)

    @property
    def km(self) -> float:
        return round(sum(s.leg_km for s in self.stops) + self.back_km, 1)

    @property
    def minutes(self) -> int:
        driving = sum(s.leg_minutes for s in self.stops) + self.back_minutes
        return round(driving + STOP_MINUTES * len(self.stops))

    @property
    def crates(self) -> int:
        return sum(s.visit.crates for s in self.stops)

    @property
    def bottles(self) -> int:
        return sum(s.visit.bottles + s.visit.nearly_bottles for s in self.stops)


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (latitude, longitude) places, in km."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def matrix_from_coordinates(places: list[tuple[str, float, float]], road_factor: float = ROAD_FACTOR,
                            speed_kmh: float = SPEED_KMH) -> Matrix:
    """Road km estimated as straight-line km × the road factor, between every two places."""
    km = tuple(tuple(0.0 if i == j else round(haversine_km((a[1], a[2]), (b[1], b[2])) * road_factor, 3)
                     for j, b in enumerate(places)) for i, a in enumerate(places))
    return Matrix(tuple(code for code, _lat, _lon in places), km, speed_kmh, "coordinates")


def parse_van_capacity(raw: object) -> int:
    """The van's capacity in crates: a whole number from 1 to MAX_VAN_CRATES."""
    text = str(raw if raw is not None else "").strip()
    if not text:
        raise RoutingError(_l("La capacité du fourgon (en caisses) est obligatoire."), "capacity")
    if not re.fullmatch(r"-?[0-9]{1,9}", text):
        raise RoutingError(_l("La capacité du fourgon doit être un nombre entier de caisses (reçu "
                              "« %(typed)s »).", typed=text[:20]), "capacity")
    value = int(text)
    if value < 1:
        raise RoutingError(_l("La capacité du fourgon doit être d'au moins 1 caisse (reçu %(value)s).",
                              value=value), "capacity")
    if value > MAX_VAN_CRATES:
        raise RoutingError(_l("La capacité du fourgon (%(value)s caisses) dépasse %(limit)s : vérifiez la "
                              "saisie.", value=value, limit=MAX_VAN_CRATES), "capacity")
    return value


def parse_km_per_bottle(raw: object) -> float:
    """The detour worth driving per bottle brought back, in km (0 to 10); the default when empty."""
    text = str(raw if raw is not None else "").strip().replace(",", ".")
    if not text:
        return KM_PER_BOTTLE
    try:
        value = ascii_decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not 0 <= value <= MAX_KM_PER_BOTTLE:
        raise RoutingError(_l("Le détour accepté par bouteille doit être un nombre de km entre 0 et "
                              "%(limit)s (reçu « %(typed)s »).", limit=figure(MAX_KM_PER_BOTTLE),
                              typed=text[:20]), "worth")
    return float(value)


def parse_matrix_csv(data: bytes) -> Matrix:
    """A distance matrix exported by a routing tool: a header of place codes, then one row per code
    (its code first, then km to each place of the header); French Excel (`;`, decimal comma) or
    RFC 4180. Square, every cell a number ≥ 0, each code once. Refusals name the row and cell."""
    try:
        text = data.decode("utf-8-sig") if data[:3] == BOM.encode() else data.decode("utf-8")
    except UnicodeDecodeError:
        raise RoutingError(_l("Le fichier n'est pas un CSV en UTF-8."), "matrix") from None
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2:
        raise RoutingError(_l("Le fichier est vide ou n'a qu'une ligne : il faut un en-tête de codes puis "
                              "une ligne par code."), "matrix")
    dialect = sniff_dialect(lines[0])
    try:
        rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=dialect.delimiter))
    except csv.Error:  # a cell over the csv module's field limit, a NUL…
        raise RoutingError(_l("Le fichier n'est pas une matrice de distances lisible (une case trop longue "
                              "ou un caractère interdit)."), "matrix") from None
    header = [cell.strip().upper() for cell in rows[0][1:]]
    if len(header) > MAX_MATRIX_SIZE:
        raise RoutingError(_l("La matrice a %(n)s lieux : %(limit)s au plus.", n=len(header),
                              limit=MAX_MATRIX_SIZE), "matrix")
    if not header or any(not code for code in header):
        raise RoutingError(_l("L'en-tête doit donner le code de chaque lieu (une case vide en première "
                              "ligne)."), "matrix")
    doubles = sorted({code for code in header if header.count(code) > 1})
    if doubles:
        raise RoutingError(_l("Codes en double dans l'en-tête : %(codes)s.", codes=", ".join(doubles)),
                           "matrix")
    body = rows[1:]
    if len(body) != len(header):
        raise RoutingError(_l("La matrice n'est pas carrée : %(cols)s colonnes de lieux mais %(rows)s "
                              "lignes.", cols=len(header), rows=len(body)), "matrix")
    row_codes = [row[0].strip().upper() if row else "" for row in body]
    if sorted(row_codes) != sorted(header):
        missing = sorted(set(header) - set(row_codes)) or sorted(set(row_codes) - set(header))
        raise RoutingError(_l("Les codes des lignes ne sont pas ceux de l'en-tête (en cause : "
                              "%(codes)s).", codes=", ".join(missing[:10])), "matrix")
    position = {code: i for i, code in enumerate(header)}
    km: list[list[float]] = [[0.0] * len(header) for _ in header]
    for number, row in enumerate(body, start=2):
        if len(row) != len(header) + 1:
            raise RoutingError(_l("Ligne %(line)s : %(n)s distances au lieu de %(expected)s (la matrice "
                                  "n'est pas carrée).", line=number, n=len(row) - 1,
                                  expected=len(header)), "matrix")
        i = position[row_codes[number - 2]]
        for j, cell in enumerate(row[1:]):
            km[i][j] = 0.0 if i == j else _km_cell(cell, number, header[j])
    return Matrix(tuple(header), tuple(tuple(r) for r in km), SPEED_KMH, "csv")


def _km_cell(cell: str, line: int, column: str) -> float:
    """One distance: a number of km ≥ 0 with a comma or a dot."""
    text = cell.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        value = ascii_decimal(text)
    except InvalidOperation:
        raise RoutingError(_l("Ligne %(line)s, colonne %(column)s : « %(typed)s » n'est pas une distance en "
                              "km.", line=line, column=column, typed=cell.strip()[:20]), "matrix") from None
    if value < 0 or value > MAX_MATRIX_KM:
        raise RoutingError(_l("Ligne %(line)s, colonne %(column)s : %(value)s km, une distance doit être "
                              "entre 0 et %(limit)s km.", line=line, column=column, value=cell.strip(),
                              limit=figure(MAX_MATRIX_KM)), "matrix")
    return float(value)


def check_covers(matrix: Matrix, codes: list[str]) -> None:
    """Every place of the round is in the matrix, else the codes missing."""
    missing = sorted(set(codes) - set(matrix.codes))
    if missing:
        raise RoutingError(_l("La matrice importée ne contient pas %(codes)s : importez une matrice qui "
                              "les inclut, ou calculez les distances depuis les coordonnées.",
                              codes=", ".join(missing[:20])), "matrix")


def route_km(matrix: Matrix, depot: str, codes: list[str]) -> float:
    """km of the round washer → codes in this order → washer."""
    index = matrix.index()
    path = [depot, *codes, depot]
    return sum(matrix.km[index[a]][index[b]] for a, b in zip(path, path[1:], strict=False))


def priority_round(visits: list[Visit], capacity: int) -> tuple[list[Visit], list[Visit]]:
    """The round a driver makes by hand: points in priority order, each taken if the van still has
    room for its crates; the rest left (van full)."""
    taken, left, load = [], [], 0
    for visit in visits:
        if load + visit.crates <= capacity:
            taken.append(visit)
            load += visit.crates
        else:
            left.append(visit)
    return taken, left


def _objective(matrix: Matrix, depot: str, taken: list[Visit], left: list[Visit],
               km_per_bottle: float) -> int:
    """The solver's objective for a round: metres driven + the penalties of the points left out."""
    index = matrix.index()
    path = [depot, *(v.code for v in taken), depot]
    metres = sum(round(matrix.km[index[a]][index[b]] * METRES) for a, b in zip(path, path[1:], strict=False))
    return metres + sum(_penalty(v, km_per_bottle) for v in left)


def _penalty(visit: Visit, km_per_bottle: float) -> int:
    """What leaving the visit costs the objective, in metres: its worth, or a late point's
    LATE_PENALTY_KM (only a full van leaves it)."""
    if visit.late:
        return LATE_PENALTY_KM * METRES
    return max(1, round(visit.worth_km(km_per_bottle) * METRES))


def optimise(matrix: Matrix, depot: str, visits: list[Visit], capacity: int, *,
             km_per_bottle: float = KM_PER_BOTTLE, time_limit_s: float = TIME_LIMIT_S) -> Plan:
    """The round for these visits (given in priority order): OR-Tools' capacitated routing with one
    van, optional visits, kept only if better than the priority order round by the same objective."""
    import time

    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    if capacity < 1:
        raise RoutingError(_l("La capacité du fourgon doit être d'au moins 1 caisse."), "capacity")
    check_covers(matrix, [depot, *(v.code for v in visits)])
    started = time.perf_counter()
    index = matrix.index()
    nodes = [index[depot], *(index[v.code] for v in visits)]
    metres = [[round(matrix.km[a][b] * METRES) for b in nodes] for a in nodes]
    demand = [0, *(min(v.crates, capacity) for v in visits)]
    manager = pywrapcp.RoutingIndexManager(len(nodes), 1, 0)
    model = pywrapcp.RoutingModel(manager)

    def distance(i: int, j: int) -> int:
        return metres[manager.IndexToNode(i)][manager.IndexToNode(j)]

    def load(i: int) -> int:
        return demand[manager.IndexToNode(i)]

    arc = model.RegisterTransitCallback(distance)
    model.SetArcCostEvaluatorOfAllVehicles(arc)
    model.AddDimensionWithVehicleCapacity(model.RegisterUnaryTransitCallback(load), 0, [capacity], True,
                                          "crates")
    for node, visit in enumerate(visits, start=1):
        model.AddDisjunction([manager.NodeToIndex(node)], _penalty(visit, km_per_bottle))
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(max(10, int(time_limit_s * 1000)))
    params.log_search = False
    solution = model.SolveWithParameters(params)
    order: list[Visit] = []
    if solution is not None:
        i = solution.Value(model.NextVar(model.Start(0)))
        while not model.IsEnd(i):
            order.append(visits[manager.IndexToNode(i) - 1])
            i = solution.Value(model.NextVar(i))
    taken_ids = {v.point_id for v in order}
    left = [v for v in visits if v.point_id not in taken_ids]
    by_hand, by_hand_left = priority_round(visits, capacity)
    improved = solution is not None and (
        _objective(matrix, depot, order, left, km_per_bottle)
        <= _objective(matrix, depot, by_hand, by_hand_left, km_per_bottle))
    if not improved:
        order, left = by_hand, by_hand_left
    plan = build_plan(matrix, depot, order, capacity, left, km_per_bottle)
    plan.solver_seconds = time.perf_counter() - started
    plan.improved = improved
    return plan


def build_plan(matrix: Matrix, depot: str, order: list[Visit], capacity: int,
               left: list[Visit] = (), km_per_bottle: float = KM_PER_BOTTLE) -> Plan:
    """The plan of a round in a given order: each leg's km and minutes, why each point was left."""
    index = matrix.index()
    stops, here = [], depot
    for visit in order:
        km = matrix.km[index[here]][index[visit.code]]
        stops.append(Stop(visit, round(km, 2), round(matrix.minutes(km), 1)))
        here = visit.code
    back = matrix.km[index[here]][index[depot]]
    load = sum(v.crates for v in order)
    skipped = [Skipped(v, *_why_left(matrix, depot, order, v, load, capacity, km_per_bottle)) for v in left]
    return Plan(stops, round(back, 2), round(matrix.minutes(back), 1), skipped)


def _why_left(matrix: Matrix, depot: str, order: list[Visit], visit: Visit, load: int, capacity: int,
              km_per_bottle: float) -> tuple[str, object]:
    """Van full, or the cheapest detour to fit it in costs more km than its bottles are worth."""
    if load + visit.crates > capacity:
        return "van_full", _l("Fourgon plein : %(crates)s caisses de plus n'y tiennent pas (%(load)s sur "
                              "%(capacity)s).", crates=visit.crates, load=load, capacity=capacity)
    index = matrix.index()
    path = [depot, *(v.code for v in order), depot]
    detour = min(matrix.km[index[a]][index[visit.code]] + matrix.km[index[visit.code]][index[b]]
                 - matrix.km[index[a]][index[b]] for a, b in zip(path, path[1:], strict=False))
    return "not_worth", _l("Pas rentable aujourd'hui : %(detour)s km de détour pour %(bottles)s bouteilles "
                           "(au-delà de %(worth)s km).", detour=figure(Decimal(f"{detour:.1f}")),
                           bottles=visit.bottles + visit.nearly_bottles,
                           worth=figure(Decimal(f"{visit.worth_km(km_per_bottle):.1f}")))


PACE_WINDOW_DAYS = 56  # the fill pace is read over the last eight weeks
NEARLY_FULL_SHARE = 0.8  # a crate projected at 80 % or more on the round's day is nearly full


def nearly_full_crates(filled: int, window_days: int, filling_days: float, empty_crates: int) -> int:
    """Crates at a point projected at least 80 % full on the round's day, from the point's pace.

    `filled` crates were declared full in the last `window_days`; the crate in use has been filling
    for `filling_days` (since the last crate declared full or, later, since the oldest empty crate was
    placed) by the end of the round's day. At the pace p = filled ÷ window_days crates a day, the
    k-th empty crate (k from 0) is projected p × filling_days − k full; those at 0.8 or more count,
    at most the empty crates there are."""
    if filled <= 0 or window_days <= 0 or empty_crates <= 0 or filling_days <= 0:
        return 0
    projected = filled / window_days * filling_days
    return max(0, min(empty_crates, math.floor(projected - NEARLY_FULL_SHARE + 1e-9) + 1))
