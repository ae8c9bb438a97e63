"""Every route × method × role answers what the table below says; a refused write writes nothing.

Roles: anonymous, each role of the first site (tests/world.py) and a point, a driver and a washer of
another site (`add_other_site`). Requests aim at the other site's crates, rounds, points and washers
wherever a route takes one, so a leak between sites shows as a 2xx/3xx where the table expects a
403/404/422. A route of `app.url_map` without a row fails the test: add one to TABLE.

CSRF is off in this module only (a missing token is covered by tests/bottles/test_security_headers.py
and the packages' form tests): the table is about who may do what.
"""

from __future__ import annotations

import html
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from sqlalchemy import text

from bottles.codes import make_code
from bottles.db import db
from bottles.models import Crate, Event, Round
from bottles.rules import Kind, Move, Stage
from tests.conftest import ON_POSTGRES, module_db_url
from tests.factories import PASSWORD, Factory
from tests.history_files import stashed
from tests.world import World, add_other_site, build, noon, today

ROLES = ("anonymous", "point", "driver", "washer", "winemaker", "coordinator", "admin",
         "other_point", "other_driver", "other_washer", "other_winemaker")
OVERSEERS = {"coordinator", "admin"}
SIGN_IN = 302  # what a protected route answers an anonymous person: the sign-in page
SKIPPED_ENDPOINTS = {"static"}  # and every blueprint's `.static`: files, not routes with a rule to keep


# --- Compact rows -------------------------------------------------------------------------------


def staff(*roles: str, ok: int = 200, **exceptions: int) -> dict[str, int]:
    """`roles`' people of both sites and the overseers get `ok`, other roles 403, anonymous the
    sign-in page; `exceptions` (role=status) say where a site's people are refused the other's."""
    allowed = set(roles) | OVERSEERS
    table = {"anonymous": SIGN_IN}
    table.update({role: ok if role.removeprefix("other_") in allowed else 403 for role in ROLES[1:]})
    table.update(exceptions)
    return table


def admins(ok: int) -> dict[str, int]:
    """Accounts: admins only (not coordinators, who could grant themselves admin)."""
    return {**staff(ok=ok), "coordinator": 403}


def signed_in(ok: int = 200) -> dict[str, int]:
    return {role: SIGN_IN if role == "anonymous" else ok for role in ROLES}


def public(ok: int = 200, **exceptions: int) -> dict[str, int]:
    return {**{role: ok for role in ROLES}, **exceptions}


def api(ok: int = 200, **exceptions: int) -> dict[str, int]:
    """The API: every token's person gets `ok` (their own sites' share), no token a 401."""
    return {**signed_in(ok), "anonymous": 401, **exceptions}


def api_staff(*roles: str, ok: int = 201, **exceptions: int) -> dict[str, int]:
    """An API write: `roles`' people and the overseers get `ok`, other roles 403, no token 401."""
    return {**staff(*roles, ok=ok, **exceptions), "anonymous": 401}


@dataclass
class Req:
    """One request: a URL, and a form or a JSON body for a POST."""

    url: str
    form: dict[str, object] | None = None
    json: dict | None = None
    bearer: bool = True  # an /api/v1/ request carries the role's token (False: the session cookie only)


@dataclass
class Row:
    expected: dict[str, int]
    request: Callable[[Ctx, str], Req]  # (context, role) → the request; may create fresh targets


@dataclass
class Ctx:
    """The world and a factory to create a fresh target for one cell (a crate, a round, an event)."""

    world: World
    factory: Factory
    numbers: dict[str, int] = field(default_factory=dict)
    people: dict = field(default_factory=dict)     # role → user (the other site's as other_<role>)
    tokens: dict[str, str] = field(default_factory=dict)  # role → API bearer token

    @property
    def other(self):
        return self.world.other

    def next(self, what: str) -> int:
        self.numbers[what] = self.numbers.get(what, 0) + 1
        return self.numbers[what]


def get(url: str | Callable[[Ctx], str]) -> Callable[[Ctx, str], Req]:
    return lambda c, role: Req(url(c) if callable(url) else url)


def eid() -> str:
    return str(uuid.uuid4())


# --- Fresh targets (each cell that may write gets its own) --------------------------------------


def pool_crate(c: Ctx) -> Crate:
    crate = c.factory.crate(washer=c.world.washer, at=noon(420))
    db.session.commit()
    return crate


def placed_crate(c: Ctx, point) -> Crate:
    crate = c.factory.crate(washer=c.world.washer, at=noon(420))
    c.factory.event(Kind.CRATE_PLACED, at=noon(3), crate=crate, point=point.id)
    db.session.commit()
    return crate


def full_crate(c: Ctx, point, count: int = 12) -> Crate:
    crate = placed_crate(c, point)
    c.factory.event(Kind.CRATE_FULL, at=noon(2), crate=crate, point=point.id,
                    moves=[Move(Stage.OUTSIDE, Stage.AT_POINT, count)])
    db.session.commit()
    return crate


def crate_on_round(c: Ctx, the_round: Round, point, count: int = 12) -> Crate:
    """A crate in transit on `the_round` (so bound for its washer)."""
    crate = full_crate(c, point, count)
    c.factory.event(Kind.PICKUP, at=noon(1, 9), crate=crate, point=point.id, round_id=the_round.id,
                    moves=[Move(Stage.AT_POINT, Stage.IN_TRANSIT, count)])
    db.session.commit()
    return crate


def open_round(c: Ctx, driver, washer) -> Round:
    the_round = Round(code=f"T-MATRIX-{c.next('round')}", driver_id=driver.id, round_date=today(),
                      washer_id=washer.id)
    db.session.add(the_round)
    db.session.commit()
    return the_round


