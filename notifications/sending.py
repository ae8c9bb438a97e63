"""The two channels: an e-mail through the SMTP server of the settings, a signed HTTPS POST.

Each returns None when the message was accepted, else a short reason kept in the delivery log.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from notifications.rules import NO_MAIL_SERVER, SEND_TIMEOUT_S, internal_address, signature


def send_email(settings: dict, to: str, subject: str, text: str) -> str | None:
    """One plain-text e-mail; STARTTLS when MAIL_USE_TLS, a login when MAIL_USERNAME is set."""
    if not settings.get("MAIL_SERVER"):
        return NO_MAIL_SERVER
    message = EmailMessage()
    message["From"] = settings.get("MAIL_FROM") or "boucle@localhost"
    message["To"] = to
    message["Subject"] = " ".join(subject.split())  # a name typed with a line break stays one header
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="boucle")
    message.set_content(text)
    try:
        with smtplib.SMTP(settings["MAIL_SERVER"], int(settings.get("MAIL_PORT") or 25),
                          timeout=SEND_TIMEOUT_S) as smtp:
            if settings.get("MAIL_USE_TLS"):
                smtp.starttls(context=ssl.create_default_context())
            if settings.get("MAIL_USERNAME"):
                smtp.login(settings["MAIL_USERNAME"], settings.get("MAIL_PASSWORD") or "")
            smtp.send_message(message)
    except (OSError, ValueError, smtplib.SMTPException) as error:
        return f"SMTP: {type(error).__name__}: {error}"[:500]
    return None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A webhook that answers 3xx has moved: the POST is not replayed elsewhere (nor its secret)."""

    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def internal_target(url: str) -> str | None:
    """The reason to refuse a webhook whose name resolves into the internal network, else None.

    Checked at each send (a public name can be pointed inward after the subscription). A name
    re-pointed between this look-up and the connection is not caught: a firewall rule is the
    complete answer (docs/notifications.md)."""
    host = urllib.parse.urlsplit(url).hostname or ""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except (OSError, UnicodeError) as error:
        return f"DNS: {error}"[:500]
    inside = sorted(a for a in addresses if internal_address(a))
    return f"internal address refused: {', '.join(inside)}" if inside else None


def post_webhook(url: str, secret: str, delivery_id: int, topic: str, body: bytes,
                 allow_internal: bool = False) -> str | None:
    """POST the JSON body with its HMAC signature; any 2xx is accepted, within 10 seconds.

    `allow_internal`: outside production only, so tests and a laptop can use a local receiver."""
    if not allow_internal and (refused := internal_target(url)):
        return refused
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Boucle-Notifications/1",
        "X-Boucle-Signature": signature(secret, body),
        "X-Boucle-Delivery": str(delivery_id),
        "X-Boucle-Topic": topic,
    })
    try:
        with _OPENER.open(request, timeout=SEND_TIMEOUT_S) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}"
    except (OSError, ValueError) as error:
        return f"{type(error).__name__}: {getattr(error, 'reason', error)}"[:500]
    return None if 200 <= status < 300 else f"HTTP {status}"
