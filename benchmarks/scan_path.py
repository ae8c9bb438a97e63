"""Drive the scan path through gunicorn: phones placing, filling, picking up, receiving crates; and a floor.

    .venv/bin/python benchmarks/scan_path.py [--db sqlite|postgres|both] [--seconds 20] [--clients 16]
                                             [--path api|page|read|both ...] [--rate N] [--workers N]
                                             [--kill-workers] [--profile]

A throwaway database (a SQLite file in a temporary directory, or a fresh PostgreSQL database
boucle_bench_<pid> on BENCH_POSTGRES_URL, created and dropped here) holds the demo plus, per client,
a driver, a washer's staff member and a few new crates. gunicorn serves it with the repository's
gunicorn.conf.py (BOUCLE_ENV=development) on a free port, beside a floor: a bare Flask route doing
one INSERT into a scratch table, same server, same workers, same database.

The clients sign in through /login (CSRF as a phone does), then each runs its crates round the
cycle, one crate at a time, in one measured phase per path (--path):
  api:   the scan path: every step as the scan stations, the phone's queue and the crate page's
         buttons send it, one POST /api/v1/events each (session cookie + CSRF token, one event,
         its field time): crate_placed, crate_full, pickup, then the washer's receipt;
  page:  the crate page's forms as a browser without JavaScript posts them:
         POST /c/<code>/placee, /pleine, /enlevee (form, then GET the crate page it redirects
         to), then the washer's receipt by the API as the dock station sends it;
  read:  no write: the signed-in driver reads a crate no phase moves (GET /api/v1/crates/<code>,
         cookie + CSRF token as the pages send it; no history, so its answer stays one size),
         four times a cycle. The cheapest request a signed-in phone makes of the API: session,
         sign-in check, CSRF, limiter, a crate and its (empty) history read, a JSON answer.
         What Flask and its extensions cost per request bounds any write's throughput, beside
         the floor's one INSERT without them.
Before the clock starts, each client signs in (one at a time: not measured) and takes one crate
once round each path, so every worker has served every endpoint.
--rate N: open loop. The clients together start N crate actions a second, evenly spaced, whether
or not the answers before have come back (phones do not wait for each other); a request's time
runs from when it was due, so a server falling behind shows in the percentiles instead of slowing
the clients down (without --rate, each client sends its next request when its last is answered:
16 clients then keep 16 requests in the server, and the waiting time is 16 / throughput).
Per endpoint and per phase: requests, throughput, p50/p95/p99, errors (status
>= 500 or no answer) and refusals (other unexpected statuses); the crate actions' throughput
against the floor's. Then the ledger: every acknowledged event stored exactly once, check-ledger
clean. --kill-workers sends SIGKILL to one gunicorn worker in the middle of the run (gunicorn
forks another); the phone sends the same request again (same event id) as its queue would.

--profile: no server; one request of each action through the test client, its SQL statements
counted, timed and grouped (SQLAlchemy before/after_cursor_execute).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

POSTGRES = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")
PASSWORD = "banc-d-essai-2026"
FLOOR_PATH = "/__floor"
CRATES_PER_CLIENT = 3
COUNT = 42  # bottles declared in each full crate
ACTIONS = {"api": ("api placee", "api pleine", "api enlevee", "api reception"),
           "page": ("page placee", "page pleine", "page enlevee", "api reception"),
           "read": ("api lire",)}
API_EVENTS = "/api/v1/events"
SIGNING_IN = threading.Lock()
HOW = ("api", "page", "read")  # the paths a crate may go round the cycle by (one measured phase each)


# ---------------------------------------------------------------------------------------------
# What gunicorn serves: Boucle and the floor, one WSGI callable (benchmarks is not a package).

def floor_app():
    """The floor: a bare Flask route doing one INSERT, no session, no sign-in, no template."""
    from datetime import UTC, datetime

    from flask import Flask
    from sqlalchemy import create_engine

    import bottles.db  # noqa: F401  (its connect listener: the same SQLite pragmas as the app's)

    app = Flask("floor")
    engine = create_engine(os.environ["DATABASE_URL"], pool_pre_ping=True)
    table = floor_table()

    @app.post(FLOOR_PATH)
    def insert_one():
        with engine.begin() as connection:
            connection.execute(table.insert().values(at=datetime.now(UTC)))
        return "ok"

    return app


def served():
    """Boucle, with the floor's one route beside it."""
    from wsgi import create_app

    boucle, floor = create_app(), floor_app()

    def dispatch(environ, start_response):
        target = floor if environ.get("PATH_INFO") == FLOOR_PATH else boucle
        return target(environ, start_response)

    return dispatch