def sorting_at_other(c: Ctx) -> Event:
    """One bottle sorted at the other site's washer: an event its staff may correct."""
    event = c.factory.event(Kind.SORTING, at=noon(1, 19), actor=c.other.users["washer"],
                            washer=c.other.washer.id,
                            moves=[Move(Stage.RECEIVED, Stage.SORTED, 1, model_id=c.world.models[0].id)])
    db.session.commit()
    return event


def sale_at_other(c: Ctx) -> Event:
    event = c.factory.event(Kind.SALE, at=noon(1, 19), actor=c.other.users["washer"],
                            washer=c.other.washer.id,
                            moves=[Move(Stage.CLEAN, Stage.SOLD, 1, model_id=c.world.models[0].id,
                                        unit_price_cents=30, winemaker_id=c.world.winemaker.id)])
    db.session.commit()
    return event


# --- Requests aimed at the other site -----------------------------------------------------------


def place(c: Ctx, role: str) -> Req:
    """An empty crate put down at the other site's point."""
    return Req(f"/c/{pool_crate(c).code}/placee", {"event_id": eid(), "point_id": c.other.point.id})


def declare_full(c: Ctx, role: str) -> Req:
    """A crate standing at the other site's point declared full."""
    return Req(f"/c/{placed_crate(c, c.other.point).code}/pleine", {"event_id": eid(), "count": "10"})


def pick_up(token: Callable[[Ctx], str]) -> Callable[[Ctx, str], Req]:
    """A full crate picked up on the round `token` names (another driver's, or a closed one)."""
    return lambda c, role: Req(f"/c/{full_crate(c, c.world.points[0]).code}/enlevee",
                               {"event_id": eid(), "round_token": token(c)})


def station_pick_up(token: Callable[[Ctx], str]) -> Callable[[Ctx, str], Req]:
    """A scan station's pickup line (one API event, the session cookie) on the round `token` names."""
    return lambda c, role: Req("/api/v1/events", bearer=False, json={
        "id": eid(), "kind": "pickup", "crate": full_crate(c, c.world.points[0]).code,
        "round_token": token(c)})


def close_other_round(c: Ctx, role: str) -> Req:
    """A round of the other site's driver closed (a fresh one per cell: closing it writes)."""
    the_round = open_round(c, c.other.users["driver"], c.other.washer)
    return Req(f"/tournee/{the_round.id}/clore", {"event_id": eid(), "km": "10", "hours": "2"})


def receive(with_w: bool) -> Callable[[Ctx, str], Req]:
    """A crate on the other site's round (bound for its washer) received with its count."""
    def build_request(c: Ctx, role: str) -> Req:
        crate = crate_on_round(c, c.other.round, c.other.point)
        form = {"event_id": eid(), "crate_id": crate.id, "counted": "12"}
        if with_w:
            form["w"] = c.other.washer.id
        return Req("/lavage/reception", form)
    return build_request


def station_receive(at_other_washer: bool) -> Callable[[Ctx, str], Req]:
    """The dock station's line (one API event, the session cookie) for a crate on the other site's
    round, sent with the first washer's id (the page of one's own washer) or the other's."""
    def build_request(c: Ctx, role: str) -> Req:
        crate = crate_on_round(c, c.other.round, c.other.point)
        washer = c.other.washer if at_other_washer else c.world.washer
        return Req("/api/v1/events", bearer=False, json={"id": eid(), "kind": "receipt", "crate": crate.code,
                                                         "washer_id": str(washer.id)})
    return build_request


def at_other_washer(url: str, **form: object) -> Callable[[Ctx, str], Req]:
    """A form of the dock sent for the other site's washer (?w=); `form` values may use {model}."""
    def build_request(c: Ctx, role: str) -> Req:
        model = c.world.models[0].id
        fields = {key.format(model=model): value for key, value in form.items()}
        return Req(url, {"event_id": eid(), "w": c.other.washer.id, **fields})
    return build_request


def correct_other(c: Ctx, role: str) -> Req:
    return Req(f"/lavage/corriger/{sorting_at_other(c).seq}", {"event_id": eid(), "note": "erreur"})


def sell_from_other(c: Ctx, role: str) -> Req:
    return Req("/ventes/nouvelle", {
        "event_id": eid(), "washer_id": c.other.washer.id, "winemaker_id": c.world.winemaker.id,
        "model_id": c.world.models[0].id, "quantity": "1", "unit_price": ""})


def sell_from_first(c: Ctx, role: str) -> Req:
    return Req("/ventes/nouvelle", {
        "event_id": eid(), "washer_id": c.world.washer.id, "winemaker_id": c.world.winemaker.id,
        "model_id": c.world.models[0].id, "quantity": "1", "unit_price": ""})


def cancel_other_sale(c: Ctx, role: str) -> Req:
    return Req(f"/ventes/{sale_at_other(c).seq}/corriger", {"event_id": eid(), "note": "erreur"})


def remove_other_drivers_alert(c: Ctx, role: str) -> Req:
    """An alert of the other site's driver (a fresh one per cell: removing it writes)."""
    from notifications.operations import create_subscription
    from notifications.rules import Channel, Topic

    # a late-pickup alert: queued by `flask bottles notify`, not by the crates declared full here
    row = create_subscription(db.session, user=c.other.users["driver"], topic=Topic.PICKUP_LATE,
                              channel=Channel.EMAIL, target="marc@example.org", threshold_days=3,
                              point_id=c.other.point.id, now=noon(1))
    db.session.commit()
    return Req(f"/alertes/{row.id}/supprimer")


def revoke_other_washers_token(c: Ctx, role: str) -> Req:
    from bottles.people import tokens

    issued = tokens.create(db.session, c.other.users["washer"], name=f"matrix-{c.next('token')}")
    db.session.commit()
    return Req(f"/account/tokens/{issued.row.id}/revoke")


