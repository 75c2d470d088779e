"""Receipts as ISO/IEC TS 27560 records (JSON-LD, W3C DPV) for staff:
``?format=iso27560`` on one receipt, a subject's history and the export.

Documents are checked after JSON-LD expansion (pyld, an independent JSON-LD
processor), so every field is read by its full IRI, as any DPV tool reads it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pyld import jsonld

from tests.api.admin_fixtures import at, ui_sign_in
from tests.api.helpers import assert_problem, other_app
from tests.api.site_files import shop_site, write_sites

DPV = "https://w3id.org/dpv#"
DCT = "http://purl.org/dc/terms/"
SCHEMA = "https://schema.org/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
LOC = "https://w3id.org/dpv/loc#"
GDPR = "https://w3id.org/dpv/legal/eu/gdpr#"
PROFILES = "https://w3id.org/dpv/schema/dpv-27560#"
JSON_LD = "application/ld+json"

# The required fields ("This field MUST be present") of the DPV profiles for
# ISO/IEC TS 27560, as the W3C DPV guide lists them: w3c/dpv,
# guides/consent-27560.html, sections "DPV-27560 Consent Record" (record
# metadata, notice fields, processing fields, entity fields, consent event
# fields) and "DPV-27560 Consent Receipts" (header fields). Full IRIs.
RECEIPT_REQUIRED = {
    "schema version": DCT + "conformsTo",
    "receipt identifier": DPV + "hasIdentifier",
    "associated consent record": DPV + "hasRecordOfActivity",
    "creation timestamp": DCT + "created",
}
RECORD_REQUIRED = {
    "schema version": DCT + "conformsTo",
    "record identifier": DCT + "identifier",
    "data subject": DPV + "hasDataSubject",
    "notice": DPV + "hasNotice",
    "process": DPV + "hasProcess",
    "consent change & withdrawal": DPV + "hasConsentControl",
    "rights": DPV + "hasRight",
    "consent state": DPV + "hasConsentStatus",
}
NOTICE_REQUIRED = {"notice language": DCT + "language"}
PROCESS_REQUIRED = {
    "purpose": DPV + "hasPurpose",
    "personal data": DPV + "hasPersonalData",
    "storage condition": DPV + "hasStorageCondition",
    "data controller": DPV + "hasDataController",
    "recipients": DPV + "hasRecipient",
    "jurisdiction": DPV + "hasJurisdiction",
}
PERSONAL_DATA_REQUIRED = {"personal data type": SKOS + "broader"}
# Consent type is the legal basis (dpv:hasLegalBasis) of the record.
EVENT_REQUIRED = {
    "event time": DPV + "isIndicatedAtTime",
    "event duration": DPV + "hasDuration",
    "expression by entity": DPV + "isIndicatedBy",
}
# Contact and postal address are required of every party except data subjects.
ENTITY_REQUIRED = {"name": DPV + "hasName", "identifier": DPV + "hasIdentifier"}
PARTY_REQUIRED = {
    "contact": SCHEMA + "contactPoint",
    "postal address": SCHEMA + "address",
}
CONSENT_STATES = {
    DPV + "ConsentGiven",
    DPV + "ConsentRefused",
    DPV + "ConsentWithdrawn",
}


def missing(node: dict[str, Any], required: dict[str, str]) -> list[str]:
    """The required fields a node lacks (or has empty)."""
    return [name for name, iri in required.items() if not node.get(iri)]


def value(node: dict[str, Any], iri: str) -> Any:
    """The single value (or id) of an expanded property."""
    (item,) = node[iri]
    return item.get("@value", item.get("@id"))


def ids(node: dict[str, Any], iri: str) -> set[str]:
    return {item["@id"] for item in node.get(iri, []) if "@id" in item}


def expanded_receipt(document: dict[str, Any]) -> dict[str, Any]:
    """The one consent receipt node of a JSON-LD document, expanded."""
    (node,) = jsonld.expand(document)
    assert node["@type"] == [DPV + "ConsentReceipt"]
    return dict(node)


def records_of(receipt: dict[str, Any]) -> list[dict[str, Any]]:
    records = receipt[DPV + "hasRecordOfActivity"]
    assert all(r["@type"] == [DPV + "ConsentRecord"] for r in records)
    return list(records)


def process(record: dict[str, Any], category: str) -> dict[str, Any]:
    (found,) = [
        p
        for p in record[DPV + "hasProcess"]
        if value(p, DCT + "identifier") == category
    ]
    return dict(found)


def status(node: dict[str, Any]) -> str:
    (event,) = node[DPV + "hasConsentStatus"]
    (kind,) = event["@type"]
    return str(kind)


def check_record(record: dict[str, Any], controller: dict[str, Any]) -> None:
    """Every required field of a DPV-27560 record, at every level.

    ``controller`` is the site file's: a postal address the site file does not
    give cannot be in the record (the profiles require one; the README says so).
    """
    assert missing(record, RECORD_REQUIRED) == []
    (consent_notice,) = [
        n for n in record[DPV + "hasNotice"] if DPV + "ConsentNotice" in n["@type"]
    ]
    assert missing(consent_notice, NOTICE_REQUIRED) == []
    events = [*record[DPV + "hasConsentStatus"]]
    assert record[DPV + "hasLegalBasis"], "consent type"
    for proc in record[DPV + "hasProcess"]:
        assert missing(proc, PROCESS_REQUIRED) == [], proc
        for data in proc[DPV + "hasPersonalData"]:
            assert missing(data, PERSONAL_DATA_REQUIRED) == []
        events += proc[DPV + "hasConsentStatus"]
        for service in proc.get(DPV + "hasService", []):
            events += service[DPV + "hasConsentStatus"]
    for event in events:
        assert missing(event, EVENT_REQUIRED) == [], event
        assert set(event["@type"]) <= CONSENT_STATES
    entities = record[DPV + "hasEntity"]
    for entity in entities:
        assert missing(entity, {"identifier": DPV + "hasIdentifier"}) == []
        if DPV + "DataSubject" not in entity["@type"]:
            lacking = missing(entity, {**ENTITY_REQUIRED, **PARTY_REQUIRED})
            assert lacking == ([] if controller.get("address") else ["postal address"])
            assert value(entity, DPV + "hasName") == controller["name"]
            (contact,) = entity[SCHEMA + "contactPoint"]
            assert value(contact, SCHEMA + "email") == controller["email"]
    # Every party a record refers to by id is described in its entity section.
    described = {e["@id"] for e in entities}
    assert ids(record, DPV + "hasDataSubject") <= described
    assert ids(record, DPV + "hasDataController") <= described


@pytest.fixture
def default_site(app: Flask) -> dict[str, Any]:
    """The default site's English notice, as the server built it."""
    with app.app_context():
        from consent_server.sites import all_sites

        return dict(all_sites()["default"].notices["en"])


