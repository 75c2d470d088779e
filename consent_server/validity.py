"""Whether a decision still counts: a receipt against its site, a token's checks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from .config import secret_keys
from .signing import TokenClaims, TokenInvalid, read_token
from .sites import Site, all_sites


class Decision(Protocol):
    """What validity needs of a receipt: a ``Receipt`` or a looked-up row."""

    @property
    def expires_at(self) -> datetime: ...
    @property
    def policy_version(self) -> str: ...
    @property
    def choices(self) -> dict[str, bool]: ...


def is_valid(site: Site, receipt: Decision, now: datetime | None = None) -> bool:
    """Not expired, made under the current policy and covering every category and
    service (one added since asks again)."""
    return (
        receipt.expires_at > (now or datetime.now(UTC))
        and receipt.policy_version == site.policy_version
        and all(key in receipt.choices for key in site.choice_keys)
    )


@dataclass(frozen=True)
class Verification:
    valid: bool
    reason: str | None
    claims: TokenClaims | None


def verify_token(token: str) -> Verification:
    """Check a token with the configured keys and the site's current notice."""
    try:
        claims = read_token(secret_keys(), token)
    except TokenInvalid as exc:
        return Verification(False, exc.reason, exc.claims)
    site = all_sites().get(claims.site)
    if site is None:
        return Verification(False, "unknown_site", claims)
    if claims.policy_version != site.policy_version:
        return Verification(False, "outdated_policy", claims)
    return Verification(True, None, claims)
