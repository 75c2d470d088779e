"""consent_server.verify: the consent cookie checked by any Python backend."""

from __future__ import annotations

from datetime import timedelta

import pytest

from consent_server.verify import REASONS, verify_consent
from tests.support import cookie_token

KEYS = ["verify-key-newest-0123456789abcdef", "verify-key-older-0123456789abcdef"]
POLICY = "2026-06"


def token(
    keys: list[str] | None = None,
    site: str = "default",
    policy_version: str = POLICY,
    expires_in: timedelta = timedelta(days=30),
) -> str:
    return cookie_token(
        keys or KEYS, site=site, policy_version=policy_version, expires_in=expires_in
    )


def test_a_good_cookie_gives_the_decision() -> None:
    result = verify_consent(
        token(), secret_keys=KEYS, site="default", policy_version=POLICY
    )
    assert result.valid and result.reason is None
    assert result.decision is not None and result.decision.site == "default"
    assert result.granted("third_party") and result.granted("session")
    assert not result.granted("persistent")


def test_keys_as_the_environment_variable_string() -> None:
    older = token(keys=[KEYS[1]])
    result = verify_consent(
        older, secret_keys=",".join(KEYS), site="default", policy_version=POLICY
    )
    assert result.valid


def _tampered() -> str:
    head, signature = token().rsplit(".", 1)
    return f"{head}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"


@pytest.mark.parametrize(
    ("make_cookie", "reason"),
    [
        (lambda: None, "missing"),
        (lambda: "", "missing"),
        (_tampered, "bad_signature"),
        (lambda: "not.a.token", "bad_signature"),
        (lambda: token(keys=["someone-elses-key-0123456789"]), "bad_signature"),
        (lambda: "x" * 5000, "bad_signature"),
        (lambda: token(expires_in=timedelta(seconds=-5)), "expired"),
        (lambda: token(site="shop"), "wrong_site"),
        (lambda: token(policy_version="2025-01"), "outdated_policy"),
    ],
)
def test_no_decision_and_the_reason(make_cookie: object, reason: str) -> None:
    result = verify_consent(
        make_cookie(),  # type: ignore[operator]
        secret_keys=KEYS,
        site="default",
        policy_version=POLICY,
    )
    assert reason in REASONS
    assert (result.valid, result.reason, result.decision) == (False, reason, None)
    assert not result.granted("third_party")
    assert not result.granted("session")


@pytest.mark.parametrize("keys", [[], "", " , ", None])
def test_no_key_is_a_setup_error(keys: object) -> None:
    with pytest.raises(ValueError, match="secret key"):
        verify_consent(
            token(),
            secret_keys=keys,
            site="default",
            policy_version=POLICY,  # type: ignore[arg-type]
        )


def test_policy_version_is_required() -> None:
    with pytest.raises(TypeError):
        verify_consent(token(), secret_keys=KEYS, site="default")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="policy_version"):
        verify_consent(token(), secret_keys=KEYS, site="default", policy_version="")
