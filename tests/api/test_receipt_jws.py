"""Every receipt is also an Ed25519 JWS (issue #12): checked here by PyJWT against
the JWKS the service publishes, as a visitor or auditor would, without our code."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from consent_server import create_app, receipt_insert
from consent_server.extensions import db
from consent_server.models import Receipt
from consent_server.signing_keys import new_key_entry

CONSENTS = "/v1/sites/default/consents"
ALL = {"persistent": True, "third_party": True}
NONE = {"persistent": False, "third_party": False}


def independent_check(client: FlaskClient, token: str) -> tuple[dict[str, Any], Any]:
    """Verify a JWS with PyJWT and the served JWKS only: (header, payload)."""
    jwks = jwt.PyJWKSet.from_dict(client.get("/.well-known/jwks.json").json)
    header = jwt.get_unverified_header(token)
    decoded = jwt.api_jws.decode_complete(
        token, jwks[header["kid"]].key, algorithms=["EdDSA"]
    )
    return header, json.loads(decoded["payload"])


def test_the_recorded_receipt_comes_with_its_jws(
    client: FlaskClient, record: Callable[..., Any]
) -> None:
    rv = record(headers={"User-Agent": "Mozilla/5.0 Firefox/128.0"})
    assert rv.status_code == 201
    header, payload = independent_check(client, rv.json["jws"])
    assert header == {
        "alg": "EdDSA",
        "kid": "test-newest",
        "typ": "consent-receipt+jws",
    }
    # The payload is the receipt the answer holds, context included.
    assert payload == rv.json["receipt"]
    assert payload["user_agent"] == "Firefox 128"
    assert {"token", "jws", "idempotency_hash"}.isdisjoint(payload)


def test_the_jws_is_stored_with_the_receipt(
    app: Flask, client: FlaskClient, record: Callable[..., Any]
) -> None:
    rv = record()
    with app.app_context():
        stored = db.session.get(Receipt, rv.json["receipt"]["id"])
        assert stored is not None and stored.jws == rv.json["jws"]


def test_a_retry_gets_the_same_jws(
    client: FlaskClient, record: Callable[..., Any]
) -> None:
    key = {"Idempotency-Key": "client-secret-0123456789"}
    first = record(headers=key)
    again = record(headers=key)
    assert again.status_code == 201
    assert again.json["jws"] == first.json["jws"]


def test_the_public_lookup_never_shows_the_jws(
    client: FlaskClient, record: Callable[..., Any]
) -> None:
    receipt = record().json["receipt"]
    rv = client.get(f"{CONSENTS}/{receipt['subject']}")
    assert rv.status_code == 200
    assert "jws" not in json.dumps(rv.json)
    assert "ip_prefix" not in rv.json


def test_a_later_decision_signs_its_link_to_the_previous_one(
    client: FlaskClient, record: Callable[..., Any]
) -> None:
    first = record(choices=ALL).json
    second = record(choices=NONE, token=first["token"]).json
    _, payload = independent_check(client, second["jws"])
    assert payload["previous"] == first["receipt"]["id"]
    assert payload["action"] == "withdraw"
    assert payload == second["receipt"]


def test_an_older_token_still_signs_the_newest_link(
    client: FlaskClient, record: Callable[..., Any]
) -> None:
    """The token predicts the previous receipt; when it is not the newest one,
    the receipt is linked and signed with the one the database holds."""
    first = record(choices=NONE).json
    second = record(choices=ALL, token=first["token"]).json
    third = record(choices=NONE, token=first["token"]).json
    _, payload = independent_check(client, third["jws"])
    assert payload["previous"] == second["receipt"]["id"]
    assert payload["action"] == "withdraw"
    assert payload == third["receipt"]


def test_a_recorders_decisions_are_signed_with_their_link(
    client: FlaskClient, recorder: dict[str, str], notice: dict[str, Any]
) -> None:
    body = {"subject": "crm-42", "notice": notice["notice"], "method": "api"}
    body["layer"] = "api"
    first = client.post(CONSENTS, json={**body, "choices": ALL}, headers=recorder)
    second = client.post(CONSENTS, json={**body, "choices": ALL}, headers=recorder)
    assert second.status_code == 201, second.json
    _, payload = independent_check(client, second.json["jws"])
    assert payload["previous"] == first.json["receipt"]["id"]
    assert payload["action"] == "update"


def test_staff_see_the_jws_and_its_check(
    client: FlaskClient, record: Callable[..., Any], auditor: dict[str, str]
) -> None:
    created = record().json
    body = client.get(
        f"/v1/admin/receipts/{created['receipt']['id']}", headers=auditor
    ).json
    assert body["jws"] == created["jws"]
    assert body["verification"]["valid"] is True
    assert body["verification"]["jws"] == {
        "valid": True,
        "reason": None,
        "kid": "test-newest",
        "mismatches": [],
    }


@pytest.mark.parametrize(
    ("change", "mismatches"),
    [
        ({"ip_prefix": "198.51.100.0/24"}, ["ip_prefix"]),
        ({"gpc": True}, ["gpc"]),
        ({"language": "de", "method": "reject_all"}, ["method", "language"]),
    ],
)
def test_a_changed_stored_receipt_fails_the_jws_check(
    app: Flask,
    client: FlaskClient,
    record: Callable[..., Any],
    auditor: dict[str, str],
    change: dict[str, Any],
    mismatches: list[str],
) -> None:
    receipt_id = record().json["receipt"]["id"]
    with app.app_context():
        db.session.execute(
            update(Receipt).where(Receipt.id == receipt_id).values(change)
        )
        db.session.commit()
    body = client.get(f"/v1/admin/receipts/{receipt_id}", headers=auditor).json
    check = body["verification"]["jws"]
    assert (check["valid"], check["reason"]) == (False, "mismatch")
    assert check["mismatches"] == mismatches
    assert body["verification"]["valid"] is False


def test_a_forged_jws_fails_the_check(
    app: Flask, client: FlaskClient, record: Callable[..., Any], auditor: dict[str, str]
) -> None:
    created = record().json
    head, body, signature = created["jws"].split(".")
    forged = f"{head}.{body}.{signature[:-4]}AAAA"
    with app.app_context():
        db.session.execute(
            update(Receipt)
            .where(Receipt.id == created["receipt"]["id"])
            .values(jws=forged)
        )
        db.session.commit()
    rv = client.get(f"/v1/admin/receipts/{created['receipt']['id']}", headers=auditor)
    assert rv.json["verification"]["jws"]["reason"] == "bad_signature"
    assert rv.json["verification"]["valid"] is False
    with pytest.raises(jwt.InvalidSignatureError):
        independent_check(client, forged)


def test_a_receipt_from_before_signing_is_judged_on_its_token(
    app: Flask, client: FlaskClient, record: Callable[..., Any], auditor: dict[str, str]
) -> None:
    receipt_id = record().json["receipt"]["id"]
    with app.app_context():
        db.session.execute(
            update(Receipt).where(Receipt.id == receipt_id).values(jws=None)
        )
        db.session.commit()
    body = client.get(f"/v1/admin/receipts/{receipt_id}", headers=auditor).json
    assert body["jws"] is None
    assert body["verification"]["jws"]["reason"] == "missing"
    assert body["verification"]["valid"] is True


def test_erasure_removes_the_jws(
    client: FlaskClient,
    record: Callable[..., Any],
    admin: dict[str, str],
    auditor: dict[str, str],
) -> None:
    receipt = record().json["receipt"]
    assert (
        client.delete(
            f"/v1/admin/subjects/{receipt['subject']}", headers=admin
        ).status_code
        == 200
    )
    body = client.get(f"/v1/admin/receipts/{receipt['id']}", headers=auditor).json
    assert body["jws"] is None
    assert body["verification"]["jws"]["reason"] == "erased"


def test_old_receipts_verify_with_a_retired_key_after_rotation(
    app_config: dict[str, Any],
    client: FlaskClient,
    record: Callable[..., Any],
    auditor: dict[str, str],
) -> None:
    old = record().json
    [old_key] = [
        k
        for k in client.get("/.well-known/jwks.json").json["keys"]
        if k["kid"] == "test-newest"
    ]
    retired = {
        **old_key,
        "signed_from": "2026-01-01T00:00:00Z",
        "signed_until": "2099-01-01T00:00:00Z",
    }
    rotated = create_app(
        {
            **app_config,
            "CONSENT_SIGNING_KEYS": new_key_entry("rotated"),
            "CONSENT_RETIRED_SIGNING_KEYS": json.dumps([retired]),
        }
    )
    after = rotated.test_client()
    published = after.get("/.well-known/jwks.json").json["keys"]
    assert [k["kid"] for k in published] == ["rotated", "test-newest"]

    header, payload = independent_check(after, old["jws"])
    assert header["kid"] == "test-newest" and payload == old["receipt"]
    detail = after.get(f"/v1/admin/receipts/{old['receipt']['id']}", headers=auditor)
    assert detail.json["verification"]["jws"]["valid"] is True
    assert detail.json["verification"]["jws"]["kid"] == "test-newest"

    new = after.post(
        CONSENTS, json={"notice": old["receipt"]["notice"], "choices": ALL}
    ).json
    assert independent_check(after, new["jws"])[0]["kid"] == "rotated"
    with rotated.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_key_dropped_from_the_jwks_no_longer_verifies(
    app_config: dict[str, Any],
    client: FlaskClient,
    record: Callable[..., Any],
    auditor: dict[str, str],
) -> None:
    old = record().json
    forgotten = create_app({**app_config, "CONSENT_SIGNING_KEYS": new_key_entry()})
    detail = forgotten.test_client().get(
        f"/v1/admin/receipts/{old['receipt']['id']}", headers=auditor
    )
    assert detail.json["verification"]["jws"]["reason"] == "unknown_key"
    with forgotten.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_link_that_keeps_changing_is_a_409_and_stores_nothing(
    app: Flask,
    client: FlaskClient,
    record: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As if other decisions about the subject were stored between each read of
    its newest receipt and the insert: never a receipt signed with a wrong link."""
    first = record(choices=NONE).json
    record(choices=ALL, token=first["token"])  # first's token is now not the newest
    monkeypatch.setattr(
        receipt_insert, "_newest_link", lambda decision: ("gone-meanwhile", "update")
    )
    rv = record(choices=NONE, token=first["token"])
    assert rv.status_code == 409
    assert rv.mimetype == "application/problem+json"
    assert rv.json["type"].endswith("concurrent-decisions")
    with app.app_context():
        assert db.session.query(Receipt).count() == 2