def floor_table():
    from sqlalchemy import Column, DateTime, Integer, MetaData, Table

    return Table("bench_floor", MetaData(), Column("id", Integer, primary_key=True),
                 Column("at", DateTime(timezone=True)))


# ---------------------------------------------------------------------------------------------
# The database: created, filled, checked, dropped.

@dataclass
class Plan:
    """Who each client is and which crates it runs round the cycle."""

    drivers: list[str]
    washers: list[str]
    point_ids: list[int]
    washer_id: int
    crates: list[list[str]]
    user_ids: list[int]
    idle: list[str]  # per client, a crate no phase moves: the read phase's (its answer stays one size)


def create_database(kind: str, tmp: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp}/bench.db"
    import psycopg

    name = f"boucle_bench_{os.getpid()}"
    with psycopg.connect(admin_dsn(), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{POSTGRES}/{name}"


def drop_database(url: str) -> None:
    if not url.startswith("postgresql"):
        return
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(admin_dsn(), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def admin_dsn() -> str:
    return POSTGRES.replace("postgresql+psycopg://", "postgresql://") + "/postgres"


def bench_app(url: str, tmp: str, **extra):
    os.environ["BOUCLE_INSTANCE"] = tmp
    from wsgi import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "LOG_LEVEL": "WARNING",
                       **extra})


def prepare(app, clients: int) -> Plan:
    """Schema, demo, then per client a driver, a washer's staff member and new crates in the pool."""
    from datetime import UTC, datetime

    from flask_migrate import upgrade
    from sqlalchemy import select

    from bottles.auth import hash_password
    from bottles.catalogue.operations import register_crates
    from bottles.db import db
    from bottles.demo.loading import load_demo
    from bottles.models import User, Washer
    from collection_points.queries import points_in_service
    from collection_points.views.common import today

    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        load_demo(db.session)
        db.session.commit()
        washer = db.session.scalar(select(Washer).order_by(Washer.id))
        points = [point.id for point in points_in_service(db.session, today())]
        password_hash = hash_password(PASSWORD)
        users = []
        for index in range(clients):
            users.append(User(username=f"banc-chauffeur-{index}", role="driver", password_hash=password_hash,
                              display_name=f"Chauffeur {index}"))
            users.append(User(username=f"banc-laveur-{index}", role="washer", password_hash=password_hash,
                              display_name=f"Laveur {index}", washers=[washer]))
        db.session.add_all(users)
        crates = register_crates(db.session, actor_id=None, at=datetime.now(UTC), batch_id=uuid.uuid4(),
                                 count=clients * (CRATES_PER_CLIENT + 1), capacity=60, washer_id=washer.id,
                                 prefix=app.config["CRATE_PREFIX"])
        db.session.commit()
        floor_table().create(db.engine)
        codes = [crate.code for crate in crates]
        plan = Plan([f"banc-chauffeur-{i}" for i in range(clients)],
                    [f"banc-laveur-{i}" for i in range(clients)],
                    [points[i % len(points)] for i in range(clients)], washer.id,
                    [codes[i * CRATES_PER_CLIENT:(i + 1) * CRATES_PER_CLIENT] for i in range(clients)],
                    [user.id for user in users], codes[clients * CRATES_PER_CLIENT:])
        db.session.remove()
        db.engine.dispose()
    return plan


