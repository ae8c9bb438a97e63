"""Time `import_journal` on a large valid journal made by the demo generator, beside a floor.

    .venv/bin/python benchmarks/journal_import.py --scale 40 --db both    # ≈ 1 million events

Writes the demo history at that scale as one CSV file (once, shared by both databases), then per
database (a fresh SQLite file; a fresh PostgreSQL database boucle_bench_journal_<pid> on
BENCH_POSTGRES_URL, created and dropped here) with the demo catalogue:

- the import: `import_journal` of the file in a separate process (events/s, wall and CPU time,
  that process's peak resident memory: VmHWM), then check-ledger on the result;
- the floor: the same events and movements rows, dumped from the imported database, loaded into
  another fresh database of the same schema by a bare bulk insert in one transaction — on SQLite
  the csv module and executemany 20,000 rows at a time, on PostgreSQL `COPY … FROM STDIN` fed
  with the server's own `COPY … TO STDOUT` text — also in its own process, timed the same way.

It prints the import beside the floor and their ratio (time and memory), and the load average
before each run: the figures are only comparable on a quiet machine.

    .venv/bin/python benchmarks/journal_import.py --scale 195 --db sqlite --check-rollups  # ≈ 4.7 M

With --check-rollups, instead of the floor: the roll-ups refreshed from the imported ledger, then
`reports.rollup.check` (what `flask reports check-rollups` runs), each in its own process, with
the same figures and the verdict (no difference expected).
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

POSTGRES = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")
NULL = "\\N"
TABLES = ("rounds", "events", "movements")  # rounds: made by the import, named by events


def _app(url: str):
    from wsgi import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "LOG_LEVEL": "WARNING"})


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def _peak_mb() -> float:
    """This process's peak resident memory (VmHWM: ru_maxrss would also count the parent's,
    which Linux carries over fork and exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_history(scale: int, csv_path: Path) -> tuple[int, list]:
    """The demo history at `scale` as a journal file; (events, crates)."""
    from bottles.demo.history import history
    from bottles.journal import ALL_COLUMNS

    started = time.perf_counter()
    rows, crates = history(scale)
    with open(csv_path, "w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, ALL_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    events = len({row["event_id"] for row in rows})
    print(f"generated {len(rows):,} rows ({events:,} events) in {time.perf_counter() - started:.1f} s "
          f"-> {csv_path} ({csv_path.stat().st_size / 1e6:.0f} MB)")
    return events, crates


def demo_crates(csv_path: Path) -> list[tuple[str, int]]:
    """The crates a demo journal names, with the demo's capacity (to register them beforehand)."""
    from bottles.demo.history import CAPACITY

    with open(csv_path, newline="", encoding="utf-8") as source:
        codes = {row["crate"] for row in csv.DictReader(source)} - {""}
    return [(code, CAPACITY) for code in sorted(codes)]


def new_database(kind: str, workdir: Path, name: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{workdir / name}.db"
    import psycopg

    database = f"boucle_bench_journal_{os.getpid()}_{name}"
    with psycopg.connect(_admin_dsn(), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{database}"')
    return f"{POSTGRES}/{database}"


def drop_database(url: str) -> None:
    if not url.startswith("postgresql"):
        return
    import psycopg

    with psycopg.connect(_admin_dsn(), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def _admin_dsn() -> str:
    return POSTGRES.replace("postgresql+psycopg://", "postgresql://") + "/postgres"


def _plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def with_catalogue(url: str, crates: list) -> None:
    """Schema at head and the demo catalogue (what the journal's codes name)."""
    from flask_migrate import upgrade

    from bottles.db import db
    from bottles.demo.catalogue import create_catalogue

    app = _app(url)
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        create_catalogue(db.session, crates)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def run_import(url: str, csv_path: str) -> None:
    """(child process) import the file, commit, print the figures."""
    from bottles.check import check_ledger
    from bottles.db import db
    from bottles.journal import import_journal

    app = _app(url)
    with app.app_context():
        started, cpu = time.perf_counter(), time.process_time()
        report = import_journal(db.session, csv_path)
        checked = time.perf_counter()
        db.session.commit()
        done = time.perf_counter()
        if not report.ok:
            print("\n".join(map(str, report.errors[:20])))
            sys.exit(1)
        seconds = done - started
        print(f"RESULT import {report.imported_events} {report.imported_movements} {seconds:.3f} "
              f"{time.process_time() - cpu:.3f} {_peak_mb():.1f} {done - checked:.3f}", flush=True)
        started = time.perf_counter()
        problems = check_ledger(db.session)
        print(f"  check_ledger: {len(problems)} difference(s) in {time.perf_counter() - started:.1f} s")


def dump(url: str, folder: Path) -> None:
    """The imported events and movements as raw rows (the floor's input)."""
    if url.startswith("postgresql"):
        import psycopg

        with psycopg.connect(_plain(url)) as connection, connection.cursor() as cursor:
            for table in TABLES:
                with open(folder / f"{table}.copy", "wb") as out, \
                        cursor.copy(f"COPY {table} TO STDOUT") as copy:
                    for block in copy:
                        out.write(block)
        return
    import sqlite3

    with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
        for table in TABLES:
            cursor = connection.execute(f"SELECT * FROM {table} ORDER BY 1")
            with open(folder / f"{table}.csv", "w", newline="", encoding="utf-8") as out:
                writer = csv.writer(out)
                writer.writerow([column[0] for column in cursor.description])
                for row in cursor:
                    writer.writerow([NULL if value is None else value for value in row])


def run_floor(url: str, folder: str) -> None:
    """(child process) the bare bulk insert of the dumped rows, in one transaction."""
    folder_path = Path(folder)
    started, cpu = time.perf_counter(), time.process_time()
    if url.startswith("postgresql"):
        import psycopg

        with psycopg.connect(_plain(url)) as connection, connection.cursor() as cursor:
            for table in TABLES:
                with open(folder_path / f"{table}.copy", "rb") as source, \
                        cursor.copy(f"COPY {table} FROM STDIN") as copy:
                    while block := source.read(1 << 20):
                        copy.write(block)
    else:
        import sqlite3

        connection = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        connection.execute("PRAGMA foreign_keys=ON")
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("BEGIN")
        for table in TABLES:
            with open(folder_path / f"{table}.csv", newline="", encoding="utf-8") as source:
                reader = csv.reader(source)
                header = next(reader)
                sql = f"INSERT INTO {table} ({', '.join(header)}) VALUES ({', '.join('?' * len(header))})"
                chunk: list = []
                for row in reader:
                    chunk.append([None if value == NULL else value for value in row])
                    if len(chunk) == 20_000:
                        connection.executemany(sql, chunk)
                        chunk = []
                connection.executemany(sql, chunk)
        connection.execute("COMMIT")
        connection.close()
    print(f"RESULT floor {time.perf_counter() - started:.3f} {time.process_time() - cpu:.3f} "
          f"{_peak_mb():.1f}", flush=True)


def run_rollups(url: str, step: str) -> None:
    """(child process) refresh the roll-ups from the whole ledger, or check them against it."""
    from sqlalchemy import func, select

    from bottles.db import db
    from reports import rollup
    from reports.models import DailyFlow, DailyWork

    app = _app(url)
    with app.app_context():
        started, cpu = time.perf_counter(), time.process_time()
        if step == "refresh":
            found = rollup.refresh(db.session)
            db.session.commit()
        else:
            problems = rollup.check(db.session)
            found = len(problems)
            for problem in problems[:20]:
                print(problem)
            rows = sum(db.session.scalar(select(func.count()).select_from(model))
                       for model in (DailyFlow, DailyWork))
            way = "one pass" if rows <= rollup.ONE_PASS_ROWS else "month by month"
            print(f"  {rows:,} daily roll-up rows: summed {way}")
        print(f"RESULT {step} {time.perf_counter() - started:.3f} {time.process_time() - cpu:.3f} "
              f"{_peak_mb():.1f} {found}", flush=True)


def rollup_bench(kind: str, url: str) -> None:
    for step, what in (("refresh", "events read"), ("check", "difference(s)")):
        load = _load()
        seconds, cpu, peak, found = _child("--rollups-only", url, step)
        print(f"{kind}: {step}-rollups {float(seconds):.1f} s, CPU {float(cpu):.1f} s, peak memory "
              f"{float(peak):,.0f} MB: {int(found):,} {what} (load average before: {load})")


def _child(*args: str) -> list[str]:
    done = subprocess.run([sys.executable, __file__, *args], check=False, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{args[0]} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    for line in done.stdout.splitlines():
        if not line.startswith("RESULT"):
            print(line)
    return next(line for line in done.stdout.splitlines() if line.startswith("RESULT")).split()[2:]


def bench(kind: str, workdir: Path, csv_path: Path, crates: list, rollups: bool = False) -> None:
    urls = []
    try:
        target = new_database(kind, workdir, "import")
        urls.append(target)
        with_catalogue(target, crates)
        load = _load()
        events, movements, seconds, cpu, peak, commit = _child("--import-only", target, str(csv_path))
        events, movements, seconds = int(events), int(movements), float(seconds)
        print(f"{kind}: import {events:,} events, {movements:,} movements in {seconds:.1f} s "
              f"(commit {float(commit):.1f} s): {events / seconds:,.0f} events/s; CPU {float(cpu):.1f} s; "
              f"peak memory {float(peak):,.0f} MB (load average before: {load})")
        if rollups:
            rollup_bench(kind, target)
            return
        dumped = workdir / f"dump-{kind}"
        dumped.mkdir(exist_ok=True)
        dump(target, dumped)
        floor_url = new_database(kind, workdir, "floor")
        urls.append(floor_url)
        with_catalogue(floor_url, crates)
        load = _load()
        floor_seconds, floor_cpu, floor_peak = map(float, _child("--floor-only", floor_url, str(dumped)))
        print(f"{kind}: floor (bare bulk insert of the same rows) {floor_seconds:.1f} s: "
              f"{events / floor_seconds:,.0f} events/s; CPU {floor_cpu:.1f} s; peak memory "
              f"{floor_peak:,.0f} MB (load average before: {load})")
        print(f"{kind}: import / floor = {seconds / floor_seconds:.1f}× the time, "
              f"{float(peak) / floor_peak:.1f}× the peak memory")
    finally:
        for url in urls:
            drop_database(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=40, help="40 ≈ a million events")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--journal", type=Path, help="reuse a journal file written by an earlier "
                        "run (its crates are registered with the demo's capacity) instead of generating one")
    parser.add_argument("--check-rollups", action="store_true", help="after the import, time "
                        "refresh-rollups and check-rollups instead of the floor")
    parser.add_argument("--rollups-only", nargs=2, metavar=("URL", "STEP"), help=argparse.SUPPRESS)
    parser.add_argument("--import-only", nargs=2, metavar=("URL", "CSV"), help=argparse.SUPPRESS)
    parser.add_argument("--floor-only", nargs=2, metavar=("URL", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.import_only:
        run_import(*args.import_only)
        return
    if args.floor_only:
        run_floor(*args.floor_only)
        return
    if args.rollups_only:
        run_rollups(*args.rollups_only)
        return
    workdir = Path(tempfile.mkdtemp(prefix="boucle-bench-"))
    os.environ.setdefault("BOUCLE_INSTANCE", str(workdir))
    if args.journal:
        csv_path, crates = args.journal, demo_crates(args.journal)
    else:
        csv_path = workdir / "journal.csv"
        _events, crates = write_history(args.scale, csv_path)
    for kind in (["sqlite", "postgres"] if args.db == "both" else [args.db]):
        bench(kind, workdir, csv_path, crates, args.check_rollups)


if __name__ == "__main__":
    main()
