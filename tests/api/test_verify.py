"""POST /v1/receipts/verify: token checks without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.api.helpers import (
    Record,
    verify,
)
from tests.api.helpers import signed as sign_with
from tests.api.policy_versions import record_on_shop
from tests.conftest import TEST_KEYS, new_subject

CHROME_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.6478.127 Safari/537.36"
)


def signed(keys: list[str] | None = None, **overrides: Any) -> str:
    return sign_with(keys or TEST_KEYS, **overrides)


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


def test_verify_under_a_newer_policy_is_outdated(
    shop_v1: Path, client: FlaskClient, shop_v2: Flask
) -> None:
    token = record_on_shop(client, new_subject()).json["token"]
    body = verify(shop_v2.test_client(), token)
    assert body["valid"] is False
    assert body["reason"] == "outdated_policy"
    assert body["receipt"]["policy_version"] == "1"