def api_event(kind: str) -> Callable[[Ctx, str], Req]:
    """One field event through the API, aimed at the other site (a fresh crate per cell)."""
    def build_request(c: Ctx, role: str) -> Req:
        body: dict[str, object] = {"id": eid(), "kind": kind}
        if kind == "crate_full":
            body.update(crate=placed_crate(c, c.other.point).code, count=10)
        elif kind == "crate_placed":
            body.update(crate=pool_crate(c).code, point_id=c.other.point.id)
        elif kind == "pickup":
            body.update(crate=full_crate(c, c.world.points[0]).code, round_token=c.other.round_token)
        elif kind == "round_closed":
            body.update(round_id=open_round(c, c.other.users["driver"], c.other.washer).id, km=10, hours=2)
        elif kind == "sorting":
            body.update(washer_id=c.other.washer.id, eligible={str(c.world.models[0].id): 1})
        elif kind == "sale":  # the other site's clean stock
            body.update(washer_id=c.other.washer.id, winemaker_id=c.world.winemaker.id,
                        sold=[{"model_id": c.world.models[0].id, "quantity": 1}])
        elif kind == "crate_registered":  # a printed code far above the factory's numbers
            body.update(capacity=60, washer_id=c.other.washer.id,
                        crate=make_code(90_000 + c.next("registered")))
        elif kind == "crate_retired":
            body.update(crate=pool_crate(c).code, note="fendue")
        else:
            crate = crate_on_round(c, c.other.round, c.other.point)
            body.update(crate=crate.code, washer_id=c.other.washer.id, counted=12)
        return Req("/api/v1/events", json=body)
    return build_request


def reservation_of_other(c: Ctx) -> int:
    """A fresh open reservation of one bottle by the other site's estate (each cell may close it)."""
    from resales.operations import create_reservation

    row = create_reservation(db.session, actor=c.other.users["winemaker"], at=noon(1),
                             request_id=uuid.uuid4(), winemaker_id=c.other.estate.id,
                             model_id=c.world.models[0].id, quantity=1, pallets=None, wanted_by=today())
    db.session.commit()
    return row.id


def reserve_for_other(c: Ctx, role: str) -> Req:
    """A reservation posted for the other site's estate (a winemaker's is for their own estate)."""
    return Req("/ventes/reservations", {"request_id": eid(), "winemaker_id": c.other.estate.id,
                                        "model_id": c.world.models[0].id, "quantity": "1", "unit": "bottles",
                                        "wanted_by": today().isoformat()})


def form(url: str | Callable[[Ctx], str], **data: object) -> Callable[[Ctx, str], Req]:
    return lambda c, role: Req(url(c) if callable(url) else url, dict(data))


# --- The table ----------------------------------------------------------------------------------
# "METHOD rule" (optionally " #case") → the status each role gets. Every rule × method of the app has
# at least one row; "# …" cases aim the same route at another object.

def saved_mapping_deleted(c: Ctx, role: str) -> Req:
    """A fresh saved mapping of the history import, deleted."""
    from bottles.history.models import ImportMapping

    row = ImportMapping(name=f"matrice-{c.next('mapping')}", columns=[], fixed={}, options={},
                        created_by_id=c.world.users["coordinator"].id)
    db.session.add(row)
    db.session.commit()
    return Req(f"/historique/correspondances/{row.id}/supprimer", {})


def someone_elses_token(c: Ctx, role: str) -> Req:
    """A token of a person none of the roles is: revoking it is a 404, whoever asks."""
    from bottles.people import tokens

    row = tokens.create(db.session, c.factory.user("driver")).row
    db.session.commit()
    return Req(f"/account/tokens/{row.id}/revoke", {})


def _phase(c: Ctx) -> int:
    return c.world.phases[1].id


