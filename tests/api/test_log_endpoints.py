"""Public log endpoints: heads, consistency, a receipt's inclusion proof (issue #12)."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from consent_server import log_leaves, merkle
from consent_server.jws import TREE_HEAD_TYP, verify_compact
from consent_server.log_seal import seal
from tests.api.admin_fixtures import admin, bearer, tokens  # noqa: F401
from tests.api.helpers import Record, assert_problem


def _record(record: Record, n: int = 1) -> list[dict[str, Any]]:
    bodies = []
    for _ in range(n):
        rv = record()
        assert rv.status_code == 201, rv.get_data(as_text=True)
        bodies.append(rv.json)
    return bodies


def _seal(app: Flask) -> None:
    with app.app_context():
        assert seal() is not None


def test_no_head_before_the_first_seal(client: FlaskClient) -> None:
    assert_problem(client.get("/v1/log/head"), 404, "no-tree-head")
    rv = client.get("/v1/log/heads")
    assert rv.status_code == 200 and rv.json == {"heads": []}


def test_the_head_is_signed_and_checks_with_the_jwks(
    app: Flask, client: FlaskClient, record: Record
) -> None:
    _record(record, 3)
    _seal(app)
    rv = client.get("/v1/log/head")
    assert rv.status_code == 200
    head = rv.json
    assert head["tree_size"] == 3
    jwks = client.get("/.well-known/jwks.json").json
    payload = verify_compact(head["signature"], jwks, typ=TREE_HEAD_TYP)
    assert payload["tree_size"] == 3
    assert payload["root_hash"] == head["root_hash"]


def test_heads_since_lists_the_history_oldest_first(
    app: Flask, client: FlaskClient, record: Record
) -> None:
    _record(record, 2)
    _seal(app)
    _record(record, 1)
    _seal(app)
    heads = client.get("/v1/log/heads").json["heads"]
    assert [h["tree_size"] for h in heads] == [2, 3]
    later = client.get("/v1/log/heads", query_string={"since": heads[1]["timestamp"]})
    assert [h["tree_size"] for h in later.json["heads"]] == [3]
    assert client.get("/v1/log/heads?limit=1").json["heads"][0]["tree_size"] == 2


def test_a_consistency_proof_links_two_heads(
    app: Flask, client: FlaskClient, record: Record
) -> None:
    _record(record, 3)
    _seal(app)
    _record(record, 4)
    _seal(app)
    old, new = client.get("/v1/log/heads").json["heads"]
    rv = client.get("/v1/log/consistency?first=3&second=7")
    assert rv.status_code == 200
    path = [bytes.fromhex(h) for h in rv.json["consistency_path"]]
    assert merkle.verify_consistency(
        3, 7, bytes.fromhex(old["root_hash"]), bytes.fromhex(new["root_hash"]), path
    )


def test_bad_consistency_queries_are_problems(
    app: Flask, client: FlaskClient, record: Record
) -> None:
    _record(record, 2)
    _seal(app)
    body = assert_problem(client.get("/v1/log/consistency?first=0&second=2"), 422)
    assert "first" in body["errors"]
    assert_problem(client.get("/v1/log/consistency?first=2&second=9"), 422)
    assert_problem(client.get("/v1/log/consistency?first=2&second=1"), 422)
    assert_problem(client.get("/v1/log/consistency?first=x&second=1"), 422)
    assert_problem(client.get("/v1/log/heads?since=yesterday"), 422)


def test_the_subject_gets_a_proof_anyone_can_check_offline(
    app: Flask, client: FlaskClient, record: Record
) -> None:
    bodies = _record(record, 5)
    _seal(app)
    mine = bodies[3]
    rv = client.get(
        f"/v1/receipts/{mine['receipt']['id']}/proof",
        headers={"X-Consent-Token": mine["token"]},
    )
    assert rv.status_code == 200, rv.get_data(as_text=True)
    proof = rv.json
    leaf = proof["leaf"]
    assert leaf["id"] == mine["receipt"]["id"]
    salt = bytes.fromhex(proof["salt"])
    subject = mine["receipt"]["subject"]
    expected = hashlib.sha256(salt + b"subject\x00" + subject.encode()).hexdigest()
    assert leaf["salted_sha256"]["subject"] == expected
    leaf_hash = merkle.leaf_hash(log_leaves.leaf_bytes(leaf))
    head = proof["head"]
    assert merkle.verify_inclusion(
        proof["leaf_index"],
        head["tree_size"],
        leaf_hash,
        [bytes.fromhex(h) for h in proof["inclusion_path"]],
        bytes.fromhex(head["root_hash"]),
    )


def test_another_subjects_token_gets_nothing(
    app: Flask, client: FlaskClient, record: Record
) -> None:
    first, second = _record(record, 2)
    _seal(app)
    url = f"/v1/receipts/{first['receipt']['id']}/proof"
    assert_problem(client.get(url, headers={"X-Consent-Token": second["token"]}), 404)
    assert_problem(client.get(url, headers={"X-Consent-Token": "forged.token"}), 401)
    assert_problem(client.get(url), 401)


def test_staff_read_any_proof_and_the_request_is_audited(
    app: Flask,
    client: FlaskClient,
    record: Record,
    admin: dict[str, str],  # noqa: F811
) -> None:
    (body,) = _record(record, 1)
    _seal(app)
    rv = client.get(f"/v1/receipts/{body['receipt']['id']}/proof", headers=admin)
    assert rv.status_code == 200
    audit = client.get("/v1/admin/audit", headers=admin).json
    assert any("/proof" in e["path"] for e in audit["items"])
    bad = client.get(
        f"/v1/receipts/{body['receipt']['id']}/proof", headers=bearer("cst_nope")
    )
    assert_problem(bad, 401)


def test_a_receipt_not_sealed_yet_says_so(client: FlaskClient, record: Record) -> None:
    (body,) = _record(record, 1)
    rv = client.get(
        f"/v1/receipts/{body['receipt']['id']}/proof",
        headers={"X-Consent-Token": body["token"]},
    )
    problem = assert_problem(rv, 404, "not-sealed")
    assert "not in a signed tree head yet" in problem["detail"]


def test_a_malformed_receipt_id_is_a_problem(client: FlaskClient) -> None:
    body = assert_problem(client.get("/v1/receipts/not-a-uuid/proof"), 422)
    assert "receipt_id" in body["errors"]


def test_the_log_endpoints_are_in_the_openapi_document(client: FlaskClient) -> None:
    paths = client.get("/v1/openapi.json").json["paths"]
    for path in (
        "/v1/log/head",
        "/v1/log/heads",
        "/v1/log/consistency",
        "/v1/receipts/{receipt_id}/proof",
    ):
        assert "get" in paths[path]
