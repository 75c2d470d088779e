"""GET /v1/receipts/<id>/file: the visitor's receipt file, for the subject's token
(``X-Consent-Token``) or staff (issue #12)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from consent_server.config import secret_keys
from consent_server.extensions import db
from consent_server.models import AuditEntry
from consent_server.signing import sign_token
from tests.api.helpers import Record, assert_problem, other_app
from tests.api.site_files import SHOP_ORIGIN, shop_site, write_sites

JSON_LD_RECORD = "dpv:ConsentRecord"


def file_of(client: FlaskClient, receipt_id: str, token: str) -> Any:
    return client.get(
        f"/v1/receipts/{receipt_id}/file", headers={"X-Consent-Token": token}
    )


def test_the_subject_downloads_one_file_with_everything_that_proves_it(
    client: FlaskClient, record: Record
) -> None:
    recorded = record().json
    receipt = recorded["receipt"]
    rv = file_of(client, receipt["id"], recorded["token"])
    assert rv.status_code == 200
    assert rv.mimetype == "application/json"
    assert rv.headers["Content-Disposition"] == (
        f'attachment; filename="consent-receipt-{receipt["id"]}.json"'
    )
    assert rv.headers["Cache-Control"] == "no-store"
    body = rv.json
    assert body["format"] == "consent-receipt-file/1"
    assert body["receipt"] == receipt  # as recorded, and as its JWS signs it
    assert body["jws"] == recorded["jws"]
    assert body["jwks_url"] == "http://localhost/.well-known/jwks.json"
    notice = {k: v for k, v in body["notice"].items() if k != "notice"}
    canonical = json.dumps(
        notice, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    assert hashlib.sha256(canonical.encode()).hexdigest() == receipt["notice"]
    (record_node,) = body["iso27560"]["dpv:hasRecordOfActivity"]
    assert record_node["@type"] == JSON_LD_RECORD
    assert record_node["dct:identifier"] == receipt["id"]
    assert record_node["sec:jws"] == recorded["jws"]


def test_a_consent_that_expired_still_proves_its_subject(
    client: FlaskClient, app: Flask, record: Record
) -> None:
    receipt = record().json["receipt"]
    with app.app_context():
        old = sign_token(
            secret_keys(),
            receipt_id=receipt["id"],
            site="default",
            subject=receipt["subject"],
            choices=receipt["choices"],
            policy_version=receipt["policy_version"],
            expires_at=datetime.now(UTC) - timedelta(days=1),
        )
    rv = file_of(client, receipt["id"], old)
    assert rv.status_code == 200
    assert rv.json["receipt"]["id"] == receipt["id"]


def test_a_token_of_another_subject_or_none_reads_nothing(
    client: FlaskClient, record: Record
) -> None:
    """The same rules as the inclusion proof (log_access): the file holds the
    leaf's salt too."""
    mine = record().json
    other = record().json
    receipt_id = mine["receipt"]["id"]
    not_found = [
        file_of(client, receipt_id, other["token"]),  # another subject
        file_of(client, "0" * 8 + receipt_id[8:], mine["token"]),  # unknown id
        file_of(client, "x" * 300, mine["token"]),  # not an id at all
    ]
    details = {assert_problem(rv, 404)["detail"] for rv in not_found}
    assert len(details) == 1  # one answer: nothing tells which ids exist
    assert_problem(file_of(client, receipt_id, mine["token"][:-4] + "AAAA"), 401)
    assert_problem(client.get(f"/v1/receipts/{receipt_id}/file"), 401)
    # The proof endpoint answers the same callers the same way.
    for headers in ({"X-Consent-Token": other["token"]}, {}):
        statuses = {
            client.get(f"/v1/receipts/{receipt_id}/{what}", headers=headers).status_code
            for what in ("file", "proof")
        }
        assert len(statuses) == 1


def test_staff_read_any_file_and_are_audited(
    client: FlaskClient,
    app: Flask,
    record: Record,
    auditor: dict[str, str],
    recorder: dict[str, str],
) -> None:
    recorded = record().json
    path = f"/v1/receipts/{recorded['receipt']['id']}/file"
    rv = client.get(path, headers=auditor)
    assert rv.status_code == 200
    assert rv.json["jws"] == recorded["jws"]
    # A recorder reads its own sites' receipts, as with the proof.
    assert client.get(path, headers=recorder).status_code == 200
    assert_problem(client.get(path, headers={"Authorization": "Bearer cst_nope"}), 401)
    assert_problem(client.get(f"/v1/receipts/{'0' * 36}/file", headers=auditor), 404)
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        logged = [(e.token_name, e.status) for e in entries if "/file" in e.path]
    assert logged == [("bob", 200), ("site-backend", 200), ("bob", 404)]


def test_a_visitors_download_is_not_audited(
    client: FlaskClient, app: Flask, record: Record
) -> None:
    recorded = record().json
    assert (
        file_of(client, recorded["receipt"]["id"], recorded["token"]).status_code == 200
    )
    with app.app_context():
        paths = db.session.scalars(select(AuditEntry.path)).all()
    assert not [p for p in paths if "/file" in p]


@pytest.fixture
def shop_client(
    app: Flask, app_config: dict[str, Any], tmp_path: Path
) -> Iterator[FlaskClient]:
    """A client of an app whose site file has a site with an allowed origin."""
    path = write_sites(tmp_path / "shop.toml", {"shop": shop_site()})
    with other_app(app_config, path) as shop:
        yield shop.test_client()


def test_the_banner_may_fetch_the_file_from_a_sites_page(
    shop_client: FlaskClient,
) -> None:
    rv = shop_client.options(
        f"/v1/receipts/{'0' * 36}/file",
        headers={
            "Origin": SHOP_ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "x-consent-token",
        },
    )
    assert rv.headers["Access-Control-Allow-Origin"] == SHOP_ORIGIN
    assert "x-consent-token" in rv.headers["Access-Control-Allow-Headers"].lower()
    rv = shop_client.get(
        f"/v1/receipts/{'0' * 36}/file", headers={"Origin": "https://evil.example"}
    )
    assert "Access-Control-Allow-Origin" not in rv.headers


def test_the_openapi_document_describes_the_file(client: FlaskClient) -> None:
    operation = client.get("/v1/openapi.json").json["paths"][
        "/v1/receipts/{receipt_id}/file"
    ]["get"]
    headers = [p["name"] for p in operation["parameters"] if p["in"] == "header"]
    assert "X-Consent-Token" in headers
    assert {"200", "401", "403", "404"} <= set(operation["responses"])
