"""gunicorn settings for `make serve` (docs/deployment.md, "Serving").

    gunicorn -c gunicorn.conf.py 'wsgi:create_app()'

Overrides: BOUCLE_BIND (address:port), WEB_CONCURRENCY (workers), GUNICORN_TIMEOUT (seconds), or
any gunicorn flag in GUNICORN_CMD_ARGS (e.g. "--bind 0.0.0.0:8000"), which wins over this file.
"""

from __future__ import annotations

import multiprocessing
import os

from bottles.production import refuse_unsafe_start

MAX_WORKERS = 8  # each worker holds pandas and matplotlib (~150 MB); more rarely helps this app

bind = [os.environ.get("BOUCLE_BIND", "127.0.0.1:8000")]
workers = int(os.environ.get("WEB_CONCURRENCY") or min(2 * multiprocessing.cpu_count() + 1, MAX_WORKERS))
worker_class = "sync"  # the reverse proxy buffers slow clients; every request is short
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))  # a worker silent this long is killed
graceful_timeout = 30  # on restart (HUP/TERM), requests under way get this long to finish
keepalive = 5
max_requests = 1000  # recycle workers now and then: a long-lived matplotlib process only grows
max_requests_jitter = 100
# The master imports Boucle once and forks its workers: a recycled worker starts in milliseconds
# instead of importing pandas, matplotlib and every package again (about 2 s of CPU each, taken
# from the requests under way), and the workers share the imported code's memory. No connection
# crosses the fork (bottles.db: a connection opened by another process is never checked out).
# New code then needs a restart (systemctl restart), not a reload (HUP).
preload_app = True

# The app writes one structured line per request itself (logger boucle.request: user, route,
# status, duration), which gunicorn cannot know; its own access log would only repeat it.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
capture_output = False
proc_name = "boucle"


def on_starting(_server) -> None:
    """Refuse to start in production without a real SECRET_KEY and BASE_URL: one clear message,
    exit 1, before any worker is forked (a RuntimeError is what gunicorn prints and exits on)."""
    refuse_unsafe_start()
