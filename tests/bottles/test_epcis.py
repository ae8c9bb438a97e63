"""The ledger as EPCIS 2.0 JSON-LD (docs/epcis.md): every kind, a correction as an error
declaration, validated against GS1's JSON Schema (vendored in tests/vendor/epcis) and read back
with GS1's event hash generator (a JSON-LD reader of EPCIS 2.0 documents), offline."""

from __future__ import annotations

import html
import io
import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from jsonschema import Draft7Validator, FormatChecker

from bottles.journal.epcis import (
    CONTEXT_URL,
    UNSORTED_CLASS,
    document_chunks,
    document_head,
    identifiers,
)
from bottles.journal.epcis_export import export_epcis
from bottles.models import Round
from bottles.rules import Kind, Move, Stage
from reports.operations import PhaseInput, save_phase
from tests.factories import login

SCHEMA = json.loads((Path(__file__).parents[1] / "vendor" / "epcis" / "EPCIS-JSON-Schema.json")
                    .read_text(encoding="utf-8"))
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
IDS = identifiers("https://boucle.test")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@dataclass
class Ledger:
    crates: dict
    wrong_sale: object
    correction: object
    receipt: object
    wash: object


@pytest.fixture
def ledger(factory, session) -> Ledger:
    """Every kind of event once at least, between 1 and 20 March 2026 (Paris: +01:00), a sale
    corrected, and one crate's life in summer time (+02:00)."""
    bourg, jura = factory.model("BOURG75"), factory.model("JURA62", "Jura 62 cl", 620)
    label = factory.reason("etiquette", "refusal")
    broken = factory.reason("casse", "reject")
    gap = factory.reason("ecart", "loss")
    surplus = factory.reason("surplus", "surplus")
    washer = factory.washer()
    point = factory.point("P1")
    estate = factory.winemaker("W1")
    driver = factory.user("driver", username="chauffeur")
    the_round = Round(code="T-2026-03-02", driver_id=driver.id, round_date=utc(
        "2026-03-02T08:00:00+01:00").date(), washer_id=washer.id)
    session.add(the_round)
    session.flush()
    ev = factory.event
    a = factory.crate(washer=washer, at=utc("2026-03-01T08:00:00+01:00"))
    b = factory.crate(washer=washer, at=utc("2026-03-01T08:00:00+01:00"))
    c = factory.crate(washer=washer, at=utc("2026-03-01T08:00:00+01:00"))
    ev(Kind.CRATE_PLACED, at=utc("2026-03-01T09:00:00+01:00"), crate=a, point=point.id)
    ev(Kind.CRATE_FULL, at=utc("2026-03-01T18:00:00+01:00"), crate=a, point=point.id,
       moves=[Move(Stage.OUTSIDE, Stage.AT_POINT, 50)])
    ev(Kind.PICKUP, at=utc("2026-03-02T10:00:00+01:00"), crate=a, point=point.id,
       round_id=the_round.id, moves=[Move(Stage.AT_POINT, Stage.IN_TRANSIT, 50)])
    receipt = ev(Kind.RECEIPT, at=utc("2026-03-02T15:00:00+01:00"), crate=a, point=point.id,
                 washer=washer.id, round_id=the_round.id,
                 moves=[Move(Stage.IN_TRANSIT, Stage.RECEIVED, 49),
                        Move(Stage.IN_TRANSIT, Stage.LOST, 1, reason_id=gap.id),
                        Move(Stage.OUTSIDE, Stage.RECEIVED, 2, reason_id=surplus.id)])
    ev(Kind.ROUND_CLOSED, at=utc("2026-03-02T18:00:00+01:00"), round_id=the_round.id,
       km=Decimal("84.5"), hours=Decimal("6"))
    ev(Kind.SORTING, at=utc("2026-03-03T09:00:00+01:00"), washer=washer.id, hours=Decimal("1.5"),
       moves=[Move(Stage.RECEIVED, Stage.SORTED, 40, model_id=bourg.id),
              Move(Stage.RECEIVED, Stage.SORTED, 8, model_id=jura.id),
              Move(Stage.RECEIVED, Stage.REFUSED, 3, reason_id=label.id, winemaker_id=estate.id)])
    wash = ev(Kind.WASH, at=utc("2026-03-04T09:00:00+01:00"), washer=washer.id,
              water_l=Decimal("120.5"), energy_kwh=Decimal("14.25"),
              moves=[Move(Stage.SORTED, Stage.CLEAN, 30, model_id=bourg.id),
                     Move(Stage.SORTED, Stage.CLEAN, 8, model_id=jura.id),
                     Move(Stage.SORTED, Stage.REJECTED, 10, model_id=bourg.id, reason_id=broken.id)])
    ev(Kind.SALE, at=utc("2026-03-05T09:00:00+01:00"), washer=washer.id,
       moves=[Move(Stage.CLEAN, Stage.SOLD, 20, model_id=bourg.id, unit_price_cents=30,
                   winemaker_id=estate.id)])
    wrong = ev(Kind.SALE, at=utc("2026-03-06T09:00:00+01:00"), washer=washer.id,
               moves=[Move(Stage.CLEAN, Stage.SOLD, 5, model_id=bourg.id, unit_price_cents=30,
                           winemaker_id=estate.id)])
    correction = ev(Kind.CORRECTION, at=utc("2026-03-06T10:00:00+01:00"), corrects=wrong.seq,
                    note="vente saisie deux fois")
    ev(Kind.STOCKTAKE, at=utc("2026-03-10T09:00:00+01:00"), washer=washer.id,
       moves=[Move(Stage.CLEAN, Stage.LOST, 1, model_id=bourg.id, reason_id=gap.id),
              Move(Stage.OUTSIDE, Stage.CLEAN, 2, model_id=jura.id, reason_id=surplus.id)])
    ev(Kind.CRATE_PLACED, at=utc("2026-03-11T09:00:00+01:00"), crate=b, point=point.id)
    ev(Kind.CRATE_LOST, at=utc("2026-03-20T09:00:00+01:00"), crate=b, point=point.id)
    ev(Kind.CRATE_RETIRED, at=utc("2026-03-20T10:00:00+01:00"), crate=c, washer=washer.id)
    # Summer time: the offset is +02:00.
    d = factory.crate(washer=washer, at=utc("2026-07-01T08:00:00+02:00"))
    ev(Kind.CRATE_PLACED, at=utc("2026-07-01T09:00:00+02:00"), crate=d, point=point.id)
    session.commit()
    return Ledger({"a": a.code, "b": b.code, "c": c.code, "d": d.code}, wrong, correction,
                  receipt, wash)


