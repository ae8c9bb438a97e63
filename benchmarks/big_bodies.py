"""Time and memory of refusing oversized anonymous bodies (issue 10, point 1).

    .venv/bin/python benchmarks/big_bodies.py

Sends a 60 MB urlencoded POST /login and a 55 MB JSON body to POST /api/v1/events (where the scan
stations and the phone's queue send their events), first through
the app's test client (a lazy body stream: the figures are the app's own, the bytes it read are
counted), then through a real local server (werkzeug, in a thread) over a socket. Prints the
status, the time to the answer, the bytes the app read and the peak Python memory allocated
during the request (tracemalloc) and the process's peak RSS (getrusage).
"""

from __future__ import annotations

import contextlib
import http.client
import resource
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

MB = 1024 * 1024
CASES = [("/login", 60 * MB, "application/x-www-form-urlencoded", b"username=" + b"a" * 65_536),
         ("/api/v1/events", 55 * MB, "application/json", b'{"kind": "pickup", "note": "' + b"x" * 65_536)]


class LazyBody:
    """A request body of `size` bytes made on demand from a repeated chunk; counts what is read."""

    def __init__(self, size: int, chunk: bytes) -> None:
        self.size, self.chunk, self.position, self.read_bytes = size, chunk, 0, 0

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = 0) -> int:
        self.position = self.size + offset if whence == 2 else offset
        return self.position

    def read(self, n: int = -1) -> bytes:
        left = self.size - self.position
        n = left if n is None or n < 0 else min(n, left)
        data = (self.chunk * (n // len(self.chunk) + 1))[:n]
        self.position += n
        self.read_bytes += n
        return data

    def readline(self, n: int = -1) -> bytes:
        return self.read(min(n, 65_536) if n and n > 0 else 65_536)


def make_app():
    """The app on a fresh, migrated SQLite database in a temporary folder."""
    from flask_migrate import upgrade

    from wsgi import create_app

    folder = Path(tempfile.mkdtemp(prefix="boucle-bench-"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.db'}",
                      "SECRET_KEY": "bench", "BASE_URL": "http://127.0.0.1"})
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
    return app


def through_test_client(app) -> None:
    client = app.test_client()
    client.get("/login")  # warm up: templates compiled, database opened
    for url, size, mimetype, chunk in CASES:
        body = LazyBody(size, chunk)
        tracemalloc.start()
        started = time.perf_counter()
        response = client.post(url, input_stream=body, content_type=mimetype,
                               headers={"Content-Length": str(size)})
        elapsed = time.perf_counter() - started
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"test client  POST {url:<24} {size // MB} MB -> {response.status_code}  "
              f"{elapsed * 1000:7.1f} ms  read {body.read_bytes} B  peak {peak / 1024:7.1f} kB")


def through_a_server(app) -> None:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        for url, size, mimetype, chunk in CASES:
            connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=30)
            started = time.perf_counter()
            connection.putrequest("POST", url)
            connection.putheader("Content-Type", mimetype)
            connection.putheader("Content-Length", str(size))
            connection.endheaders()
            with contextlib.suppress(OSError):  # the first bytes only: the answer must not wait
                connection.send(chunk)
            response = connection.getresponse()
            response.read()
            elapsed = time.perf_counter() - started
            connection.close()
            print(f"real server  POST {url:<24} {size // MB} MB -> {response.status}  "
                  f"{elapsed * 1000:7.1f} ms to the answer")
    finally:
        server.shutdown()
        thread.join(timeout=5)


def main() -> None:
    app = make_app()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    through_test_client(app)
    through_a_server(app)
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"process peak RSS: {rss_before / 1024:.1f} MB before the requests, "
          f"{rss_after / 1024:.1f} MB after")


if __name__ == "__main__":
    main()
