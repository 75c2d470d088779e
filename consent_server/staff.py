"""Staff bearer tokens: creation, lookup in constant time, revocation."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from .extensions import db
from .models import StaffSession, StaffToken
from .sites import all_sites

# Reading roles, each covering the one before: auditors read, admins also erase
# and manage tokens. A recorder only records decisions for its sites (issue #9).
READING_ROLES = ("auditor", "admin")
RECORDER = "recorder"
ROLES = (*READING_ROLES, RECORDER)
# Recognisable in logs and by secret scanners; the rest is 256 random bits.
TOKEN_PREFIX = "cst_"
NAME_RE = r"^[A-Za-z0-9][A-Za-z0-9 ._@-]{0,63}$"
# last_used_at is written at most this often per token, not on every request.
_TOUCH_EVERY = timedelta(seconds=60)


class TokenError(ValueError):
    """A token cannot be created or revoked as asked."""

    field = "name"


class TokenNameTaken(TokenError):
    """An active token has this name already."""


@dataclass(frozen=True)
class Staff:
    """Who is making a staff request."""

    token_id: int
    name: str
    role: str
    # The sites a recorder records for (empty for the reading roles).
    sites: tuple[str, ...] = ()

    def may(self, role: str) -> bool:
        """Whether this staff member's role covers ``role``."""
        if role in READING_ROLES and self.role in READING_ROLES:
            return READING_ROLES.index(self.role) >= READING_ROLES.index(role)
        return self.role == role

    def may_record(self, site: str) -> bool:
        """Whether this is a recorder of ``site``."""
        return self.role == RECORDER and site in self.sites


def _staff(row: StaffToken) -> Staff:
    return Staff(row.id, row.name, row.role, tuple(row.sites or ()))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(
    name: str, role: str, sites: list[str] | None = None
) -> tuple[StaffToken, str]:
    """Store a new token's hash; return the row and the token, shown only now.

    :param sites: the sites a recorder records for (required for, and only for,
        the recorder role; the caller checks they exist).
    """
    import re

    name = name.strip()
    if not re.fullmatch(NAME_RE, name):
        raise TokenError("The name must be 1-64 letters, digits, spaces or ._@-")
    if role not in ROLES:
        raise TokenError(f"The role must be one of {', '.join(ROLES)}.")
    if (role == RECORDER) != bool(sites):
        error = TokenError(
            "A recorder token names the sites it records for; other roles name none."
        )
        error.field = "sites"
        raise error
    unknown = sorted(set(sites or ()) - set(all_sites()))
    if unknown:
        error = TokenError(
            f"Unknown sites {unknown}; this server has {sorted(all_sites())}."
        )
        error.field = "sites"
        raise error
    taken = db.session.scalar(
        select(StaffToken.id).where(
            StaffToken.name == name, StaffToken.revoked_at.is_(None)
        )
    )
    if taken is not None:
        raise TokenNameTaken(f"An active token named {name!r} exists; revoke it first.")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = StaffToken(
        name=name,
        role=role,
        token_hash=hash_token(token),
        sites=sorted(set(sites)) if sites else None,
    )
    db.session.add(row)
    db.session.commit()
    return row, token


def list_tokens() -> list[StaffToken]:
    return list(db.session.scalars(select(StaffToken).order_by(StaffToken.id)))


def find_token(name_or_id: str) -> StaffToken | None:
    """The active token with this name, or the token with this id."""
    if name_or_id.isdigit():
        found = db.session.get(StaffToken, int(name_or_id))
        if found is not None:
            return found
    return db.session.scalar(
        select(StaffToken).where(
            StaffToken.name == name_or_id, StaffToken.revoked_at.is_(None)
        )
    )


def revoke_token(row: StaffToken) -> None:
    if row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
        db.session.commit()


def authenticate(token: str | None) -> Staff | None:
    """The staff member a presented token belongs to, or None."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 128:
        return None
    digest = hash_token(token)
    row = db.session.scalar(select(StaffToken).where(StaffToken.token_hash == digest))
    # The lookup is by hash, so timing reveals nothing about the token; compare the
    # stored hash in constant time all the same.
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    if row.revoked_at is not None:
        return None
    touch(row)
    return _staff(row)


def staff_by_id(token_id: int) -> Staff | None:
    """The staff member behind a signed-in session, if the token is still active."""
    row = db.session.get(StaffToken, token_id)
    if row is None or row.revoked_at is not None:
        return None
    touch(row)
    return _staff(row)


def touch(row: StaffToken) -> None:
    now = datetime.now(UTC)
    if row.last_used_at is None or now - row.last_used_at >= _TOUCH_EVERY:
        row.last_used_at = now
        db.session.commit()


# --- Staff UI sessions ------------------------------------------------------------


def start_session(token_id: int) -> str:
    """Open a UI session for a token; returns the id the session cookie keeps."""
    session_id = secrets.token_urlsafe(32)
    db.session.add(StaffSession(id_hash=hash_token(session_id), token_id=token_id))
    db.session.commit()
    return session_id


def session_open(session_id: str, token_id: int) -> bool:
    """Whether the session is still open on the server for this token."""
    row = db.session.get(StaffSession, hash_token(session_id))
    return row is not None and row.token_id == token_id and row.ended_at is None


def end_session(session_id: str) -> None:
    """End a UI session: its cookie no longer signs anyone in, even if replayed."""
    row = db.session.get(StaffSession, hash_token(session_id))
    if row is not None and row.ended_at is None:
        row.ended_at = datetime.now(UTC)
        db.session.commit()
