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


def seed_history(session, dock) -> None:
    """A few weeks of work at the washer, written through the operations."""
    import uuid
    from datetime import UTC, datetime, timedelta

    from bottles.models import Round
    from resales import operations as resales
    from resales.rules import Line
    from washer import operations

    now = datetime.now(UTC)
    driver = dock.factory.user("driver")
    the_round = Round(code="R-TEST-1", driver_id=driver.id, round_date=(now - timedelta(days=41)).date(),
                      washer_id=dock.washer.id)
    session.add(the_round)
    session.flush()
    dock.round_id = the_round.id
    crates = [dock.in_transit(55, n, round_id=the_round.id) for n in range(1, 5)]
    for n, crate in enumerate(crates):
        operations.receive(session, actor=dock.staff, at=now - timedelta(days=40 - n), event_id=uuid.uuid4(),
                           washer_id=dock.washer.id, crate=crate, counted=55 - n,
                           reason_id=dock.reasons["transit_breakage"].id if n else None)
    dock.spare = dock.in_transit(42, 9)
    operations.sort(session, actor=dock.staff, at=now - timedelta(days=35), event_id=uuid.uuid4(),
                    washer_id=dock.washer.id, eligible={dock.bourg.id: 150, dock.clav.id: 30},
                    refusals=[operations.Refusal(dock.reasons["cremant"].id, 20),
                              operations.Refusal(dock.reasons["permanent_label"].id, 14,
                                                 dock.winemaker.id)])
    operations.wash(session, actor=dock.staff, at=now - timedelta(days=34), event_id=uuid.uuid4(),
                    washer_id=dock.washer.id, lines=[operations.WashLine(
                        dock.bourg.id, 100, 92, {dock.reasons["label_on"].id: 6,
                                                 dock.reasons["broken_wash"].id: 2})])
    operations.wash(session, actor=dock.staff, at=now - timedelta(days=1), event_id=uuid.uuid4(),
                    washer_id=dock.washer.id, lines=[
                        operations.WashLine(dock.bourg.id, 50, 47, {dock.reasons["dirty"].id: 3}),
                        operations.WashLine(dock.clav.id, 30, 30)])
    resales.record_sale(session, actor=dock.coordinator, at=now - timedelta(hours=5),
                        event_id=uuid.uuid4(), washer_id=dock.washer.id,
                        winemaker_id=dock.winemaker.id, lines=[Line(dock.bourg.id, 60, 30),
                                                               Line(dock.clav.id, 12, 45)])
    session.commit()
