"""Recording a decision: check it against the site's notice, then store it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from . import receipt_statements as statements
from .config import secret_keys
from .errors import Conflict, ValidationFailed
from .extensions import db
from .models import Receipt
from .signing import sign_token
from .sites import Site, match_language


@dataclass(frozen=True)
class RequestContext:
    """What the server itself observes about the request that carries a decision."""

    origin: str | None
    user_agent: str | None
    ip_prefix: str | None
    gpc_header: bool


@dataclass(frozen=True)
class CheckedDecision:
    """A decision that fits the site's notice, ready to be stored."""

    site: Site
    data: dict[str, Any]
    choices: dict[str, bool]
    language: str
    context: RequestContext
    idempotency_key: str | None

    @property
    def notice_hash(self) -> str:
        notice_hash: str = self.data["notice"]
        return notice_hash

    @property
    def granted_any(self) -> bool:
        """Whether an optional category is granted (a refusal is kept less long)."""
        return any(self.choices[c] for c in self.site.optional_ids)


def _checked_choices(site: Site, choices: dict[str, bool]) -> dict[str, bool]:
    """Every category of the notice -> bool, required ones forced on."""
    errors: dict[str, list[str]] = {}
    known = set(site.category_ids)
    for cat in choices:
        if cat not in known:
            errors[cat] = [f"Unknown category; this site has {sorted(known)}."]
    for cat in site.category_ids:
        if cat in site.required_ids:
            if choices.get(cat) is False:
                errors[cat] = ["A required category cannot be refused."]
        elif cat not in choices:
            errors[cat] = ["Missing: every optional category needs true or false."]
    if errors:
        raise ValidationFailed(
            "The choices do not match the site's categories.", {"choices": errors}
        )
    return {
        cat: True if cat in site.required_ids else choices[cat]
        for cat in site.category_ids
    }


def check_decision(
    site: Site,
    data: dict[str, Any],
    context: RequestContext,
    idempotency_key: str | None = None,
) -> CheckedDecision:
    """Check a decision's meaning against the site's notice (its shape is checked
    by ``ConsentCreateSchema``).

    :raises ValidationFailed: an unknown notice, choices that do not cover the
        notice's categories, a method that contradicts them, a foreign language.
    """
    notice_hash = data["notice"]
    if notice_hash not in site.by_hash:
        raise ValidationFailed(
            "The notice is not one this site currently serves; reload it.",
            {"notice": ["Unknown notice hash for this site."]},
        )
    choices = _checked_choices(site, data["choices"])
    if data["method"] == "reject_all" and any(choices[c] for c in site.optional_ids):
        raise ValidationFailed(
            "'reject_all' cannot grant an optional category.",
            {"method": ["Contradicts the choices."]},
        )
    language = data.get("language") or site.by_hash[notice_hash]
    if match_language(language, site.config["languages"]) is None:
        raise ValidationFailed(
            "The language is not one of the site's.",
            {"language": [f"Use one of {site.config['languages']}."]},
        )
    return CheckedDecision(
        site=site,
        data=data,
        choices=choices,
        language=language,
        context=context,
        idempotency_key=idempotency_key or data.get("id"),
    )