def verify(app, acknowledged: set[uuid.UUID], user_ids: list[int]) -> None:
    """Every acknowledged event stored exactly once; what was stored beyond them; check-ledger."""
    from sqlalchemy import func, select

    from bottles.check import check_ledger
    from bottles.db import db
    from bottles.models import Event

    with app.app_context():
        wanted = sorted(acknowledged)
        found: Counter = Counter()
        for start in range(0, len(wanted), 500):
            found.update(db.session.scalars(select(Event.id).where(Event.id.in_(wanted[start:start + 500]))))
        missing = sum(1 for event_id in wanted if found[event_id] == 0)
        doubled = sum(1 for count in found.values() if count > 1)
        stored = db.session.scalar(select(func.count()).select_from(Event)
                                   .where(Event.actor_id.in_(user_ids)))
        started = time.perf_counter()
        problems = check_ledger(db.session)
        print(f"  ledger: {len(wanted)} acknowledged events, {len(wanted) - missing - doubled} stored once, "
              f"{missing} lost, {doubled} doubled; {stored} stored by the clients' accounts "
              f"({stored - len(wanted) + missing} never acknowledged); check-ledger "
              f"{'clean' if not problems else f'{len(problems)} problem(s)'} "
              f"({time.perf_counter() - started:.1f} s)")
        for problem in problems[:10]:
            print(f"    {problem}")
        db.session.remove()
        db.engine.dispose()


# ---------------------------------------------------------------------------------------------
# The phones.

class Unanswered(Exception):
    """No answer: the connection failed or was cut (a worker killed)."""


class Phone:
    """One signed-in browser: a cookie jar over an HTTP/1.1 connection, reopened when closed."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.cookies: dict[str, str] = {}
        self.csrf = ""

    def send(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
             ) -> tuple[int, str, bytes]:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.connection.close()
            raise Unanswered(str(error)) from error
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if value and "expires=thu, 01 jan 1970" not in cookie.lower():
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)
        if response.will_close:
            self.connection.close()
        return response.status, response.headers.get("Location", ""), data

    def sign_in(self, username: str, page: str) -> None:
        _status, _location, data = self.send("GET", "/login")
        token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', data)
        assert token, "no CSRF token on /login"
        form = {"username": username, "password": PASSWORD, "csrf_token": token.group(1).decode()}
        status, _location, _data = self.send("POST", "/login", urlencode(form).encode(),
                                             {"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 302, f"sign-in of {username}: {status}"
        status, _location, data = self.send("GET", page)
        meta = re.search(rb'<meta name="csrf-token" content="([^"]+)"', data)
        assert status == 200 and meta, f"{page}: {status}"
        self.csrf = meta.group(1).decode()

    def form(self, path: str, fields: dict) -> tuple[int, str, bytes]:
        body = urlencode({"csrf_token": self.csrf, **fields}).encode()
        return self.send("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})

    def json(self, path: str, payload: dict) -> tuple[int, str, bytes]:
        return self.send("POST", path, json.dumps(payload).encode(),
                         {"Content-Type": "application/json", "Accept": "application/json",
                          "X-CSRFToken": self.csrf})


@dataclass
class Tally:
    """Timings and outcomes by endpoint, shared by the client threads."""

    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter = field(default_factory=Counter)
    refused: Counter = field(default_factory=Counter)
    acknowledged: set = field(default_factory=set)
    notes: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)
    clock: dict = field(default_factory=dict)  # the run's window: requests started after it are not timed


def field_time() -> str:
    """The phone's clock now, as scan.js and queue.js send it (the field time of issue 11)."""
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def acknowledged(status: int, location: str, data: bytes, code: str) -> bool:
    """The phone may forget this action: a crate page's redirect to the crate, or a JSON line
    recorded (or already recorded: a resend)."""
    if status == 302:
        return location.split("?")[0].endswith(f"/c/{code}")
    if status in (200, 201) and data.startswith(b"{"):
        body = json.loads(data)
        if "created" in body:  # the JSON API (POST /api/v1/events): 201 recorded, 200 already
            return body.get("event") is not None
        rows = body.get("results") or [{}]
        return rows[0].get("status") in ("recorded", "already")
    return False