TABLE: dict[str, Row] = {
    # Kernel pages
    "GET /": Row(signed_in(), get("/")),
    "GET /login": Row(public(302, anonymous=200), get("/login")),
    "POST /login": Row(public(302, anonymous=401), form("/login", username="nobody", password="wrong")),
    "POST /logout": Row(signed_in(302), form("/logout")),  # walked last: it signs the role out
    "GET /account/password": Row(signed_in(), get("/account/password")),
    "POST /account/password": Row(signed_in(422), form("/account/password", current="pas-le-bon",
                                                       password="Savagnin-27", confirm="Savagnin-27")),
    "GET /account/tokens": Row(signed_in(), get("/account/tokens")),
    "POST /account/tokens": Row(signed_in(422), form("/account/tokens", name="quai", days="0")),
    "POST /account/tokens/<int:token_id>/revoke": Row(signed_in(404), someone_elses_token),
    "GET /lang/<code>": Row(public(302), get("/lang/fr")),
    "GET /healthz": Row(public(), get("/healthz")),
    "GET /manifest.webmanifest": Row(public(), get("/manifest.webmanifest")),
    "GET /sw.js": Row(public(), get("/sw.js")),
    "GET /hors-ligne": Row(public(), get("/hors-ligne")),
    "GET /hors-ligne/caisse": Row(public(), get("/hors-ligne/caisse")),

    # The JSON API with the session cookie (the scan stations and the phone's queue): the same rights
    # as a token (CSRF is off in this walk; tests/api/test_api_session.py checks that it is required)
    "GET /api/v1/crates #the session cookie": Row(api(), lambda c, role: Req(
        "/api/v1/crates", bearer=False)),
    "POST /api/v1/events #the session cookie": Row(api_staff("point", "driver", point=403), lambda c, r: Req(
        "/api/v1/events", bearer=False, json={"id": eid(), "kind": "crate_placed",
                                              "crate": pool_crate(c).code, "point_id": c.other.point.id})),
    "POST /api/v1/events #station pickup, another driver's round": Row(
        api_staff("driver", driver=403), station_pick_up(lambda c: c.other.round_token)),
    "POST /api/v1/events #station pickup, a closed round": Row(
        api_staff("driver", ok=422, other_driver=403), station_pick_up(lambda c: c.other.closed_token)),
    "POST /api/v1/events #station receipt, a crate bound for the other washer": Row(
        api_staff("washer", washer=403, other_washer=403), station_receive(at_other_washer=False)),
    "POST /api/v1/events #station receipt at the other washer": Row(
        api_staff("washer", washer=403), station_receive(at_other_washer=True)),
    "GET /c": Row(signed_in(302), get(lambda c: f"/c?code={c.other.crates['in_transit'].code}")),
    "GET /c/<code>": Row(signed_in(), get(lambda c: f"/c/{c.other.crates['in_transit'].code}")),
    "GET /c/<code>/etiquette.<fmt>": Row(staff("coordinator"), get(
        lambda c: f"/c/{c.other.crates['in_transit'].code}/etiquette.svg")),

    # API tokens: one's own only; alerts (drivers and coordination)
    "POST /account/tokens/<int:token_id>/revoke #the other site's washer's": Row(
        {**signed_in(404), "other_washer": 302}, revoke_other_washers_token),
    "GET /alertes/": Row(staff("driver"), get("/alertes/")),
    "POST /alertes/": Row(staff("driver", ok=422), form("/alertes/")),  # empty: refused, nothing saved
    "POST /alertes/<int:subscription_id>/supprimer": Row(
        staff("driver", ok=404, other_driver=302), remove_other_drivers_alert),

    # The JSON API: the bearer token's person (anonymous: no token, 401); the same scope as the pages
    "GET /api/v1/openapi.json": Row(public(), get("/api/v1/openapi.json")),
    "GET /api/v1/docs": Row(public(), get("/api/v1/docs")),
    "GET /api/v1/crates": Row(api(), get("/api/v1/crates")),
    "GET /api/v1/crates/<code>": Row(api(point=403, washer=403, winemaker=403, other_winemaker=403), get(
        lambda c: f"/api/v1/crates/{c.other.crates['in_transit'].code}")),
    "GET /api/v1/stocks": Row(api(), get("/api/v1/stocks")),
    "GET /api/v1/events": Row(api(), get("/api/v1/events")),
    "GET /api/v1/phases": Row(api_staff(ok=200), get("/api/v1/phases")),  # coordination's
    "GET /api/v1/phases/<int:phase_id>": Row(api_staff(ok=200), get(lambda c: f"/api/v1/phases/{_phase(c)}")),
    "POST /api/v1/events": Row(api_staff("point", "driver", point=403), api_event("crate_full")),
    "POST /api/v1/events #crate_placed": Row(api_staff("point", "driver", point=403),
                                             api_event("crate_placed")),
    "POST /api/v1/events #pickup": Row(api_staff("driver", driver=403), api_event("pickup")),
    "POST /api/v1/events #receipt": Row(api_staff("washer", washer=403), api_event("receipt")),
    "POST /api/v1/events #round_closed": Row(api_staff("driver", driver=403), api_event("round_closed")),
    "POST /api/v1/events #sorting": Row(api_staff("washer", washer=403), api_event("sorting")),
    "POST /api/v1/events #sale": Row(api_staff("washer", washer=403), api_event("sale")),
    "POST /api/v1/events #crate_registered": Row(api_staff(), api_event("crate_registered")),
    "POST /api/v1/events #crate_retired": Row(api_staff(), api_event("crate_retired")),

    # Crate actions: point staff on their own point only; drivers anywhere, on their own open round
    "POST /c/<code>/placee": Row(staff("point", "driver", ok=302, point=403), place),
    "POST /c/<code>/pleine": Row(staff("point", "driver", ok=302, point=403), declare_full),
    "POST /c/<code>/enlevee": Row(staff("driver", ok=302, driver=403),
                                  pick_up(lambda c: c.other.round_token)),
    "POST /c/<code>/enlevee #closed round": Row(
        staff("driver", ok=422, other_driver=403), pick_up(lambda c: c.other.closed_token)),

    # Rounds and the drivers' scan stations
    "GET /tournee": Row(staff("driver"), get("/tournee")),
    "POST /tournee/ouvrir": Row(staff("driver", ok=302, driver=403),
                                lambda c, role: Req("/tournee/ouvrir", {"token": c.other.round_token})),
    "POST /tournee/ouvrir #closed round": Row(
        staff("driver", ok=422, other_driver=403),
        lambda c, role: Req("/tournee/ouvrir", {"token": c.other.closed_token})),
    "POST /tournee/<int:round_id>/clore": Row(staff("driver", ok=302, driver=403), close_other_round),
    "POST /tournee/<int:round_id>/clore #closed round": Row(
        staff("driver", ok=422, other_driver=403),
        lambda c, role: Req(f"/tournee/{c.other.closed.id}/clore", {"event_id": eid(), "km": "1",
                                                                    "hours": "1"})),
    "GET /tournee/enlever": Row(staff("driver"), get("/tournee/enlever")),
    # the station's lines are API events (the session cookie): "POST /api/v1/events #station …" below
    "GET /tournee/deposer": Row(staff("driver"), get(lambda c: f"/tournee/deposer?point={c.other.point.id}")),

    # Coordination: requests, labels
    "GET /demandes": Row(staff("coordinator"), get("/demandes")),
    # Round planning (docs/rounds.md): a save with no stop, an upload with no file are refused, nothing saved.
    "GET /tournees/preparer": Row(staff("coordinator"), get("/tournees/preparer?propose=1")),
    "POST /tournees/preparer": Row(staff("coordinator", ok=422), form("/tournees/preparer", capacity="10")),
    "POST /tournees/lavage/<int:washer_id>/coordonnees": Row(
        staff("coordinator", ok=302), lambda c, role: Req(f"/tournees/lavage/{c.other.washer.id}/coordonnees",
                                                          {"latitude": "46,7", "longitude": "5,8"})),
    "POST /tournees/matrice": Row(staff("coordinator", ok=422), form("/tournees/matrice")),
    "POST /tournees/matrice/effacer": Row(staff("coordinator", ok=302), form("/tournees/matrice/effacer")),
    "GET /tournee/prevue": Row(staff("driver"), get("/tournee/prevue")),
    "POST /demandes/<int:point_id>/attribuer": Row(staff("coordinator", ok=302), lambda c, role: Req(
        f"/demandes/{c.other.point.id}/attribuer", {"driver_id": c.other.users["driver"].id})),
    "GET /etiquettes": Row(staff("coordinator"), get("/etiquettes")),
    "POST /etiquettes": Row(staff("coordinator"), lambda c, role: Req("/etiquettes", {
        "which": "codes", "codes": c.other.crates["in_transit"].code, "layout": "3x8"})),

    # The dock: receipts only of crates coming to one's washer, every page of one's own washer
    "GET /lavage/reception": Row(staff("washer"), get("/lavage/reception")),
    "GET /lavage/reception #crate bound for the other washer": Row(
        staff("washer", washer=403),
        get(lambda c: f"/lavage/reception?code={c.other.crates['in_transit'].code}")),
    "GET /lavage/reception #crate bound for the first washer": Row(
        staff("washer", other_washer=403),
        get(lambda c: f"/lavage/reception?code={c.world.crates['in_transit'].code}")),
    "GET /lavage/reception #the other washer's page": Row(
        staff("washer", washer=403), get(lambda c: f"/lavage/reception?w={c.other.washer.id}")),
    "POST /lavage/reception": Row(staff("washer", ok=302, washer=403), receive(with_w=False)),
    "POST /lavage/reception #w": Row(staff("washer", ok=302, washer=403), receive(with_w=True)),
    "GET /lavage/tri": Row(staff("washer", washer=403), get(lambda c: f"/lavage/tri?w={c.other.washer.id}")),
    "POST /lavage/tri": Row(staff("washer", ok=302, washer=403),
                            at_other_washer("/lavage/tri", **{"m-{model}": "1"})),
    "GET /lavage/lot": Row(staff("washer", washer=403), get(lambda c: f"/lavage/lot?w={c.other.washer.id}")),
    "POST /lavage/lot": Row(staff("washer", ok=302, washer=403),
                            at_other_washer("/lavage/lot", **{"t-{model}": "1", "a-{model}": "1"})),
    "GET /lavage/stock": Row(staff("washer", washer=403),
                             get(lambda c: f"/lavage/stock?w={c.other.washer.id}")),
    "POST /lavage/palette": Row(staff("coordinator", ok=302),
                                at_other_washer("/lavage/palette", pallet_size="500")),
    "GET /lavage/inventaire": Row(staff("washer", washer=403),
                                  get(lambda c: f"/lavage/inventaire?w={c.other.washer.id}")),
    "POST /lavage/inventaire": Row(staff("washer", washer=403), at_other_washer(  # the review: no write yet
        "/lavage/inventaire", etape="clean", **{"c-{model}": "5"})),
    "GET /lavage/historique": Row(staff("washer"), get("/lavage/historique")),
    "GET /lavage/corriger/<int:seq>": Row(staff("washer", washer=404),
                                          get(lambda c: f"/lavage/corriger/{c.other.sorting.seq}")),
    "POST /lavage/corriger/<int:seq>": Row(staff("washer", ok=302, washer=404), correct_other),
    "GET /lavage/tournees": Row(staff("washer"), get("/lavage/tournees")),
    "GET /lavage/tournees/<int:round_id>": Row(staff("washer", washer=404),
                                               get(lambda c: f"/lavage/tournees/{c.other.round.id}")),

    # Resales: washer staff where their washer sells (the first site's does not), coordinators
    "GET /ventes/": Row(staff("washer"), get("/ventes/")),
    "GET /ventes/nouvelle": Row(staff("washer", washer=403), get("/ventes/nouvelle")),
    "POST /ventes/nouvelle": Row(staff("washer", ok=302, washer=403), sell_from_other),
    "POST /ventes/nouvelle #the first site's washer": Row(  # a seller of the other site: 403, the form
        staff("washer", ok=302, washer=403, other_washer=403), sell_from_first),  # says why by the field
    # the other site's sale is to the first site's estate: its winemaker sees it, the other estate's does not
    "GET /ventes/<int:seq>": Row(staff("washer", washer=404, winemaker=200, other_winemaker=404),
                                 get(lambda c: f"/ventes/{c.other.sale.seq}")),
    "GET /ventes/<int:seq>.pdf": Row(staff("washer", washer=404, winemaker=200, other_winemaker=404),
                                     get(lambda c: f"/ventes/{c.other.sale.seq}.pdf")),
    "POST /ventes/<int:seq>/corriger": Row(staff("washer", ok=302, washer=404), cancel_other_sale),
    "GET /ventes/vignerons": Row(staff("coordinator"), get("/ventes/vignerons")),
    "GET /ventes/vigneron/<int:winemaker_id>": Row(staff("coordinator"), get(
        lambda c: f"/ventes/vigneron/{c.world.winemaker.id}")),

    # Reservations: a winemaker's own estate only; coordination all; the washer's list to prepare
    "GET /ventes/mes-reservations": Row(staff("winemaker", coordinator=302, admin=302),
                                        get("/ventes/mes-reservations")),
    "GET /ventes/reservations": Row(staff("coordinator"), get("/ventes/reservations")),
    "POST /ventes/reservations": Row(staff("winemaker", ok=302), reserve_for_other),
    "POST /ventes/reservations/<int:reservation_id>/annuler": Row(
        staff("winemaker", ok=302, winemaker=404),
        lambda c, role: Req(f"/ventes/reservations/{reservation_of_other(c)}/annuler", {})),
    "GET /ventes/reservations/<int:reservation_id>/vendre": Row(  # the first site's washer does not sell
        staff("washer", washer=403), get(lambda c: f"/ventes/reservations/{c.other.reservation}/vendre")),
    "POST /ventes/reservations/<int:reservation_id>/vendre": Row(
        staff("washer", ok=302, washer=403), lambda c, role: Req(
            f"/ventes/reservations/{reservation_of_other(c)}/vendre",
            {"event_id": eid(), "washer_id": c.other.washer.id, "unit_price": ""})),
    "GET /ventes/a-preparer": Row(staff("washer"), get("/ventes/a-preparer")),

    # Catalogue (coordinators); the forms are sent empty: refused as incomplete, nothing written
    "GET /catalogue/": Row(staff("coordinator"), get("/catalogue/")),
    "GET /catalogue/<slug>/": Row(staff("coordinator"), get("/catalogue/washers/")),
    "GET /catalogue/<slug>/new": Row(staff("coordinator"), get("/catalogue/washers/new")),
    "POST /catalogue/<slug>/new": Row(staff("coordinator", ok=422), form("/catalogue/washers/new")),
    "GET /catalogue/<slug>/<int:row_id>": Row(staff("coordinator"), get(
        lambda c: f"/catalogue/washers/{c.other.washer.id}")),
    "POST /catalogue/<slug>/<int:row_id>": Row(staff("coordinator", ok=422), form(
        lambda c: f"/catalogue/washers/{c.other.washer.id}")),
    "POST /catalogue/<slug>/<int:row_id>/active": Row(staff("coordinator", ok=400), form(
        lambda c: f"/catalogue/washers/{c.other.washer.id}/active")),
    "GET /catalogue/crates/": Row(staff("coordinator"), get("/catalogue/crates/")),
    "GET /catalogue/crates/new": Row(staff("coordinator"), get("/catalogue/crates/new")),
    "POST /catalogue/crates/new": Row(staff("coordinator", ok=422), form("/catalogue/crates/new")),
    "GET /catalogue/crates/<int:crate_id>": Row(staff("coordinator"), get(
        lambda c: f"/catalogue/crates/{c.other.crates['in_transit'].id}")),
    "POST /catalogue/crates/<int:crate_id>": Row(staff("coordinator", ok=422), form(
        lambda c: f"/catalogue/crates/{c.other.crates['in_transit'].id}")),
    "POST /catalogue/crates/<int:crate_id>/retire": Row(staff("coordinator", ok=422), form(
        lambda c: f"/catalogue/crates/{c.other.crates['in_transit'].id}/retire")),
    "GET /catalogue/import/<slug>": Row(staff("coordinator"), get("/catalogue/import/washers")),
    "POST /catalogue/import/<slug>": Row(staff("coordinator", ok=422), form("/catalogue/import/washers")),
    "POST /catalogue/import/<slug>/confirm": Row(staff("coordinator", ok=409),  # no preview to confirm
                                                 form("/catalogue/import/washers/confirm")),
    "GET /catalogue/import/<slug>/example.csv": Row(staff("coordinator"),
                                                    get("/catalogue/import/washers/example.csv")),

    # Spreadsheet history (coordinators): a form sent empty is refused, nothing written
    "GET /historique/": Row(staff("coordinator"), get("/historique/")),
    "POST /historique/": Row(staff("coordinator", ok=422), form("/historique/")),  # no file
    "GET /historique/<key>": Row(staff("coordinator"), get(lambda c: f"/historique/{stashed()}")),
    "GET /historique/exemple.<fmt>": Row(staff("coordinator"), get("/historique/exemple.csv")),
    "POST /historique/<key>": Row(staff("coordinator", ok=422), form(  # no column mapped
        lambda c: f"/historique/{stashed()}", header_line="1", first_line="2", last_line="3",
        hour="18:00", action="preview")),
    "POST /historique/correspondances/<int:mapping_id>/supprimer": Row(staff("coordinator", ok=302),
                                                                       saved_mapping_deleted),

    # Accounts (admins only)
    "GET /people/": Row(admins(200), get("/people/")),
    "GET /people/new": Row(admins(200), get("/people/new")),
    "POST /people/new": Row(admins(422), form("/people/new")),
    "GET /people/<int:user_id>": Row(admins(200), get(lambda c: f"/people/{c.other.users['washer'].id}")),
    "POST /people/<int:user_id>": Row(admins(422), form(lambda c: f"/people/{c.other.users['washer'].id}")),
    "POST /people/<int:user_id>/active": Row(admins(400), form(
        lambda c: f"/people/{c.other.users['washer'].id}/active")),
    "POST /people/<int:user_id>/password": Row(admins(422), form(
        lambda c: f"/people/{c.other.users['washer'].id}/password")),

    # Phases and dashboards (coordinators)
    "GET /phases/": Row(staff("coordinator"), get("/phases/")),
    "GET /phases/new": Row(staff("coordinator"), get("/phases/new")),
    "POST /phases/new": Row(staff("coordinator", ok=422), form("/phases/new")),
    "GET /phases/compare": Row(staff("coordinator"), get("/phases/compare")),
    "GET /phases/<int:phase_id>": Row(staff("coordinator"), get(lambda c: f"/phases/{_phase(c)}")),
    "GET /phases/<int:phase_id>/edit": Row(staff("coordinator"), get(lambda c: f"/phases/{_phase(c)}/edit")),
    "POST /phases/<int:phase_id>/edit": Row(staff("coordinator", ok=422),
                                            form(lambda c: f"/phases/{_phase(c)}/edit")),
    "GET /phases/<int:phase_id>/graphiques/<name>.svg": Row(staff("coordinator"), get(
        lambda c: f"/phases/{_phase(c)}/graphiques/entonnoir.svg")),
    "GET /phases/<int:phase_id>/journal.csv": Row(staff("coordinator"), get(
        lambda c: f"/phases/{_phase(c)}/journal.csv")),
    "GET /phases/<int:phase_id>/journal.jsonld": Row(staff("coordinator"), get(
        lambda c: f"/phases/{_phase(c)}/journal.jsonld")),
    "GET /phases/<int:phase_id>/rapport.pdf": Row(staff("coordinator"), get(
        lambda c: f"/phases/{_phase(c)}/rapport.pdf")),
    "GET /phases/<int:phase_id>/tableaux.xlsx": Row(staff("coordinator"), get(
        lambda c: f"/phases/{_phase(c)}/tableaux.xlsx")),
    "GET /phases/<int:phase_id>/tableaux/<name>.csv": Row(staff("coordinator"), get(
        lambda c: f"/phases/{_phase(c)}/tableaux/periode.csv")),
    "GET /phases/<int:phase_id>/modeles": Row(staff("coordinator"), get(
        lambda c: f"/phases/{_phase(c)}/modeles")),
    "GET /phases/<int:phase_id>/simulateur": Row(staff("coordinator"), get(
        lambda c: f"/phases/{_phase(c)}/simulateur")),
    # No phase after the running one: the proposal is refused, nothing saved.
    "POST /phases/<int:phase_id>/simulateur": Row(staff("coordinator", ok=422),
                                                  form(lambda c: f"/phases/{_phase(c)}/simulateur")),
    "GET /phases/<int:phase_id>/rentabilite": Row(staff("coordinator"), get(
        lambda c: f"/phases/{_phase(c)}/rentabilite")),
    "GET /phases/<int:phase_id>/tournees": Row(staff("coordinator"), get(
        lambda c: f"/phases/{_phase(c)}/tournees")),
    "GET /phases/<int:phase_id>/agec.csv": Row(staff("coordinator"), get(
        lambda c: f"/phases/{_phase(c)}/agec.csv")),
    "GET /phases/<int:phase_id>/agec.xlsx": Row(staff("coordinator"), get(
        lambda c: f"/phases/{_phase(c)}/agec.xlsx")),
}