def test_the_cli_counts_receipts_by_the_key_that_signed_them(
    app_config: dict[str, Any], app: Flask, record: Callable[..., Any]
) -> None:
    record()
    erased = record().json["receipt"]
    with app.app_context():
        db.session.execute(
            update(Receipt).where(Receipt.id == erased["id"]).values(jws=None)
        )
        db.session.commit()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["consent", "log", "seal"]).exit_code == 0
    result = runner.invoke(args=["consent", "keys", "--receipts"])
    assert result.exit_code == 0, result.output
    assert "test-newest: 1 receipt(s), published" in result.output
    assert "test-newest: 1 tree head(s), published" in result.output
    assert "without a JWS (recorded before issue #12, or erased): 1" in result.output

    rotated = create_app({**app_config, "CONSENT_SIGNING_KEYS": new_key_entry()})
    result = rotated.test_cli_runner().invoke(args=["consent", "keys", "--receipts"])
    assert result.exit_code == 1
    assert "test-newest: 1 receipt(s), NOT in the JWKS" in result.output
    # The head a visitor's proof file holds would not check either.
    assert "test-newest: 1 tree head(s), NOT in the JWKS" in result.output
    with rotated.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_retired_key_vouches_only_for_its_own_period(
    app_config: dict[str, Any],
    client: FlaskClient,
    record: Callable[..., Any],
    auditor: dict[str, str],
) -> None:
    """A receipt dated after its key was retired was signed with a key that no
    longer signs: the check says so, though the signature itself holds."""
    old = record().json
    [old_key] = [
        k
        for k in client.get("/.well-known/jwks.json").json["keys"]
        if k["kid"] == "test-newest"
    ]
    retired = {
        **old_key,
        "signed_from": "2025-01-01T00:00:00Z",
        "signed_until": "2026-01-01T00:00:00Z",
    }
    rotated = create_app(
        {
            **app_config,
            "CONSENT_SIGNING_KEYS": new_key_entry("rotated"),
            "CONSENT_RETIRED_SIGNING_KEYS": json.dumps([retired]),
        }
    )
    detail = rotated.test_client().get(
        f"/v1/admin/receipts/{old['receipt']['id']}", headers=auditor
    )
    check = detail.json["verification"]["jws"]
    assert (check["valid"], check["reason"]) == (False, "outside_key_period")
    assert check["kid"] == "test-newest" and check["mismatches"] == []
    with rotated.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_openapi_document_shows_the_jws_and_its_check(client: FlaskClient) -> None:
    schemas = client.get("/v1/openapi.json").json["components"]["schemas"]
    assert "jws" in schemas["ConsentCreated"]["properties"]
    assert "jws" in schemas["ReceiptDetail"]["properties"]
    assert {"valid", "reason", "kid", "mismatches"} <= set(
        schemas["JWSCheck"]["properties"]
    )
