"""The main pages of every role in headless Chromium under the real Content-Security-Policy.

Any CSP violation (an inline script or handler, a <style> element, a foreign origin) fails: the
console message Chromium writes and the `securitypolicyviolation` events are both collected.
"""

from __future__ import annotations

import pytest

from tests import world as world_module
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

COLLECT = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " "
                    + e.sourceFile + ":" + e.lineNumber);
});
"""


def _watch(page) -> list[str]:
    """Collect CSP console messages and page errors of `page` into the returned list."""
    seen: list[str] = []
    page.add_init_script(COLLECT)
    page.on("console", lambda m: seen.append(f"{m.type}: {m.text}")
            if "Content Security Policy" in m.text or "Content-Security-Policy" in m.text else None)
    page.on("pageerror", lambda error: seen.append(f"pageerror: {error}"))
    return seen


def _visit(page, url: str, seen: list[str]) -> None:
    response = page.goto(url)
    page.wait_for_load_state("load")
    assert response is not None and response.status == 200, (url, response and response.status)
    assert "script-src 'self'" in response.headers["content-security-policy"]
    seen += [f"{url}: {v}" for v in page.evaluate("window.__csp || []")]


def _sign_in(page, username: str) -> None:
    page.context.clear_cookies()
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_main_pages_of_every_role_raise_no_csp_violation(laptop, factory, session):
    world = world_module.build(factory)
    staff = factory.user("point", "point-csp", points=[world.points[1]])
    session.commit()
    placed = world.crates["at_point"].code
    running, done = world.phases[1], world.phases[0]
    seen = _watch(laptop)
    pages = {
        staff.username: ["/", f"/c/{placed}"],
        world.users["driver"].username: ["/", "/tournee", "/tournee/enlever"],
        world.users["washer"].username: ["/", "/lavage/reception", "/lavage/tri"],
        world.users["coordinator"].username: [
            "/", "/ventes/nouvelle", f"/phases/{running.id}",
            f"/phases/compare?phase={done.id}&phase={running.id}", "/catalogue/", "/catalogue/crates/"],
        world.users["admin"].username: ["/", "/people/"],
    }
    for username, urls in pages.items():
        _sign_in(laptop, username)
        for url in urls:
            _visit(laptop, url, seen)
            if url == f"/c/{placed}":  # the stepper, moved to a static file, still works
                before = int(laptop.input_value("#count") or 0)
                laptop.click(".cp-stepper [data-step='1']")
                assert int(laptop.input_value("#count")) == before + 1
            if url == "/tournee/enlever":  # the scan station's script runs and its CSS applies
                assert laptop.locator("[data-scan-clear]").is_hidden()
    assert not seen, "\n".join(seen)
