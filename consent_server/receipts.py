"""Recording a decision: its receipt, signed and stored; retries get the first one.

``check_decision`` (decision_check.py) has checked it against the notice and the
caller; here it becomes an append-only row. Who may write and what a retry may
learn follow DESIGN.md, "Records that prove".
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .archives import mark_stored, stage_for_decision
from .config import secret_keys
from .decision_check import (
    CheckedDecision,
    RequestContext,
    SubjectProofRequired,
    check_decision,
)
from .errors import Conflict
from .extensions import db
from .models import Receipt
from .receipt_insert import insert_linked
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


def store_decision(decision: CheckedDecision) -> Receipt:
    """Store and sign the receipt of a checked decision; a proven retry gets the
    first one.

    :raises SubjectProofRequired: the subject has receipts and no proof was given.
    :raises ReusedKey: the receipt id or idempotency key was used, unproven or for
        another decision.
    """
    receipt = _new_receipt(decision, datetime.now(UTC))
    try:
        staged = stage_for_decision(
            decision.site, decision.notice_hash, receipt.banner_build
        )
        if staged:
            # The receipt commits on its own (receipt_insert.py): what it names
            # goes first (its foreign key needs the notice; storing one twice is
            # harmless).
            db.session.commit()
        inserted = insert_linked(decision, receipt)
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