# --- The walk -----------------------------------------------------------------------------------


def route_keys(app) -> set[str]:
    """"METHOD rule" of every route a person can call (GET and POST; files left out)."""
    keys = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIPPED_ENDPOINTS or rule.endpoint.endswith(".static"):
            continue
        keys.update(f"{method} {rule.rule}" for method in ("GET", "POST") if method in rule.methods)
    return keys


def row_route(key: str) -> str:
    return key.split(" #", 1)[0]


def counted_tables() -> list[str]:
    """Every table but the dashboards' roll-ups (pages feed those as they are read)."""
    return [table.name for table in db.metadata.sorted_tables if not table.name.startswith("report_")]


def row_counts(tables: list[str]) -> dict[str, int]:
    """Rows of every table, in one query."""
    columns = ", ".join(f'(SELECT count(*) FROM "{name}") AS "{name}"' for name in tables)
    return dict(db.session.execute(text(f"SELECT {columns}")).mappings().one())


@pytest.fixture(scope="module")
def matrix(database, tmp_path_factory):
    """One app and one world for the module (two sites), CSRF off; each role signed in once."""
    from wsgi import create_app

    url = module_db_url(database, tmp_path_factory, "matrix")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": "test-secret",
                      "BASE_URL": "https://boucle.test", "SERVER_NAME": None, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        factory = Factory(db.session)
        world = build(factory)
        other = add_other_site(factory, world)
        people = {**world.users, **{f"other_{role}": user for role, user in other.users.items()}}
        usernames = {role: user.username for role, user in people.items()}
        from bottles.people import tokens

        secrets = {role: tokens.create(db.session, user, name="matrix").secret
                   for role, user in people.items()}
        db.session.commit()
        for row in list(db.session.identity_map.values()):  # the world's rows stay readable between cells
            db.session.refresh(row)
        db.session.expunge_all()
        db.session.remove()
    clients = {"anonymous": app.test_client()}
    for role in ROLES[1:]:
        client = app.test_client()
        signed = client.post("/login", data={"username": usernames[role], "password": PASSWORD})
        assert signed.status_code == 302, f"{role} could not sign in"
        clients[role] = client
    yield app, Ctx(world, factory, people=people, tokens=secrets), clients
    with app.app_context():
        db.session.remove()
        if ON_POSTGRES:
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with db.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