def timed(phone: Phone, tally: Tally, label: str, call, code: str, event_id: uuid.UUID | None,
          due: float | None = None) -> bool:
    """One request, sent again (same event id) while unanswered or 5xx, as the phone's queue does;
    timed from `due` (perf_counter: when an open loop meant to send it) when given."""
    for _attempt in range(20):
        started = time.perf_counter() if due is None else min(due, time.perf_counter())
        due = None  # a resend is timed from its own start
        try:
            status, location, data = call()
        except Unanswered:
            with tally.lock:
                tally.errors[label] += 1
            time.sleep(0.2)
            continue
        elapsed = time.perf_counter() - started
        with tally.lock:
            if time.monotonic() - elapsed < tally.clock.get("stop", float("inf")):
                tally.times[label].append(elapsed)
            if status >= 500:
                tally.errors[label] += 1
                if b"database is locked" in data:
                    tally.notes["database is locked"] += 1
        if status >= 500:
            time.sleep(0.2)
            continue
        ok = event_id is None and status < 400 or event_id is not None and acknowledged(
            status, location, data, code)
        with tally.lock:
            if not ok:
                tally.refused[label] += 1
                tally.notes[f"{label} {status}: {data[:160]!r}"] += 1
            elif event_id is not None:
                tally.acknowledged.add(event_id)
        return ok
    return False


class Pace:
    """An open loop's timetable for one client: its next request is due every `gap` seconds
    (perf_counter), the clients' timetables staggered; with no rate, due as soon as sent."""

    def __init__(self, rate: float, clients: int, index: int) -> None:
        self.gap = clients / rate if rate else 0.0
        self.next_due = 0.0
        self.index, self.clients = index, clients

    def start(self) -> None:
        self.next_due = time.perf_counter() + self.gap * self.index / self.clients

    def wait(self) -> float | None:
        """Sleep until the next request is due; when it was due (None in a closed loop)."""
        if not self.gap:
            return None
        due = self.next_due
        self.next_due += self.gap
        pause = due - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        return due


@dataclass
class Pair:
    """One client: a driver's phone and a washer's staff member's, their point and round."""

    driver: Phone
    washer: Phone
    point: str
    round_token: str
    washer_id: str
    tally: Tally
    pace: Pace
    stop: float = 0.0

    def post(self, phone: Phone, label: str, code: str, event_id: uuid.UUID, send) -> bool:
        return timed(phone, self.tally, label, send, code, event_id, self.pace.wait())

    def page(self, label: str, code: str, action: str, event_id: uuid.UUID, fields: dict) -> bool:
        """A crate page's form, then the crate page it redirects to (the flash shown)."""
        ok = self.post(self.driver, label, code, event_id, lambda: self.driver.form(
            f"/c/{code}/{action}", {"event_id": str(event_id), **fields}))
        if ok:
            timed(self.driver, self.tally, "GET /c/<code> after",
                  lambda: self.driver.send("GET", f"/c/{code}"), code, None)
        return ok

    def api(self, phone: Phone, label: str, code: str, event_id: uuid.UUID, fields: dict) -> bool:
        """One event as the stations and the queue send it: POST /api/v1/events, cookie + CSRF."""
        return self.post(phone, label, code, event_id, lambda: phone.json(API_EVENTS, {
            "id": str(event_id), "crate": code, "occurred_at": field_time(), **fields}))

    def cycle(self, code: str, how: str, idle: str) -> bool:
        """The crate placed, full, picked up (by the API, or by the crate page's forms), then received
        by the washer's dock station (the API); False when a step was refused (the crate leaves the
        run). The read path reads `idle`, the client's crate no phase moves, four times instead."""
        ids = [uuid.uuid4() for _ in range(4)]
        token = {"round_token": self.round_token}
        if how == "read":
            return all(timed(self.driver, self.tally, "api lire", lambda: self.driver.send(
                "GET", f"/api/v1/crates/{idle}", headers={"Accept": "application/json",
                                                          "X-CSRFToken": self.driver.csrf}), code, None,
                self.pace.wait()) for _ in range(4))
        if how == "api":
            steps = [lambda: self.api(self.driver, "api placee", code, ids[0],
                                      {"kind": "crate_placed", "point_id": int(self.point)}),
                     lambda: self.api(self.driver, "api pleine", code, ids[1],
                                      {"kind": "crate_full", "count": COUNT}),
                     lambda: self.api(self.driver, "api enlevee", code, ids[2], {"kind": "pickup", **token})]
        else:
            steps = [lambda: self.page("page placee", code, "placee", ids[0], {"point_id": self.point}),
                     lambda: self.page("page pleine", code, "pleine", ids[1], {"count": str(COUNT)}),
                     lambda: self.page("page enlevee", code, "enlevee", ids[2], token)]
        receipt = {"kind": "receipt", "washer_id": int(self.washer_id), "counted": COUNT}
        steps.append(lambda: self.api(self.washer, "api reception", code, ids[3], receipt))
        return all(step() for step in steps)


