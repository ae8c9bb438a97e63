"""Every page of every role at phone size (390 × 844): tap targets of 44 × 44 CSS px, and axe-core.

The walk is the one of tests/test_english_everywhere.py (ROUTES fills every GET rule from
tests/world.py; downloads are left out): each role signs in once in its own phone context and
visits every HTML page it may see (403, 404, redirects and files are skipped, the error page is kept);
the admin, who sees every page of the coordinator the same way, only visits home and the others.

Tap targets: every visible a, button, summary, select, textarea, input (not hidden), [role=button],
[role=link] and [tabindex] is measured with getBoundingClientRect, every <details> opened first.
A checkbox or a radio is measured by its label (wrapping it or `for` it), which is what a thumb
hits. Two narrow exceptions (WCAG 2.5.8's "inline" one and the screen-reader-only idiom):
- a link displayed inline (CSS) inside a <p> or <small> that holds, besides its links, at least
  four words: a link in a sentence of running text. A phone number (tel:) never is: it is tapped
  from a van, so it gets a full target wherever it stands;
- an element of at most 1 × 1 px (a visually hidden control whose visible label is measured).

axe-core (tests/vendor/axe-core, from the npm registry, never served to users) is injected by
Playwright as an init script, so the page keeps its real Content-Security-Policy; a serious or
critical violation on any page fails the test, listed by rule with its pages and elements.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests import world as world_module
from tests.factories import PASSWORD
from tests.test_english_everywhere import DOWNLOAD, NOT_A_PAGE, get_urls

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
MIN = 44  # CSS px, WCAG 2.5.5 (AAA) and Apple's and Google's guidelines for one-handed use
PHONE = {"width": 390, "height": 844}
ROLES = ("anonymous", "point", "driver", "washer", "winemaker", "coordinator", "admin")

MEASURE = """(min) => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  const shown = el => {
    const s = getComputedStyle(el);
    return s.display !== 'none' && s.visibility !== 'hidden' && el.getClientRects().length > 0;
  };
  const inline = el => {
    if (el.tagName !== 'A' || el.matches('[href^="tel:"]') || getComputedStyle(el).display !== 'inline') {
      return false;
    }
    const block = el.closest('p, small');
    if (!block) return false;
    const copy = block.cloneNode(true);
    copy.querySelectorAll('a').forEach(a => a.remove());
    const words = (copy.textContent || '').match(/[A-Za-zÀ-ÿ]{2,}/g) || [];
    return words.length >= 4;
  };
  const describe = el => {
    let name = el.tagName.toLowerCase();
    if (el.id) name += '#' + el.id;
    if (el.type && el.tagName === 'INPUT') name += '[type=' + el.type + ']';
    const cls = [...el.classList].slice(0, 2).join('.');
    if (cls) name += '.' + cls;
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || el.name || '')
      .replace(/\\s+/g, ' ').trim().slice(0, 40);
    return text ? name + ' "' + text + '"' : name;
  };
  const targets = new Set();
  const query = 'a[href], button, summary, select, textarea, input:not([type=hidden]), '
    + '[role=button], [role=link], [tabindex]:not([tabindex="-1"])';
  for (const el of document.querySelectorAll(query)) {
    if (el.matches('input[type=checkbox], input[type=radio]')) {
      const label = el.closest('label') || (el.id && document.querySelector('label[for="' + el.id + '"]'));
      targets.add(label || el);
    } else {
      targets.add(el);
    }
  }
  const small = [];
  for (const el of targets) {
    if (!shown(el) || inline(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.width <= 1 && r.height <= 1) continue;
    if (r.width + 0.5 < min || r.height + 0.5 < min) {
      small.push({what: describe(el), w: Math.round(r.width), h: Math.round(r.height)});
    }
  }
  return {small: small, count: targets.size};
}"""

AXE_RUN = """async () => {
  document.querySelectorAll('details.menu').forEach(d => { d.open = false; });
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 4).map(n => n.target.join(' ') + ' — ' + (n.failureSummary || '')
      .replace(/\\s+/g, ' ').slice(0, 160))}));
}"""


def _sign_in(page, username: str) -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


@dataclass
class Audit:
    """What the walk found: small targets by (element, size) and axe rules, each with its pages."""

    small: dict = field(default_factory=lambda: defaultdict(list))
    violations: dict = field(default_factory=dict)
    pages: dict = field(default_factory=lambda: defaultdict(list))  # role → URLs audited

    def page(self, page, url: str, role: str) -> None:
        where = f"{url} ({role})"
        self.pages[role].append(url)
        for one in page.evaluate(MEASURE, MIN)["small"]:
            self.small[(one["what"], one["w"], one["h"])].append(where)
        for rule in page.evaluate(AXE_RUN):
            self.violations.setdefault(rule["id"], {"rule": rule, "pages": []})["pages"].append(where)


def _walk(browser, base_url: str, role: str, username: str | None, urls: list[str], audit: Audit) -> None:
    """One role's walk in its own phone context: every HTML page it may see."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="fr-FR",
                                  base_url=base_url, service_workers="block")
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    try:
        if username:
            _sign_in(page, username)
        for url in urls:
            try:
                response = page.goto(url)
            except PlaywrightError as error:  # a download (a file the walk does not know as one)
                if "Download is starting" in str(error):
                    continue
                raise
            if response is None or response.request.redirected_from is not None:
                continue
            if response.status in (403, 404) and url != NOT_A_PAGE:
                continue
            if not response.headers.get("content-type", "").startswith("text/html"):
                continue
            page.wait_for_load_state("load")
            audit.page(page, url, role)
    finally:
        context.close()


