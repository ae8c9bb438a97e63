"""Time `import_journal` on a large valid journal made by the demo generator.

    .venv/bin/python benchmarks/journal_import.py --scale 40        # ≈ 1 million events

Builds a fresh SQLite database (or DATABASE_URL's PostgreSQL database, which must be
empty) with the demo catalogue, writes the demo history at that scale as a CSV file,
then imports it in a separate process and prints events/s and that process's peak memory.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _app(url: str):
    from wsgi import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url})


def prepare(url: str, scale: int, csv_path: Path) -> int:
    from flask_migrate import upgrade

    from bottles.db import db
    from bottles.demo.catalogue import create_catalogue
    from bottles.demo.history import history
    from bottles.journal import ALL_COLUMNS

    app = _app(url)
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        started = time.perf_counter()
        rows, crates = history(scale)
        create_catalogue(db.session, crates)
        db.session.commit()
        with open(csv_path, "w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, ALL_COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        events = len({row["event_id"] for row in rows})
        print(f"generated {len(rows)} rows ({events} events) in {time.perf_counter() - started:.1f} s "
              f"-> {csv_path} ({csv_path.stat().st_size / 1e6:.0f} MB)")
        return events


def run_import(url: str, csv_path: str) -> None:
    from bottles.check import check_ledger
    from bottles.db import db
    from bottles.journal import import_journal

    app = _app(url)
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    with app.app_context():
        started, cpu, main = time.perf_counter(), time.process_time(), time.thread_time()
        report = import_journal(db.session, csv_path)
        checked = time.perf_counter()
        db.session.commit()
        done = time.perf_counter()
        if not report.ok:
            print("\n".join(map(str, report.errors[:20])))
            sys.exit(1)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        seconds, cpu, main = done - started, time.process_time() - cpu, time.thread_time() - main
        print(f"imported {report.imported_events} events, {report.imported_movements} movements "
              f"in {seconds:.1f} s (commit {done - checked:.1f} s): "
              f"{report.imported_events / seconds:,.0f} events/s; CPU time {cpu:.1f} s "
              f"(both threads; main thread {main:.1f} s); peak memory {peak_mb:,.0f} MB; "
              f"load average before: {load}")
        started = time.perf_counter()
        problems = check_ledger(db.session)
        print(f"check_ledger: {len(problems)} difference(s) in {time.perf_counter() - started:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=40)
    parser.add_argument("--import-only", nargs=2, metavar=("URL", "CSV"))
    args = parser.parse_args()
    if args.import_only:
        run_import(*args.import_only)
        return
    workdir = Path(tempfile.mkdtemp(prefix="boucle-bench-"))
    os.environ.setdefault("BOUCLE_INSTANCE", str(workdir))
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{workdir / 'bench.db'}"
    csv_path = workdir / "journal.csv"
    prepare(url, args.scale, csv_path)
    subprocess.run([sys.executable, __file__, "--import-only", url, str(csv_path)], check=True)


if __name__ == "__main__":
    main()