def send(client, method: str, req: Req, token: str | None) -> int:
    """The status; the response is closed (a streamed one would keep its request's context pushed).

    The API (/api/v1/…) is called with the role's bearer token, or with the session cookie alone
    when the row says bearer=False (as the pages' scripts call it; CSRF is off in this walk)."""
    api_call = req.bearer and token and req.url.startswith("/api/v1/")
    headers = {"Authorization": f"Bearer {token}"} if api_call else {}
    if method == "GET":
        response = client.get(req.url, headers=headers)
    elif req.json is not None:
        response = client.post(req.url, json=req.json, headers={"Accept": "application/json", **headers})
    else:
        response = client.post(req.url, data=req.form or {}, headers=headers)
    response.close()
    return response.status_code


def test_every_route_method_and_role_answers_as_the_table_says(matrix):
    app, ctx, clients = matrix
    keys = route_keys(app)
    missing = sorted(keys - {row_route(key) for key in TABLE})
    assert not missing, ("routes without a row in TABLE of tests/test_route_matrix.py (add one: who may "
                         f"call it, aimed at the other site's objects): {missing}")
    stale = sorted({row_route(key) for key in TABLE} - keys)
    assert not stale, f"rows of TABLE for routes that no longer exist (remove them): {stale}"
    for key, row in TABLE.items():
        assert set(row.expected) == set(ROLES), f"{key}: a status for each of {ROLES}"

    wrong, writes, cells = [], [], 0
    ordered = sorted(TABLE, key=lambda key: (key.startswith("POST /logout"), not key.startswith("GET ")))
    with app.app_context():
        tables = counted_tables()
    for key in ordered:
        method = key.split(" ", 1)[0]
        row = TABLE[key]
        for role in ROLES:
            cells += 1
            with app.app_context():
                req = row.request(ctx, role)
                before = row_counts(tables) if method == "POST" else None
                db.session.remove()
            status = send(clients[role], method, req, ctx.tokens.get(role))
            expected = row.expected[role]
            if status != expected:
                wrong.append(f"{key} as {role}: {status}, expected {expected} ({req.url})")
            if before is not None and (expected >= 400 or role == "anonymous"):
                with app.app_context():
                    after = row_counts(tables)
                    db.session.remove()
                changed = {name: after[name] - before[name] for name in tables if after[name] != before[name]}
                if changed:
                    writes.append(f"{key} as {role} ({status}) wrote {changed}")
    print(f"\nroute matrix: {len(keys)} routes (method × rule), {len(TABLE)} rows, {cells} cells")
    assert not wrong, f"{len(wrong)} cells answer otherwise than TABLE:\n" + "\n".join(wrong)
    assert not writes, "refused requests that wrote:\n" + "\n".join(writes)


