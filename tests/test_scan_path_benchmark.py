"""The scan-path benchmark's open loop (benchmarks/scan_path.py --rate): requests are due on a
timetable, and a request is timed from when it was due, so a server falling behind shows in the
percentiles instead of slowing the clients down (no coordinated omission)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
scan_path = pytest.importorskip("scan_path")


def test_the_clients_timetables_are_staggered_and_evenly_spaced():
    rate, clients = 40.0, 4  # 40 requests a second together: each client every 0.1 s
    paces = [scan_path.Pace(rate, clients, index) for index in range(clients)]
    for pace in paces:
        pace.start()
    starts = [pace.next_due for pace in paces]
    assert [round(b - a, 3) for a, b in zip(starts, starts[1:], strict=False)] == [0.025] * 3
    first, second = paces[0].wait(), paces[0].wait()
    assert second - first == pytest.approx(0.1)
    assert time.perf_counter() >= second  # it slept until the request was due


def test_a_closed_loop_has_no_timetable():
    pace = scan_path.Pace(0.0, 16, 3)
    pace.start()
    assert pace.wait() is None


def test_a_late_request_is_timed_from_when_it_was_due():
    tally = scan_path.Tally(clock={"stop": float("inf")})

    def answer():
        time.sleep(0.05)
        return 200, "", b"ok"

    due = time.perf_counter() - 0.2  # the client could not send it on time: the server was busy
    assert scan_path.timed(None, tally, "lire", answer, "", None, due)
    assert scan_path.timed(None, tally, "lire", answer, "", None)
    late, on_time = tally.times["lire"]
    assert 0.25 <= late < 0.5 and 0.05 <= on_time < 0.2
