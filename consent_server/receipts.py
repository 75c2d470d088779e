"""Recording and reading decisions: the logic behind the consent endpoints."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from .errors import Conflict, ValidationFailed
from .extensions import db
from .models import Notice, Receipt
from .signing import TokenClaims, TokenInvalid, read_receipt, sign_receipt
from .sites import Site, all_sites
from .stats import count_decision


@dataclass(frozen=True)
class RequestContext:
    """What the server itself observes about the request that carries a decision."""

    origin: str | None
    user_agent: str | None
    ip_prefix: str | None
    gpc_header: bool


# Built once: on the hot path only the parameters change (SQLAlchemy caches the SQL).
_LATEST = (
    select(Receipt)
    .where(Receipt.site == bindparam("site"), Receipt.subject == bindparam("subject"))
    .order_by(Receipt.created_at.desc(), Receipt.id.desc())
    .limit(1)
)


# What a new decision needs of the one it supersedes: not the whole row.
_PREVIOUS = (
    select(Receipt.id, Receipt.choices)
    .where(Receipt.site == bindparam("site"), Receipt.subject == bindparam("subject"))
    .order_by(Receipt.created_at.desc(), Receipt.id.desc())
    .limit(1)
)


_INSERT = Receipt.__table__.insert()
_RECEIPT_COLUMNS = tuple(c.key for c in Receipt.__table__.columns)


def _row(receipt: Receipt) -> dict[str, Any]:
    return {key: getattr(receipt, key) for key in _RECEIPT_COLUMNS}


def latest_receipt(site_id: str, subject: str) -> Receipt | None:
    """The subject's newest receipt on a site."""
    return db.session.scalar(_LATEST, {"site": site_id, "subject": subject})


def current_receipt(site_id: str, subject: str) -> Receipt | None:
    """``latest_receipt`` for a read-only request: one statement, no transaction.

    Autocommit spares PostgreSQL the BEGIN and ROLLBACK round trips around a
    single SELECT; the pool restores the isolation level when the request ends.
    SQLite has no round trips to spare, and switching its level costs a PRAGMA.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    return latest_receipt(site_id, subject)


def secret_keys() -> list[str]:
    keys: list[str] = current_app.config["CONSENT_SECRET_KEYS"]
    return keys


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


def _action(
    site: Site, previous: dict[str, bool] | None, choices: dict[str, bool]
) -> str:
    """``grant`` first, ``withdraw`` when every optional grant is taken back."""
    if previous is None:
        return "grant"
    optional = [c for c in site.category_ids if c not in site.required_ids]
    had_any = any(previous.get(c) for c in optional)
    has_any = any(choices[c] for c in optional)
    return "withdraw" if had_any and not has_any else "update"


def _ensure_notice(site: Site, notice_hash: str) -> None:
    """Store the notice once per hash (first use wins; concurrent writers agree).

    The hash joins ``consent_stored_notices`` only once a transaction that saw or
    stored the notice has committed (see ``record_decision``): before that, other
    threads cannot see the row yet and their receipts would break the foreign key.
    """
    stored: set[str] = current_app.extensions["consent_stored_notices"]
    if notice_hash in stored:
        return
    if db.session.get(Notice, notice_hash) is None:
        lang = site.by_hash[notice_hash]
        content = site.notices[lang]
        try:
            with db.session.begin_nested():
                db.session.add(
                    Notice(
                        hash=notice_hash,
                        site=site.id,
                        language=lang,
                        policy_version=site.policy_version,
                        content=content,
                    )
                )
        except IntegrityError:
            pass  # another request stored it first: the content is the same.


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
    # A retry is caught by the unique receipt id and key when inserting (below),
    # so a first decision costs no look-up; nor does a subject made up just now.
    subject = data.get("subject")
    previous = (
        db.session.execute(_PREVIOUS, {"site": site.id, "subject": subject}).first()
        if subject
        else None
    )
    subject = subject or str(uuid.uuid4())
    now = datetime.now(UTC)
    optional_granted = any(v for c, v in choices.items() if c not in site.required_ids)
    notice = site.notices[notice_lang]
    days = (
        notice["validity_days"] if optional_granted else notice["refusal_validity_days"]
    )
    expires_at = now + timedelta(days=days)
    receipt_id = data.get("id") or str(uuid.uuid4())
    receipt = Receipt(
        id=receipt_id,
        site=site.id,
        subject=subject,
        action=_action(site, previous.choices if previous else None, choices),
        method=data["method"],
        layer=data["layer"],
        choices=choices,
        policy_version=site.policy_version,
        notice_hash=notice_hash,
        banner_build=data.get("banner_build"),
        language=language,
        jurisdiction=site.config["jurisdiction"],
        gpc=bool(data.get("gpc")) or context.gpc_header,
        previous_id=previous.id if previous else None,
        created_at=now,
        expires_at=expires_at,
        origin=context.origin,
        user_agent=context.user_agent,
        ip_prefix=context.ip_prefix,
        idempotency_key=key,
        token=sign_receipt(
            secret_keys(),
            receipt_id=receipt_id,
            site=site.id,
            subject=subject,
            choices=choices,
            policy_version=site.policy_version,
            expires_at=expires_at,
        ),
    )
    try:
        _ensure_notice(site, notice_hash)
        # Receipts are append-only rows: a Core INSERT skips the ORM's unit of work.
        db.session.execute(_INSERT, _row(receipt))
        count_decision(receipt)
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


def is_valid(site: Site, receipt: Receipt, now: datetime | None = None) -> bool:
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