# --- What the refusals say, and what they leave out ---------------------------------------------


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def sign_in(app, user) -> object:
    client = app.test_client()
    assert client.post("/login", data={"username": user.username, "password": PASSWORD}).status_code == 302
    return client


def events_count() -> int:
    return db.session.scalar(text("SELECT count(*) FROM events"))


def test_the_dock_neither_receives_nor_shows_a_crate_bound_for_another_washer(matrix):
    app, c, _clients = matrix
    with app.app_context():
        theirs = crate_on_round(c, c.other.round, c.other.point, count=17)
        ours = crate_on_round(c, c.world.rounds[1], c.world.points[0], count=23)
        theirs_code, ours_code, theirs_id = theirs.code, ours.code, theirs.id
        before = events_count()
        db.session.remove()
    client = sign_in(app, c.world.users["washer"])
    page = client.get(f"/lavage/reception?code={theirs_code}")
    text_ = page_text(page)
    assert page.status_code == 403 and "voyage vers un autre centre de lavage" in text_
    assert 'name="crate_id"' not in text_ and 'class="declared"' not in text_  # no count, no point
    assert "Réceptionner cette caisse" not in page_text(client.get(f"/c/{theirs_code}"))
    assert "Réceptionner cette caisse" in page_text(client.get(f"/c/{ours_code}"))
    refused = client.post("/lavage/reception", data={"event_id": eid(), "crate_id": theirs_id,
                                                     "counted": "17"})
    text_ = page_text(refused)
    assert refused.status_code == 403 and "autre centre de lavage" in text_
    assert 'name="crate_id"' not in text_ and 'class="declared"' not in text_
    # the station's lines (one API event each, the session cookie): ours received, theirs refused
    # with the reason, nothing of it shown
    answers = {code: client.post("/api/v1/events", headers={"Accept": "application/json"}, json={
        "id": eid(), "kind": "receipt", "crate": code, "washer_id": c.world.washer.id})
        for code in (ours_code, theirs_code)}
    assert answers[ours_code].status_code == 201, answers[ours_code].get_json()
    refused_line = answers[theirs_code].get_json()
    assert answers[theirs_code].status_code == 403 and refused_line["code"] == "pas_votre_site"
    assert "autre centre de lavage" in refused_line["message"]
    assert "17" not in json.dumps(refused_line)  # not its declared count
    with app.app_context():
        assert events_count() == before + 1
        assert db.session.get(Crate, theirs_id).state == "in_transit"
        db.session.remove()