def export(session, ids=IDS, **bounds) -> dict:
    out = io.StringIO()
    count = export_epcis(session, out, ids, NOW, **bounds)
    document = json.loads(out.getvalue())
    assert len(document["epcisBody"]["eventList"]) == count
    return document


def schema_errors(document: dict) -> list[str]:
    """What GS1's JSON Schema finds wrong, formats (date-time, uri) checked too."""
    validator = Draft7Validator(SCHEMA, format_checker=FormatChecker())
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def by_kind(document: dict) -> dict[str, list[dict]]:
    kinds: dict[str, list[dict]] = {}
    for event in document["epcisBody"]["eventList"]:
        kinds.setdefault(event["boucle:kind"], []).append(event)
    return kinds


def quantities(event: dict, key: str = "quantityList") -> dict[str, int]:
    return {q["epcClass"]: q["quantity"] for q in event.get(key, [])}


def children(node: tuple, name: str) -> list[tuple]:
    """The children called `name` of a node of the hash generator's (name, text, children) tree."""
    return [child for child in node[2] if child[0] == name]


def test_formats_checked_by_the_validator():
    """The format checks really run (they need rfc3339-validator and rfc3986-validator)."""
    checker = FormatChecker()
    assert not checker.conforms("2026-03-01 09:00", "date-time")
    assert not checker.conforms("not a uri", "uri")


