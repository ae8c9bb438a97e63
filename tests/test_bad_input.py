"""Bad input never gives a 500 (issue 10, point 7), on SQLite and on PostgreSQL.

A corpus of malformed values, generated from one table of (role, method, url, field, values),
is sent to every form, query string, JSON endpoint and CSV import by a person allowed to use
it: Unicode digits, ids beyond the database's integer range, counts with thousands of digits,
NUL characters, `$…$` (mathematics to matplotlib), formula cells, very long text, wrong JSON
types, truncated JSON, CSV cells over the csv module's field limit, bytes that are not UTF-8.

Each case: a status below 500 and no traceback in the body; a refused request (4xx) changes
no row of any table. After the corpus, check-ledger finds the projections equal to the ledger.
The world is built once for the module (tests/world.py); each request runs in its own app context.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, literal, select, text, union_all

from bottles.check import check_ledger
from bottles.db import db
from tests import world as world_module
from tests.conftest import ON_POSTGRES, module_db_url
from tests.factories import Factory, csrf_from, login
from tests.history_files import preview_form, stashed
from tests.world import World

# Values for a whole number (a count, a quantity, a price, an id typed or chosen in a form).
NUMBERS = ("²", "٣", "１２", "-1", "0", "1e3", "1,5", "0x10", "9" * 40, "2147483648",
           "9223372036854775808", "9" * 5000, "", " ", "\x00", "1\x00", "$x^2$", "=1+1", "1e999999", "NaN")
# Values for an id the page chose from a list (a select, a hidden field, a URL parameter).
IDS = ("²", "٣", "-1", "0", "9" * 40, "2147483648", "9223372036854775808", "9" * 5000, "", "\x00",
       "abc", "1.0")
# Values for free text (names, notes, codes, dates, choices).
TEXTS = ("\x00", "a\x00b", "$x^2$ 100$", "=1+1", "x" * 10_000, "²", " ", "<script>", "'; --")
# The reports' roll-ups: a cache of the ledger any reports page brings up to date, even a 404.
ROLLUPS = {"report_daily_flows", "report_daily_work", "report_crate_leads", "report_rollup_state",
           "report_monthly_flows", "report_monthly_work"}
PAGES = ("²", "٣", "-1", "0", "9" * 40, "9" * 5000, "\x00", "1e3")


@dataclass(frozen=True)
class Target:
    """One form, query string or JSON endpoint, used by `role`, and the fields the corpus varies."""

    role: str
    method: str
    url: Callable[[World], str]
    fields: dict[str, tuple[str, ...]]
    base: Callable[[World], dict] = field(default=lambda w: {})
    kind: str = "form"  # form | query


def _eid(_w: World | None = None) -> str:
    return str(uuid.uuid4())


def _crate(state: str) -> Callable[[World], str]:
    return lambda w: w.crates[state].code


FORMS: list[Target] = [
    # The history import's mapping form, on a small CSV of the world's points (a preview writes nothing)
    Target("coordinator", "POST", lambda w: f"/historique/{stashed()}",
           {"header_line": NUMBERS, "first_line": NUMBERS[:10], "last_line": NUMBERS[:10],
            "hour": TEXTS[:6] + ("25:00", "18h99", "-1:00"),
            "field-0": TEXTS[:5] + ("quantity:NOPE", "corrects"),
            "field-2": TEXTS[:5] + ("quantity",), "fixed-kind": TEXTS, "fixed-collection_point": TEXTS,
            "fixed-actor": TEXTS[:5], "fixed-from_stage": TEXTS[:5], "action": TEXTS[:5]},
           lambda w: preview_form(w.users["coordinator"].username)),
    Target("coordinator", "POST", lambda w: f"/historique/{stashed()}", {"name": TEXTS},
           lambda w: {**preview_form(w.users["coordinator"].username), "action": "save"}),
    Target("anonymous", "POST", lambda w: "/login", {"username": TEXTS, "password": TEXTS[:4]},
           lambda w: {"username": "nobody", "password": "x"}),
    Target("point", "POST", lambda w: f"/c/{w.crates['at_point'].code}/pleine",
           {"count": NUMBERS, "model_1": NUMBERS[:10], "note": TEXTS, "event_id": TEXTS[:5]},
           lambda w: {"event_id": _eid(), "count": "40", "note": ""}),
    Target("point", "POST", lambda w: f"/c/{w.crates['in_pool'].code}/placee",
           {"point_id": IDS, "note": TEXTS[:5]},
           lambda w: {"event_id": _eid(), "point_id": str(w.points[0].id)}),
    Target("driver", "POST", lambda w: f"/c/{w.crates['full'].code}/enlevee",
           {"counted": NUMBERS, "round_token": TEXTS, "note": TEXTS[:5]},
           lambda w: {"event_id": _eid(), "round_token": _eid(), "counted": "45"}),
    Target("driver", "POST", lambda w: f"/tournee/{w.rounds[1].id}/clore",
           {"km": NUMBERS, "hours": NUMBERS + ("25:99", "4h99", "99999:00"), "note": TEXTS[:5]},
           lambda w: {"event_id": _eid(), "km": "12", "hours": "1:30"}),
    Target("driver", "POST", lambda w: "/tournee/ouvrir", {"washer_id": IDS, "token": TEXTS[:5]},
           lambda w: {"token": _eid(), "washer_id": str(w.washer.id)}),
    Target("coordinator", "POST", lambda w: f"/demandes/{w.points[0].id}/attribuer", {"driver_id": IDS},
           lambda w: {"driver_id": str(w.users["driver"].id)}),
    # Round planning (docs/rounds.md): the save form and a washer's coordinates
    Target("coordinator", "POST", lambda w: "/tournees/preparer",
           {"capacity": NUMBERS, "day": TEXTS + ("2026-02-30", "9999-12-31"), "washer_id": IDS,
            "driver_id": IDS, "stop": IDS, "skip": IDS, "road_factor": NUMBERS[:12], "worth": NUMBERS[:12],
            "source": TEXTS[:5]},
           lambda w: {"capacity": "10", "washer_id": str(w.washer.id), "stop": str(w.points[0].id)}),
    Target("coordinator", "POST", lambda w: f"/tournees/lavage/{w.washer.id}/coordonnees",
           {"latitude": NUMBERS, "longitude": NUMBERS}, lambda w: {"latitude": "46,7", "longitude": "5,8"}),
    Target("coordinator", "POST", lambda w: "/etiquettes",
           {"first": NUMBERS[:12], "last": NUMBERS[:12], "codes": TEXTS, "point": TEXTS[:5],
            "layout": TEXTS[:5], "which": TEXTS[:4]},
           lambda w: {"which": "range", "first": "1", "last": "2", "layout": "3x8"}),
    Target("washer", "POST", lambda w: "/lavage/reception",
           {"crate_id": IDS, "counted": NUMBERS, "reason_id": IDS, "w": IDS, "note": TEXTS[:5]},
           lambda w: {"event_id": _eid(), "w": str(w.washer.id), "crate_id": str(w.crates["in_transit"].id),
                      "counted": "52"}),
    Target("washer", "POST", lambda w: "/lavage/tri",
           {"m-1": NUMBERS, "m-²": ("1",), "m-9999999999999999999999": ("1",), "r-1": NUMBERS[:10],
            "lq-2": NUMBERS[:10], "lw-2": IDS, "hours": NUMBERS[:10], "note": TEXTS[:5], "w": IDS[:6]},
           lambda w: {"event_id": _eid(), "w": str(w.washer.id), "m-1": "1"}),
    Target("washer", "POST", lambda w: "/lavage/lot",
           {"t-1": NUMBERS, "a-1": NUMBERS[:10], "x-1-3": NUMBERS[:10], "x-²-3": ("1",),
            "x-1-99999999999999999999": ("1",), "t-٣": ("1",), "water_l": NUMBERS[:10],
            "energy_kwh": NUMBERS[:10], "hours": NUMBERS[:10], "note": TEXTS[:5]},
           lambda w: {"event_id": _eid(), "w": str(w.washer.id), "t-1": "1", "a-1": "1"}),
    Target("washer", "POST", lambda w: "/lavage/inventaire?etape=clean",
           {"c-1": NUMBERS, "loss_reason": IDS, "surplus_reason": IDS, "action": TEXTS[:4],
            "note": TEXTS[:5]},
           lambda w: {"event_id": _eid(), "w": str(w.washer.id), "c-1": "1", "c-2": "1",
                      "action": "confirm"}),
    Target("washer", "POST", lambda w: "/lavage/inventaire?etape=received",  # c-0: unsorted bottles
           {"c-0": NUMBERS, "e-0": NUMBERS[:10], "c-٣": ("1",), "c--1": ("1",)},
           lambda w: {"event_id": _eid(), "w": str(w.washer.id), "c-0": "1", "action": "confirm"}),
    Target("washer", "POST", lambda w: "/lavage/palette", {"pallet_size": NUMBERS, "w": IDS},
           lambda w: {"w": str(w.washer.id), "pallet_size": "1200"}),
    Target("washer", "POST", lambda w: f"/lavage/corriger/{w.sorting.seq}",
           {"event_id": TEXTS[:5], "note": TEXTS}, lambda w: {"event_id": _eid(), "note": "oups"}),
    Target("coordinator", "POST", lambda w: "/ventes/nouvelle",
           {"winemaker_id": IDS, "washer_id": IDS, "model_id": IDS, "quantity": NUMBERS,
            "unit_price": NUMBERS + ("0,3333", "-0,30", "1e9"),
            "date": TEXTS[:6] + ("2026-02-30", "99999-01-01"),
            "note": TEXTS[:5]},
           lambda w: {"event_id": _eid(), "winemaker_id": str(w.winemaker.id), "washer_id": str(w.washer.id),
                      "date": world_module.today().isoformat(), "model_id": str(w.models[0].id),
                      "quantity": "1", "unit_price": "0,30"}),
    Target("coordinator", "POST", lambda w: "/alertes/",
           {"topic": TEXTS[:6], "channel": TEXTS[:6], "point_id": IDS, "threshold_days": NUMBERS,
            "target": TEXTS + ("https://[::1", "https://exemple.org:99999/", "http://127.0.0.1:0/",
                               "https://" + "x" * 600, "a@b", "a@" + "b" * 300 + ".fr")},
           lambda w: {"topic": "pickup_late", "channel": "webhook", "target": "https://hooks.example.org/x",
                      "point_id": str(w.points[0].id), "threshold_days": "3"}),
    Target("driver", "POST", lambda w: "/alertes/", {"target": TEXTS},
           lambda w: {"topic": "crate_full", "channel": "email", "target": "paul@example.org"}),
    # Reservations: a winemaker's (for their own estate) and coordination's (for an estate), and the
    # one-step sale of one (the world's reservation asks more than the stock: refused even when valid)
    Target("winemaker", "POST", lambda w: "/ventes/reservations",
           {"model_id": IDS, "quantity": NUMBERS, "unit": TEXTS[:5],
            "wanted_by": TEXTS[:6] + ("2026-02-30", "99999-01-01", "1999-01-01"), "note": TEXTS,
            "request_id": TEXTS[:5], "winemaker_id": IDS[:5]},
           lambda w: {"request_id": _eid(), "model_id": str(w.models[0].id), "quantity": "10",
                      "unit": "bottles", "wanted_by": world_module.today().isoformat()}),
    Target("coordinator", "POST", lambda w: "/ventes/reservations",
           {"winemaker_id": IDS, "quantity": NUMBERS[:10], "unit": ("pallets",)},
           lambda w: {"request_id": _eid(), "model_id": str(w.models[1].id), "quantity": "2",
                      "unit": "pallets", "winemaker_id": str(w.winemaker.id),
                      "wanted_by": world_module.today().isoformat()}),
    Target("coordinator", "POST", lambda w: f"/ventes/reservations/{w.extra['reservation']}/vendre",
           {"washer_id": IDS, "unit_price": NUMBERS[:12] + ("0,3333", "-0,30"), "event_id": TEXTS[:5],
            "note": TEXTS[:5]},
           lambda w: {"event_id": _eid(), "washer_id": str(w.washer.id), "unit_price": ""}),
    Target("coordinator", "POST", lambda w: f"/ventes/{w.sale.seq}/corriger", {"event_id": TEXTS[:5],
           "note": TEXTS}, lambda w: {"event_id": _eid(), "note": ""}),
    Target("coordinator", "POST", lambda w: "/catalogue/models/new",
           {"code": TEXTS, "name": TEXTS[:5], "volume_ml": NUMBERS, "glass_mass_g": NUMBERS[:12]},
           lambda w: {"code": "NEUF75", "name": "Neuve", "volume_ml": "750", "colour": "",
                      "glass_mass_g": "500"}),
    Target("coordinator", "POST", lambda w: f"/catalogue/points/{w.points[1].id}",
           {"latitude": NUMBERS[:12] + ("1e999999", "NaN", "-Infinity"), "longitude": NUMBERS[:8],
            "kind": IDS, "territory": IDS, "active_from": TEXTS[:5] + ("2026-02-30",), "name": TEXTS[:5]},
           lambda w: {"code": "BLETTERANS-EPI", "name": "Épicerie Seille", "address": "9 Grande Rue"}),
    Target("coordinator", "POST", lambda w: f"/catalogue/washers/{w.washer.id}",
           {"pallet_size": NUMBERS, "phone": TEXTS[:5]},
           lambda w: {"code": "LAVJURA", "name": "Lavoir Jura", "pallet_size": "1200"}),
    Target("coordinator", "POST", lambda w: f"/catalogue/reasons/{w.reasons['REJ-CASSE'].id}/active",
           {"active": TEXTS[:5]}, lambda w: {"active": "1"}),
    Target("coordinator", "POST", lambda w: "/catalogue/crates/new",
           {"count": NUMBERS, "capacity": NUMBERS, "washer_id": IDS},
           lambda w: {"event_id": _eid(), "count": "1", "capacity": "60"}),
    Target("coordinator", "POST", lambda w: f"/catalogue/crates/{w.crates['in_pool'].id}",
           {"capacity": NUMBERS}, lambda w: {"capacity": "60"}),
    Target("coordinator", "POST", lambda w: "/phases/new",
           {"name": TEXTS, "start": TEXTS[:6] + ("2026-02-30", "0001-01-01", "9999-12-31"),
            "param_fixed_costs_eur": NUMBERS, "target_bottles_collected": NUMBERS[:12],
            "target_wash_yield": NUMBERS[:10], "source_fixed_costs_eur": TEXTS[:5]},
           lambda w: {"name": "Phase 3", "start": "2030-01-01", "end": "2030-12-31"}),
    Target("admin", "POST", lambda w: "/people/new",
           {"username": TEXTS, "display_name": TEXTS[:5], "role": TEXTS[:4], "points": IDS,
            "washers": IDS, "password": TEXTS[:4], "language": TEXTS[:4]},
           lambda w: {"username": "someone-new", "display_name": "Quelqu'un", "role": "driver",
                      "language": "fr", "password": "motdepasse-tres-long",
                      "confirm": "motdepasse-tres-long"}),
    Target("admin", "POST", lambda w: f"/people/{w.extra['spare_user']}",
           {"points": IDS, "washers": IDS, "phone": TEXTS[:5]},
           lambda w: {"username": "spare-driver", "display_name": "Remplaçant", "role": "driver",
                      "language": "fr"}),
    Target("admin", "POST", lambda w: f"/people/{w.extra['spare_user']}/password",
           {"password": TEXTS[:5], "confirm": TEXTS[:3]}, lambda w: {}),
    Target("point", "POST", lambda w: "/account/password",
           {"current": TEXTS[:4], "password": TEXTS[:4]}, lambda w: {}),
]

QUERIES: list[Target] = [
    Target("coordinator", "GET", lambda w: "/catalogue/models/",
           {"page": PAGES, "q": TEXTS, "active": TEXTS[:4]}, kind="query"),
    Target("coordinator", "GET", lambda w: "/catalogue/points/", {"territory": IDS, "kind": IDS},
           kind="query"),
    Target("coordinator", "GET", lambda w: "/catalogue/crates/",
           {"page": PAGES, "site": IDS + ("w-²", "p-9999999999999999999999"), "state": TEXTS[:4],
            "q": TEXTS[:6]}, kind="query"),
    Target("admin", "GET", lambda w: "/people/", {"page": PAGES, "q": TEXTS[:5], "role": TEXTS[:4]},
           kind="query"),
    Target("washer", "GET", lambda w: "/lavage/historique", {"page": PAGES, "w": IDS}, kind="query"),
    Target("washer", "GET", lambda w: "/lavage/reception", {"code": TEXTS, "w": IDS}, kind="query"),
    Target("washer", "GET", lambda w: "/lavage/inventaire", {"etape": TEXTS[:5], "w": IDS[:6]}, kind="query"),
    Target("washer", "GET", lambda w: "/lavage/stock", {"w": IDS}, kind="query"),
    Target("driver", "GET", lambda w: "/tournee/deposer", {"point": IDS}, kind="query"),
    Target("coordinator", "GET", lambda w: "/tournees/preparer?propose=1",
           {"capacity": NUMBERS, "day": TEXTS + ("2026-02-30",), "washer_id": IDS, "driver_id": IDS,
            "skip": IDS, "road_factor": NUMBERS[:12], "worth": NUMBERS[:12], "source": TEXTS[:5]},
           kind="query"),
    Target("driver", "GET", lambda w: "/tournee/prevue", {"day": TEXTS + ("2026-02-30",)}, kind="query"),
    Target("point", "GET", lambda w: "/c", {"code": TEXTS}, kind="query"),
    Target("coordinator", "GET", lambda w: "/ventes/", {"page": PAGES}, kind="query"),
    Target("coordinator", "GET", lambda w: f"/historique/{stashed()}", {"correspondance": IDS},
           kind="query"),
    Target("coordinator", "GET", lambda w: "/phases/compare", {"phase": IDS}, kind="query"),
    Target("coordinator", "GET", lambda w: f"/phases/{w.phases[1].id}", {"territoire": IDS + TEXTS[1:4]},
           kind="query"),
    Target("coordinator", "GET", lambda w: "/etiquettes", {"layout": TEXTS[:5]}, kind="query"),
    Target("anonymous", "GET", lambda w: "/login", {"next": TEXTS[:5] + ("//evil.example", "http://x")},
           kind="query"),
]

# Ids and codes in the path itself.
PATHS: list[tuple[str, str]] = [(role, path) for role, paths in {
    "coordinator": ["/phases/99999999999999999999", "/phases/2147483648", "/phases/²", "/phases/-1",
                    "/phases/0", "/phases/١", "/phases/" + "9" * 5000, "/phases/9223372036854775808/edit",
                    "/phases/2147483648/graphiques/entonnoir.svg", "/phases/1/graphiques/%00.svg",
                    "/phases/2147483648/rapport.pdf", "/ventes/9223372036854775808",
                    "/ventes/9223372036854775807", "/ventes/2147483648.pdf", "/ventes/vigneron/2147483648",
                    "/catalogue/models/2147483648", "/catalogue/crates/9223372036854775808",
                    "/catalogue/%00/", "/catalogue/import/%00", "/c/%00", "/c/" + "x" * 5000, "/c/²",
                    "/c/CJ-0000١-L", "/c/$x^2$/etiquette.svg", "/c/%00/etiquette.pdf"],
    "washer": ["/lavage/corriger/9223372036854775808", "/lavage/corriger/2147483648",
               "/lavage/tournees/2147483648", "/lavage/tournees/99999999999999999999"],
    "admin": ["/people/2147483648", "/people/99999999999999999999"],
}.items() for path in paths]


def _json_bodies(w: World, kind: str) -> list[tuple[str, object]]:
    """(what, body) pairs for a scan station's line, one event of POST /api/v1/events as scan.js
    sends it (the session cookie, the page's CSRF token): wrong shapes and types, odd values, NULs."""
    code = w.crates["full"].code
    line = {"id": _eid(), "kind": kind, "crate": code}
    bodies: list[tuple[str, object]] = [
        ("list", [line]), ("string", "items"), ("null", None), ("number", 12), ("empty", {}),
        ("items-of-the-old-batch", {"items": [{"code": code, "event_id": _eid()}], "fields": {}}),
        ("nested", {**line, "crate": {"a": [1]}}), ("nul-key", {**line, "\x00": 1}),
        ("unknown-field", {**line, "event_id": _eid()}),
    ]
    for value in (None, 12, 1.5, True, [], {}, "\x00", "a\x00b", "x" * 10_000, "²", "$x^2$", ""):
        bodies.append((f"crate={value!r:.20}", {**line, "id": _eid(), "crate": value}))
    for value in (None, "", "²", "٣", "-1", -1, 0, "9" * 40, 9 * 10**40, "9" * 5000, 1e308, float("inf"),
                  True, [], {}, "\x00", "1e3"):
        bodies.append((f"counted={value!r:.20}", {**line, "id": _eid(), "counted": value}))
    for value in (None, 12, "not-a-uuid", "\x00", [], "x" * 10_000):
        bodies.append((f"id={value!r:.20}", {**line, "id": value}))
    for value in (None, 12, "hier", "2026-11-29T08:00:00", "\x00", "9" * 5000, "2026-13-45T99:00:00Z"):
        bodies.append((f"occurred_at={value!r:.20}", {**line, "id": _eid(), "occurred_at": value}))
    for value in (None, "pickups", "\x00", 3):
        bodies.append((f"kind={value!r:.20}", {**line, "id": _eid(), "kind": value}))
    return bodies


def _json_fields() -> dict[str, tuple]:
    """The fields the stations' pages add to each line (the macro's caller block), named as the API."""
    return {"point_id": ("²", "٣", "-1", -1, 0, "9" * 40, 2**63, 2**80, True, [], {}, "\x00", 1.5),
            "round_token": ("x" * 10_000, 12, [], {}, "\x00", True),
            "washer_id": ("²", "-1", "9" * 40, 2**63, [], "\x00"),
            "loss_reason_id": ("²", "-1", "9" * 40, 2**63, [], "\x00", 1.5),
            "surplus_reason_id": ("٣", "0", "9" * 5000, True)}


API_EVENTS = "/api/v1/events"  # where the scan stations send each line
STATIONS = (("driver", "pickup"), ("driver", "crate_placed"), ("washer", "receipt"))
RAW_JSON = (b'{"id": "', b"[" * 100_000, b'{"kind": "pickup", "crate": "\\ud800"}', b"\xff\xfe{}",
            b'{"kind": "pickup", "counted": 1e99999}', b"", b"null")


def _csv_files() -> list[tuple[str, bytes]]:
    long_cell = "x" * 200_000
    return [
        ("cell-200k", f"code,name\nA,{long_cell}\n".encode()),
        ("header-200k", f"{long_cell}\nA\n".encode()),
        ("nul", b"code,name\nA\x00,B\n"),
        ("nul-header", b"co\x00de,name\nA,B\n"),
        ("cp1252-bytes", "code,name\nÉTÉ,caf\xe9\n".encode("cp1252") + b"\x81\x8d\x8f"),
        ("utf16", "code,name\nA,B\n".encode("utf-16")),
        ("binary", bytes(range(256)) * 4),
        ("empty", b""),
        ("header-only", b"code,name\n"),
        ("formula", b"code,name\n=1+1,=HYPERLINK(\"x\")\n"),
        ("unclosed-quote", b'code,name\n"A,B\n'),
        ("capacity-unicode", "code,capacity\nCJ-00001-X,²\nCJ-00002-X,٣\nCJ-00003-X,١٢\n".encode()),
        ("capacity-huge", f"code,capacity\nCJ-00001-X,{'9' * 5000}\nCJ-00002-X,-1\n".encode()),
        ("dollar", b"code,name,label_fr\n$x^2$,$x^2$ 100$,Casse $$\n"),
        ("numbers", f"code,name,volume_ml,glass_mass_g\nM1,m,{'9' * 5000},²\nM2,m,٣,-1\n".encode()),
    ]


def _matrices() -> list[tuple[str, bytes]]:
    """Distance matrices a routing tool would not write (the world's codes: LAVJURA, LONS-COMEDIE…)."""
    head = ";LAVJURA;LONS-COMEDIE\n"
    return [(name, (head + body).encode()) for name, body in (
        ("not-square", "LAVJURA;0;1;2\nLONS-COMEDIE;1;0\n"), ("negative", "LAVJURA;0;-1\nLONS-COMEDIE;1;0\n"),
        ("text", "LAVJURA;0;loin\nLONS-COMEDIE;1;0\n"), ("nan", "LAVJURA;0;NaN\nLONS-COMEDIE;1e999;0\n"),
        ("huge", f"LAVJURA;0;{'9' * 5000}\nLONS-COMEDIE;1;0\n"),
        ("unicode", "LAVJURA;0;٣\nLONS-COMEDIE;²;0\n"),
        ("missing-row", "LAVJURA;0;1\n"), ("unknown-code", "LAVJURA;0;1\nNOWHERE;1;0\n"))]


def _workbooks() -> list[tuple[str, bytes]]:
    """Files that look like workbooks and are not, or are odd ones."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["x" * 40_000, "=SUM(A1:A9)", "²"])
    book.active.merge_cells("A1:C3")
    out = io.BytesIO()
    book.save(out)
    return [("zip-garbage", b"PK\x03\x04" + bytes(range(256)) * 8),
            ("zip-empty", b"PK\x05\x06" + b"\x00" * 18), ("merged-formula", out.getvalue())]


IMPORT_SLUGS = ("models", "reasons", "points", "washers", "winemakers", "territories", "point-kinds",
                "crates")


@dataclass(frozen=True)
class Case:
    """One request of the corpus: who sends it, and how it is built from the world."""

    id: str
    role: str
    build: Callable[[World], dict]  # → keyword arguments of the test client's open()


def _form_case(target: Target, name: str, index: int, value: str) -> Case:
    def build(w: World) -> dict:
        data = {**target.base(w), name: value}
        url = target.url(w)
        if target.kind == "query":
            return {"method": "GET", "path": url + ("&" if "?" in url else "?") + urlencode({name: value})}
        return {"method": target.method, "path": url, "data": data}
    line = target.url.__code__.co_firstlineno  # the table's row, in the case's id
    return Case(f"{target.role}-{target.method}-{line}-{name}-{index}-{value!r:.16}", target.role, build)


def _cases() -> list[Case]:
    cases = [_form_case(target, name, index, value) for target in FORMS + QUERIES
             for name, values in target.fields.items() for index, value in enumerate(values)]
    cases += [Case(f"path-{role}-{path[:40]!r}", role, lambda w, p=path: {"method": "GET", "path": p})
              for role, path in PATHS]
    for role, kind in STATIONS:
        for index in range(len(_json_bodies(_WORLD_STUB, kind))):
            cases.append(Case(f"json-{kind}-{index}", role,
                              lambda w, k=kind, i=index: {"method": "POST", "path": API_EVENTS,
                                                         "json": _json_bodies(w, k)[i][1]}))
        for name, values in _json_fields().items():
            for value in values:
                def build(w, k=kind, n=name, v=value):
                    line = {"id": _eid(), "kind": k, "crate": w.crates["in_transit"].code,
                            "point_id": w.points[1].id, "washer_id": w.washer.id, n: v}
                    return {"method": "POST", "path": API_EVENTS, "json": line}
                cases.append(Case(f"json-{kind}-fields-{name}-{value!r:.12}-{len(cases)}", role, build))
        for raw in RAW_JSON:
            cases.append(Case(f"json-{kind}-raw-{raw[:12]!r}-{len(raw)}", role,
                              lambda w, r=raw: {"method": "POST", "path": API_EVENTS, "data": r,
                                                "content_type": "application/json"}))
    for name, content in _csv_files() + _workbooks():
        cases.append(Case(f"history-upload-{name}", "coordinator",
                          lambda w, c=content, n=name: {
                              "method": "POST", "path": "/historique/",
                              "data": {"file": (io.BytesIO(c), n + (".xlsx" if c[:2] == b"PK" else ".csv"))},
                              "content_type": "multipart/form-data"}))
    for name, content in _csv_files() + _matrices():
        cases.append(Case(f"matrix-upload-{name}", "coordinator",
                          lambda w, c=content, n=name: {
                              "method": "POST", "path": "/tournees/matrice",
                              "data": {"file": (io.BytesIO(c), f"{n}.csv")},
                              "content_type": "multipart/form-data"}))
    for slug in IMPORT_SLUGS:
        for name, content in _csv_files():
            cases.append(Case(f"csv-{slug}-{name}", "coordinator",
                              lambda w, s=slug, c=content, n=name: {
                                  "method": "POST", "path": f"/catalogue/import/{s}",
                                  "data": {"file": (io.BytesIO(c), f"{n}.csv")},
                                  "content_type": "multipart/form-data"}))
        for key, digest in (("\x00", "x"), ("x" * 10_000, "²"), ("../../etc/passwd", ""), ("", "\x00")):
            cases.append(Case(f"csv-{slug}-confirm-{key[:10]!r}", "coordinator",
                              lambda w, s=slug, k=key, d=digest: {
                                  "method": "POST", "path": f"/catalogue/import/{s}/confirm",
                                  "data": {"key": k, "digest": d}}))
    return cases


class _Stub:
    """Enough of a world for counting the JSON bodies at collection time."""

    crates = {"full": type("C", (), {"code": "CJ-00001-X"})()}


_WORLD_STUB = _Stub()
CASES = _cases()


# --- the module's site: one app, one world, a signed-in client per role -------------------------

@dataclass
class Site:
    app: object
    world: World
    clients: dict
    tokens: dict[str, str]

    def count_rows(self) -> dict[str, int]:
        """Rows of every table, in one query."""
        tables = db.metadata.sorted_tables
        query = union_all(*(select(literal(t.name).label("t"), func.count().label("n")).select_from(t)
                            for t in tables))
        with self.app.app_context():
            counts = dict(db.session.execute(query).all())
            db.session.remove()
        return counts


@pytest.fixture(scope="module")
def site(database, tmp_path_factory):
    from wsgi import create_app

    url = module_db_url(database, tmp_path_factory, "bad_input")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": "test-secret",
                      "BASE_URL": "https://boucle.test", "SERVER_NAME": None,
                      "API_LIMIT": "100000 per minute"})  # the stations' corpus, not the limit
    with app.app_context():
        factory = Factory(db.session)
        world = world_module.build(factory)
        spare = factory.user("driver", "spare-driver")
        world.extra["spare_user"] = spare.id
        other = factory.washer("LAVAUTRE", "Autre lavoir")  # another site's ids
        world.extra["other_washer"] = other.id
        db.session.commit()
        # Loaded now, kept once the session ends: the cases read ids and codes from them.
        for row in (*world.crates.values(), *world.points, *world.models, *world.reasons.values(),
                    *world.users.values(), *world.rounds, *world.phases, world.washer, world.winemaker,
                    world.sale, world.sorting, world.corrected):
            db.session.refresh(row)
        db.session.expunge_all()
    clients, tokens = {}, {}
    for role in ("anonymous", "point", "driver", "washer", "winemaker", "coordinator", "admin"):
        client = app.test_client()
        with app.app_context():
            if role != "anonymous":
                assert login(client, world.users[role]).status_code == 302
            page = client.get("/login" if role == "anonymous" else "/")  # the sign-out form's token
            tokens[role] = csrf_from(page.get_data(as_text=True))
        clients[role] = client
    yield Site(app, world, clients, tokens)
    with app.app_context():
        db.session.remove()
        if ON_POSTGRES:
            names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with db.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


def _send(site: Site, case: Case):
    request = case.build(site.world)
    data = request.get("data")
    if isinstance(data, dict) and request["method"] == "POST":
        request["data"] = {**data, "csrf_token": site.tokens[case.role]}
    if request["path"] == API_EVENTS:  # as the stations send it: the page's token in the header
        request["headers"] = {"X-CSRFToken": site.tokens[case.role], "Accept": "application/json"}
    with site.app.app_context():
        response = site.clients[case.role].open(**request)
        body = response.get_data()
        db.session.remove()
    return response, body


def test_corpus_is_large_enough():
    assert len(CASES) >= 300, len(CASES)
    assert len({case.id for case in CASES}) == len(CASES), "two cases share an id"


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_is_refused_cleanly(site, case):
    before = site.count_rows()
    response, body = _send(site, case)
    assert response.status_code < 500, (response.status_code, body[:2000])
    assert b"Traceback" not in body
    if 400 <= response.status_code < 500:
        after = site.count_rows()
        changed = {t: (before[t], after[t]) for t in before if before[t] != after[t] and t not in ROLLUPS}
        assert not changed, f"a refused request ({response.status_code}) wrote rows: {changed}"


def test_the_stations_corpus_reaches_the_apis_checks(site):
    """The stations' cases carry what the pages send (cookie and CSRF token), so the API's own checks
    answer them, not the CSRF check: an unknown crate is its 404, an unreadable count its 422."""
    for body, status, code in (({"crate": "CJ-99999-0"}, 404, "caisse_inconnue"),
                               ({"crate": "CJ-99999-0", "counted": "²"}, 422, "saisie_invalide")):
        case = Case("reaches", "driver", lambda w, b=body: {"method": "POST", "path": API_EVENTS, "json": {
            "id": _eid(), "kind": "pickup", **b}})
        response, _body = _send(site, case)
        assert response.status_code == status and response.get_json()["code"] == code, response.get_json()


def test_ledger_is_clean_after_the_corpus(site):
    """Whatever the corpus recorded (some values are fine), the projections still match the ledger."""
    with site.app.app_context():
        assert check_ledger(db.session) == []
        db.session.remove()


