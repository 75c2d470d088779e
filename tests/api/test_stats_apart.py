"""Statistics that keep refusals and page code apart (issue #9, points 7 and 8):
first decisions that grant nothing count as refusals, and decisions a page's script
made without a visitor's gesture never count in the visitors' rates."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from consent_server import stats
from consent_server.extensions import db
from consent_server.models import DailyStat
from tests.api.helpers import Record
from tests.api.proof_fixtures import ALL, NONE, SOME
from tests.conftest import new_subject

ONLY_THIRD = {"persistent": False, "third_party": True}


def _report(client: FlaskClient, headers: dict[str, str]) -> dict[str, Any]:
    """The whole report, from 30 days ago to tomorrow."""
    today = datetime.now(UTC).date()
    query = f"since={today - timedelta(days=30)}&until={today + timedelta(days=1)}"
    rv = client.get(f"/v1/admin/stats?{query}", headers=headers)
    assert rv.status_code == 200, rv.json
    assert rv.mimetype == "application/json"
    return dict(rv.json)


def _decide(record: Record, choices: dict[str, bool], **fields: Any) -> Any:
    rv = record(choices=choices, **fields)
    assert rv.status_code == 201, rv.json
    return rv.json


def _visitors_and_page_code(record: Record) -> None:
    """Four decisions of visitors (one refusal) and two of page scripts."""
    refusal = _decide(record, NONE, method="reject_all", layer="first")
    assert refusal["receipt"]["action"] == "refuse"
    granted = _decide(record, SOME, layer="preferences")
    withdrawn = _decide(
        record, NONE, token=granted["token"], method="reject_all", layer="first"
    )
    assert withdrawn["receipt"]["action"] == "withdraw"
    # window.consent called from a click handler: the visitor's own gesture.
    _decide(record, ONLY_THIRD, method="api", layer="api", user_activation=True)
    # window.consent called on page load: no gesture, page code.
    _decide(record, ALL, method="accept_all", layer="api", user_activation=False)
    page_refusal = _decide(
        record, NONE, method="reject_all", layer="api", user_activation=False
    )
    assert page_refusal["receipt"]["action"] == "refuse"


def _category(
    decisions: int, granted: int, page_code: int, page_code_granted: int
) -> dict[str, Any]:
    return {
        "decisions": decisions,
        "granted": granted,
        "opt_in_rate": round(granted / decisions, 4) if decisions else None,
        "page_code": page_code,
        "page_code_granted": page_code_granted,
    }


EXPECTED_TOTALS = {
    "decisions": 4,
    "refused": 1,
    "methods": {"accept_all": 0, "reject_all": 2, "custom": 1, "api": 1},
    "shares": {"accept_all": 0.0, "reject_all": 0.5, "custom": 0.25, "api": 0.25},
    "page_code": 2,
    "categories": {
        "persistent": _category(4, 1, 2, 1),
        "session": _category(4, 4, 2, 2),
        "third_party": _category(4, 1, 2, 1),
        # The default site's third-party services, counted like their category.
        "analytics": _category(4, 1, 2, 1),
        "video": _category(4, 1, 2, 1),
    },
}


def test_refusals_are_first_decisions_that_grant_nothing(
    record: Record, client: FlaskClient, auditor: dict[str, str]
) -> None:
    first = _decide(record, NONE, subject=new_subject())
    again = _decide(record, NONE, token=first["token"])  # a second refusal: update
    _decide(record, SOME, token=again["token"])
    withdrawn = _decide(record, SOME)
    _decide(record, NONE, token=withdrawn["token"])
    _decide(record, NONE, method="reject_all")

    totals = _report(client, auditor)["totals"]

    assert totals["decisions"] == 6
    assert totals["refused"] == 2


def test_page_code_decisions_are_counted_apart_from_visitors(
    record: Record, client: FlaskClient, auditor: dict[str, str]
) -> None:
    _visitors_and_page_code(record)

    report = _report(client, auditor)

    assert report["totals"] == EXPECTED_TOTALS
    (today,) = report["days"]
    assert today == {"day": datetime.now(UTC).date().isoformat(), **EXPECTED_TOTALS}


def _counters(app: Flask) -> dict[tuple[date, str], tuple[int, ...]]:
    with app.app_context():
        rows = {
            (r.day, r.category): (
                r.decisions,
                r.refused,
                r.page_code,
                r.page_code_granted,
            )
            for r in db.session.scalars(select(DailyStat))
        }
        db.session.remove()
    return rows


def test_the_report_keeps_them_apart_after_a_fold(
    record: Record,
    client: FlaskClient,
    app: Flask,
    auditor: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _visitors_and_page_code(record)
    before = _report(client, auditor)  # counted from the receipts: too new to fold
    assert _counters(app) == {}

    monkeypatch.setattr(stats, "FOLD_LAG", timedelta(0))
    with app.app_context():
        assert stats.fold_counters() == 6

    today = datetime.now(UTC).date()
    counters = _counters(app)
    assert counters[(today, stats.TOTAL)] == (4, 1, 2, 0)
    assert counters[(today, "persistent")] == (4, 1, 2, 1)
    assert _report(client, auditor) == before


def test_receipts_counted_long_ago_keep_them_apart(
    client: FlaskClient, auditor: dict[str, str], make_receipt: Callable[..., str]
) -> None:
    """Receipts older than the fold point are read from the counters only."""
    day = datetime.now(UTC) - timedelta(days=3)
    none, some = {"session": True, **NONE}, {"session": True, **SOME}
    make_receipt(created_at=day, action="refuse", method="reject_all", choices=none)
    make_receipt(created_at=day, action="grant", method="custom", choices=some)
    make_receipt(
        created_at=day,
        action="grant",
        method="accept_all",
        layer="api",
        user_activation=False,
        choices={"session": True, **ALL},
    )

    report = _report(client, auditor)

    (that_day,) = report["days"]
    assert that_day["day"] == day.date().isoformat()
    totals = report["totals"]
    assert totals["decisions"] == 2 and totals["refused"] == 1
    assert totals["page_code"] == 1
    assert totals["methods"] == {
        "accept_all": 0,
        "reject_all": 1,
        "custom": 1,
        "api": 0,
    }
    assert totals["categories"]["persistent"] == _category(2, 1, 1, 1)
    assert totals["categories"]["third_party"] == _category(2, 0, 1, 1)