def test_every_kind_is_a_valid_epcis_document(session, ledger):
    document = export(session)
    assert schema_errors(document) == []
    assert document["@context"] == [CONTEXT_URL, {"boucle": "https://boucle.test/ns/epcis#"}]
    assert document["type"] == "EPCISDocument" and document["schemaVersion"] == "2.0"
    assert document["creationDate"] == "2026-11-29T13:00:00+01:00"
    events = document["epcisBody"]["eventList"]
    assert len({e["eventID"] for e in events if "errorDeclaration" not in e}) == len(
        [e for e in events if "errorDeclaration" not in e])
    kinds = by_kind(document)
    assert Counter({k: len(v) for k, v in kinds.items()}) == Counter({
        "crate_registered": 4, "crate_placed": 3, "crate_full": 1, "pickup": 1,
        "receipt": 3,      # received, lost in transit, surplus
        "round_closed": 1,
        "sorting": 2,      # sorted by model, refused for a permanent label
        "wash": 2,         # the transformation, the rejects
        "sale": 3,         # two sales, and the wrong one again as an error declaration
        "stocktake": 2, "crate_lost": 1, "crate_retired": 1,
    })
    assert all(e["eventTimeZoneOffset"] == "+01:00" for e in events
               if e["eventTime"].startswith("2026-03"))
    summer = [e for e in events if e["eventTime"].startswith("2026-07")]
    assert len(summer) == 2 and all(e["eventTimeZoneOffset"] == "+02:00" for e in summer)


def test_crates_and_bottles(session, ledger):
    kinds = by_kind(export(session))
    crate = f"urn:boucle:crate:{ledger.crates['a']}"
    registered = kinds["crate_registered"][0]
    assert registered["action"] == "ADD" and registered["bizStep"] == "commissioning"
    assert registered["epcList"] == [crate] and registered["bizLocation"] == {"id": "urn:boucle:washer:LAV1"}
    placed = kinds["crate_placed"][0]
    assert (placed["action"], placed["bizStep"], placed["disposition"]) == ("OBSERVE", "arriving", "active")
    assert placed["readPoint"] == placed["bizLocation"] == {"id": "urn:boucle:point:P1"}
    full = kinds["crate_full"][0]
    assert full["epcList"] == [crate] and quantities(full) == {UNSORTED_CLASS: 50}
    assert full["quantityList"][0]["uom"] == "H87"
    assert (full["bizStep"], full["disposition"]) == ("collecting", "active")
    pickup = kinds["pickup"][0]
    assert (pickup["bizStep"], pickup["disposition"]) == ("departing", "in_transit")
    assert "bizLocation" not in pickup and pickup["readPoint"] == {"id": "urn:boucle:point:P1"}
    assert pickup["bizTransactionList"] == [{"type": "https://boucle.test/ns/epcis#round",
                                             "bizTransaction": "urn:boucle:round:T-2026-03-02"}]
    received, extra, lost = kinds["receipt"]
    assert received["eventID"] == f"urn:uuid:{ledger.receipt.id}"
    assert received["epcList"] == [crate] and quantities(received) == {UNSORTED_CLASS: 49}
    assert (received["bizStep"], received["disposition"]) == ("receiving", "in_progress")
    assert received["sourceList"] == [{"type": "location", "source": "urn:boucle:point:P1"}]
    assert quantities(lost) == {UNSORTED_CLASS: 1} and lost["disposition"] == "unknown"
    assert lost["boucle:reason"] == "ecart" and "epcList" not in lost and "bizLocation" not in lost
    assert quantities(extra) == {UNSORTED_CLASS: 2} and extra["boucle:reason"] == "surplus"
    assert lost["boucle:ledgerEvent"] == extra["boucle:ledgerEvent"] == f"urn:uuid:{ledger.receipt.id}"
    closed = kinds["round_closed"][0]
    assert closed["epcList"] == [] and closed["bizStep"] == "transporting"
    assert (closed["boucle:km"], closed["boucle:hours"]) == (84.5, 6)
    lost_crate = kinds["crate_lost"][0]
    assert (lost_crate["action"], lost_crate["disposition"]) == ("DELETE", "unknown")
    retired = kinds["crate_retired"][0]
    assert (retired["action"], retired["bizStep"], retired["disposition"]) == (
        "DELETE", "decommissioning", "inactive")


