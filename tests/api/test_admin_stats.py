"""Staff API: opt-in statistics per day and category."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from consent_server.stats import rebuild_counters
from consent_server.vocabulary import METHODS

from .admin_fixtures import at

PROBLEM = "application/problem+json"


def test_stats_on_a_known_set(client: FlaskClient, auditor, corpus) -> None:
    rv = client.get(
        "/v1/admin/stats?site=default&since=2026-01-01&until=2026-02-02",
        headers=auditor,
    )
    assert rv.status_code == 200
    body = rv.json
    assert [d["day"] for d in body["days"]] == [
        "2026-01-05",
        "2026-01-10",
        "2026-01-20",
        "2026-01-31",
        "2026-02-01",
    ]
    jan5 = body["days"][0]
    assert jan5["decisions"] == 1
    assert jan5["shares"] == {
        "accept_all": 1.0,
        "reject_all": 0.0,
        "custom": 0.0,
        "api": 0.0,
    }
    assert jan5["categories"]["third_party"] == {
        "decisions": 1,
        "granted": 1,
        "opt_in_rate": 1.0,
        "page_code": 0,
        "page_code_granted": 0,
    }
    totals = body["totals"]
    assert totals["decisions"] == 5
    assert totals["methods"] == {
        "accept_all": 1,
        "reject_all": 1,
        "custom": 2,
        "api": 1,
    }
    assert totals["shares"]["custom"] == 0.4
    assert totals["categories"]["session"] == {
        "decisions": 5,
        "granted": 5,
        "opt_in_rate": 1.0,
        "page_code": 0,
        "page_code_granted": 0,
    }
    # persistent: a1 b1 granted; third_party: a1 b2 granted.
    assert totals["categories"]["persistent"] == {
        "decisions": 5,
        "granted": 2,
        "opt_in_rate": 0.4,
        "page_code": 0,
        "page_code_granted": 0,
    }
    assert totals["categories"]["third_party"] == {
        "decisions": 5,
        "granted": 2,
        "opt_in_rate": 0.4,
        "page_code": 0,
        "page_code_granted": 0,
    }


def test_stats_of_all_sites_and_exclusive_until(
    client: FlaskClient, auditor, corpus
) -> None:
    body = client.get(
        "/v1/admin/stats?since=2026-01-01&until=2026-02-01", headers=auditor
    ).json
    assert (
        body["totals"]["decisions"] == 5
    )  # l1 of the legacy site counts, c1 (Feb 1) not
    assert body["site"] is None


def test_counters_agree_with_the_receipts(
    app: Flask, client: FlaskClient, auditor, corpus, record
) -> None:
    for choices in (
        {"persistent": True, "third_party": True},
        {"persistent": False, "third_party": False},
    ):
        assert record(choices=choices).status_code == 201
    live = client.get(
        "/v1/admin/stats?since=2026-01-01&until=2030-01-01", headers=auditor
    ).json
    with app.app_context():
        # The corpus is older than the fold point; the two new decisions are not
        # and are counted from the receipts themselves.
        assert rebuild_counters() == 6
    rebuilt = client.get(
        "/v1/admin/stats?since=2026-01-01&until=2030-01-01", headers=auditor
    ).json
    assert live == rebuilt
    assert live["totals"]["decisions"] == 8


def test_default_range_is_the_last_30_days(
    client: FlaskClient, auditor, record
) -> None:
    record(method="accept_all", choices={"persistent": True, "third_party": True})
    body = client.get("/v1/admin/stats", headers=auditor).json
    assert body["totals"]["decisions"] == 1
    assert body["totals"]["shares"]["accept_all"] == 1.0


@pytest.mark.parametrize("method", METHODS)
def test_every_decision_method_has_its_counter(
    client: FlaskClient, auditor, make_receipt, method: str
) -> None:
    # Backdated, so the decision is read from the counter rows, not the receipts.
    make_receipt(method=method, created_at=at("2026-01-05T10:00:00"))
    totals = client.get(
        "/v1/admin/stats?since=2026-01-01&until=2026-02-01", headers=auditor
    ).json["totals"]
    assert totals["methods"] == {m: int(m == method) for m in METHODS}
    assert totals["shares"][method] == 1.0


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("since=2026-02-01&until=2026-01-01", "until"),
        ("since=2026-01-01&until=2026-01-01", "until"),
        ("since=01/02/2026", "since"),
        ("until=2026-02-30", "until"),
        ("since=1990-01-01&until=2026-01-01", "since"),
        ("site=nowhere", "site"),
    ],
)
def test_bad_stats_ranges_are_problems(
    client: FlaskClient, auditor, query: str, field: str
) -> None:
    rv = client.get(f"/v1/admin/stats?{query}", headers=auditor)
    assert rv.status_code == 422
    assert rv.mimetype == PROBLEM
    assert field in rv.json["errors"]


def test_stats_answer_shape(client: FlaskClient, auditor) -> None:
    body: dict[str, Any] = client.get(
        "/v1/admin/stats?since=2026-01-01&until=2026-01-02", headers=auditor
    ).json
    assert body == {
        "site": None,
        "since": "2026-01-01",
        "until": "2026-01-02",
        "days": [],
        "totals": {
            "decisions": 0,
            "refused": 0,
            "page_code": 0,
            "methods": {"accept_all": 0, "reject_all": 0, "custom": 0, "api": 0},
            "shares": {
                "accept_all": None,
                "reject_all": None,
                "custom": None,
                "api": None,
            },
            "categories": {},
        },
    }
