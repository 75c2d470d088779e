"""Recording and reading decisions: the logic behind the consent endpoints."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from . import receipt_statements as statements
from .config import secret_keys
from .errors import Conflict, ValidationFailed
from .extensions import db
from .models import Receipt
from .signing import TokenClaims, TokenInvalid, read_receipt, sign_receipt
from .sites import Site, all_sites


@dataclass(frozen=True)
class RequestContext:
    """What the server itself observes about the request that carries a decision."""

    origin: str | None
    user_agent: str | None
    ip_prefix: str | None
    gpc_header: bool


def current_receipt(site_id: str, subject: str) -> Any | None:
    """The subject's newest receipt on a site, for a read-only answer.

    One statement on a connection of its own, outside the ORM session: a lookup
    needs neither its identity map nor a transaction. The row has every public
    field of ``Receipt`` as an attribute.
    """
    with db.engine.connect() as conn:
        return statements.fetch_current(conn, site_id, subject)


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


def _ensure_notice(site: Site, notice_hash: str) -> None:
    """Store the notice once per hash (concurrent writers store the same content).

    The hash joins ``consent_stored_notices`` only once the statement that stored
    it has committed (see ``record_decision``): before that, other threads cannot
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


def _same_decision(receipt: Receipt, site: Site, data: dict[str, Any]) -> bool:
    subject = data.get("subject")
    return (
        receipt.site == site.id
        and (subject is None or subject == receipt.subject)
        and receipt.notice_hash == data["notice"]
        and all(receipt.choices.get(c) == v for c, v in data["choices"].items())
    )


def _replay(site: Site, data: dict[str, Any], key: str | None) -> Receipt | None:
    """The receipt an earlier try of this request made, if any."""
    found = None
    if data.get("id"):
        found = db.session.get(Receipt, data["id"])
    if found is None and key:
        found = db.session.scalar(
            select(Receipt).where(
                Receipt.site == site.id, Receipt.idempotency_key == key
            )
        )
    if found is not None and not _same_decision(found, site, data):
        raise Conflict(
            "This receipt id or Idempotency-Key was already used for another decision."
        )
    return found


def record_decision(
    site: Site,
    data: dict[str, Any],
    context: RequestContext,
    idempotency_key: str | None = None,
) -> Receipt:
    """Validate a decision against the site's notice, store and sign its receipt."""
    notice_hash = data["notice"]
    if notice_hash not in site.by_hash:
        raise ValidationFailed(
            "The notice is not one this site currently serves; reload it.",
            {"notice": ["Unknown notice hash for this site."]},
        )
    choices = _checked_choices(site, data["choices"])
    if data["method"] == "reject_all" and any(
        v for c, v in choices.items() if c not in site.required_ids
    ):
        raise ValidationFailed(
            "'reject_all' cannot grant an optional category.",
            {"method": ["Contradicts the choices."]},
        )
    notice_lang = site.by_hash[notice_hash]
    language = data.get("language") or notice_lang
    if language.split("-")[0] not in site.config["languages"]:
        raise ValidationFailed(
            "The language is not one of the site's.",
            {"language": [f"Use one of {site.config['languages']}."]},
        )
    key = idempotency_key or data.get("id")
    subject = data.get("subject")
    now = datetime.now(UTC)
    optional = site.optional_ids
    granted_any = any(choices[c] for c in optional)
    notice = site.notices[notice_lang]
    days = notice["validity_days"] if granted_any else notice["refusal_validity_days"]
    expires_at = now + timedelta(days=days)
    receipt = Receipt(
        id=data.get("id") or str(uuid.uuid4()),
        site=site.id,
        subject=subject or str(uuid.uuid4()),
        action="grant",
        method=data["method"],
        layer=data["layer"],
        choices=choices,
        policy_version=site.policy_version,
        notice_hash=notice_hash,
        banner_build=data.get("banner_build"),
        language=language,
        jurisdiction=site.config["jurisdiction"],
        gpc=bool(data.get("gpc")) or context.gpc_header,
        previous_id=None,
        created_at=now,
        expires_at=expires_at,
        origin=context.origin,
        user_agent=context.user_agent,
        ip_prefix=context.ip_prefix,
        idempotency_key=key,
    )
    receipt.token = sign_receipt(
        secret_keys(),
        receipt_id=receipt.id,
        site=site.id,
        subject=receipt.subject,
        choices=choices,
        policy_version=site.policy_version,
        expires_at=expires_at,
    )
    row = {c: getattr(receipt, c) for c in statements.RECEIPT_COLUMNS}
    postgres = db.session.get_bind().dialect.name == "postgresql"
    if postgres:
        # Each statement commits on its own: no BEGIN and COMMIT round trips. The
        # notice goes first (the receipt's foreign key needs it; storing it twice
        # is harmless), then the receipt in one statement, all or nothing.
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    try:
        _ensure_notice(site, notice_hash)
        # Append-only rows: Core statements skip the ORM's unit of work. A retry is
        # caught by the unique receipt id and key, so it costs no look-up first;
        # nor does linking a subject the server made up just now.
        if subject:
            linked = db.session.execute(
                statements.insert_linked(optional), {**row, "granted_any": granted_any}
            ).one()
            receipt.previous_id, receipt.action = linked.previous_id, linked.action
        else:
            db.session.execute(statements.INSERT, row)
        if not postgres:
            db.session.commit()
        current_app.extensions["consent_stored_notices"].add(notice_hash)
    except IntegrityError:
        # An earlier or concurrent try with this id or key is stored: answer with
        # its receipt (or 409 when the same key came with another decision).
        db.session.rollback()
        existing = _replay(site, data, key)
        if existing is None:
            raise
        return existing
    return receipt


class Decision(Protocol):
    """What validity needs of a receipt: a ``Receipt`` or a looked-up row."""

    @property
    def expires_at(self) -> datetime: ...
    @property
    def policy_version(self) -> str: ...
    @property
    def choices(self) -> dict[str, bool]: ...


def is_valid(site: Site, receipt: Decision, now: datetime | None = None) -> bool:
    """Not expired, made under the current policy and covering every category."""
    return (
        receipt.expires_at > (now or datetime.now(UTC))
        and receipt.policy_version == site.policy_version
        and all(c in receipt.choices for c in site.category_ids)
    )


@dataclass(frozen=True)
class Verification:
    valid: bool
    reason: str | None
    claims: TokenClaims | None


def verify_token(token: str) -> Verification:
    """Check a token with the configured keys and the site's current notice."""
    try:
        claims = read_receipt(secret_keys(), token)
    except TokenInvalid as exc:
        return Verification(False, exc.reason, exc.claims)
    site = all_sites().get(claims.site)
    if site is None:
        return Verification(False, "unknown_site", claims)
    if claims.policy_version != site.policy_version:
        return Verification(False, "outdated_policy", claims)
    return Verification(True, None, claims)
