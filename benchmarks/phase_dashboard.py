"""Phase dashboard at Jura scale: ten years, 2 M bottles a year, about 5 M events.

    .venv/bin/python benchmarks/phase_dashboard.py [--db /tmp/boucle_bench.db] [--years 10]
        [--bottles 2000000] [--regenerate]

Generates the history once into a fresh SQLite file (benchmarks/jura_history.py), then measures
in a separate process (so generation does not count in the memory peak): the single SQL
aggregate that is the floor for the flow indicators, the phase dashboard cold and warm,
`flask reports kpis`, the PDF export and the peak memory. Targets: dashboard < 1 s cold and
within 2× of the floor, peak memory < 300 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

PASSWORD = "benchmark-password"


def _app(url: str):
    os.environ.setdefault("BOUCLE_INSTANCE", "/tmp/boucle_bench_instance")
    from wsgi import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})


def build(path: Path, years: int, bottles: int) -> None:
    from flask_migrate import upgrade
    from jura_history import generate

    from bottles.auth import hash_password
    from bottles.db import db
    from bottles.models import User
    from reports.operations import PhaseInput, save_phase

    if path.exists():
        path.unlink()
    url = f"sqlite:///{path}"
    app = _app(url)
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        db.engine.dispose()
    t0 = time.perf_counter()
    counts = generate(str(path), years=years, bottles_per_year=bottles)
    print(f"generated in {time.perf_counter() - t0:.1f} s: {json.dumps(counts)}")
    with app.app_context():
        db.session.add(User(username="coord", role="coordinator", display_name="Coordination",
                            password_hash=hash_password(PASSWORD)))
        for i in range(years):
            y = 2016 + i
            save_phase(db.session, PhaseInput(name=f"Phase {i + 1} — {y}-{y + 1}", start=f"{y}-09-01",
                                              end=f"{y + 1}-08-31", params={"bottles_on_market": "6000000"},
                                              targets={"collected_to_reused": "0.5"}))
        db.session.commit()
    print(f"database file: {path.stat().st_size / 1e6:.0f} MB")


def build_rollups(url: str) -> None:
    """Bring the schema up to date and feed the daily roll-ups (the reports' projections)."""
    from flask_migrate import upgrade

    from bottles.db import db
    from reports import rollup

    app = _app(url)
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        t0 = time.perf_counter()
        read = rollup.refresh(db.session)
        db.session.commit()
        print(f"roll-ups fed with {read} events in {time.perf_counter() - t0:.1f} s")


def _timed(fn):
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


def measure(url: str, phase_name: str, check: bool) -> dict:
    from flask import template_rendered  # noqa: F401  (Flask fully imported before timing)
    from sqlalchemy import func, select

    from bottles.db import db
    from reports import queries, report, rollup, rollup_read
    from reports.models import DailyFlow, Phase

    app = _app(url)
    figures: dict[str, float | str] = {}
    with app.app_context():
        phase = db.session.scalar(select(Phase).where(Phase.name == phase_name))
        scope = report.phase_scope(phase)
        figures["floor_query_s"], floor = _timed(lambda: queries.floor_query(db.session, scope))
        figures["floor_query_again_s"], _ = _timed(lambda: queries.floor_query(db.session, scope))
        first, last = rollup_read.days_of(scope)
        figures["rollup_floor_query_s"], _ = _timed(lambda: db.session.execute(
            select(DailyFlow.from_stage, DailyFlow.to_stage, func.sum(DailyFlow.quantity))
            .where(DailyFlow.day >= first, DailyFlow.day <= last)
            .group_by(DailyFlow.from_stage, DailyFlow.to_stage)).all())
        figures["rollup_rows"] = db.session.scalar(select(func.count()).select_from(DailyFlow))
        figures["rollup_catch_up_s"], _ = _timed(lambda: rollup.refresh(db.session))
        db.session.commit()
        phase_id = phase.id
        db.session.remove()
    client = app.test_client()
    client.post("/login", data={"username": "coord", "password": PASSWORD})
    figures["dashboard_cold_s"], resp = _timed(lambda: client.get(f"/phases/{phase_id}"))
    assert resp.status_code == 200, resp.status_code
    import re

    urls = re.findall(r'<img class="chart" src="([^"]+)"', resp.get_data(as_text=True))
    figures["charts_cold_s"], _ = _timed(lambda: [client.get(u) for u in urls])
    figures["dashboard_warm_s"], resp = _timed(lambda: client.get(f"/phases/{phase_id}"))
    assert resp.status_code == 200
    figures["charts_warm_s"], _ = _timed(lambda: [client.get(u) for u in urls])
    figures["dashboard_html_kb"] = round(len(resp.data) / 1024, 1)
    runner = app.test_cli_runner()
    figures["kpis_command_s"], result = _timed(
        lambda: runner.invoke(args=["reports", "kpis", "--phase", phase_name, "--json"]))
    assert result.exit_code == 0, result.output
    kpis = json.loads(result.output)
    figures["pdf_export_s"], resp = _timed(lambda: client.get(f"/phases/{phase_id}/rapport.pdf"))
    assert resp.status_code == 200
    figures["pdf_kb"] = round(len(resp.data) / 1024, 1)
    figures["xlsx_export_s"], resp = _timed(lambda: client.get(f"/phases/{phase_id}/tableaux.xlsx"))
    figures["compare_two_phases_s"], resp = _timed(lambda: client.get("/phases/compare"))
    assert resp.status_code == 200
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    figures["bottles_collected"] = kpis["bottles_collected"]
    figures["collected_to_reused"] = kpis["collected_to_reused"]
    figures["floor_collected"] = floor.get(("outside", "at_point"))
    if check:
        with app.app_context():
            from bottles.check import check_ledger

            figures["check_ledger_s"], problems = _timed(lambda: check_ledger(db.session))
            figures["check_ledger_problems"] = len(problems)
            figures["check_rollups_s"], problems = _timed(lambda: rollup.check(db.session))
            figures["check_rollups_problems"] = len(problems)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="/tmp/boucle_bench.db")
    parser.add_argument("--url", help="measure an existing database at this URL instead")
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--bottles", type=int, default=2_000_000)
    parser.add_argument("--phase", default=None, help="phase to measure (default: the last one)")
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--check", action="store_true", help="also replay the ledger (check-ledger)")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    path = Path(args.db)
    url = args.url or f"sqlite:///{path}"
    phase = args.phase or f"Phase {args.years} — {2015 + args.years}-{2016 + args.years}"
    if args.measure:
        print(json.dumps(measure(url, phase, args.check)))
        return
    if not args.url and (args.regenerate or not path.exists()):
        build(path, args.years, args.bottles)
    build_rollups(url)
    cmd = [sys.executable, __file__, "--measure", "--db", str(path), "--phase", phase,
           "--years", str(args.years)] + (["--url", args.url] if args.url else []) + \
          (["--check"] if args.check else [])
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode:
        print(out.stdout, out.stderr)
        sys.exit(out.returncode)
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"measured phase: {phase} on {url.split(':')[0]}")
    for key, value in figures.items():
        print(f"  {key:<26} {value}")
    cold, floor = figures["dashboard_cold_s"], figures["floor_query_s"]
    print(f"  dashboard cold / raw floor {cold / floor:.2f}x  (target < 2x, < 1 s cold)")
    print(f"  dashboard cold / roll-up floor {cold / figures['rollup_floor_query_s']:.1f}x")
    print(f"  peak memory                {figures['peak_rss_mb']} MB (target < 300 MB)")


if __name__ == "__main__":
    main()
