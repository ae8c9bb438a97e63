"""Security headers on every response: a strict Content-Security-Policy, nosniff, HSTS over https."""

from __future__ import annotations

from flask import Flask, Response, current_app

# Every script and stylesheet is a static file of the app: no inline code, no eval, no other origin.
# 'wasm-unsafe-eval' lets a static .wasm file of the app be compiled (the scan stations' QR reader,
# bottles/static/vendor/zxing/); it allows no JavaScript eval.
# Inline SVG charts (reports) carry matplotlib's computed `style="…"` attributes: style-src-attr
# allows attributes only (they cannot run code); <style> elements and scripts stay 'self'.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self'",
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "media-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
HSTS = "max-age=31536000; includeSubDomains"


def security_headers(response: Response) -> Response:
    """Add the security headers to a response (kept if a view already set one)."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if str(current_app.config.get("BASE_URL", "")).startswith("https://"):
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def init_app(app: Flask) -> None:
    """Register the headers on every response, error pages included."""
    app.after_request(security_headers)
