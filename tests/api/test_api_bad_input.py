"""Bad input to the API never gives a 500 nor writes: every field of every kind, every query filter."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from bottles.db import db
from bottles.models import Event
from tests.api.test_api import bearer, world  # noqa: F401 (the fixture)

CORPUS = ["٣", "１２", "9" * 40, -1, 2**63, 1.5, "NaN", "Infinity", None, [], {}, True, "", " ",
          "x" * 5000, "2026-13-45T99:00:00+01:00", "2026-03-02T10:00:00", {"1": "٣"}, {"٣": 1},
          [{"model_id": "x"}], [{}], "\ufeff1", "$x^2$", "=1+1"]
FIELDS = ["id", "kind", "crate", "point_id", "washer_id", "count", "split", "counted", "reason_id",
          "round_token", "round_id", "km", "hours", "eligible", "refusals", "lines", "water_l",
          "energy_kwh", "stage", "counted_by_model", "loss_reason_id", "surplus_reason_id",
          "corrects_seq", "occurred_at", "note", "winemaker_id", "sold", "capacity"]
KINDS = ["crate_placed", "crate_full", "pickup", "receipt", "round_closed", "sorting", "wash",
         "stocktake", "correction", "sale", "crate_registered", "crate_retired"]
QUERIES = {"/api/v1/events": ["since", "limit", "kind", "point_id", "washer_id", "crate", "from", "to"],
           "/api/v1/crates": ["state", "point_id", "washer_id", "page"],
           "/api/v1/stocks": ["stage", "site_id", "model_id"]}


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(Event))


def test_every_field_of_every_kind_refused_cleanly(app, world, client):  # noqa: F811
    app.config["API_LIMIT"] = "100000 per minute"  # 5,400 requests: the corpus, not the limit
    secret = world["tokens"]["coordinator"]  # may record every kind: only the input is refused
    base = {"crate": world["full_b"].code, "washer_id": world["washers"][0].id}
    before, cases, errors, statuses = count(), 0, [], {}
    for kind in KINDS:
        for name in FIELDS:
            for value in CORPUS:
                body = {**base, "id": str(uuid.uuid4()), "kind": kind, name: value}
                seen = count()
                db.session.rollback()
                answer = client.post("/api/v1/events", json=body, headers=bearer(secret))
                cases += 1
                data = answer.get_json(silent=True) or {}
                if answer.status_code >= 400 and count() != seen:
                    errors.append((kind, name, value, answer.status_code, "wrote"))
                db.session.rollback()
                refused_well = 400 <= answer.status_code < 500 and data.get("code") and data.get("message")
                if not refused_well and answer.status_code not in (200, 201):
                    errors.append((kind, name, value, answer.status_code))
                statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
    assert errors == [], errors[:20]
    assert statuses.get(201, 0) + statuses.get(200, 0) <= len(KINDS) * len(FIELDS)
    assert cases == len(KINDS) * len(FIELDS) * len(CORPUS)
    written = count() - before  # values that happen to be valid (a note "$x^2$", 1.5 km) write
    assert written <= len(KINDS) * len(FIELDS)


def test_every_query_filter_refused_cleanly(app, world, client):  # noqa: F811
    app.config["API_LIMIT"] = "100000 per minute"
    secret = world["tokens"]["coordinator"]
    for path, names in QUERIES.items():
        for name in names:
            for value in ["٣", "9" * 40, "-1", "x" * 5000, "", "2026-13-45", "NaN", "1e3", "%00"]:
                answer = client.get(path, query_string={name: value}, headers=bearer(secret))
                assert answer.status_code in (200, 400, 404, 422), (path, name, value, answer.status_code)
                if answer.status_code != 200:
                    assert answer.get_json()["code"] and answer.get_json()["message"]