def test_sorting_washing_sales_and_stocktake(session, ledger):
    kinds = by_kind(export(session))
    bourg, jura = "urn:boucle:model:BOURG75", "urn:boucle:model:JURA62"
    sorted_, refused = kinds["sorting"]
    assert quantities(sorted_) == {bourg: 40, jura: 8}
    assert (sorted_["bizStep"], sorted_["disposition"]) == ("inspecting", "conformant")
    assert sorted_["boucle:hours"] == 1.5
    assert quantities(refused) == {UNSORTED_CLASS: 3} and refused["disposition"] == "non_conformant"
    assert refused["boucle:reason"] == "etiquette"
    assert refused["boucle:winemaker"] == "urn:boucle:winemaker:W1"
    washed, rejects = kinds["wash"]
    assert washed["type"] == "TransformationEvent" and washed["eventID"] == f"urn:uuid:{ledger.wash.id}"
    assert quantities(washed, "inputQuantityList") == {bourg: 40, jura: 8}
    assert quantities(washed, "outputQuantityList") == {bourg: 30, jura: 8}
    assert (washed["bizStep"], washed["disposition"], washed["boucle:process"]) == (
        "repairing", "available", "washing")
    assert (washed["boucle:waterL"], washed["boucle:energyKWh"]) == (120.5, 14.25)
    assert rejects["type"] == "ObjectEvent" and quantities(rejects) == {bourg: 10}
    assert (rejects["bizStep"], rejects["disposition"], rejects["boucle:reason"]) == (
        "inspecting", "non_conformant", "casse")
    sale = kinds["sale"][0]
    assert quantities(sale) == {bourg: 20}
    assert (sale["bizStep"], sale["disposition"]) == ("shipping", "in_transit")
    assert sale["bizTransactionList"][0]["type"] == "desadv"
    assert {"type": "owning_party", "destination": "urn:boucle:winemaker:W1"} in sale["destinationList"]
    assert sale["boucle:unitPrices"] == [{"boucle:epcClass": bourg, "boucle:unitPriceEUR": 0.3}]
    counted = kinds["stocktake"]
    assert {e["bizStep"] for e in counted} == {"stock_taking"}
    assert sorted((e["disposition"], e["boucle:reason"], quantities(e)) for e in counted) == [
        ("available", "surplus", {jura: 2}), ("unknown", "ecart", {bourg: 1})]


def test_a_correction_is_an_error_declaration_of_the_event_it_reverses(session, ledger):
    events = export(session)["epcisBody"]["eventList"]
    wrong_id = f"urn:uuid:{ledger.wrong_sale.id}"
    original, declared = [e for e in events if e["eventID"] == wrong_id]
    assert "errorDeclaration" not in original
    assert declared["errorDeclaration"] == {
        "declarationTime": "2026-03-06T10:00:00+01:00", "reason": "incorrect_data",
        "boucle:correction": f"urn:uuid:{ledger.correction.id}",
        "boucle:note": "vente saisie deux fois"}
    without = {k: v for k, v in declared.items() if k not in ("errorDeclaration", "recordTime")}
    assert without == {k: v for k, v in original.items() if k != "recordTime"}
    assert events.index(declared) > events.index(original)
    assert not [e for e in events if e["boucle:kind"] == "correction"]