def run_client(port: int, plan: Plan, phases: list[tuple[str, Tally]], index: int,
               clocks: list[dict], ready: threading.Barrier, rate: float = 0.0) -> None:
    """One pair of phones taking its crates round and round the cycle, one crate at a time, by
    each phase's path in turn (every client changes path at the same barrier)."""
    driver, washer = Phone(port), Phone(port)
    with SIGNING_IN:  # not measured: one scrypt at a time, so no sign-in waits behind 31 others
        driver.sign_in(plan.drivers[index], "/tournee/deposer")
        washer.sign_in(plan.washers[index], "/lavage/reception")
    pair = Pair(driver, washer, str(plan.point_ids[index]), str(uuid.uuid4()), str(plan.washer_id), Tally(),
                Pace(0.0, 1, 0))
    for how in HOW:  # not measured: every endpoint once, so no worker compiles a template or loads a
        pair.cycle(plan.crates[index][0], how, plan.idle[index])  # catalogue while the clock runs
    crates, turn = list(plan.crates[index]), 0
    for (how, tally), clock in zip(phases, clocks, strict=True):
        with tally.lock:
            tally.acknowledged |= pair.tally.acknowledged
        pair.tally = tally
        ready.wait(900)
        ready.wait(60)
        tally.clock = clock
        pair.pace = Pace(rate, len(plan.drivers), index)
        pair.pace.start()
        while crates and time.monotonic() < clock["stop"]:
            code = crates[turn % len(crates)]
            if not pair.cycle(code, how, plan.idle[index]):
                crates.remove(code)  # refused: the tally says why
            turn += 1


def run_floor_client(port: int, tally: Tally, index: int, clocks: list[dict],
                     ready: threading.Barrier, clients: int = 1, rate: float = 0.0) -> None:
    phone, clock = Phone(port), clocks[0]
    ready.wait(900)
    ready.wait(60)
    tally.clock = clock
    stop = clock["stop"]
    pace = Pace(rate, clients, index)
    pace.start()
    while time.monotonic() < stop:
        timed(phone, tally, "floor INSERT", lambda: phone.send("POST", FLOOR_PATH, b""), "", None,
              pace.wait())


