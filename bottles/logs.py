"""Structured logs: one JSON line per request (logger boucle.request) and per committed ledger event
(boucle.ledger, written by bottles.signals), on stderr, which gunicorn and journald keep.

A line is one JSON object: time, level, logger, message, then the record's `fields`, e.g.

    {"time": "2026-11-29T16:45:47.120Z", "level": "INFO", "logger": "boucle.request",
     "message": "GET /login 200", "request_id": "5f0c…", "method": "GET", "route": "/login", …}
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, Response, g, has_request_context, request, request_finished, request_started
from flask.logging import default_handler
from sqlalchemy.exc import SQLAlchemyError

request_log = logging.getLogger("boucle.request")
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")  # what a proxy's X-Request-ID may bring in


class JsonLines(logging.Formatter):
    """Each record as one JSON object on one line; its `fields` (extra=) become keys."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
                .replace("+00:00", "Z"),
                "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        line.update(getattr(record, "fields", None) or {})
        if "request_id" not in line and has_request_context():
            line["request_id"] = g.get("request_id")  # an error's traceback names its request
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def request_id() -> str | None:
    """This request's id (the proxy's X-Request-ID when well formed), for the ledger's lines too."""
    return g.get("request_id")


def _user_fields() -> dict:
    """Who made the request, if the request loaded them (no extra query for a static file)."""
    user = g.get("_login_user")  # set by Flask-Login once anything read current_user
    nobody = {"user_id": None, "user": None, "role": None}
    if user is None or not getattr(user, "is_authenticated", False):
        return nobody
    try:  # after a commit the row is expired: reading it again is one query by primary key
        return {"user_id": user.id, "user": user.username, "role": user.role}
    except SQLAlchemyError:  # a broken transaction must not turn the answer into a 500
        return nobody


def _started(_app: Flask, **_extra) -> None:
    g.request_started = time.perf_counter()
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex


def request_fields(response: Response) -> dict:
    """The fields of a request's line: who, which route, the answer and how long it took."""
    started = g.get("request_started")
    return {
        "request_id": request_id(),
        "method": request.method,
        "route": request.url_rule.rule if request.url_rule else None,
        "path": request.path,
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
        "bytes": response.content_length,
        **_user_fields(),
        "remote_addr": request.remote_addr,  # the client's, once ProxyFix trusts the proxy
    }


def _finished(_app: Flask, response: Response, **_extra) -> None:
    fields = request_fields(response)
    request_log.info("%s %s %s", fields["method"], fields["path"], fields["status"],
                     extra={"fields": fields})


def _json_handler(logger: logging.Logger) -> None:
    """Give `logger` one JSON-lines handler on stderr, in place of Flask's plain one."""
    logger.removeHandler(default_handler)
    if not any(isinstance(handler.formatter, JsonLines) for handler in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(JsonLines())
        logger.addHandler(handler)


def init_app(app: Flask) -> None:
    """JSON lines on stderr at LOG_LEVEL: Boucle's and Flask's own (an unhandled error's traceback
    is one line too). None under tests: pytest captures the records."""
    logger = logging.getLogger("boucle")
    logger.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    if not app.testing:
        _json_handler(logger)
        _json_handler(app.logger)
    request_started.connect(_started, app)
    request_finished.connect(_finished, app)
