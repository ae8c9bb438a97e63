"""The round optimiser at 30, 60 and 100 points (docs/rounds.md): solver time and km against the
priority order round, on seeded points scattered around Lons-le-Saunier.

    .venv/bin/python benchmarks/round_optimiser.py [--seeds 5] [--time-limit 1.0] [--capacity 40]

Pure computation (no database): `collection_points.routing` as the coordinator's page calls it.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from collection_points import routing

WASHER = ("LAV", 46.6742, 5.5547)


def seeded_case(n: int, seed: int) -> tuple[routing.Matrix, list[routing.Visit]]:
    """n points within ~35 km of the washer, 1 to 4 full crates of 40 to 70 bottles, in a shuffled
    priority order (as the ledger's waiting times would give)."""
    rng = random.Random(seed)
    places = [WASHER]
    visits = []
    for i in range(n):
        code = f"P{i:03d}"
        places.append((code, WASHER[1] + rng.uniform(-0.3, 0.3), WASHER[2] + rng.uniform(-0.45, 0.45)))
        crates = rng.randint(1, 4)
        visits.append(routing.Visit(i + 1, code, crates, 0, sum(rng.randint(40, 70) for _ in range(crates))))
    return routing.matrix_from_coordinates(places), visits


def run(n: int, seed: int, capacity: int, time_limit: float, km_per_bottle: float) -> dict:
    matrix, visits = seeded_case(n, seed)
    started = time.perf_counter()
    plan = routing.optimise(matrix, "LAV", visits, capacity, km_per_bottle=km_per_bottle,
                            time_limit_s=time_limit)
    seconds = time.perf_counter() - started
    taken, _left = routing.priority_round(visits, capacity)
    by_hand = routing.route_km(matrix, "LAV", [v.code for v in taken])
    return {"seconds": seconds, "km": plan.km, "priority_km": by_hand, "stops": len(plan.stops),
            "priority_stops": len(taken), "crates": plan.crates,
            "priority_crates": sum(v.crates for v in taken), "improved": plan.improved}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--time-limit", type=float, default=routing.TIME_LIMIT_S)
    parser.add_argument("--capacity", type=int, default=0, help="van crates; 0 = room for every crate")
    args = parser.parse_args()
    print(f"time limit {args.time_limit} s per solve, road factor {routing.ROAD_FACTOR}, "
          f"{args.seeds} seeded cases per size; means over the cases (stops and crates: optimiser/priority)")
    for km_per_bottle, what in ((1e6, "no visit skipped"), (routing.KM_PER_BOTTLE, "skip penalty")):
        print(f"\n{what}:")
        print(f"{'points':>6} {'capacity':>8} {'s mean':>7} {'s max':>6} {'km opt':>8} {'km prio':>8} "
              f"{'saved':>6} {'stops':>9} {'crates':>9} {'kept prio':>9}")
        for n in (30, 60, 100):
            capacity = args.capacity or 4 * n
            rows = [run(n, seed, capacity, args.time_limit, km_per_bottle) for seed in range(args.seeds)]

            def mean(key: str, rows: list[dict] = rows) -> float:
                return statistics.mean(r[key] for r in rows)

            print(f"{n:>6} {capacity:>8} {mean('seconds'):>7.2f} {max(r['seconds'] for r in rows):>6.2f} "
                  f"{mean('km'):>8.1f} {mean('priority_km'):>8.1f} "
                  f"{(1 - mean('km') / mean('priority_km')) * 100:>5.0f}% "
                  f"{mean('stops'):>4.0f}/{mean('priority_stops'):<4.0f} "
                  f"{mean('crates'):>4.0f}/{mean('priority_crates'):<4.0f} "
                  f"{sum(not r['improved'] for r in rows):>9}")


if __name__ == "__main__":
    main()