# ---------------------------------------------------------------------------------------------
# gunicorn.

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(url: str, tmp: str, port: int, workers: int | None) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "BOUCLE_INSTANCE": tmp, "BOUCLE_ENV": "development",
           "SECRET_KEY": "bench-" + uuid.uuid4().hex, "BOUCLE_BIND": f"127.0.0.1:{port}",
           "LOGIN_LIMIT": "10000 per minute", "API_LIMIT": "100000 per minute", "LOG_LEVEL": "warning"}
    if workers:
        env["WEB_CONCURRENCY"] = str(workers)
    log = open(Path(tmp) / "gunicorn.log", "wb")  # noqa: SIM115  (closed with the process)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
         "--pythonpath", f"{ROOT},{ROOT / 'benchmarks'}", "scan_path:served()"],
        cwd=ROOT, env=env, stdout=log, stderr=log)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", "/login")
            if connection.getresponse().status == 200:
                connection.close()
                return server
        except OSError:
            pass
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited: see {tmp}/gunicorn.log")
        time.sleep(0.5)
    server.terminate()
    raise SystemExit("gunicorn did not answer within 120 s")


def workers_of(server: subprocess.Popen) -> list[int]:
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    return [int(pid) for pid in children]


def warm(port: int, server: subprocess.Popen) -> None:
    """Every worker answers a few rounds of the login page first (the master answered the first
    request as soon as one worker was forked: the others are waited for, up to 30 s)."""
    counts, deadline = [0], time.monotonic() + 30
    while time.monotonic() < deadline and not (len(counts) > 5 and len(set(counts[-5:])) == 1):
        counts.append(len(workers_of(server)))
        time.sleep(0.2)
    for _ in range(len(workers_of(server)) * 3):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.request("GET", "/login")
        connection.getresponse().read()
        connection.close()


# ---------------------------------------------------------------------------------------------
# The run and its figures.

def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] * 1000


def row(label: str, times: list[float], seconds: float, errors: int, refused: int,
        floor: float | None) -> str:
    if not times:
        return f"  {label:<22} {0:>6} {'':>8}  {'':>7} {'':>7} {'':>7} {errors:>6} {refused:>7}"
    rate = len(times) / seconds
    ratio = f"{rate / floor:.2f}" if floor else ""
    p50, p95, p99 = (percentile(times, share) for share in (.5, .95, .99))
    return (f"  {label:<22} {len(times):>6} {rate:>8.1f}  {p50:>7.0f} {p95:>7.0f} {p99:>7.0f} "
            f"{errors:>6} {refused:>7}  {ratio}")


def drive(clients: int, seconds: float, body, at_half=None, phases: int = 1) -> None:
    """`body(index, clocks, ready)` in `clients` threads, for `phases` phases one after the other:
    each phase's clock starts once every thread is ready (signed in, or done with the phase
    before) and stops `seconds` later; `at_half()` is called half way through the first."""
    ready = threading.Barrier(clients + 1)
    clocks = [{"start": 0.0, "stop": 0.0} for _ in range(phases)]
    threads = [threading.Thread(target=body, args=(index, clocks, ready), daemon=True)
               for index in range(clients)]
    for thread in threads:
        thread.start()
    for phase, clock in enumerate(clocks):
        ready.wait(900)
        clock["start"] = time.monotonic()
        clock["stop"] = clock["start"] + seconds
        ready.wait(60)  # the second crossing: the clock is set
        if at_half is not None and phase == 0:
            threading.Timer(seconds / 2, at_half).start()
    for thread in threads:
        thread.join(seconds * phases + 300)