@pytest.fixture
def controller(default_site: dict[str, Any]) -> dict[str, Any]:
    return dict(default_site["controller"])


@pytest.fixture
def chain(make_receipt: Any) -> dict[str, str]:
    """A subject that allowed persistent cookies, then took them back for third-party
    ones: the second receipt supersedes the first."""
    first = make_receipt(
        subject="subject-d",
        created_at=at("2026-03-01T09:00:00"),
        choices={"session": True, "persistent": True, "third_party": False},
    )
    second = make_receipt(
        subject="subject-d",
        created_at=at("2026-03-02T09:00:00"),
        action="update",
        previous_id=first,
        choices={"session": True, "persistent": False, "third_party": True},
    )
    return {"first": first, "second": second}


def get_iso(client: FlaskClient, path: str, headers: dict[str, str]) -> Any:
    rv = client.get(path, headers=headers)
    assert rv.status_code == 200, rv.get_data(as_text=True)
    assert rv.mimetype == JSON_LD
    return rv.json


# --- one receipt -----------------------------------------------------------------


def test_a_receipt_as_iso27560_has_every_required_field(
    client: FlaskClient,
    auditor: dict[str, str],
    corpus: dict[str, str],
    controller: dict[str, Any],
) -> None:
    document = get_iso(
        client, f"/v1/admin/receipts/{corpus['a1']}?format=iso27560", auditor
    )
    assert document["@context"]["dpv"] == DPV
    receipt = expanded_receipt(document)
    assert missing(receipt, RECEIPT_REQUIRED) == []
    assert ids(receipt, DCT + "conformsTo") == {PROFILES + "receipt-eu-gdpr"}
    (record,) = records_of(receipt)
    check_record(record, controller)
    assert ids(record, DCT + "conformsTo") == {PROFILES + "record-eu-gdpr"}
    assert value(record, DCT + "identifier") == corpus["a1"]