def _listed(pages: list[str]) -> str:
    unique = list(dict.fromkeys(pages))
    more = f" … and {len(unique) - 3} more" if len(unique) > 3 else ""
    return ", ".join(unique[:3]) + more


def _report_small(small: dict) -> str:
    lines = [f"{len(small)} tap targets under {MIN} × {MIN} CSS px at 390 × 844 "
             "(width × height, element, pages):"]
    for (what, w, h), pages in sorted(small.items(), key=lambda item: (-len(item[1]), item[0])):
        lines.append(f"  {w} × {h}  {what}  on {_listed(pages)}")
    return "\n".join(lines)


def _report_axe(violations: dict) -> str:
    lines = [f"{len(violations)} serious or critical axe-core rules violated:"]
    for rule_id, seen in sorted(violations.items()):
        rule, pages = seen["rule"], seen["pages"]
        lines.append(f"  [{rule['impact']}] {rule_id}: {rule['help']} — {len(pages)} pages: {_listed(pages)}")
        lines.extend(f"      {node}" for node in rule["nodes"])
    return "\n".join(lines)


def test_every_page_has_big_tap_targets_and_no_serious_axe_violation(app, factory, browser, live_server):
    world = world_module.build(factory)
    urls = [url for url in get_urls(app, world) if not DOWNLOAD.search(url)]
    audit = Audit()
    for role in ROLES:
        # The admin sees the coordinator's pages as the coordinator does: only the others, and home.
        mine = [url for url in urls if role != "admin" or url == "/" or url not in audit.pages["coordinator"]]
        username = None if role == "anonymous" else world.users[role].username
        _walk(browser, live_server.url, role, username, mine, audit)
    seen = {role: len(audit.pages[role]) for role in ROLES}
    assert all(count >= 2 for count in seen.values()), f"a role saw almost nothing (not signed in?): {seen}"
    problems = [text for text, bad in ((_report_small(audit.small), audit.small),
                                       (_report_axe(audit.violations), audit.violations)) if bad]
    assert not problems, f"{sum(seen.values())} pages audited {seen}\n" + "\n\n".join(problems)


SAMPLE = """<!doctype html><html lang="fr"><head><title>t</title></head><body><main>
<a id="tiny" href="/x">x</a>
<p>Rien ne attend ici depuis hier : <a id="sentence" href="/y">faites un tri</a> avant le lavage.</p>
<p>Appeler le point Cave Comédie au <a id="phone" href="tel:0384000000">03 84 00 00 00</a> demain matin.</p>
<label id="big" style="display:flex;min-height:48px"><input type="checkbox"> Phase 1</label>
<label id="small"><input type="checkbox"> Phase 2</label>
<button id="ok" style="min-height:44px;min-width:44px">OK</button>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
</main></body></html>"""


def test_the_checks_find_what_they_should(browser):
    """The measure flags a small link, a small checkbox label and a phone number in a sentence,
    spares a link in running text and a big label; axe reports a picture without text."""
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        page.set_content(SAMPLE)
        page.add_script_tag(path=str(AXE))
        found = {one["what"].split(" ")[0] for one in page.evaluate(MEASURE, MIN)["small"]}
        assert found == {"a#tiny", "a#phone", "label#small"}, found
        assert "image-alt" in {rule["id"] for rule in page.evaluate(AXE_RUN)}
    finally:
        context.close()
