"""Consent tokens: HMAC-SHA256, readable without a key, small, rotatable."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from itsdangerous import URLSafeTimedSerializer

from consent_server.signing import TOKEN_SALT, TokenInvalid, read_token, sign_token

NEW_KEY = "key-newest-0123456789abcdef"
OLD_KEY = "key-older-0123456789abcdef"
OTHER_KEY = "key-someone-else-0123456789"

DEFAULT_CHOICES = {"session": True, "persistent": True, "third_party": False}


def make_token(keys: list[str] | None = None, **overrides: Any) -> str:
    fields: dict[str, Any] = {
        "receipt_id": str(uuid.uuid4()),
        "site": "default",
        "subject": str(uuid.uuid4()),
        "choices": dict(DEFAULT_CHOICES),
        "policy_version": "2026-01",
        "expires_at": datetime.now(UTC) + timedelta(days=365),
    }
    fields.update(overrides)
    return sign_token([NEW_KEY] if keys is None else keys, **fields)


def payload_of(token: str) -> Any:
    """Read a token's payload the way the banner does: base64 and JSON, no key."""
    part = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def reason_of(keys: list[str], token: str) -> str:
    with pytest.raises(TokenInvalid) as info:
        read_token(keys, token)
    return info.value.reason


def test_round_trip_returns_the_signed_claims() -> None:
    receipt_id, subject = str(uuid.uuid4()), str(uuid.uuid4())
    expires = datetime(2099, 1, 2, 3, 4, 5, tzinfo=UTC)
    token = make_token(receipt_id=receipt_id, subject=subject, expires_at=expires)

    claims = read_token([NEW_KEY], token)

    assert claims.receipt_id == receipt_id
    assert claims.site == "default"
    assert claims.subject == subject
    assert claims.granted == ("session", "persistent")
    assert claims.denied == ("third_party",)
    assert claims.policy_version == "2026-01"
    assert claims.expires_at == expires
    assert abs(claims.issued_at - datetime.now(UTC)) < timedelta(minutes=5)


def test_token_signed_with_the_sha1_default_does_not_verify() -> None:
    token = make_token()
    payload = payload_of(token)
    sha1_token = URLSafeTimedSerializer(NEW_KEY, salt=TOKEN_SALT).dumps(payload)

    assert read_token([NEW_KEY], token)  # the same payload signed our way is fine
    assert reason_of([NEW_KEY], sha1_token) == "bad_signature"


def test_signature_is_hmac_sha256_sized() -> None:
    signature = make_token().rsplit(".", 1)[1]
    # 32 bytes of SHA-256 in unpadded base64url; SHA-1 would be 27 characters.
    assert len(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))) == 32


def test_payload_is_plain_base64_json_without_compression() -> None:
    receipt_id = str(uuid.uuid4())
    token = make_token(receipt_id=receipt_id)

    assert not token.startswith(".")  # itsdangerous marks zlib payloads with "."
    payload = payload_of(token)
    assert payload["r"] == receipt_id
    assert payload["s"] == "default"
    assert payload["g"] == ["session", "persistent"]
    assert payload["d"] == ["third_party"]
    assert payload["p"] == "2026-01"


def test_token_for_the_default_site_is_under_400_bytes() -> None:
    token = make_token(subject=str(uuid.uuid4()))
    assert len(token.encode("ascii")) < 400


def test_token_signed_with_an_older_key_verifies_while_it_is_configured() -> None:
    token = make_token(keys=[OLD_KEY])
    claims = read_token([NEW_KEY, OLD_KEY], token)
    assert claims.site == "default"


def test_new_tokens_are_signed_with_the_first_configured_key() -> None:
    token = make_token(keys=[NEW_KEY, OLD_KEY])
    assert read_token([NEW_KEY], token)
    assert reason_of([OLD_KEY], token) == "bad_signature"


def test_token_signed_with_a_removed_key_fails() -> None:
    token = make_token(keys=[OLD_KEY])
    assert reason_of([NEW_KEY], token) == "bad_signature"


def test_token_past_its_expiry_is_expired() -> None:
    token = make_token(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    with pytest.raises(TokenInvalid) as info:
        read_token([NEW_KEY], token)
    assert info.value.reason == "expired"
    assert info.value.claims is not None  # an expired token still says what it was


def test_token_expires_when_the_clock_passes_its_expiry() -> None:
    expires = datetime.now(UTC) + timedelta(days=30)
    token = make_token(expires_at=expires)
    later = expires + timedelta(seconds=1)
    with pytest.raises(TokenInvalid) as info:
        read_token([NEW_KEY], token, now=later)
    assert info.value.reason == "expired"


def _tamper(token: str) -> str:
    payload = payload_of(token)
    payload["g"] = ["session", "persistent", "third_party"]
    raw = json.dumps(payload, separators=(",", ":")).encode()
    forged = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    return forged + token[token.index(".") :]


def _flip_signature(token: str) -> str:
    """Change the signature's first character (every bit of it counts; the last
    character of unpadded base64 carries ignored bits)."""
    head, signature = token.rsplit(".", 1)
    return f"{head}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda t: "garbage", id="garbage"),
        pytest.param(lambda t: "", id="empty"),
        pytest.param(lambda t: "a.b.c", id="three-dots"),
        pytest.param(lambda t: "%%%.^^^.***", id="not-base64"),
        pytest.param(lambda t: t[: len(t) // 2], id="truncated-half"),
        pytest.param(lambda t: t[:-3], id="truncated-signature"),
        pytest.param(lambda t: t.rsplit(".", 1)[0], id="no-signature"),
        pytest.param(_tamper, id="tampered-payload"),
        pytest.param(_flip_signature, id="tampered-signature"),
        pytest.param(lambda t: make_token(keys=[OTHER_KEY]), id="other-key"),
    ],
)
def test_untrustworthy_token_is_a_bad_signature(mangle: Any) -> None:
    token = mangle(make_token())
    assert reason_of([NEW_KEY, OLD_KEY], token) == "bad_signature"


def test_signed_payload_without_the_claims_is_a_bad_signature() -> None:
    token = URLSafeTimedSerializer(
        NEW_KEY, salt=TOKEN_SALT, signer_kwargs={"digest_method": hashlib.sha256}
    ).dumps({"hello": "world"})
    assert reason_of([NEW_KEY], token) == "bad_signature"


def test_signing_without_keys_is_refused() -> None:
    with pytest.raises(ValueError):
        make_token(keys=[])
