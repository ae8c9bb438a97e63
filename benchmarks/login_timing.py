"""Time failed sign-ins: a known username with a wrong password against an unknown username.

    .venv/bin/python benchmarks/login_timing.py [--rounds 30]

A throwaway SQLite database; POST /login through the test client (CSRF off, throttle raised so
every attempt reaches the password check). Prints the median of each and their ratio: close to
1.00 means the response time does not tell whether an account exists.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["BOUCLE_INSTANCE"] = tmp
        from flask_migrate import upgrade

        from bottles.auth import hash_password
        from bottles.db import db
        from bottles.models import User
        from wsgi import create_app

        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db", "TESTING": True,
                          "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                          "LOGIN_LIMIT": "100000 per minute"})
        with app.app_context():
            upgrade(directory=app.extensions["migrate"].directory)
            db.session.add(User(username="alice", role="admin", display_name="Alice",
                                password_hash=hash_password("bon-mot-de-passe-1")))
            db.session.commit()
        client = app.test_client()
        times: dict[str, list[float]] = {"known": [], "unknown": []}
        for i in range(rounds + 2):  # the first two warm up (the dummy hash is made once)
            for label, username in (("known", "alice"), ("unknown", f"personne{i}")):
                start = time.perf_counter()
                status = client.post("/login", data={"username": username,
                                                     "password": "mauvais-1"}).status_code
                elapsed = time.perf_counter() - start
                assert status == 401, status
                if i >= 2:
                    times[label].append(elapsed)
        known, unknown = (statistics.median(times[k]) * 1000 for k in ("known", "unknown"))
        print(f"failed sign-in, median of {rounds}: known username {known:.1f} ms, "
              f"unknown username {unknown:.1f} ms, ratio unknown/known {unknown / known:.2f}")


if __name__ == "__main__":
    main()
