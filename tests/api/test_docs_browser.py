"""/api/v1/docs in headless Chromium: Swagger UI renders the document, from this server only, under
the real Content-Security-Policy; "Try it out" with a token reads the API."""

from __future__ import annotations

import pytest

from bottles.people import tokens
from tests.test_csp_browser import _watch

pytestmark = pytest.mark.browser


def test_docs_page_renders_from_this_server_only(laptop, live_server, factory, session):
    user = factory.user("coordinator")
    session.commit()
    secret = tokens.create(session, user).secret
    session.commit()
    requested: list[str] = []
    laptop.on("request", lambda request: requested.append(request.url))
    seen = _watch(laptop)
    response = laptop.goto("/api/v1/docs")
    assert response is not None and response.status == 200
    laptop.wait_for_selector(".opblock", timeout=20_000)
    assert laptop.locator(".opblock").count() >= 7  # every operation of the document is listed
    outside = [url for url in requested if not url.startswith(live_server.url)]
    assert outside == [], outside
    seen += laptop.evaluate("window.__csp || []")
    assert seen == [], seen
    # Authorize with the token, then run GET /api/v1/stocks from the page
    laptop.click("button.authorize")
    laptop.fill(".modal-ux input", secret)
    laptop.click(".modal-ux button.authorize")
    laptop.click(".modal-ux button.close-modal")
    block = laptop.locator(".opblock-get", has_text="/api/v1/stocks").first
    block.locator(".opblock-summary").click()
    block.locator("button.try-out__btn").click()
    with laptop.expect_response(lambda r: "/api/v1/stocks" in r.url) as answer:
        block.locator("button.execute").click()
    assert answer.value.status == 200
    assert all(url.startswith(live_server.url) for url in requested)
