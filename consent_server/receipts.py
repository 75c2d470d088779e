"""Recording a decision: its receipt, signed and stored; retries get the first one.

``check_decision`` (decision_check.py) has checked it against the notice and the
caller; here it becomes an append-only row. Who may write and what a retry may
learn follow DESIGN.md, "Records that prove".
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Insert, Select, select
from sqlalchemy.exc import IntegrityError

from . import receipt_statements as statements
from .archives import mark_stored, stage_for_decision
from .config import secret_keys
from .decision_check import (
    CheckedDecision,
    RequestContext,
    SubjectProofRequired,
    check_decision,
)
from .driver_sql import first_row
from .errors import Conflict
from .extensions import db
from .models import Receipt
from .receipt_jws import sign_receipt
from .signing import sign_token
from .sites import Site
from .staff import Staff

__all__ = ["RequestContext", "check_decision", "record_decision", "store_decision"]


class ReusedKey(Conflict):
    """A receipt id or idempotency key already used, without proof of a retry.

    Its status and body are the same whatever was stored under it, so reusing an id
    the lookup shows, or guessing a key, teaches nothing (issue #9).
    """

    type = "reused-key"
    title = "Receipt id or Idempotency-Key already used"

    def __init__(self) -> None:
        super().__init__(
            "This receipt id or Idempotency-Key was used before. A retry returns the "
            "first receipt only with the same Idempotency-Key, or a token of the "
            "subject, and the same decision; otherwise send a new one."
        )


def idempotency_hash(key: str) -> str:
    """What is stored of an Idempotency-Key: the key is the client's secret."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _new_receipt(decision: CheckedDecision, now: datetime) -> Receipt:
    """The receipt of a checked decision, signed, not yet stored."""
    site, data, context = decision.site, decision.data, decision.context
    notice = site.notices[site.by_hash[decision.notice_hash]]
    days = (
        notice["validity_days"]
        if decision.granted_any
        else notice["refusal_validity_days"]
    )
    key = decision.idempotency_key
    receipt = Receipt(
        id=data.get("id") or str(uuid.uuid4()),
        site=site.id,
        subject=decision.subject or str(uuid.uuid4()),
        action="grant" if decision.granted_any else "refuse",
        method=data["method"],
        layer=data["layer"],
        choices=decision.choices,
        policy_version=site.policy_version,
        notice_hash=decision.notice_hash,
        banner_build=data.get("banner_build"),
        language=decision.language,
        jurisdiction=site.config["jurisdiction"],
        gpc=decision.gpc,
        user_activation=data.get("user_activation") if data["layer"] == "api" else None,
        previous_id=None,
        created_at=now,
        expires_at=now + timedelta(days=days),
        origin=context.origin,
        user_agent=context.user_agent,
        ip_prefix=context.ip_prefix,
        idempotency_hash=idempotency_hash(key) if key else None,
    )
    receipt.token = sign_token(
        secret_keys(),
        receipt_id=receipt.id,
        site=site.id,
        subject=receipt.subject,
        choices=decision.choices,
        policy_version=site.policy_version,
        expires_at=receipt.expires_at,
    )
    return receipt


class ConcurrentDecisions(Conflict):
    """Other decisions about the subject kept arriving while this one was stored."""

    type = "concurrent-decisions"
    title = "Concurrent decisions about the subject"


# How often a proven decision re-reads the subject's newest receipt when another
# decision was stored between reading it and inserting (then a 409).
LINK_ATTEMPTS = 3


def _action(had_previous: bool, had_any: bool, granted_any: bool) -> str:
    """What ``statements.insert_linked`` computes in SQL, for the JWS."""
    if not had_previous:
        return "grant" if granted_any else "refuse"
    return "withdraw" if had_any and not granted_any else "update"


def _predicted_link(decision: CheckedDecision) -> tuple[str | None, str] | None:
    """The ``previous_id`` and ``action`` the insert will find, when known without
    a query: none for a first decision, the token's receipt for a decision that
    proves its subject with a token (the cookie holds the newest one); None when
    only the database knows (a recorder without a token)."""
    granted_any = decision.granted_any
    if decision.subject is None or not decision.proves_subject:
        return None, _action(False, False, granted_any)
    claims = decision.claims
    if claims is None or (claims.site, claims.subject) != (
        decision.site.id,
        decision.subject,
    ):
        return None
    had_any = any(key in claims.granted for key in decision.site.optional_keys)
    return claims.receipt_id, _action(True, had_any, granted_any)


def _newest_link(decision: CheckedDecision) -> tuple[str | None, str]:
    """``previous_id`` and ``action`` from the subject's newest stored receipt."""
    row = _run(
        statements.NEWEST, {"site": decision.site.id, "subject": decision.subject}
    )
    if row is None:
        return None, _action(False, False, decision.granted_any)
    optional = decision.site.optional_keys
    had_any = any(bool((row.choices or {}).get(key)) for key in optional)
    return row.id, _action(True, had_any, decision.granted_any)


def _same_decision(receipt: Receipt, decision: CheckedDecision) -> bool:
    return (
        receipt.site == decision.site.id
        and (decision.subject is None or decision.subject == receipt.subject)
        and receipt.notice_hash == decision.notice_hash
        and receipt.choices == decision.choices
        and receipt.method == decision.data["method"]
        and receipt.layer == decision.data["layer"]
    )


def _earlier_try(decision: CheckedDecision, by_id: bool = True) -> Receipt | None:
    """The receipt of an earlier try of this decision, if the caller proves it.

    Proof is what no answer of the service reveals: the same Idempotency-Key (the
    client's secret), or a token of the receipt's subject. A receipt id or subject
    id (both public through the lookup) is never enough, nor a key that is the
    receipt's own id (older banners sent those, and the lookup shows them).

    :raises ReusedKey: the key or receipt id was used, unproven or for another
        decision; the same answer whatever is stored.
    """
    site, key = decision.site, decision.idempotency_key
    found: Receipt | None = None
    proven = False
    if key is not None:
        found = db.session.scalar(
            select(Receipt).where(
                Receipt.site == site.id,
                Receipt.idempotency_hash == idempotency_hash(key),
            )
        )
        proven = found is not None and key != found.id
    if found is None and by_id and decision.data.get("id"):
        found = db.session.get(Receipt, decision.data["id"])
    if found is None:
        return None
    claims = decision.claims
    if claims is not None and (claims.site, claims.subject) == (
        found.site,
        found.subject,
    ):
        proven = True
    if not proven or not _same_decision(found, decision):
        raise ReusedKey()
    return found


def _on_postgres() -> bool:
    return bool(db.engine.dialect.name == "postgresql")


def _run(stmt: Insert | Select[Any], params: dict[str, Any]) -> Any | None:
    """Run a statement of recording; its first row, if it returns rows.

    On PostgreSQL each statement commits on its own, on psycopg's cursor (no BEGIN
    and COMMIT round trips, none of SQLAlchemy's execution layer: ``driver_sql``);
    elsewhere in the session's transaction, which ``store_decision`` commits.
    """
    if _on_postgres():
        return first_row(db.engine, stmt, params)
    result = cast(CursorResult[Any], db.session.execute(stmt, params))
    return result.first() if result.returns_rows else None


def _signed_row(receipt: Receipt, link: tuple[str | None, str]) -> dict[str, Any]:
    """Sign the receipt with its link to the previous one; the row to insert."""
    receipt.previous_id, receipt.action = link
    receipt.jws = sign_receipt(receipt)
    return {c: getattr(receipt, c) for c in statements.RECEIPT_COLUMNS}


def _insert(decision: CheckedDecision, receipt: Receipt) -> bool:
    """Sign and insert the receipt, linking the subject's previous one in the same
    statement.

    The JWS names the previous receipt and the action, which the statement finds
    in the database: they are predicted (``_predicted_link``, no query in the
    usual cases), and the statement inserts only when the prediction holds; else
    the subject's newest receipt is read and the receipt signed again.

    False when nothing was inserted: the subject has decided before and the caller
    has no proof of it.

    :raises ConcurrentDecisions: the prediction kept failing.
    """
    link = _predicted_link(decision)
    if decision.subject is None:
        # A subject the server made up just now has nothing to link.
        assert link is not None
        _run(statements.INSERT, _signed_row(receipt, link))
        return True
    first_only = not decision.proves_subject
    stmt = statements.insert_linked(decision.site.optional_keys, first_only)
    for _ in range(LINK_ATTEMPTS):
        if link is None:
            link = _newest_link(decision)
        row = _signed_row(receipt, link)
        params = {
            **row,
            "granted_any": decision.granted_any,
            "expected_previous": link[0],
            "expected_action": link[1],
        }
        if _run(stmt, params) is not None:
            return True
        if first_only:
            return False
        link = None  # stored meanwhile, or the token was not of the newest one
    raise ConcurrentDecisions(
        "Other decisions about this subject were being stored at the same time; "
        "send this one again."
    )


def store_decision(decision: CheckedDecision) -> Receipt:
    """Store and sign the receipt of a checked decision; a proven retry gets the
    first one.

    :raises SubjectProofRequired: the subject has receipts and no proof was given.
    :raises ReusedKey: the receipt id or idempotency key was used, unproven or for
        another decision.
    """
    receipt = _new_receipt(decision, datetime.now(UTC))
    postgres = _on_postgres()
    try:
        staged = stage_for_decision(
            decision.site, decision.notice_hash, receipt.banner_build
        )
        if postgres and staged:
            # On PostgreSQL the receipt commits on its own (``_run``): what it
            # names goes first (its foreign key needs the notice; storing one
            # twice is harmless).
            db.session.commit()
        inserted = _insert(decision, receipt)
        if not postgres:
            db.session.commit()
        mark_stored(staged)
    except IntegrityError:
        # An earlier or concurrent try with this id or key is stored.
        db.session.rollback()
        retried = _earlier_try(decision)
        if retried is None:
            raise ReusedKey() from None
        return retried
    if not inserted:
        # The subject has decided before, this caller proves nothing of it, unless
        # the earlier decision is this one's first try (same key, same decision).
        # A receipt id proves nothing here: the subject binding answers first.
        retried = _earlier_try(decision, by_id=False)
        if retried is None:
            raise SubjectProofRequired(
                "A decision about a subject that has decided before needs a token "
                "the service signed for that subject and site in 'token'."
            )
        return retried
    return receipt


def record_decision(
    site: Site,
    data: dict[str, Any],
    context: RequestContext,
    idempotency_key: str | None = None,
    recorder: Staff | None = None,
) -> Receipt:
    """Check a decision against the site's notice and caller, then store it."""
    return store_decision(
        check_decision(site, data, context, idempotency_key, recorder)
    )
