"""The round optimiser (collection_points/routing.py): never longer than the priority order round,
within its time, the van's capacity kept, points not worth the drive left with a reason, the fill
pace's nearly full crates, and every malformed input refused with a French message."""

from __future__ import annotations

import time

import pytest
from ortools.constraint_solver import pywrapcp  # noqa: F401  (imported before any solve is timed)

from collection_points import routing
from collection_points.routing import RoutingError, Visit


def seeded(n: int, seed: int):
    """The benchmark's seeded case: n points within ~35 km of the washer, in a shuffled priority order."""
    from benchmarks.round_optimiser import seeded_case

    return seeded_case(n, seed)


@pytest.mark.parametrize("seed", range(5))
def test_thirty_points_never_longer_than_the_priority_order_and_under_two_seconds(seed):
    matrix, visits = seeded(30, seed)
    started = time.perf_counter()
    plan = routing.optimise(matrix, "LAV", visits, capacity=200, km_per_bottle=1e6, time_limit_s=1.0)
    seconds = time.perf_counter() - started
    by_hand = routing.route_km(matrix, "LAV", [v.code for v in visits])
    assert len(plan.stops) == 30 and not plan.skipped  # the same visits: only the order differs
    assert plan.km <= round(by_hand, 1)
    assert plan.improved and plan.km < 0.6 * by_hand  # the solver itself found it, not the fallback
    assert seconds < 2.0
    assert plan.km == pytest.approx(routing.route_km(matrix, "LAV", [s.visit.code for s in plan.stops]),
                                    abs=0.1)


def test_a_small_van_takes_what_fits_and_says_why_the_rest_waits():
    matrix, visits = seeded(30, 7)
    plan = routing.optimise(matrix, "LAV", visits, capacity=12, km_per_bottle=1e6, time_limit_s=0.5)
    taken, _left = routing.priority_round(visits, 12)
    assert plan.crates <= 12 and plan.skipped
    assert {s.code for s in plan.skipped} == {"van_full"}
    assert plan.crates >= sum(v.crates for v in taken) - 4  # about as full as by hand
    assert "Fourgon plein" in str(plan.skipped[0].reason)


def _line(codes_km):
    codes = [c for c, _lat, _lon in codes_km]
    return routing.matrix_from_coordinates(codes_km), codes


def test_a_far_point_with_few_bottles_is_left_and_one_with_many_is_visited():
    matrix, _codes = _line([("LAV", 46.67, 5.55), ("NEAR", 46.68, 5.56), ("FAR", 46.97, 5.55)])
    near, far = Visit(1, "NEAR", 1, 0, 50), Visit(2, "FAR", 1, 0, 20)
    plan = routing.optimise(matrix, "LAV", [near, far], capacity=10, time_limit_s=0.2)
    assert [s.visit.code for s in plan.stops] == ["NEAR"]
    assert plan.skipped[0].code == "not_worth" and "détour" in str(plan.skipped[0].reason)
    # 33 km north × 1.3 = 43 km each way, ~86 km of detour: 800 bottles are worth 0.13 × 800 = 104 km
    rich = Visit(2, "FAR", 4, 0, 800)
    plan = routing.optimise(matrix, "LAV", [near, rich], capacity=10, time_limit_s=0.2)
    assert {s.visit.code for s in plan.stops} == {"NEAR", "FAR"}


def test_a_late_point_is_never_left_for_its_worth_only_for_a_full_van():
    matrix, _codes = _line([("LAV", 46.67, 5.55), ("NEAR", 46.68, 5.56), ("FAR", 46.97, 5.55)])
    near, late = Visit(1, "NEAR", 1, 0, 50), Visit(2, "FAR", 1, 0, 20, late=True)
    plan = routing.optimise(matrix, "LAV", [near, late], capacity=10, time_limit_s=0.2)
    assert {s.visit.code for s in plan.stops} == {"NEAR", "FAR"}
    plan = routing.optimise(matrix, "LAV", [near, late], capacity=1, time_limit_s=0.2)
    assert [s.visit.code for s in plan.stops] == ["NEAR"] or [s.visit.code for s in plan.stops] == ["FAR"]
    assert plan.skipped[0].code == "van_full"