def _new_receipt(decision: CheckedDecision, now: datetime) -> Receipt:
    """The receipt of a checked decision, signed, not yet stored."""
    site, data, context = decision.site, decision.data, decision.context
    notice = site.notices[site.by_hash[decision.notice_hash]]
    days = (
        notice["validity_days"]
        if decision.granted_any
        else notice["refusal_validity_days"]
    )
    receipt = Receipt(
        id=data.get("id") or str(uuid.uuid4()),
        site=site.id,
        subject=data.get("subject") or str(uuid.uuid4()),
        action="grant",
        method=data["method"],
        layer=data["layer"],
        choices=decision.choices,
        policy_version=site.policy_version,
        notice_hash=decision.notice_hash,
        banner_build=data.get("banner_build"),
        language=decision.language,
        jurisdiction=site.config["jurisdiction"],
        gpc=bool(data.get("gpc")) or context.gpc_header,
        previous_id=None,
        created_at=now,
        expires_at=now + timedelta(days=days),
        origin=context.origin,
        user_agent=context.user_agent,
        ip_prefix=context.ip_prefix,
        idempotency_key=decision.idempotency_key,
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


def _ensure_notice(site: Site, notice_hash: str) -> None:
    """Store the notice once per hash (concurrent writers store the same content).

    The hash joins ``consent_stored_notices`` only once the statement that stored
    it has committed (see ``store_decision``): before that, other threads cannot
    see the row yet and their receipts would break the foreign key.
    """
    stored: set[str] = current_app.extensions["consent_stored_notices"]
    if notice_hash in stored:
        return
    lang = site.by_hash[notice_hash]
    db.session.execute(
        statements.insert_notice(db.session.get_bind().dialect.name),
        {
            "hash": notice_hash,
            "site": site.id,
            "language": lang,
            "policy_version": site.policy_version,
            "content": site.notices[lang],
            "created_at": datetime.now(UTC),
        },
    )


def _same_decision(receipt: Receipt, decision: CheckedDecision) -> bool:
    subject = decision.data.get("subject")
    return (
        receipt.site == decision.site.id
        and (subject is None or subject == receipt.subject)
        and receipt.notice_hash == decision.notice_hash
        and all(
            receipt.choices.get(c) == v for c, v in decision.data["choices"].items()
        )
    )


def _replay(decision: CheckedDecision) -> Receipt | None:
    """The receipt an earlier try of this request made, if any."""
    found = None
    receipt_id, key = decision.data.get("id"), decision.idempotency_key
    if receipt_id:
        found = db.session.get(Receipt, receipt_id)
    if found is None and key:
        found = db.session.scalar(
            select(Receipt).where(
                Receipt.site == decision.site.id, Receipt.idempotency_key == key
            )
        )
    if found is not None and not _same_decision(found, decision):
        raise Conflict(
            "This receipt id or Idempotency-Key was already used for another decision."
        )
    return found


def store_decision(decision: CheckedDecision) -> Receipt:
    """Store and sign the receipt of a checked decision; a retry gets the first one.

    :raises Conflict: the receipt id or idempotency key was used for another
        decision.
    """
    site = decision.site
    receipt = _new_receipt(decision, datetime.now(UTC))
    row = {c: getattr(receipt, c) for c in statements.RECEIPT_COLUMNS}
    postgres = db.session.get_bind().dialect.name == "postgresql"
    if postgres:
        # Each statement commits on its own: no BEGIN and COMMIT round trips. The
        # notice goes first (the receipt's foreign key needs it; storing it twice
        # is harmless), then the receipt in one statement, all or nothing.
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    try:
        _ensure_notice(site, decision.notice_hash)
        # Append-only rows: Core statements skip the ORM's unit of work. A retry is
        # caught by the unique receipt id and key, so it costs no look-up first;
        # nor does linking a subject the server made up just now.
        if decision.data.get("subject"):
            linked = db.session.execute(
                statements.insert_linked(site.optional_ids),
                {**row, "granted_any": decision.granted_any},
            ).one()
            receipt.previous_id, receipt.action = linked.previous_id, linked.action
        else:
            db.session.execute(statements.INSERT, row)
        if not postgres:
            db.session.commit()
        current_app.extensions["consent_stored_notices"].add(decision.notice_hash)
    except IntegrityError:
        # An earlier or concurrent try with this id or key is stored: answer with
        # its receipt (or 409 when the same key came with another decision).
        db.session.rollback()
        existing = _replay(decision)
        if existing is None:
            raise
        return existing
    return receipt


def record_decision(
    site: Site,
    data: dict[str, Any],
    context: RequestContext,
    idempotency_key: str | None = None,
) -> Receipt:
    """Check a decision against the site's notice, then store and sign it."""
    return store_decision(check_decision(site, data, context, idempotency_key))