def test_a_driver_adds_nothing_to_another_drivers_round_nor_to_a_closed_one(matrix):
    app, c, _clients = matrix
    with app.app_context():
        codes = [full_crate(c, c.world.points[0]).code for _ in range(2)]
        before = events_count()
        db.session.remove()
    client = sign_in(app, c.world.users["driver"])
    closed = client.post(f"/c/{codes[0]}/enlevee", data={"event_id": eid(),
                                                         "round_token": c.other.closed_token})
    assert closed.status_code == 422 and "Cette tournée est clôturée" in page_text(closed)
    theirs = client.post(f"/c/{codes[0]}/enlevee", data={"event_id": eid(),
                                                         "round_token": c.other.round_token})
    assert theirs.status_code == 403 and "celle d'un autre chauffeur" in page_text(theirs)
    for token, status, why in ((c.other.round_token, 403, "celle d'un autre chauffeur"),
                               (c.other.closed_token, 422, "clôturée")):
        line = client.post("/api/v1/events", headers={"Accept": "application/json"}, json={
            "id": eid(), "kind": "pickup", "crate": codes[1], "round_token": token})  # a station's line
        assert line.status_code == status and why in line.get_json()["message"], line.get_json()
    close = client.post(f"/tournee/{c.other.round.id}/clore",
                        data={"event_id": eid(), "km": "3", "hours": "1"})
    assert close.status_code == 403 and "Seul le chauffeur" in page_text(close)
    with app.app_context():
        assert events_count() == before
        assert not db.session.get(Round, c.other.round.id).closed
        db.session.remove()


def test_point_staff_act_only_on_their_own_point(matrix):
    app, c, _clients = matrix
    with app.app_context():
        code = placed_crate(c, c.other.point).code
        empty = pool_crate(c).code
        before = events_count()
        db.session.remove()
    client = sign_in(app, c.world.users["point"])
    full = client.post(f"/c/{code}/pleine", data={"event_id": eid(), "count": "10"})
    assert full.status_code == 403 and "pas à votre point" in page_text(full)
    placed = client.post(f"/c/{empty}/placee", data={"event_id": eid(), "point_id": c.other.point.id})
    assert placed.status_code == 403
    assert "pas rattaché(e) au point Cave de Poligny" in page_text(placed)
    with app.app_context():
        assert events_count() == before
        db.session.remove()
