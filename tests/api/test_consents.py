"""POST/GET /v1/sites/<site>/consents and POST /v1/receipts/verify."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from consent_server import create_app
from consent_server.extensions import db
from consent_server.models import Notice, Receipt
from consent_server.signing import sign_receipt
from tests.api.helpers import assert_problem, count_rows
from tests.api.site_files import shop_site, write_sites
from tests.conftest import TEST_KEYS, new_subject

CHROME_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.6478.127 Safari/537.36"
)
Record = Callable[..., Any]


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value)


def verify(client: FlaskClient, token: str) -> Any:
    rv = client.post("/v1/receipts/verify", json={"token": token})
    assert rv.status_code == 200
    assert rv.mimetype == "application/json"
    return rv.json


def stored(app: Flask, receipt_id: str) -> Receipt | None:
    with app.app_context():
        row = db.session.get(Receipt, receipt_id)
        db.session.expunge_all()
        db.session.remove()
        return row


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
    assert receipt["choices"] == {
        "session": True,
        "persistent": True,
        "third_party": False,
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
    created = parse_time(rv.json["receipt"]["created_at"])
    assert created.utcoffset() == timedelta(0)
    assert before - timedelta(seconds=1) <= created <= after + timedelta(seconds=1)


def test_client_supplied_times_are_refused(record: Record) -> None:
    rv = record(created_at="2000-01-01T00:00:00+00:00")
    body = assert_problem(rv, 422)
    assert "created_at" in body["errors"]


@pytest.mark.parametrize(
    ("choices", "days"),
    [
        ({"persistent": True, "third_party": False}, 365),
        ({"persistent": False, "third_party": True}, 365),
        ({"persistent": False, "third_party": False}, 180),
    ],
    ids=["consent", "partial-consent", "refusal"],
)
def test_expires_at_is_created_plus_validity(
    record: Record, choices: dict[str, bool], days: int
) -> None:
    receipt = record(choices=choices).json["receipt"]
    created = parse_time(receipt["created_at"])
    assert parse_time(receipt["expires_at"]) - created == timedelta(days=days)


def test_previous_links_to_the_last_receipt_of_the_subject(record: Record) -> None:
    subject = new_subject()
    first = record(subject=subject).json["receipt"]
    record(subject=new_subject())  # someone else's decision in between
    second = record(subject=subject, choices={"persistent": True, "third_party": True})
    third = record(subject=subject, choices={"persistent": False, "third_party": False})

    assert first["previous"] is None
    assert second.json["receipt"]["previous"] == first["id"]
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
    assert record(subject=subject, choices=before).json["receipt"]["action"] == "grant"
    assert record(subject=subject, choices=after).json["receipt"]["action"] == action


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


def test_banner_build_is_recorded(record: Record, app: Flask) -> None:
    build = "ab12" * 16
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
    assert claims["granted"] == ["session", "third_party"]
    assert claims["denied"] == ["persistent"]
    assert parse_time(claims["expires_at"]) == parse_time(
        receipt["expires_at"]
    ).replace(microsecond=0)


# --- idempotency --------------------------------------------------------------------


def test_retry_with_the_same_receipt_id_returns_the_same_receipt(
    record: Record, app: Flask
) -> None:
    receipt_id, subject = str(uuid.uuid4()), new_subject()
    first = record(id=receipt_id, subject=subject)
    second = record(id=receipt_id, subject=subject)

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
    b = record(subject=subject, headers={"Idempotency-Key": "key-b"})
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
    assert record(subject=subject, **retry).status_code == 201

    rv = record(
        subject=subject, choices={"persistent": False, "third_party": True}, **retry
    )

    body = assert_problem(rv, 409, "conflict")
    assert "Idempotency-Key" in body["detail"] or "receipt id" in body["detail"]
    assert count_rows(app) == (1, 1)


def test_reusing_a_receipt_id_for_another_subject_is_a_409_problem(
    record: Record, app: Flask
) -> None:
    receipt_id = str(uuid.uuid4())
    assert record(id=receipt_id, subject=new_subject()).status_code == 201
    assert_problem(record(id=receipt_id, subject=new_subject()), 409)
    assert count_rows(app) == (1, 1)


# --- lookup ---------------------------------------------------------------------------


def test_lookup_returns_the_current_decision(
    record: Record, client: FlaskClient
) -> None:
    subject = new_subject()
    record(subject=subject, choices={"persistent": True, "third_party": True})
    latest = record(subject=subject, choices={"persistent": True, "third_party": False})

    rv = client.get(f"/v1/sites/default/consents/{subject}")

    assert rv.status_code == 200
    assert rv.mimetype == "application/json"
    assert rv.json["receipt"]["id"] == latest.json["receipt"]["id"]
    assert rv.json["choices"] == {
        "session": True,
        "persistent": True,
        "third_party": False,
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

    assert looked_up["receipt"] == recorded.json["receipt"]
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


class other_app:  # noqa: N801 - used as a context manager
    """A second app on the same database with another site file."""

    def __init__(self, config: dict[str, Any], sites_file: Path) -> None:
        self.app = create_app({**config, "CONSENT_SITES_FILE": str(sites_file)})

    def __enter__(self) -> Flask:
        return self.app

    def __exit__(self, *exc: object) -> None:
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def shop_v1(app_config: dict[str, Any], tmp_path: Path) -> Path:
    path = write_sites(tmp_path / "v1.toml", {"shop": shop_site(policy_version="1")})
    app_config["CONSENT_SITES_FILE"] = str(path)
    return path


@pytest.fixture
def shop_v2(
    app_config: dict[str, Any], tmp_path: Path, shop_v1: Path
) -> Iterator[Flask]:
    """The same site and database after the policy moved on to version 2."""
    path = write_sites(tmp_path / "v2.toml", {"shop": shop_site(policy_version="2")})
    with other_app(app_config, path) as app:
        yield app


def _record_on_shop(client: FlaskClient, subject: str) -> Any:
    notice = client.get("/v1/sites/shop/notice").json["notice"]
    rv = client.post(
        "/v1/sites/shop/consents",
        json={"subject": subject, "notice": notice, "choices": {"analytics": True}},
    )
    assert rv.status_code == 201
    return rv


def test_lookup_under_a_newer_policy_is_not_valid(
    shop_v1: Path, client: FlaskClient, shop_v2: Flask
) -> None:
    subject = new_subject()
    _record_on_shop(client, subject)
    assert client.get(f"/v1/sites/shop/consents/{subject}").json["valid"] is True

    rv = shop_v2.test_client().get(
        f"/v1/sites/shop/consents/{subject}?category=analytics"
    )

    assert rv.status_code == 200
    assert rv.json["valid"] is False
    assert rv.json["granted"] is False
    assert rv.json["choices"]["analytics"] is True  # the record itself is unchanged


def test_verify_under_a_newer_policy_is_outdated(
    shop_v1: Path, client: FlaskClient, shop_v2: Flask
) -> None:
    token = _record_on_shop(client, new_subject()).json["token"]
    body = verify(shop_v2.test_client(), token)
    assert body["valid"] is False
    assert body["reason"] == "outdated_policy"
    assert body["receipt"]["policy_version"] == "1"


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


# --- verify ---------------------------------------------------------------------------


def signed(keys: list[str] | None = None, **overrides: Any) -> str:
    fields: dict[str, Any] = {
        "receipt_id": str(uuid.uuid4()),
        "site": "default",
        "subject": new_subject(),
        "choices": {"session": True, "persistent": True, "third_party": True},
        "policy_version": "2026-01",
        "expires_at": datetime.now(UTC) + timedelta(days=1),
    }
    fields.update(overrides)
    return sign_receipt(keys or TEST_KEYS, **fields)


def test_verify_a_valid_token(client: FlaskClient, record: Record) -> None:
    rv = record()
    body = verify(client, rv.json["token"])
    assert body["valid"] is True
    assert body["reason"] is None
    assert body["receipt"]["id"] == rv.json["receipt"]["id"]
    assert body["receipt"]["site"] == "default"
    assert body["receipt"]["policy_version"] == "2026-01"


def test_verify_a_token_signed_with_the_older_key(client: FlaskClient) -> None:
    body = verify(client, signed(keys=[TEST_KEYS[1]]))
    assert body["valid"] is True


def _tampered() -> str:
    import base64
    import json

    token = signed(choices={"session": True, "persistent": False, "third_party": False})
    head = token.split(".")[0]
    payload = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    payload["g"], payload["d"] = ["session", "persistent", "third_party"], []
    forged = (
        base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    )
    return forged + token[len(head) :]


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: "garbage", id="garbage"),
        pytest.param(lambda: signed()[:-5], id="truncated"),
        pytest.param(lambda: signed()[:30], id="truncated-payload"),
        pytest.param(_tampered, id="tampered"),
        pytest.param(
            lambda: signed(keys=["another-deployment-key-012345"]), id="other-key"
        ),
    ],
)
def test_verify_untrustworthy_token_is_bad_signature(
    client: FlaskClient, make: Any
) -> None:
    body = verify(client, make())
    assert body == {"valid": False, "reason": "bad_signature", "receipt": None}


def test_verify_an_expired_token(client: FlaskClient) -> None:
    token = signed(expires_at=datetime.now(UTC) - timedelta(minutes=1))
    body = verify(client, token)
    assert body["valid"] is False
    assert body["reason"] == "expired"
    assert body["receipt"]["site"] == "default"


def test_verify_a_token_that_expires_later_once_the_clock_passes(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = signed(expires_at=datetime.now(UTC) + timedelta(days=30))
    assert verify(client, token)["valid"] is True

    import consent_server.signing as signing

    later = datetime.now(UTC) + timedelta(days=31)

    class FrozenDatetime(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
            return later

    monkeypatch.setattr(signing, "datetime", FrozenDatetime)
    body = verify(client, token)
    assert body["valid"] is False
    assert body["reason"] == "expired"


def test_verify_a_token_for_an_unknown_site(client: FlaskClient) -> None:
    body = verify(client, signed(site="gone"))
    assert body["valid"] is False
    assert body["reason"] == "unknown_site"
    assert body["receipt"]["site"] == "gone"


def test_verify_a_token_of_an_older_policy(client: FlaskClient) -> None:
    body = verify(client, signed(policy_version="2025-01"))
    assert body["valid"] is False
    assert body["reason"] == "outdated_policy"


# --- proxies and rate limits ---------------------------------------------------------


def test_x_forwarded_for_is_ignored_without_a_proxy_count(record: Record) -> None:
    rv = record(headers={"X-Forwarded-For": "198.51.100.23"})
    assert rv.status_code == 201
    assert rv.json["receipt"]["ip_prefix"] == "127.0.0.0/24"


@pytest.fixture
def behind_one_proxy(app_config: dict[str, Any]) -> None:
    app_config["CONSENT_PROXY_COUNT"] = 1


@pytest.mark.parametrize(
    ("forwarded", "prefix"),
    [
        ("198.51.100.23", "198.51.100.0/24"),
        ("203.0.113.9, 198.51.100.23", "198.51.100.0/24"),
    ],
    ids=["one-hop", "spoofed-first-hop"],
)
def test_x_forwarded_for_is_honoured_behind_a_configured_proxy(
    behind_one_proxy: None, record: Record, forwarded: str, prefix: str
) -> None:
    rv = record(headers={"X-Forwarded-For": forwarded})
    assert rv.status_code == 201
    assert rv.json["receipt"]["ip_prefix"] == prefix


@pytest.fixture
def rate_limited(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["CONSENT_RATELIMIT_ENABLED"] = True
    app_config["CONSENT_RATELIMIT_RECORD"] = "2 per minute"
    return app_config


def _redis_available() -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.fixture(params=["memory", "redis"])
def limiter_storage(
    request: pytest.FixtureRequest, rate_limited: dict[str, Any]
) -> str:
    if request.param == "redis":
        if not _redis_available():
            pytest.skip("no Redis on 127.0.0.1:6379")
        rate_limited["RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:6379"
    return str(request.param)


def test_third_decision_in_a_minute_is_a_429_problem(
    limiter_storage: str, client: FlaskClient, notice: dict[str, Any], app: Flask
) -> None:
    # Limits count per client address: a fresh one per test keeps runs apart.
    run = uuid.uuid4().hex
    visitor, neighbour = (
        f"2001:db8:{run[:4]}:{run[4:8]}:{run[8:12]}::{n}" for n in (1, 2)
    )
    body = {
        "notice": notice["notice"],
        "choices": {"persistent": True, "third_party": True},
    }

    def post(address: str = visitor) -> Any:
        return client.post(
            "/v1/sites/default/consents",
            json=body,
            environ_base={"REMOTE_ADDR": address},
        )

    assert post().status_code == 201
    assert post().status_code == 201

    rv = post()

    problem = assert_problem(rv, 429, "rate-limited")
    assert "2 per 1 minute" in problem["detail"]
    assert int(rv.headers["Retry-After"]) > 0
    assert count_rows(app) == (2, 1)
    assert post(neighbour).status_code == 201  # another visitor is not held back


def test_rate_limit_does_not_apply_to_lookups(
    rate_limited: dict[str, Any], record: Record, client: FlaskClient
) -> None:
    subject = new_subject()
    record(subject=subject)
    for _ in range(4):
        assert client.get(f"/v1/sites/default/consents/{subject}").status_code == 200


def test_a_failed_first_decision_does_not_lose_its_notice(
    record: Record, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The failed decision's notice row is rolled back (SQLite) or already stored
    (PostgreSQL, where each statement commits): either way the next decision finds
    or stores it again, and no receipt points at a notice that is not there."""
    import consent_server.receipts as receipts

    store_notice = receipts._ensure_notice

    def fail(*args: Any, **kwargs: Any) -> None:
        store_notice(*args, **kwargs)
        raise RuntimeError("simulated failure after the notice was added")

    monkeypatch.setattr(receipts, "_ensure_notice", fail)
    with pytest.raises(RuntimeError):
        record()
    monkeypatch.undo()
    assert count_rows(app)[0] == 0

    rv = record()

    assert rv.status_code == 201
    assert count_rows(app) == (1, 1)