def test_read_back_with_gs1_event_hash_generator(session, ledger):
    """GS1's reference reader expands the JSON-LD (its bundled context, never the network), gives
    back every event, and hashes a declared event like the original (same what, when, where, why)."""
    from epcis_event_hash_generator import hash_generator as hashing
    from epcis_event_hash_generator import json_to_py
    from pyld import jsonld

    offline = jsonld.get_document_loader()

    def no_network(url, options=None):
        assert url == CONTEXT_URL, f"would fetch {url}"
        return offline(url, options or {})

    jsonld.set_document_loader(no_network)
    try:
        document = export(session)
        event_list = json_to_py.event_list_from_epcis_document_json(json.loads(json.dumps(document)))
    finally:
        jsonld.set_document_loader(offline)
    events = event_list[2]
    assert len(events) == len(document["epcisBody"]["eventList"])
    assert Counter(kind for kind, _, _ in events) == Counter(
        e["type"] for e in document["epcisBody"]["eventList"])
    washed = next(e for e in events if e[0] == "TransformationEvent")
    assert children(washed, "bizStep")[0][1] == "https://ref.gs1.org/cbv/BizStep-repairing"
    assert children(washed, "{https://boucle.test/ns/epcis#}process")[0][1] == "washing"
    read = {children(q, "epcClass")[0][1]: int(children(q, "quantity")[0][1])
            for q in children(washed, "outputQuantityList")[0][2]}
    assert read == {"urn:boucle:model:BOURG75": 30, "urn:boucle:model:JURA62": 8}
    quantities_read = Counter()
    for event in events:
        for list_name in ("quantityList", "outputQuantityList"):
            for node in children(event, list_name):
                for q in node[2]:
                    quantities_read[children(q, "epcClass")[0][1]] += int(children(q, "quantity")[0][1])
    written = Counter()
    for event in document["epcisBody"]["eventList"]:
        for key in ("quantityList", "outputQuantityList"):
            written.update(quantities(event, key))
    assert quantities_read == written
    hashes = hashing.epcis_hashes_from_events(event_list)
    assert all(h.startswith("ni:///sha-256;") for h in hashes)
    ids = [e["eventID"] for e in document["epcisBody"]["eventList"]]
    wrong = [n for n, event_id in enumerate(ids) if event_id == f"urn:uuid:{ledger.wrong_sale.id}"]
    assert len(wrong) == 2 and hashes[wrong[0]] == hashes[wrong[1]]
    assert len(set(hashes)) == len(hashes) - 1


def test_date_range(session, ledger, app, tmp_path):
    path = tmp_path / "mars.jsonld"
    result = app.test_cli_runner().invoke(args=[
        "bottles", "export-epcis", str(path), "--start", "2026-03-02", "--end", "2026-03-05"])
    assert result.exit_code == 0, result.output
    assert f"événement(s) EPCIS écrit(s) dans {path}" in result.output
    document = json.loads(path.read_text(encoding="utf-8"))
    assert schema_errors(document) == []
    days = {e["eventTime"][:10] for e in document["epcisBody"]["eventList"]}
    assert days == {"2026-03-02", "2026-03-03", "2026-03-04"}
    whole = app.test_cli_runner().invoke(args=["bottles", "export-epcis", str(path)])
    assert whole.exit_code == 0 and "24 événement(s)" in whole.output
    backwards = app.test_cli_runner().invoke(args=[
        "bottles", "export-epcis", str(path), "--start", "2026-03-05", "--end", "2026-03-02"])
    assert backwards.exit_code != 0 and "--end doit être après --start" in backwards.output


def test_a_correction_of_an_event_before_the_range_still_declares_it(session, ledger):
    document = export(session, start=utc("2026-03-06T10:00:00+01:00"),
                      end=utc("2026-03-06T11:00:00+01:00"))
    assert schema_errors(document) == []
    (declared,) = document["epcisBody"]["eventList"]
    assert declared["eventID"] == f"urn:uuid:{ledger.wrong_sale.id}"
    assert declared["eventTime"] == "2026-03-06T09:00:00+01:00" and "errorDeclaration" in declared


def test_crates_as_gs1_grai_with_a_company_prefix(session, ledger):
    from epcpy import epc_schemes
    ids = identifiers("https://boucle.test", "3760123", "45")
    document = export(session, ids)
    assert schema_errors(document) == []
    crates = {epc for e in document["epcisBody"]["eventList"] for epc in e.get("epcList", [])}
    assert f"urn:epc:id:grai:3760123.00045.{ledger.crates['a']}" in crates
    for epc in crates:
        assert epc_schemes.GRAI(epc).gs1_key().startswith("376012300045"), epc


