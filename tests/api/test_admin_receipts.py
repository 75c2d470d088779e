"""Staff API: receipt search, filters, pagination, one receipt, export."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from consent_server.extensions import db
from consent_server.models import Receipt

from .admin_fixtures import at

PROBLEM = "application/problem+json"


def _names(corpus: dict[str, str], items: list[dict[str, Any]]) -> list[str]:
    by_id = {v: k for k, v in corpus.items()}
    return [by_id[i["id"]] for i in items]


def test_search_is_newest_first(client: FlaskClient, auditor, corpus) -> None:
    rv = client.get("/v1/admin/receipts", headers=auditor)
    assert rv.status_code == 200
    assert rv.mimetype == "application/json"
    assert _names(corpus, rv.json["items"]) == ["c1", "b2", "b1", "l1", "a2", "a1"]
    assert rv.json["next_cursor"] is None
    assert rv.json["items"][0]["token"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("site=default", ["c1", "b2", "b1", "a2", "a1"]),
        ("site=legacy", ["l1"]),
        ("subject=subject-a", ["a2", "a1"]),
        ("category=third_party", ["b2", "l1", "a1"]),
        ("category=third_party&granted=true", ["b2", "l1", "a1"]),
        ("category=third_party&granted=false", ["c1", "b1", "a2"]),
        ("category=persistent&granted=false", ["c1", "b2", "a2"]),
        ("action=withdraw", ["a2"]),
        ("action=update", ["b2"]),
        ("method=accept_all", ["l1", "a1"]),
        ("method=api", ["c1"]),
        ("policy_version=2025-06", ["b1"]),
        ("gpc=true", ["c1", "a2"]),
        ("gpc=false", ["b2", "b1", "l1", "a1"]),
        ("since=2026-01-10T12:00:00Z", ["c1", "b2", "b1", "l1", "a2"]),
        ("since=2026-01-01&until=2026-02-01", ["b2", "b1", "l1", "a2", "a1"]),
        ("until=2026-01-10T12:00:00%2B00:00", ["a1"]),
        ("since=2026-01-15&until=2026-01-16", ["l1"]),
        (
            "site=default&category=third_party&granted=false&action=withdraw"
            "&since=2026-01-01&until=2026-02-01",
            ["a2"],
        ),
    ],
)
def test_each_filter(
    client: FlaskClient, auditor, corpus, query: str, expected: list[str]
) -> None:
    rv = client.get(f"/v1/admin/receipts?{query}", headers=auditor)
    assert rv.status_code == 200, rv.json
    assert _names(corpus, rv.json["items"]) == expected


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("category=nope", "category"),
        ("site=default&category=Bad!", "category"),
        ("granted=true", "granted"),
        ("granted=maybe&category=persistent", "granted"),
        ("since=yesterday", "since"),
        ("since=2026-13-01", "since"),
        ("until=2026-01-01&since=2026-02-01", "until"),
        ("since=2026-01-01&until=2026-01-01", "until"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=ten", "limit"),
        ("action=delete", "action"),
        ("method=maybe", "method"),
        ("site=nowhere", "site"),
        ("subject=%20spaces%20", "subject"),
        ("gpc=perhaps", "gpc"),
        ("cursor=forged", "cursor"),
    ],
)
def test_bad_filters_are_problems(
    client: FlaskClient, auditor, corpus, query: str, field: str
) -> None:
    rv = client.get(f"/v1/admin/receipts?{query}", headers=auditor)
    assert rv.status_code == 422
    assert rv.mimetype == PROBLEM
    assert field in rv.json["errors"]
    rv = client.get(f"/v1/admin/receipts/export?{query}", headers=auditor)
    rv.get_data()  # finish the stream (export ignores paging arguments)
    assert rv.status_code == 422 or field in {"cursor", "limit"}


def test_limit_500_is_allowed(client: FlaskClient, auditor, corpus) -> None:
    assert (
        client.get("/v1/admin/receipts?limit=500", headers=auditor).status_code == 200
    )


def _all_pages(
    client: FlaskClient, headers: dict[str, str], query: str, between: Any = None
) -> list[str]:
    ids: list[str] = []
    cursor = None
    for _ in range(100):
        url = f"/v1/admin/receipts?{query}" + (f"&cursor={cursor}" if cursor else "")
        rv = client.get(url, headers=headers)
        assert rv.status_code == 200, rv.json
        ids += [i["id"] for i in rv.json["items"]]
        cursor = rv.json["next_cursor"]
        if cursor is None:
            return ids
        if between:
            between()
    raise AssertionError("pagination never ended")


def test_pagination_misses_and_repeats_nothing_while_receipts_arrive(
    client: FlaskClient, auditor, make_receipt, record
) -> None:
    # Ten receipts share one timestamp: the id breaks the tie.
    same = at("2026-03-01T12:00:00")
    existing = {make_receipt(created_at=same) for _ in range(10)}
    existing |= {
        make_receipt(created_at=at(f"2026-03-02T00:00:{s:02d}")) for s in range(15)
    }
    arrived: list[str] = []

    def insert_two() -> None:
        for _ in range(2):
            arrived.append(record().json["receipt"]["id"])

    ids = _all_pages(client, auditor, "limit=4&until=2027-01-01", between=insert_two)
    assert len(ids) == len(set(ids))
    # Receipts that arrive later are newer than any page already handed out.
    assert set(ids) - set(arrived) == existing
    assert arrived  # the test did insert while paging


def test_cursor_from_other_filters_is_refused(
    client: FlaskClient, auditor, corpus
) -> None:
    rv = client.get("/v1/admin/receipts?limit=1&site=default", headers=auditor)
    cursor = rv.json["next_cursor"]
    rv = client.get(
        f"/v1/admin/receipts?limit=1&site=legacy&cursor={cursor}", headers=auditor
    )
    assert rv.status_code == 422
    assert rv.mimetype == PROBLEM
    assert "cursor" in rv.json["errors"]


def test_cursor_of_the_audit_log_is_refused(client: FlaskClient, admin, corpus) -> None:
    for _ in range(3):
        client.get("/v1/admin/stats", headers=admin)
    cursor = client.get("/v1/admin/audit?limit=1", headers=admin).json["next_cursor"]
    rv = client.get(f"/v1/admin/receipts?cursor={cursor}", headers=admin)
    assert rv.status_code == 422
    assert "cursor" in rv.json["errors"]


def test_one_receipt_with_verification_and_notice(
    client: FlaskClient, auditor, record, notice
) -> None:
    created = record(headers={"User-Agent": "Mozilla/5.0 Firefox/128.0"}).json
    receipt = created["receipt"]
    rv = client.get(f"/v1/admin/receipts/{receipt['id']}", headers=auditor)
    assert rv.status_code == 200
    body = rv.json
    assert body["receipt"]["id"] == receipt["id"]
    assert body["receipt"]["choices"] == receipt["choices"]
    assert body["verification"] == {
        "valid": True,
        "signature_valid": True,
        "reason": None,
        "token_expired": False,
        "mismatches": [],
        "notice_intact": True,
        "jws": {"valid": True, "reason": None, "kid": "test-newest", "mismatches": []},
    }
    assert body["jws"] == created["jws"]
    assert body["notice"]["notice"] == notice["notice"]
    assert body["notice"]["categories"] == notice["categories"]
    assert body["notice"]["policy_version"] == notice["policy_version"]


def test_tampered_receipt_fails_verification(
    app: Flask, client: FlaskClient, auditor, record
) -> None:
    receipt_id = record(choices={"persistent": False, "third_party": False}).json[
        "receipt"
    ]["id"]
    with app.app_context():
        row = db.session.get(Receipt, receipt_id)
        row.choices = {**row.choices, "third_party": True}
        db.session.commit()
    body = client.get(f"/v1/admin/receipts/{receipt_id}", headers=auditor).json
    assert body["verification"]["valid"] is False
    assert body["verification"]["signature_valid"] is True
    assert body["verification"]["mismatches"] == ["granted", "denied"]
    assert body["verification"]["jws"]["reason"] == "mismatch"
    assert body["verification"]["jws"]["mismatches"] == ["choices"]


def test_forged_token_fails_verification(
    app: Flask, client: FlaskClient, auditor, record
) -> None:
    receipt_id = record().json["receipt"]["id"]
    with app.app_context():
        row = db.session.get(Receipt, receipt_id)
        row.token = row.token[:-4] + "AAAA"
        db.session.commit()
    body = client.get(f"/v1/admin/receipts/{receipt_id}", headers=auditor).json
    assert body["verification"]["valid"] is False
    assert body["verification"]["reason"] == "bad_signature"


@pytest.mark.parametrize(
    "receipt_id", ["0b1f7a52-1111-4222-8333-444455556666", "x" * 300, "nope"]
)
def test_unknown_receipt_is_404(client: FlaskClient, auditor, receipt_id: str) -> None:
    rv = client.get(f"/v1/admin/receipts/{receipt_id}", headers=auditor)
    assert rv.status_code == 404
    assert rv.mimetype == PROBLEM


@pytest.mark.parametrize(
    "query",
    [
        "",
        "site=default&category=third_party&granted=false",
        "subject=subject-b",
        "since=2026-01-10&until=2026-02-01",
    ],
)
def test_export_equals_search(client: FlaskClient, auditor, corpus, query: str) -> None:
    searched = _all_pages(client, auditor, f"limit=2&{query}")
    rv = client.get(f"/v1/admin/receipts/export?format=jsonl&{query}", headers=auditor)
    assert rv.status_code == 200
    assert rv.mimetype == "application/x-ndjson"
    assert "attachment" in rv.headers["Content-Disposition"]
    lines = [json.loads(line) for line in rv.get_data(as_text=True).splitlines()]
    assert [r["id"] for r in lines] == searched
    rv = client.get(f"/v1/admin/receipts/export?format=csv&{query}", headers=auditor)
    assert rv.status_code == 200
    assert rv.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(rv.get_data(as_text=True))))
    assert [r["id"] for r in rows] == searched


def test_export_rows_match_search_items(client: FlaskClient, auditor, corpus) -> None:
    items = client.get("/v1/admin/receipts", headers=auditor).json["items"]
    lines = client.get("/v1/admin/receipts/export", headers=auditor).get_data(
        as_text=True
    )
    exported = [json.loads(line) for line in lines.splitlines()]
    for item in items:
        item.pop("erased")
    assert exported == items


def test_csv_cells_cannot_be_formulas(
    client: FlaskClient, auditor, make_receipt
) -> None:
    make_receipt(
        origin='=HYPERLINK("http://evil")',
        user_agent="+SUM(1)",
        ip_prefix="-2+3",
        banner_build="@cmd",
        policy_version="\tx",
    )
    rv = client.get("/v1/admin/receipts/export?format=csv", headers=auditor)
    row = next(csv.DictReader(io.StringIO(rv.get_data(as_text=True))))
    assert row["origin"] == '\'=HYPERLINK("http://evil")'
    assert row["user_agent"] == "'+SUM(1)"
    assert row["ip_prefix"] == "'-2+3"
    assert row["banner_build"] == "'@cmd"
    assert row["policy_version"] == "'\tx"
    assert row["granted"] == "session persistent"
    assert row["denied"] == "third_party"


def test_unknown_export_format_is_a_problem(client: FlaskClient, auditor) -> None:
    rv = client.get("/v1/admin/receipts/export?format=xlsx", headers=auditor)
    assert rv.status_code == 422
    assert rv.mimetype == PROBLEM
    assert "format" in rv.json["errors"]