def test_legs_and_minutes_add_up():
    matrix, _codes = _line([("LAV", 46.67, 5.55), ("A", 46.70, 5.55), ("B", 46.70, 5.60)])
    plan = routing.build_plan(matrix, "LAV", [Visit(1, "A", 1, 0, 50), Visit(2, "B", 2, 1, 100, 40)], 10)
    assert plan.crates == 4 and plan.bottles == 190
    assert plan.km == round(sum(s.leg_km for s in plan.stops) + plan.back_km, 1)
    # 3.34 km straight north × 1.3 = 4.34 km, at 45 km/h = 5.8 minutes
    assert plan.stops[0].leg_km == pytest.approx(4.34, abs=0.01)
    assert plan.stops[0].leg_minutes == pytest.approx(5.8, abs=0.1)
    assert plan.minutes == round(sum(s.leg_minutes for s in plan.stops) + plan.back_minutes + 2 * 10)


def test_haversine_one_degree_of_longitude_at_the_equator():
    assert routing.haversine_km((0, 0), (0, 1)) == pytest.approx(111.19, abs=0.01)


@pytest.mark.parametrize(("filled", "days", "empty", "expected"), [
    (0, 10, 2, 0),    # no pace: never projected
    (8, 10.0, 2, 1),  # 8 crates in 56 days: one every 7 days; 10 days of filling → 1.43 crates
    (8, 5.0, 2, 0),   # 0.71 of a crate: under 80 %
    (8, 5.6, 2, 1),   # exactly 80 %
    (56, 3.0, 2, 2),  # a crate a day, 3 days: 3 crates projected, only 2 there
    (56, 3.0, 0, 0),  # no empty crate at the point
])
def test_nearly_full_crates_by_fill_pace(filled, days, empty, expected):
    assert routing.nearly_full_crates(filled, 56, days, empty) == expected


@pytest.mark.parametrize(("raw", "words"), [
    ("0", "au moins 1 caisse"), ("-3", "au moins 1 caisse"), ("501", "dépasse 500"),
    ("99999999", "dépasse 500"), ("douze", "nombre entier"), ("", "obligatoire"), ("1,5", "nombre entier"),
])
def test_van_capacity_refusals(app, raw, words):
    with app.test_request_context():
        with pytest.raises(RoutingError) as refused:
            routing.parse_van_capacity(raw)
        assert words in str(refused.value) and refused.value.field == "capacity"
    assert routing.parse_van_capacity(" 24 ") == 24


EXCEL = "\ufeff;LAV;A;B\r\nLAV;0;12,5;20\r\nA;12,4;0;8\r\nB;19,8;8,1;0\r\n".encode()


def test_a_french_excel_matrix_is_read():
    matrix = routing.parse_matrix_csv(EXCEL)
    assert matrix.codes == ("LAV", "A", "B") and matrix.km[0][1] == 12.5 and matrix.km[2][1] == 8.1
    rfc = routing.parse_matrix_csv(b",lav,a\nLAV,0,3.5\nA,3.6,0\n")
    assert rfc.codes == ("LAV", "A") and rfc.km[1][0] == 3.6
    assert routing.route_km(matrix, "LAV", ["A", "B"]) == pytest.approx(12.5 + 8 + 19.8)


@pytest.mark.parametrize(("data", "words"), [
    (b";LAV;A\nLAV;0;1\n", "ligne"),
    (b";LAV;A;B\nLAV;0;1;2\nA;1;0;2\n", "pas carrée"),
    (b";LAV;A\nLAV;0;1;4\nA;1;0\n", "pas carrée"),
    (b";LAV;A\nLAV;0;-4\nA;1;0\n", "entre 0 et"),
    (b";LAV;A\nLAV;0;loin\nA;1;0\n", "n'est pas une distance"),
    (b";LAV;A\nLAV;0;\nA;1;0\n", "n'est pas une distance"),
    (b";LAV;A\nLAV;0;NaN\nA;1;0\n", "n'est pas une distance"),
    (b";LAV;A\nLAV;0;1\nB;1;0\n", "ne sont pas ceux de l'en-t"),
    (b";LAV;LAV\nLAV;0;1\nLAV;1;0\n", "double"),
    (b";LAV;\nLAV;0;1\n;1;0\n", "en-tête"),
    ("\ufeff;LAV;A\nLAV;0;1\nA;1;0\n".encode("utf-16"), "UTF-8"),
    (b"", "vide"),
])
def test_malformed_matrices_are_refused(app, data, words):
    with app.test_request_context(), pytest.raises(RoutingError) as refused:
        routing.parse_matrix_csv(data)
    assert words in str(refused.value), str(refused.value)


def test_a_matrix_missing_a_place_of_the_round_is_refused(app):
    matrix = routing.parse_matrix_csv(EXCEL)
    with app.test_request_context(), pytest.raises(RoutingError) as refused:
        routing.optimise(matrix, "LAV", [Visit(1, "A", 1, 0, 50), Visit(2, "C", 1, 0, 50)], 10)
    assert "ne contient pas C" in str(refused.value)