@pytest.mark.parametrize(("prefix", "asset", "message"), [
    ("37601", "0", "de 6 à 12 chiffres"),
    ("37601230000000", "0", "de 6 à 12 chiffres"),
    ("3760123", "123456", "tenir en 5 chiffre(s)"),
    ("3760123", "A1", "tenir en 5 chiffre(s)"),
])
def test_a_wrong_gs1_setting_is_refused_in_french(app, session, tmp_path, prefix, asset, message):
    app.config.update(GS1_COMPANY_PREFIX=prefix, GS1_CRATE_ASSET_TYPE=asset)
    path = tmp_path / "out.jsonld"
    result = app.test_cli_runner().invoke(args=["bottles", "export-epcis", str(path)])
    assert result.exit_code != 0 and message in result.output
    assert not path.exists()


def test_an_unwritable_path_is_a_french_error(app, session, tmp_path):
    result = app.test_cli_runner().invoke(args=["bottles", "export-epcis", str(tmp_path / "no" / "x.jsonld")])
    assert result.exit_code != 0 and "Impossible d'écrire" in result.output


def test_an_empty_ledger_is_a_valid_document():
    document = json.loads("".join(document_chunks(document_head(IDS, NOW), [])))
    assert document["epcisBody"] == {"eventList": []}
    assert schema_errors(document) == []


@pytest.mark.parametrize("role", ["washer", "driver", "point"])
def test_phase_download_is_for_coordinators_only(client, factory, session, role):
    phase = save_phase(session, PhaseInput(name="Printemps 2026", start="2026-03-01", end="2026-03-31"))
    someone = factory.user(role)
    session.commit()
    url = f"/phases/{phase.id}/journal.jsonld"
    assert client.get(url).status_code == 302  # to the sign-in page
    login(client, someone)
    assert client.get(url).status_code == 403


def test_phase_download_for_coordinators(client, factory, session, ledger):
    phase = save_phase(session, PhaseInput(name="Printemps 2026", start="2026-03-01", end="2026-03-31"))
    coordinator = factory.user("coordinator")
    session.commit()
    url = f"/phases/{phase.id}/journal.jsonld"
    login(client, coordinator)
    page = client.get(f"/phases/{phase.id}").get_data(as_text=True)
    assert url in page and "Journal EPCIS" in page
    resp = client.get(url)
    assert resp.status_code == 200 and resp.mimetype == "application/ld+json"
    assert resp.headers["Content-Disposition"] == 'attachment; filename="printemps-2026-epcis.jsonld"'
    document = json.loads(resp.get_data(as_text=True))
    assert schema_errors(document) == []
    days = {e["eventTime"][:7] for e in document["epcisBody"]["eventList"]}
    assert days == {"2026-03"}  # the summer crate is outside the phase
    assert len(document["epcisBody"]["eventList"]) == 22
    assert client.get("/phases/999999/journal.jsonld").status_code == 404


def test_a_wrong_gs1_setting_is_a_page_for_the_administrator(app, client, factory, session):
    phase = save_phase(session, PhaseInput(name="Printemps 2026", start="2026-03-01", end="2026-03-31"))
    coordinator = factory.user("coordinator")
    session.commit()
    app.config.update(GS1_COMPANY_PREFIX="12AB")
    login(client, coordinator)
    resp = client.get(f"/phases/{phase.id}/journal.jsonld")
    assert resp.status_code == 503
    page = html.unescape(resp.get_data(as_text=True))
    assert "L'export EPCIS est mal configuré" in page and "de 6 à 12 chiffres" in page


def test_gs1_settings_come_from_the_environment(monkeypatch, tmp_path):
    from bottles import config

    monkeypatch.setenv("GS1_COMPANY_PREFIX", " 3760123 ")
    monkeypatch.setenv("GS1_CRATE_ASSET_TYPE", "45")
    loaded = config.load(tmp_path)
    assert (loaded["GS1_COMPANY_PREFIX"], loaded["GS1_CRATE_ASSET_TYPE"]) == ("3760123", "45")
    monkeypatch.delenv("GS1_COMPANY_PREFIX")
    monkeypatch.delenv("GS1_CRATE_ASSET_TYPE")
    assert config.load(tmp_path)["GS1_COMPANY_PREFIX"] == ""
    assert identifiers("https://boucle.test/", "", "0") == IDS  # no prefix: Boucle URNs
