"""GET /v1/sites/<site>/consents/<subject>: the current decision."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.api.helpers import (
    Record,
    assert_problem,
    other_app,
)
from tests.api.policy_versions import record_on_shop
from tests.api.site_files import shop_site, write_sites
from tests.conftest import new_subject

CHROME_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.6478.127 Safari/537.36"
)


def test_lookup_returns_the_current_decision(
    record: Record, client: FlaskClient
) -> None:
    subject = new_subject()
    first = record(subject=subject, choices={"persistent": True, "third_party": True})
    latest = record(
        subject=subject,
        token=first.json["token"],
        choices={"persistent": True, "third_party": False},
    )

    rv = client.get(f"/v1/sites/default/consents/{subject}")

    assert rv.status_code == 200
    assert rv.mimetype == "application/json"
    assert rv.json["receipt"]["id"] == latest.json["receipt"]["id"]
    assert rv.json["choices"] == {
        "session": True,
        "persistent": True,
        "third_party": False,
        "analytics": False,
        "video": False,
    }
    assert rv.json["valid"] is True
    assert "granted" not in rv.json


@pytest.fixture
def far_timezone(app_config: dict[str, Any]) -> None:
    """PostgreSQL sessions in UTC+05:30: answers must not depend on the zone."""
    if app_config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        app_config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "connect_args": {"options": "-c timezone=Asia/Kolkata"}
        }


def test_lookup_answers_the_receipt_exactly_as_recorded(
    far_timezone: None, record: Record, client: FlaskClient
) -> None:
    subject = new_subject()
    recorded = record(subject=subject, layer="preferences", gpc=True)

    looked_up = client.get(f"/v1/sites/default/consents/{subject}").json

    decision_fields = set(looked_up["receipt"])
    as_recorded = recorded.json["receipt"]
    assert looked_up["receipt"] == {k: as_recorded[k] for k in decision_fields}
    assert looked_up["receipt"]["created_at"].endswith("+00:00")


@pytest.mark.parametrize(
    ("category", "granted"),
    [("persistent", True), ("third_party", False), ("session", True)],
)
def test_lookup_with_a_category_adds_granted(
    record: Record, client: FlaskClient, category: str, granted: bool
) -> None:
    subject = new_subject()
    record(subject=subject, choices={"persistent": True, "third_party": False})
    rv = client.get(f"/v1/sites/default/consents/{subject}?category={category}")
    assert rv.status_code == 200
    assert rv.json["granted"] is granted


def test_lookup_of_a_subject_without_decisions_is_a_404_problem(
    client: FlaskClient,
) -> None:
    rv = client.get(f"/v1/sites/default/consents/{new_subject()}")
    assert_problem(rv, 404, "not-found")


def test_lookup_with_an_unknown_category_is_a_422_problem(
    record: Record, client: FlaskClient
) -> None:
    subject = new_subject()
    record(subject=subject)
    rv = client.get(f"/v1/sites/default/consents/{subject}?category=marketing")
    body = assert_problem(rv, 422)
    assert "category" in body["errors"]


@pytest.mark.parametrize(
    "subject",
    ["a%20b", "-leading-dash", "x" * 129, "%C3%A9mile", "a;b"],
    ids=["space", "dash", "too-long", "unicode", "semicolon"],
)
def test_lookup_with_an_invalid_subject_is_a_422_problem(
    client: FlaskClient, subject: str
) -> None:
    rv = client.get(f"/v1/sites/default/consents/{subject}")
    body = assert_problem(rv, 422)
    assert "subject" in body["errors"]


def test_lookup_on_an_unknown_site_is_a_404_problem(client: FlaskClient) -> None:
    assert_problem(
        client.get(f"/v1/sites/nope/consents/{new_subject()}"), 404, "unknown-site"
    )


def test_lookup_does_not_cross_sites(
    app_config: dict[str, Any], tmp_path: Path, client: FlaskClient, record: Record
) -> None:
    subject = new_subject()
    record(subject=subject)
    rv = client.get(f"/v1/sites/default/consents/{subject}")
    assert rv.status_code == 200
    # the same subject id on another site knows nothing
    path = write_sites(tmp_path / "sites.toml", {"shop": shop_site()})
    with other_app(app_config, path) as shop:
        assert_problem(
            shop.test_client().get(f"/v1/sites/shop/consents/{subject}"), 404
        )


def test_lookup_under_a_newer_policy_is_not_valid(
    shop_v1: Path, client: FlaskClient, shop_v2: Flask
) -> None:
    subject = new_subject()
    record_on_shop(client, subject)
    assert client.get(f"/v1/sites/shop/consents/{subject}").json["valid"] is True

    rv = shop_v2.test_client().get(
        f"/v1/sites/shop/consents/{subject}?category=analytics"
    )

    assert rv.status_code == 200
    assert rv.json["valid"] is False
    assert rv.json["granted"] is False
    assert rv.json["choices"]["analytics"] is True  # the record itself is unchanged
