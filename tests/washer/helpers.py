"""Posting the washer's forms the way a browser does (event id and CSRF from the page)."""

from __future__ import annotations

import re

from tests.factories import csrf_from


def submit(client, url: str, data: dict, page_url: str | None = None):
    html = client.get(page_url or url).get_data(as_text=True)
    match = re.search(r'name="event_id" value="([0-9a-f-]+)"', html)
    fields = {"csrf_token": csrf_from(html), **({"event_id": match.group(1)} if match else {})}
    return client.post(url, data={**fields, **data})


def receive_all(client, dock, *crates):
    for crate in crates:
        page = f"/lavage/reception?code={crate.code}"
        declared = re.search(r'id="counted"[^>]*value="(\d+)"',
                             client.get(page).get_data(as_text=True).replace("\n", " "))
        r = submit(client, "/lavage/reception", {"crate_id": crate.id, "counted": declared.group(1)},
                   page_url=page)
        assert r.status_code == 302, r.get_data(as_text=True)
