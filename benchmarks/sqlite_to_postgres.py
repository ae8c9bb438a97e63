"""Copy a benchmark SQLite database into a fresh PostgreSQL database (COPY, in bulk).

    .venv/bin/python benchmarks/sqlite_to_postgres.py /tmp/boucle_bench.db \
        postgresql+psycopg://postgres@127.0.0.1:5432/boucle_bench

The target database is dropped and created again, migrated, then filled table by table;
serial sequences are moved past the copied ids. Then run
`benchmarks/phase_dashboard.py --url <the same URL>`.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import time
from pathlib import Path

import psycopg
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TABLES = ["bottle_models", "reasons", "washers", "collection_points", "winemakers", "users", "crates",
          "rounds", "events", "movements", "stock_levels", "phases", "report_daily_flows",
          "report_daily_work", "report_monthly_flows", "report_monthly_work", "report_crate_leads",
          "report_rollup_state"]


def main(source: str, url: str) -> None:
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    os.environ.setdefault("BOUCLE_INSTANCE", "/tmp/boucle_bench_instance")
    from flask_migrate import upgrade

    from bottles.db import db
    from wsgi import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        db.engine.dispose()
    lite = sqlite3.connect(source)
    dsn = target.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as pg:
        pg.execute("SET TIME ZONE 'UTC'")
        pg.execute("TRUNCATE report_rollup_state")
        for table in TABLES:
            t0 = time.perf_counter()
            cols = [row[1] for row in lite.execute(f"PRAGMA table_info({table})")]
            if not cols:
                sys.exit(f"{table} missing in {source}: run `flask db upgrade` on it first")
            types = {row[1]: row[2].upper() for row in lite.execute(f"PRAGMA table_info({table})")}
            bools = [i for i, c in enumerate(cols) if types[c] == "BOOLEAN"]
            uuids = [i for i, c in enumerate(cols) if c == "id" and table == "events"]
            n = 0
            with pg.cursor().copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                for row in lite.execute(f"SELECT {', '.join(cols)} FROM {table}"):
                    if bools or uuids:
                        row = list(row)
                        for i in bools:
                            row[i] = None if row[i] is None else bool(row[i])
                    copy.write_row(row)
                    n += 1
            print(f"{table:<24} {n:>10} rows  {time.perf_counter() - t0:6.1f} s", flush=True)
        for table, column in (("events", "seq"), ("movements", "id"), ("stock_levels", "id"),
                              ("crates", "id"), ("report_daily_flows", "id"), ("report_daily_work", "id"),
                              ("report_monthly_flows", "id"), ("report_monthly_work", "id"),
                              ("phases", "id"), ("users", "id")):
            pg.execute(f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                       f"COALESCE((SELECT MAX({column}) FROM {table}), 1))")
        pg.commit()
        t0 = time.perf_counter()
        pg.autocommit = True
        pg.execute("VACUUM ANALYZE")
        print(f"VACUUM ANALYZE {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