def run(kind: str, seconds: float, clients: int, workers: int | None, kill: bool, paths: list[str],
        rate: float = 0.0) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = create_database(kind, tmp)
        server = None
        try:
            started = time.perf_counter()
            app = bench_app(url, tmp)
            plan = prepare(app, clients)
            print(f"{kind}: database ready in {time.perf_counter() - started:.0f} s "
                  f"(demo + {clients} drivers, {clients} washer staff, "
                  f"{clients * CRATES_PER_CLIENT} new crates); load average {load()}")
            port = free_port()
            server = start_gunicorn(url, tmp, port, workers)
            warm(port, server)
            print(f"  gunicorn: {len(workers_of(server))} sync workers (gunicorn.conf.py), "
                  f"{clients} clients, {seconds:.0f} s per phase, "
                  + (f"open loop, {rate:g} requests/s offered" if rate else "closed loop (each waits)"))
            floor = Tally()
            drive(clients, seconds, lambda i, clocks, ready: run_floor_client(port, floor, i, clocks, ready,
                                                                              clients, rate))
            phases = [(how, Tally()) for how in paths]

            def kill_one() -> None:
                victim = workers_of(server)[0]
                os.kill(victim, signal.SIGKILL)
                print(f"  killed worker {victim} (SIGKILL) half way through the first phase")

            drive(clients, seconds, lambda i, clocks, ready: run_client(port, plan, phases, i, clocks, ready,
                                                                        rate),
                  kill_one if kill else None, len(phases))
            # Open loop: every phase was offered the same rate, so no ratio (run without --rate for it).
            floor_rate = None if rate else len(floor.times["floor INSERT"]) / seconds
            print(f"  {'endpoint':<22} {'req':>6} {'req/s':>8}  {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
                  f"{'errors':>6} {'refused':>7}  ×floor")
            print(row("floor INSERT", floor.times["floor INSERT"], seconds, floor.errors["floor INSERT"],
                      floor.refused["floor INSERT"], None))
            for how, tally in phases:
                print_phase(how, tally, seconds, floor_rate)
            print(f"  load average after: {load()}")
            server.send_signal(signal.SIGTERM)
            server.wait(60)
            server = None
            verify(app, set().union(*(tally.acknowledged for _how, tally in phases)), plan.user_ids)
        finally:
            if server is not None:
                server.kill()
                server.wait()
            drop_database(url)


def print_phase(how: str, tally: Tally, seconds: float, floor_rate: float | None) -> None:
    """One phase's lines: each crate action, all of them against the floor, the page after a form."""
    title = {"api": "POST /api/v1/events", "page": "crate page forms",
             "read": "GET /api/v1/crates/<code>, signed in (no write)"}[how]
    print(f"  -- path {how}: {title}")
    actions: list[float] = []
    for label in ACTIONS[how]:
        actions += tally.times[label]
        print(row(label, tally.times[label], seconds, tally.errors[label], tally.refused[label], floor_rate))
    if len(ACTIONS[how]) > 1:
        print(row(f"all crate actions ({how})", actions, seconds, sum(tally.errors[a] for a in ACTIONS[how]),
                  sum(tally.refused[a] for a in ACTIONS[how]), floor_rate))
    label = "GET /c/<code> after"
    if tally.times[label]:
        print(row(label, tally.times[label], seconds, tally.errors[label], tally.refused[label], None))
    for note, count in tally.notes.most_common(8):
        print(f"    {count} × {note}")


def load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


# ---------------------------------------------------------------------------------------------
# --profile: statements per action, in process.

def normalised(statement: str) -> str:
    text = " ".join(statement.split())
    text = re.sub(r"\b(AS \w+|anon_\d+|param_\d+|_\d+)\b", "", text)
    return text[:110]


