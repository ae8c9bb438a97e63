"""Local sinks for the alerts: an SMTP server (aiosmtpd) and a webhook receiver (http.server)."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Inbox:
    """What the SMTP sink received: parsed e-mails."""

    def __init__(self) -> None:
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp_sink(app):
    """An SMTP server on a free local port; the app's MAIL_* settings point at it."""
    from aiosmtpd.controller import Controller

    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_USE_TLS=False,
                      MAIL_USERNAME="", MAIL_FROM="alertes@boucle.test")
    yield inbox
    controller.stop()


@dataclass
class Hook:
    """The webhook receiver: the statuses to answer in turn (then 200), and what it received."""

    url: str = ""
    statuses: list[int] = field(default_factory=list)
    received: list[tuple[dict, bytes]] = field(default_factory=list)


@pytest.fixture
def webhook():
    hook = Hook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's hook name)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            hook.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            status = hook.statuses.pop(0) if hook.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    hook.url = f"http://127.0.0.1:{server.server_port}/boucle"
    yield hook
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