def test_the_record_says_who_what_when_and_on_which_notice(
    client: FlaskClient,
    auditor: dict[str, str],
    corpus: dict[str, str],
    app: Flask,
    controller: dict[str, Any],
) -> None:
    document = get_iso(
        client, f"/v1/admin/receipts/{corpus['b1']}?format=iso27560", auditor
    )
    (record,) = records_of(expanded_receipt(document))
    check_record(record, controller)
    subject = next(
        e for e in record[DPV + "hasEntity"] if DPV + "DataSubject" in e["@type"]
    )
    assert value(subject, DPV + "hasIdentifier") == "subject-b"
    assert ids(record, DPV + "hasJurisdiction") == {LOC + "EU"}
    assert ids(record, DPV + "hasApplicableLaw") == {GDPR + "GDPR"}
    assert GDPR + "A6-1-a" in ids(record, DPV + "hasLegalBasis")
    with app.app_context():
        from consent_server.sites import all_sites

        notice_hash = all_sites()["default"].notices["en"]["notice"]
    consent_notice = next(
        n for n in record[DPV + "hasNotice"] if DPV + "ConsentNotice" in n["@type"]
    )
    assert value(consent_notice, DCT + "identifier") == notice_hash
    assert value(consent_notice, SCHEMA + "url") == (
        "http://localhost/v1/sites/default/notice?lang=en"
    )
    assert value(consent_notice, SCHEMA + "version") == "2025-06"
    assert value(consent_notice, DCT + "language") == "en"
    assert client.get(value(consent_notice, SCHEMA + "url")).json["notice"] == (
        notice_hash
    )
    (event,) = record[DPV + "hasConsentStatus"]
    assert value(event, DPV + "isIndicatedAtTime") == "2026-01-20T08:30:00+00:00"
    (duration,) = event[DPV + "hasDuration"]
    assert value(duration, "http://www.w3.org/1999/02/22-rdf-syntax-ns#value") == (
        "2027-01-20T08:30:00+00:00"
    )
    assert value(event, DPV + "hasIndicationMethod").startswith("custom:")


def test_each_category_is_a_purpose_with_its_own_status(
    client: FlaskClient,
    auditor: dict[str, str],
    corpus: dict[str, str],
    chain: dict[str, str],
    default_site: dict[str, Any],
) -> None:
    def record(name: str) -> dict[str, Any]:
        receipt_id = {**corpus, **chain}[name]
        path = f"/v1/admin/receipts/{receipt_id}?format=iso27560"
        (found,) = records_of(expanded_receipt(get_iso(client, path, auditor)))
        return found

    granted = record("b1")  # persistent given, third_party refused
    assert status(process(granted, "session")) == DPV + "ConsentGiven"
    assert status(process(granted, "persistent")) == DPV + "ConsentGiven"
    assert status(process(granted, "third_party")) == DPV + "ConsentRefused"
    assert status(granted) == DPV + "ConsentGiven"
    assert ids(process(granted, "session"), DPV + "hasNecessity") == {DPV + "Required"}
    assert ids(process(granted, "persistent"), DPV + "hasNecessity") == {
        DPV + "Optional"
    }
    (purpose,) = process(granted, "persistent")[DPV + "hasPurpose"]
    (persistent,) = [c for c in default_site["categories"] if c["id"] == "persistent"]
    assert value(purpose, DCT + "title") == persistent["title"]
    updated = record("second")  # persistent taken back, third_party given
    assert status(process(updated, "persistent")) == DPV + "ConsentWithdrawn"
    assert status(process(updated, "third_party")) == DPV + "ConsentGiven"
    assert status(updated) == DPV + "ConsentGiven"
    assert ids(updated, DCT + "replaces") == {"urn:uuid:" + chain["first"]}
    withdrawn = record("a2")
    assert status(withdrawn) == DPV + "ConsentWithdrawn"
    assert status(process(withdrawn, "third_party")) == DPV + "ConsentWithdrawn"
    refused = record("c1")  # a first decision that grants nothing optional
    assert status(refused) == DPV + "ConsentRefused"
    assert status(process(refused, "persistent")) == DPV + "ConsentRefused"


