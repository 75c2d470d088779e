"""Data subject requests: access (and portability) and erasure."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, text, update

from .audit import redact_subject
from .config import secret_keys
from .errors import NotFound
from .extensions import db
from .log_erasure import forget_salts, new_pseudonym, sealed_hashes
from .models import Erasure, Notice, Receipt


def subject_hash(subject: str, key: str) -> str:
    """Keyed hash of a subject id: proves an erasure without keeping the id."""
    return hmac.new(
        key.encode(), b"erasure:" + subject.encode(), hashlib.sha256
    ).hexdigest()


def _subject_filter(subject: str, site: str | None) -> Any:
    clause = Receipt.subject == subject
    return clause if site is None else clause & (Receipt.site == site)


def find_erasure(subject: str, site: str | None = None) -> Erasure | None:
    """The newest recorded erasure of this subject, under any configured key."""
    keys = secret_keys()
    hashes = [subject_hash(subject, k) for k in keys]
    stmt = select(Erasure).where(Erasure.subject_hash.in_(hashes))
    if site is not None:
        stmt = stmt.where((Erasure.site == site) | Erasure.site.is_(None))
    return db.session.scalar(stmt.order_by(Erasure.created_at.desc()).limit(1))


class SubjectErased(NotFound):
    """No receipts of the subject are left because it was erased."""


def _not_found(subject: str, site: str | None) -> NotFound:
    """The problem of a subject without receipts: erased, or never seen."""
    erasure = find_erasure(subject, site)
    where = f" on {site!r}" if site else ""
    if erasure is not None:
        return SubjectErased(
            f"No receipts for this subject{where}: it was erased on "
            f"{erasure.created_at:%Y-%m-%d %H:%M} UTC."
        )
    return NotFound(f"No receipts are recorded for this subject{where}.")


def subject_history(subject: str, site: str | None = None) -> dict[str, Any]:
    """Everything stored about a subject, oldest first, with the notices it saw.

    :raises SubjectErased: the subject's receipts (on ``site``) were erased.
    :raises NotFound: there never were any.
    """
    receipts = list(
        db.session.scalars(
            select(Receipt)
            .where(_subject_filter(subject, site))
            .order_by(Receipt.created_at, Receipt.id)
        )
    )
    if not receipts:
        raise _not_found(subject, site)
    hashes = {r.notice_hash for r in receipts}
    notices = db.session.scalars(select(Notice).where(Notice.hash.in_(hashes)))
    return {
        "subject": subject,
        "exported_at": datetime.now(UTC),
        "receipts": receipts,
        "notices": {n.hash: n.content for n in notices},
    }


def erase_subject(subject: str, erased_by: str, site: str | None = None) -> Erasure:
    """Anonymize a subject's receipts and record the erasure.

    The receipts stay (counted in the statistics, proof that a decision happened)
    under a random pseudonym, with the network context, idempotency key, token and
    JWS (whose payloads name the subject) removed. The audit log loses the id too.
    Sealed receipts lose their log salts; their leaves and proofs stay, and the
    erasure becomes a leaf of its own at the next seal.

    :raises SubjectErased: already erased.
    :raises NotFound: never seen.
    """
    count = db.session.scalar(
        select(func.count()).select_from(Receipt).where(_subject_filter(subject, site))
    )
    if not count:
        raise _not_found(subject, site)
    sealed = sealed_hashes(_subject_filter(subject, site))
    pseudonym = new_pseudonym()
    db.session.execute(
        update(Receipt)
        .where(_subject_filter(subject, site))
        .values(
            subject=pseudonym,
            origin=None,
            user_agent=None,
            ip_prefix=None,
            idempotency_hash=None,
            token=None,
            jws=None,
        )
    )
    redact_subject(subject)
    keys = secret_keys()
    erasure = Erasure(
        subject_hash=subject_hash(subject, keys[0]),
        site=site,
        receipts=count,
        erased_by=erased_by,
    )
    db.session.add(erasure)
    db.session.flush()
    forget_salts(sealed, erasure.id)
    db.session.commit()
    _scrub_sqlite_log()
    return erasure


def _scrub_sqlite_log() -> None:
    """Move SQLite's write-ahead log into the database file and empty it.

    The log still holds the pages as they were before the erasure (subject, IP
    prefix) until a checkpoint; with ``secure_delete`` on, nothing of them is left
    once it ran. PostgreSQL keeps old row versions until VACUUM (see README).
    """
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        db.session.commit()
