"""Read and verify a consent cookie in any Python backend: no Flask, no network.

The banner keeps the service's signed token in a first-party cookie. A site's own
backend (Django, FastAPI, a worker) checks it with the shared keys before it sets
an analytics cookie or calls a tracker server-side::

    from consent_server.verify import verify_consent

    check = verify_consent(
        request.COOKIES.get("consent"),
        secret_keys=os.environ["CONSENT_SECRET_KEYS"],  # "newest,older" or a list
        site="default",
        policy_version="2026-06",
    )
    if check.granted("third_party"):
        ...

Needs only itsdangerous. ``consent_server.gate`` builds the Flask helpers on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from .signing import TokenClaims, TokenInvalid, parse_secret_keys, read_token

__all__ = ["ConsentCheck", "REASONS", "verify_consent", "parse_secret_keys"]

# A cookie is one token: anything longer is not ours (and not worth verifying).
MAX_COOKIE_LENGTH = 4096

REASONS = (
    "missing",  # no cookie (or an empty one): the visitor has not decided here
    "bad_signature",  # forged, damaged, signed with another key, or too long
    "expired",  # the decision's validity is over: ask again
    "wrong_site",  # a token of another site that shares the keys
    "outdated_policy",  # decided under another policy version: ask again
)


@dataclass(frozen=True)
class ConsentCheck:
    """The verified decision, or why there is none (``reason``, one of REASONS)."""

    decision: TokenClaims | None
    reason: str | None

    @property
    def valid(self) -> bool:
        return self.decision is not None

    def granted(self, category: str) -> bool:
        """Whether the visitor allowed ``category`` (never, without a valid cookie)."""
        return self.decision is not None and category in self.decision.granted


def verify_consent(
    cookie: str | None,
    *,
    secret_keys: str | Iterable[str],
    site: str,
    policy_version: str,
    now: datetime | None = None,
) -> ConsentCheck:
    """Verify a consent cookie's signature, expiry, site and policy version.

    :param secret_keys: the service's ``CONSENT_SECRET_KEYS``, newest first, as a
        list or the comma-separated string of the environment variable.
    :param policy_version: the site's current policy version; consent given under
        another one no longer counts.
    :raises ValueError: when no key or no policy version is given (a setup mistake,
        not a visitor's).
    """
    keys = parse_secret_keys(secret_keys)
    if not keys:
        raise ValueError("verify_consent needs at least one secret key")
    if not policy_version:
        raise ValueError("verify_consent needs the site's policy_version")
    if not cookie:
        return ConsentCheck(None, "missing")
    if len(cookie) > MAX_COOKIE_LENGTH:
        return ConsentCheck(None, "bad_signature")
    try:
        claims = read_token(keys, cookie, now=now)
    except TokenInvalid as exc:
        return ConsentCheck(None, exc.reason)
    if claims.site != site:
        return ConsentCheck(None, "wrong_site")
    if claims.policy_version != policy_version:
        return ConsentCheck(None, "outdated_policy")
    return ConsentCheck(claims, None)
