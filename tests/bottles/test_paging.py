"""Every paged list reads `?page=` one way: odd values give page 1 or the last allowed, never a 500."""

from __future__ import annotations

import pytest

from bottles.paging import MAX_PAGE, page_number
from tests.factories import login


@pytest.mark.parametrize(("raw", "page"), [("3", 3), ("0", 1), ("-2", 1), ("abc", 1), ("²", 1),
                                           ("٣", 1), ("", 1), ("9" * 5000, MAX_PAGE), (" 7 ", 7)])
def test_page_number(app, raw, page):
    with app.test_request_context(f"/?page={raw}"):
        assert page_number() == page


@pytest.mark.parametrize("url", ["/catalogue/points/", "/people/", "/ventes/", "/lavage/historique"])
def test_odd_pages_never_fail(client, factory, url):
    admin = factory.user("admin")
    factory.session.commit()
    login(client, admin)
    for raw in ("²", "9" * 5000, "-1"):
        assert client.get(f"{url}?page={raw}").status_code == 200, (url, raw)