def test_outside_the_gdpr_the_plain_profiles_apply(
    client: FlaskClient,
    auditor: dict[str, str],
    make_receipt: Any,
    controller: dict[str, Any],
) -> None:
    receipt_id = make_receipt(jurisdiction="US")
    document = get_iso(
        client, f"/v1/admin/receipts/{receipt_id}?format=iso27560", auditor
    )
    receipt = expanded_receipt(document)
    assert ids(receipt, DCT + "conformsTo") == {PROFILES + "receipt"}
    (record,) = records_of(receipt)
    check_record(record, controller)
    assert ids(record, DCT + "conformsTo") == {PROFILES + "record"}
    assert ids(record, DPV + "hasJurisdiction") == {LOC + "US"}
    assert DPV + "hasApplicableLaw" not in record


def test_services_inside_a_category_have_a_status_each(
    tmp_path: Path, app: Flask, app_config: dict[str, Any]
) -> None:
    # The profiles require the controller's postal address.
    site = shop_site(controller=SHOP_CONTROLLER)
    site["categories"][1]["services"] = [
        {
            "id": "matomo",
            "name": "Matomo",
            "provider": "InnoCraft",
            "country": "NZ",
            "texts": {"en": {"purpose": "Visit statistics."}},
        },
        {
            "id": "hotjar",
            "name": "Hotjar",
            "provider": "Hotjar Ltd",
            "country": "MT",
            "texts": {"en": {"purpose": "Heatmaps."}},
        },
    ]
    path = write_sites(tmp_path / "sites.toml", {"shop": site})
    with other_app(app_config, path) as shop:
        _check_services(shop)


# With a postal address: the profiles require one of every party but the subject.
SHOP_CONTROLLER = {
    "name": "Shop Ltd",
    "email": "privacy@shop.example.com",
    "address": "1 Market Square, 1000 Brussels, Belgium",
}


def _check_services(shop: Flask) -> None:
    from consent_server.staff import create_token

    with shop.app_context():
        _, token = create_token("carol", "auditor")
    client = shop.test_client()
    notice = client.get("/v1/sites/shop/notice?lang=en").json
    rv = client.post(
        "/v1/sites/shop/consents",
        json={"notice": notice["notice"], "choices": {"matomo": True, "hotjar": False}},
        headers={"Origin": "https://shop.example.com"},
    )
    assert rv.status_code == 201, rv.get_data(as_text=True)
    recorded = rv.json
    path = f"/v1/admin/receipts/{recorded['receipt']['id']}?format=iso27560"
    document = get_iso(client, path, {"Authorization": f"Bearer {token}"})
    (record,) = records_of(expanded_receipt(document))
    check_record(record, SHOP_CONTROLLER)
    analytics = process(record, "analytics")
    services = {value(s, DCT + "identifier"): s for s in analytics[DPV + "hasService"]}
    assert status(services["matomo"]) == DPV + "ConsentGiven"
    assert status(services["hotjar"]) == DPV + "ConsentRefused"
    # Not every service allowed: the category as a whole is not.
    assert status(analytics) == DPV + "ConsentRefused"
    providers = {
        value(r, DPV + "hasName"): ids(r, DPV + "hasLocation")
        for r in analytics[DPV + "hasRecipient"]
        if DPV + "hasName" in r
    }
    assert providers == {"InnoCraft": {LOC + "NZ"}, "Hotjar Ltd": {LOC + "MT"}}
    (cookie,) = analytics[DPV + "hasPersonalData"]
    assert value(cookie, DCT + "identifier") == "^_ga"
    # The receipt's JWS travels with its record.
    assert value(record, "https://w3id.org/security#jws") == recorded["jws"]


