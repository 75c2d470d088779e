"""POST /v1/sites/<site>/consents: recording decisions and retrying them."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from consent_server.extensions import db
from consent_server.models import Notice
from tests.api.helpers import (
    Record,
    assert_problem,
    count_rows,
    stored,
    verify,
)
from tests.conftest import new_subject

CHROME_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.6478.127 Safari/537.36"
)

# --- recording -----------------------------------------------------------------


def test_recording_a_decision_returns_201_with_receipt_and_token(
    record: Record, notice: dict[str, Any], app: Flask
) -> None:
    subject = new_subject()
    rv = record(subject=subject, language="de", method="custom", layer="preferences")

    assert rv.status_code == 201
    assert rv.mimetype == "application/json"
    receipt = rv.json["receipt"]
    uuid.UUID(receipt["id"])
    assert receipt["site"] == "default"
    assert receipt["subject"] == subject
    assert receipt["action"] == "grant"
    assert receipt["method"] == "custom"
    assert receipt["layer"] == "preferences"
    # The default site's third-party services are named on their own too.
    assert receipt["choices"] == {
        "session": True,
        "persistent": True,
        "third_party": False,
        "analytics": False,
        "video": False,
    }
    assert receipt["policy_version"] == "2026-01"
    assert receipt["notice"] == notice["notice"]
    assert receipt["language"] == "de"
    assert receipt["jurisdiction"] == "EU"
    assert receipt["gpc"] is False
    assert receipt["previous"] is None
    assert verify(app.test_client(), rv.json["token"])["valid"] is True
    assert count_rows(app) == (1, 1)


def test_required_category_is_forced_on_and_every_category_is_named(
    record: Record,
) -> None:
    rv = record(choices={"persistent": False, "third_party": False})
    assert rv.status_code == 201
    assert rv.json["receipt"]["choices"] == {
        "session": True,
        "persistent": False,
        "third_party": False,
        "analytics": False,
        "video": False,
    }


def test_required_category_may_be_sent_as_true(record: Record) -> None:
    rv = record(choices={"session": True, "persistent": True, "third_party": True})
    assert rv.status_code == 201
    assert rv.json["receipt"]["choices"]["session"] is True


def test_server_makes_a_subject_when_none_is_sent(record: Record) -> None:
    rv = record()
    assert rv.status_code == 201
    uuid.UUID(rv.json["receipt"]["subject"])


def test_created_at_is_the_servers_clock(record: Record) -> None:
    before = datetime.now(UTC)
    rv = record()
    after = datetime.now(UTC)
    created = datetime.fromisoformat(rv.json["receipt"]["created_at"])
    assert created.utcoffset() == timedelta(0)
    assert before - timedelta(seconds=1) <= created <= after + timedelta(seconds=1)


def test_client_supplied_times_are_refused(record: Record) -> None:
    rv = record(created_at="2000-01-01T00:00:00+00:00")
    body = assert_problem(rv, 422)
    assert "created_at" in body["errors"]


@pytest.mark.parametrize(
    ("choices", "days"),
    [
        ({"persistent": True, "third_party": False}, 180),
        ({"persistent": False, "third_party": True}, 180),
        ({"persistent": False, "third_party": False}, 180),
    ],
    ids=["consent", "partial-consent", "refusal"],
)
def test_expires_at_is_created_plus_validity(
    record: Record, choices: dict[str, bool], days: int
) -> None:
    receipt = record(choices=choices).json["receipt"]
    created = datetime.fromisoformat(receipt["created_at"])
    assert datetime.fromisoformat(receipt["expires_at"]) - created == timedelta(
        days=days
    )


def test_previous_links_to_the_last_receipt_of_the_subject(record: Record) -> None:
    subject = new_subject()
    first = record(subject=subject).json
    record(subject=new_subject())  # someone else's decision in between
    second = record(
        subject=subject,
        token=first["token"],
        choices={"persistent": True, "third_party": True},
    )
    third = record(
        subject=subject,
        token=second.json["token"],
        choices={"persistent": False, "third_party": False},
    )

    assert first["receipt"]["previous"] is None
    assert second.json["receipt"]["previous"] == first["receipt"]["id"]
    assert third.json["receipt"]["previous"] == second.json["receipt"]["id"]


@pytest.mark.parametrize(
    ("before", "after", "action"),
    [
        (
            {"persistent": True, "third_party": False},
            {"persistent": True, "third_party": True},
            "update",
        ),
        (
            {"persistent": False, "third_party": False},
            {"persistent": True, "third_party": False},
            "update",
        ),
        (
            {"persistent": True, "third_party": True},
            {"persistent": False, "third_party": False},
            "withdraw",
        ),
        (
            {"persistent": False, "third_party": False},
            {"persistent": False, "third_party": False},
            "update",
        ),
    ],
    ids=["more", "first-grant-after-refusal", "withdraw-all", "refuse-again"],
)
def test_action_follows_the_previous_decision(
    record: Record, before: dict[str, bool], after: dict[str, bool], action: str
) -> None:
    subject = new_subject()
    first = record(subject=subject, choices=before).json
    granted = any(before.values())
    assert first["receipt"]["action"] == ("grant" if granted else "refuse")
    later = record(subject=subject, choices=after, token=first["token"]).json
    assert later["receipt"]["action"] == action


@pytest.mark.parametrize(
    ("remote", "prefix"),
    [
        ("203.0.113.77", "203.0.113.0/24"),
        ("2001:db8:1234:5678::1", "2001:db8:1234::/48"),
    ],
    ids=["ipv4", "ipv6"],
)
def test_ip_is_truncated(
    client: FlaskClient, notice: dict[str, Any], app: Flask, remote: str, prefix: str
) -> None:
    rv = client.post(
        "/v1/sites/default/consents",
        json={
            "notice": notice["notice"],
            "choices": {"persistent": True, "third_party": True},
        },
        environ_base={"REMOTE_ADDR": remote},
    )
    assert rv.status_code == 201
    assert rv.json["receipt"]["ip_prefix"] == prefix
    row = stored(app, rv.json["receipt"]["id"])
    assert row is not None and row.ip_prefix == prefix
    assert remote not in repr(row.__dict__)


def test_user_agent_is_reduced(record: Record, app: Flask) -> None:
    rv = record(headers={"User-Agent": CHROME_UA})
    assert rv.json["receipt"]["user_agent"] == "Chrome 126"
    row = stored(app, rv.json["receipt"]["id"])
    assert row is not None and row.user_agent == "Chrome 126"


@pytest.mark.parametrize(
    ("headers", "origin"),
    [
        ({"Origin": "https://shop.example.com"}, "https://shop.example.com"),
        (
            {"Referer": "https://shop.example.com/cart?id=7#x"},
            "https://shop.example.com",
        ),
        ({"Referer": "http://localhost:8080/p/q?r=s"}, "http://localhost:8080"),
        ({}, None),
    ],
    ids=["origin", "referer", "port", "none"],
)
def test_origin_is_stored_without_path_or_query(
    record: Record, headers: dict[str, str], origin: str | None
) -> None:
    assert record(headers=headers).json["receipt"]["origin"] == origin


@pytest.mark.parametrize(
    ("header", "body", "gpc"),
    [
        ("1", None, True),
        ("0", None, False),
        ("true", None, False),
        ("11", None, False),
        (None, True, True),
        (None, False, False),
        (None, None, False),
    ],
)
def test_gpc_comes_from_sec_gpc_exactly_1_or_the_body(
    record: Record, header: str | None, body: bool | None, gpc: bool
) -> None:
    headers = {"Sec-GPC": header} if header is not None else {}
    fields = {"gpc": body} if body is not None else {}
    rv = record(headers=headers, **fields)
    assert rv.status_code == 201
    assert rv.json["receipt"]["gpc"] is gpc


def test_notice_is_stored_once_per_hash(
    record: Record, client: FlaskClient, app: Flask, notice: dict[str, Any]
) -> None:
    german = client.get("/v1/sites/default/notice?lang=de").json
    for _ in range(3):
        assert record().status_code == 201
    assert record(notice=german["notice"]).status_code == 201

    assert count_rows(app) == (4, 2)
    with app.app_context():
        rows = {n.hash: n for n in db.session.scalars(select(Notice))}
        assert rows[notice["notice"]].content == notice
        assert rows[german["notice"]].language == "de"
        assert rows[german["notice"]].policy_version == "2026-01"


def test_receipt_language_defaults_to_the_notices(
    record: Record, client: FlaskClient
) -> None:
    german = client.get("/v1/sites/default/notice?lang=fr").json
    assert record(notice=german["notice"]).json["receipt"]["language"] == "fr"


def test_banner_build_is_recorded(
    record: Record, client: FlaskClient, app: Flask
) -> None:
    script = client.get("/v1/sites/default/banner.js").data
    config = json.loads(
        script.split(b"\n", 1)[0].removeprefix(b"self.__consentSite=")[:-1]
    )
    build = config["banner_build"]
    rv = record(
        banner_build=build,
        method="accept_all",
        layer="first",
        choices={"persistent": True, "third_party": True},
    )
    assert rv.json["receipt"]["banner_build"] == build
    row = stored(app, rv.json["receipt"]["id"])
    assert row is not None and row.banner_build == build


def test_token_names_the_receipt_and_the_granted_categories(
    record: Record, client: FlaskClient
) -> None:
    rv = record(choices={"persistent": False, "third_party": True})
    claims = verify(client, rv.json["token"])["receipt"]
    receipt = rv.json["receipt"]
    assert claims["id"] == receipt["id"]
    assert claims["subject"] == receipt["subject"]
    assert claims["granted"] == ["session", "third_party", "analytics", "video"]
    assert claims["denied"] == ["persistent"]
    assert datetime.fromisoformat(claims["expires_at"]) == datetime.fromisoformat(
        receipt["expires_at"]
    ).replace(microsecond=0)


# --- idempotency --------------------------------------------------------------------


def test_retry_with_the_same_receipt_id_and_the_subjects_token_returns_it(
    record: Record, app: Flask
) -> None:
    receipt_id, subject = str(uuid.uuid4()), new_subject()
    first = record(id=receipt_id, subject=subject)
    second = record(id=receipt_id, subject=subject, token=first.json["token"])

    assert first.status_code == 201
    assert second.status_code == 201
    assert second.mimetype == "application/json"
    assert first.json["receipt"]["id"] == receipt_id
    assert second.json == first.json
    assert count_rows(app) == (1, 1)


def test_retry_with_the_same_idempotency_key_returns_the_same_receipt(
    record: Record, app: Flask
) -> None:
    headers = {"Idempotency-Key": "retry-" + uuid.uuid4().hex}
    first = record(headers=headers)
    second = record(headers=headers)

    assert first.status_code == second.status_code == 201
    assert second.json == first.json
    assert count_rows(app) == (1, 1)


def test_different_idempotency_keys_make_different_receipts(
    record: Record, app: Flask
) -> None:
    subject = new_subject()
    a = record(subject=subject, headers={"Idempotency-Key": "key-a"})
    b = record(
        subject=subject, token=a.json["token"], headers={"Idempotency-Key": "key-b"}
    )
    assert a.json["receipt"]["id"] != b.json["receipt"]["id"]
    assert b.json["receipt"]["previous"] == a.json["receipt"]["id"]
    assert count_rows(app) == (2, 1)


@pytest.mark.parametrize("how", ["id", "header"])
def test_reusing_a_key_for_another_decision_is_a_409_problem(
    record: Record, app: Flask, how: str
) -> None:
    key = str(uuid.uuid4())
    retry: dict[str, Any] = (
        {"id": key} if how == "id" else {"headers": {"Idempotency-Key": key}}
    )
    subject = new_subject()
    first = record(subject=subject, **retry)
    assert first.status_code == 201

    rv = record(
        subject=subject,
        token=first.json["token"],
        choices={"persistent": False, "third_party": True},
        **retry,
    )

    body = assert_problem(rv, 409, "reused-key")
    assert "Idempotency-Key" in body["detail"] or "receipt id" in body["detail"]
    assert count_rows(app) == (1, 1)


def test_reusing_a_receipt_id_for_another_subject_is_a_409_problem(
    record: Record, app: Flask
) -> None:
    receipt_id = str(uuid.uuid4())
    assert record(id=receipt_id, subject=new_subject()).status_code == 201
    assert_problem(record(id=receipt_id, subject=new_subject()), 409)
    assert count_rows(app) == (1, 1)


def test_notice_of_an_older_policy_cannot_be_used(
    shop_v1: Path, client: FlaskClient, shop_v2: Flask
) -> None:
    old_notice = client.get("/v1/sites/shop/notice").json["notice"]
    rv = shop_v2.test_client().post(
        "/v1/sites/shop/consents",
        json={"notice": old_notice, "choices": {"analytics": True}},
    )
    body = assert_problem(rv, 422)
    assert "notice" in body["errors"]


def test_a_failed_first_decision_does_not_lose_its_notice(
    record: Record, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The failed decision's notice row is rolled back (SQLite) or already stored
    (PostgreSQL, where each statement commits): either way the next decision finds
    or stores it again, and no receipt points at a notice that is not there."""
    import consent_server.receipts as receipts

    stage = receipts.stage_for_decision

    def fail(*args: Any, **kwargs: Any) -> None:
        stage(*args, **kwargs)
        raise RuntimeError("simulated failure after the notice was added")

    monkeypatch.setattr(receipts, "stage_for_decision", fail)
    with pytest.raises(RuntimeError):
        record()
    monkeypatch.undo()
    assert count_rows(app)[0] == 0

    rv = record()

    assert rv.status_code == 201
    assert count_rows(app) == (1, 1)
