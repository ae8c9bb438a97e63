"""Security headers on every response, HSTS only over https, and CSRF tokens that expire."""

from __future__ import annotations

import re

import pytest

from tests.factories import csrf_from, login

CSP = {
    "default-src": "'self'", "script-src": "'self' 'wasm-unsafe-eval'", "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'", "base-uri": "'self'", "form-action": "'self'", "frame-ancestors": "'none'",
}


def _policy(response) -> dict[str, str]:
    header = response.headers.get("Content-Security-Policy", "")
    return {part.split()[0]: " ".join(part.split()[1:]) for part in header.split(";") if part.strip()}


def _assert_secure(response) -> None:
    policy = _policy(response)
    for directive, value in CSP.items():
        assert policy.get(directive) == value, (directive, policy)
    assert "unsafe-inline" not in policy["script-src"] and "unsafe-inline" not in policy["style-src"]
    assert "'unsafe-eval'" not in policy["script-src"].split()  # WebAssembly only, never JavaScript eval
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.fixture
def coordinator(client, factory):
    user = factory.user("coordinator")
    factory.session.commit()
    login(client, user)
    return user


def test_headers_on_a_page_a_csv_a_pdf_and_an_error_page(client, factory, coordinator):
    crate = factory.crate(washer=factory.washer())
    factory.session.commit()
    page = client.get("/")
    csv = client.get("/catalogue/import/models/example.csv")
    pdf = client.get(f"/c/{crate.code}/etiquette.pdf")
    missing = client.get("/nulle-part")
    assert (page.status_code, csv.status_code, pdf.status_code, missing.status_code) == (200, 200, 200, 404)
    assert csv.mimetype == "text/csv" and pdf.mimetype == "application/pdf"
    for response in (page, csv, pdf, missing):
        _assert_secure(response)


def test_anonymous_login_page_has_the_headers(client):
    _assert_secure(client.get("/login"))


def test_hsts_only_when_base_url_is_https(app, client):
    assert client.get("/login").headers["Strict-Transport-Security"].startswith("max-age=")
    app.config["BASE_URL"] = "http://127.0.0.1:5000"
    assert "Strict-Transport-Security" not in client.get("/login").headers


def test_templates_carry_no_inline_script_or_handler():
    """Scripts come from static files (CSP script-src 'self'); JSON data blocks do not execute."""
    from pathlib import Path

    root = Path(__file__).parents[2]
    offenders = []
    for template in root.glob("*/templates/**/*.html"):
        text = template.read_text()
        for match in re.finditer(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", text):
            offenders.append(f"{template}: {match.group(0)}")
        offenders += [f"{template}: {m.group(0)}" for m in
                      re.finditer(r"\son[a-z]+=\"|javascript:|<style|\sstyle=\"", text)]
    assert not offenders


def test_csrf_token_expires_with_a_clear_french_page(app, client, factory, monkeypatch):
    import itsdangerous.timed

    assert app.config["WTF_CSRF_TIME_LIMIT"] == 8 * 3600
    user = factory.user("coordinator")
    factory.session.commit()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    now = itsdangerous.timed.time.time()
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: now + 8 * 3600 + 60)  # 8 h 1 min later
    response = client.post("/login", data={"username": user.username, "password": "x", "csrf_token": token},
                           headers={"Referer": "http://localhost/login"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Le formulaire a expiré (il était ouvert depuis plus de 8 heures)" in html
    assert "Rechargez la page" in html
    assert 'href="http://localhost/login">Revenir au formulaire' in html
    outside = client.post("/login", data={"username": user.username, "password": "x", "csrf_token": token},
                          headers={"Referer": "https://ailleurs.example/login"})
    assert outside.status_code == 400 and "ailleurs.example" not in outside.get_data(as_text=True)
    _assert_secure(response)
    monkeypatch.undo()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    fresh = client.post("/login", data={"username": user.username, "password": "x", "csrf_token": token})
    assert fresh.status_code != 400