# --- a subject's history and the export ------------------------------------------


def test_a_subjects_history_is_one_receipt_of_all_its_records(
    client: FlaskClient,
    auditor: dict[str, str],
    corpus: dict[str, str],
    chain: dict[str, str],
    controller: dict[str, Any],
) -> None:
    document = get_iso(client, "/v1/admin/subjects/subject-d?format=iso27560", auditor)
    receipt = expanded_receipt(document)
    assert missing(receipt, RECEIPT_REQUIRED) == []
    records = records_of(receipt)
    assert [value(r, DCT + "identifier") for r in records] == [
        chain["first"],
        chain["second"],
    ]
    for record in records:
        check_record(record, controller)
    assert ids(records[1], DCT + "replaces") == {"urn:uuid:" + chain["first"]}
    assert ids(receipt, SCHEMA + "recipient") == ids(records[0], DPV + "hasDataSubject")


def test_the_same_records_make_a_receipt_with_the_same_id(
    client: FlaskClient, auditor: dict[str, str], corpus: dict[str, str]
) -> None:
    path = "/v1/admin/subjects/subject-a?format=iso27560"
    first = get_iso(client, path, auditor)
    again = get_iso(client, path, auditor)
    assert first["dct:identifier"] == again["dct:identifier"]
    single = get_iso(
        client, f"/v1/admin/receipts/{corpus['a1']}?format=iso27560", auditor
    )
    assert single["dct:identifier"] != first["dct:identifier"]


def test_the_export_gives_one_record_per_line(
    client: FlaskClient,
    auditor: dict[str, str],
    corpus: dict[str, str],
    chain: dict[str, str],
    controller: dict[str, Any],
) -> None:
    rv = client.get(
        "/v1/admin/receipts/export?format=iso27560&site=default", headers=auditor
    )
    assert rv.status_code == 200
    assert rv.mimetype == "application/x-ndjson"
    assert rv.headers["Content-Disposition"].endswith('.iso27560.jsonl"')
    lines = [json.loads(line) for line in rv.get_data(as_text=True).splitlines()]
    assert len(lines) == 7  # every receipt of the site, none of "legacy"
    by_id: dict[str, dict[str, Any]] = {}
    for document in lines:
        (record,) = jsonld.expand(document)
        check_record(record, controller)
        by_id[value(record, DCT + "identifier")] = record
    expected = {corpus[n] for n in ("a1", "a2", "b1", "b2", "c1")}
    assert set(by_id) == expected | set(chain.values())
    # The superseded receipt's choices come along: a consent taken back reads so.
    assert status(process(by_id[chain["second"]], "persistent")) == (
        DPV + "ConsentWithdrawn"
    )


def test_the_json_answers_stay_the_default(
    client: FlaskClient, auditor: dict[str, str], corpus: dict[str, str]
) -> None:
    rv = client.get(f"/v1/admin/receipts/{corpus['a1']}", headers=auditor)
    assert rv.mimetype == "application/json"
    assert rv.json["receipt"]["id"] == corpus["a1"]
    rv = client.get("/v1/admin/subjects/subject-a?format=json", headers=auditor)
    assert rv.mimetype == "application/json"
    assert len(rv.json["receipts"]) == 2


@pytest.mark.parametrize(
    "path",
    [
        "/v1/admin/receipts/{a1}?format=xml",
        "/v1/admin/receipts/{a1}?format=ISO27560",
        "/v1/admin/subjects/subject-a?format=rdf",
        "/v1/admin/receipts/export?format=jsonld",
    ],
)
def test_an_unknown_format_is_a_problem(
    client: FlaskClient, auditor: dict[str, str], corpus: dict[str, str], path: str
) -> None:
    rv = client.get(path.format(**corpus), headers=auditor)
    body = assert_problem(rv, 422, "validation-error")
    assert "format" in body["errors"]