def profile(kind: str) -> None:
    from flask import g  # noqa: F401
    from sqlalchemy import event

    from bottles.db import db

    with tempfile.TemporaryDirectory() as tmp:
        url = create_database(kind, tmp)
        try:
            app = bench_app(url, tmp, TESTING=True, WTF_CSRF_ENABLED=False, LOGIN_LIMIT="10000 per minute")
            plan = prepare(app, 1)
            seen: list[tuple[str, float]] = []
            clock: dict[int, float] = {}
            with app.app_context():
                engine = db.engine

            @event.listens_for(engine, "before_cursor_execute")
            def before(_conn, cursor, _statement, _parameters, _context, _many) -> None:
                clock[id(cursor)] = time.perf_counter()

            @event.listens_for(engine, "after_cursor_execute")
            def after(_conn, cursor, statement, _parameters, _context, _many) -> None:
                seen.append((statement, time.perf_counter() - clock.pop(id(cursor), time.perf_counter())))

            driver, washer = app.test_client(), app.test_client()
            for client, username in ((driver, plan.drivers[0]), (washer, plan.washers[0])):
                answer = client.post("/login", data={"username": username, "password": PASSWORD})
                assert answer.status_code == 302, (username, answer.status_code)
            point, round_token = str(plan.point_ids[0]), str(uuid.uuid4())
            print(f"{kind}: statements per request (one crate, warm: the second cycle is measured)")
            writing = [how for how in HOW if how != "read"]
            for cycle in range(2 * len(writing)):
                code = plan.crates[0][cycle % CRATES_PER_CLIENT]
                ids = [str(uuid.uuid4()) for _ in range(4)]
                how = writing[cycle % len(writing)]
                requests = [
                    ("page placee", driver, "form", f"/c/{code}/placee",
                     {"event_id": ids[0], "point_id": point}),
                    ("page pleine", driver, "form", f"/c/{code}/pleine",
                     {"event_id": ids[1], "count": str(COUNT)}),
                    ("page enlevee", driver, "form", f"/c/{code}/enlevee",
                     {"event_id": ids[2], "round_token": round_token}),
                ] if how == "page" else []
                requests.append(("api reception", washer, "json", API_EVENTS,
                                 {"id": ids[3], "crate": code, "kind": "receipt", "washer_id": plan.washer_id,
                                  "counted": COUNT}))
                if how == "api":
                    requests = [(label, client, "json", API_EVENTS, {"id": ids[n], "crate": code, **body})
                                for n, (label, client, body) in enumerate([
                                    ("api placee", driver, {"kind": "crate_placed", "point_id": int(point)}),
                                    ("api pleine", driver, {"kind": "crate_full", "count": COUNT}),
                                    ("api enlevee", driver, {"kind": "pickup", "round_token": round_token}),
                                    ("api reception", washer, {"kind": "receipt", "washer_id": plan.washer_id,
                                                               "counted": COUNT})])]
                for _label, _client, _how, path, payload in requests:  # the phone's field time
                    if path == API_EVENTS:
                        payload["occurred_at"] = field_time()
                for label, client, how, path, payload in requests:
                    seen.clear()
                    started = time.perf_counter()
                    sent = {"data": payload} if how == "form" else {"json": payload}
                    response = client.post(path, **sent)
                    elapsed = time.perf_counter() - started
                    assert response.status_code in (200, 201, 302), (label, response.status_code,
                                                                 response.data[:300])
                    if cycle < len(writing):
                        continue
                    sql = sum(duration for _statement, duration in seen)
                    print(f"\n  {label}: {len(seen)} statements, {elapsed * 1000:.1f} ms in all, "
                          f"{sql * 1000:.1f} ms in the database driver")
                    grouped: dict[str, list[float]] = defaultdict(list)
                    for statement, duration in seen:
                        grouped[normalised(statement)].append(duration)
                    for text, durations in grouped.items():
                        print(f"    {len(durations):>2} × {sum(durations) * 1000:>6.2f} ms  {text}")
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
            drop_database(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=None,
                        help="default: gunicorn.conf.py's (WEB_CONCURRENCY)")
    parser.add_argument("--path", choices=["api", "page", "read", "both"], nargs="+", default=["both"],
                        help="the phases, in turn: the scan path (POST /api/v1/events), the crate page's "
                             "forms, a signed-in read (no write); both = api page")
    parser.add_argument("--rate", type=float, default=0.0,
                        help="open loop: requests started per second by all the clients together "
                             "(default: closed loop, each client waits for its answer)")
    parser.add_argument("--kill-workers", action="store_true", help="SIGKILL one worker mid-run")
    parser.add_argument("--profile", action="store_true", help="count and time the SQL of each action")
    options = parser.parse_args()
    for kind in (["sqlite", "postgres"] if options.db == "both" else [options.db]):
        if options.profile:
            profile(kind)
        else:
            paths = [how for name in options.path for how in (("api", "page") if name == "both" else (name,))]
            run(kind, options.seconds, options.clients, options.workers, options.kill_workers,
                list(dict.fromkeys(paths)), options.rate)
        print()


if __name__ == "__main__":
    main()