def test_the_openapi_document_names_the_format_and_the_json_ld_answer(
    client: FlaskClient,
) -> None:
    spec = client.get("/v1/openapi.json").json
    for path in ("/v1/admin/receipts/{receipt_id}", "/v1/admin/subjects/{subject}"):
        operation = spec["paths"][path]["get"]
        formats = [p for p in operation["parameters"] if p["name"] == "format"]
        assert formats and formats[0]["schema"]["enum"] == ["json", "iso27560"]
        content = operation["responses"]["200"]["content"]
        assert {"application/json", JSON_LD} <= set(content)
    export = spec["paths"]["/v1/admin/receipts/export"]["get"]
    (fmt,) = [p for p in export["parameters"] if p["name"] == "format"]
    assert "iso27560" in fmt["schema"]["enum"]


def test_the_staff_ui_offers_the_record_as_a_download(
    client: FlaskClient,
    tokens: dict[str, str],
    corpus: dict[str, str],
    controller: dict[str, Any],
) -> None:
    rv = client.get(f"/admin/receipts/{corpus['a1']}/iso27560")
    assert rv.mimetype == "text/html"  # signed out: the sign-in form, no record
    assert "dpv:ConsentRecord" not in rv.get_data(as_text=True)
    ui_sign_in(client, tokens["auditor"])
    page = client.get(f"/admin/receipts/{corpus['a1']}").get_data(as_text=True)
    link = f'href="/admin/receipts/{corpus["a1"]}/iso27560"'
    assert link in page
    rv = client.get(f"/admin/receipts/{corpus['a1']}/iso27560")
    assert rv.status_code == 200
    assert rv.mimetype == JSON_LD
    assert rv.headers["Content-Disposition"].startswith("attachment;")
    (record,) = records_of(expanded_receipt(json.loads(rv.data)))
    check_record(record, controller)
    assert value(record, DCT + "identifier") == corpus["a1"]


def test_a_withdrawal_withdraws_only_what_was_given(
    client: FlaskClient,
    auditor: dict[str, str],
    record: Any,
    controller: dict[str, Any],
) -> None:
    first = record(choices={"persistent": True, "third_party": False}).json
    second = record(
        choices={"persistent": False, "third_party": False},
        subject=first["receipt"]["subject"],
        token=first["token"],
        method="reject_all",
    ).json
    assert second["receipt"]["action"] == "withdraw"
    path = f"/v1/admin/receipts/{second['receipt']['id']}?format=iso27560"
    (found,) = records_of(expanded_receipt(get_iso(client, path, auditor)))
    check_record(found, controller)
    assert status(found) == DPV + "ConsentWithdrawn"
    assert status(process(found, "persistent")) == DPV + "ConsentWithdrawn"
    # Never given, so not withdrawn: refused again.
    assert status(process(found, "third_party")) == DPV + "ConsentRefused"
    assert status(process(found, "session")) == DPV + "ConsentGiven"


def test_the_staff_ui_exports_records_with_the_search_filters(
    client: FlaskClient,
    tokens: dict[str, str],
    corpus: dict[str, str],
    controller: dict[str, Any],
) -> None:
    ui_sign_in(client, tokens["auditor"])
    page = client.get("/admin/receipts?subject=subject-a").get_data(as_text=True)
    link = "/admin/export?format=iso27560&amp;subject=subject-a"
    assert f'href="{link}"' in page
    rv = client.get(link.replace("&amp;", "&"))
    assert rv.status_code == 200
    lines = rv.get_data(as_text=True).splitlines()
    ids_found = set()
    for line in lines:
        (record,) = jsonld.expand(json.loads(line))
        check_record(record, controller)
        ids_found.add(value(record, DCT + "identifier"))
    assert ids_found == {corpus["a1"], corpus["a2"]}
