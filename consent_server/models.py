"""Typed SQLAlchemy models: consent receipts and the notices they point at."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every database (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(
        self, value: datetime | None, dialect: Dialect
    ) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; store UTC-aware datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: datetime | None, dialect: Dialect
    ) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Notice(db.Model):  # type: ignore[name-defined,misc]
    """The exact notice a visitor saw, stored once per hash."""

    __tablename__ = "notices"

    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    site: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(16))
    policy_version: Mapped[str] = mapped_column(String(64))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BannerBuild(db.Model):  # type: ignore[name-defined,misc]
    """A banner bundle the service served, kept by the SHA-256 receipts name it by."""

    __tablename__ = "banner_builds"

    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    content: Mapped[str] = mapped_column(Text)
    first_served_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PolicyText(db.Model):  # type: ignore[name-defined,misc]
    """A policy document a site served, kept by its SHA-256 (``policy_sha256``)."""

    __tablename__ = "policy_texts"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    site: Mapped[str] = mapped_column(String(64))
    media_type: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    first_served_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Receipt(db.Model):  # type: ignore[name-defined,misc]
    """One decision of one subject on one site. Append-only: a change is a new row."""

    __tablename__ = "receipts"
    __table_args__ = (
        UniqueConstraint("site", "idempotency_hash"),
        Index("ix_receipts_site_subject_created", "site", "subject", "created_at"),
        Index("ix_receipts_site_created", "site", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    site: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(16))
    layer: Mapped[str] = mapped_column(String(16))
    choices: Mapped[dict[str, bool]] = mapped_column(JSON)
    policy_version: Mapped[str] = mapped_column(String(64))
    notice_hash: Mapped[str] = mapped_column(ForeignKey("notices.hash"))
    banner_build: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(16))
    jurisdiction: Mapped[str] = mapped_column(String(32))
    gpc: Mapped[bool] = mapped_column(Boolean, default=False)
    # Whether the browser saw a user gesture when the page's script decided through
    # window.consent (layer ``api``); null for decisions from the banner's own
    # buttons and from integrations.
    user_activation: Mapped[bool | None] = mapped_column(Boolean)
    previous_id: Mapped[str | None] = mapped_column(
        ForeignKey("receipts.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Minimized context: origin without path, browser family/major, truncated IP.
    origin: Mapped[str | None] = mapped_column(String(255))
    user_agent: Mapped[str | None] = mapped_column(String(64))
    ip_prefix: Mapped[str | None] = mapped_column(String(64))
    # SHA-256 of the client's Idempotency-Key: a secret that proves a retry, so it
    # is never kept (or answered) as sent.
    idempotency_hash: Mapped[str | None] = mapped_column(String(64))
    # Null once the subject is erased: the token's payload names the subject.
    token: Mapped[str | None] = mapped_column(Text)
    # The Ed25519 JWS over the receipt's canonical JSON (receipt_jws.py): anyone
    # checks it with the JWKS. Null for receipts made before issue #12, and once
    # the subject is erased (its payload names the subject and the context).
    jws: Mapped[str | None] = mapped_column(Text)

    def granted(self, category: str) -> bool:
        return bool(self.choices.get(category, False))


# --- Staff: tokens, audit log, erasures, daily counters (admin/) ---------------

# Searches across all sites order by time; subject lookups and erasure go by subject.
Index("ix_receipts_created_id", Receipt.created_at, Receipt.id)
Index("ix_receipts_subject", Receipt.subject)


class StaffToken(db.Model):  # type: ignore[name-defined,misc]
    """A bearer token of a staff member; only its SHA-256 hash is stored."""

    __tablename__ = "staff_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The sites a ``recorder`` may record for; null for the other roles.
    sites: Mapped[list[str] | None] = mapped_column(JSON)

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class StaffSession(db.Model):  # type: ignore[name-defined,misc]
    """A signed-in staff UI session, so that signing out ends it on the server.

    The session cookie holds a random id; only its SHA-256 is stored here.
    """

    __tablename__ = "staff_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    token_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEntry(db.Model):  # type: ignore[name-defined,misc]
    """One staff request: who, what, and how it ended."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_created_id", "created_at", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    token_id: Mapped[int | None] = mapped_column(Integer)
    token_name: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str | None] = mapped_column(String(16))
    interface: Mapped[str] = mapped_column(String(8))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(512))
    query: Mapped[str] = mapped_column(String(2048))
    status: Mapped[int] = mapped_column(Integer)


class Erasure(db.Model):  # type: ignore[name-defined,misc]
    """A recorded erasure: a keyed hash of the subject, never the subject itself."""

    __tablename__ = "erasures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_hash: Mapped[str] = mapped_column(String(64), index=True)
    site: Mapped[str | None] = mapped_column(String(64))
    receipts: Mapped[int] = mapped_column(Integer)
    erased_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Position in the transparency log (log_seal.py); null until sealed.
    log_index: Mapped[int | None] = mapped_column(BigInteger)


class DailyStat(db.Model):  # type: ignore[name-defined,misc]
    """Decision counters per site, UTC day and category ('*' holds the day's totals)."""

    __tablename__ = "daily_stats"

    site: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    decisions: Mapped[int] = mapped_column(Integer, default=0)
    granted: Mapped[int] = mapped_column(Integer, default=0)
    accept_all: Mapped[int] = mapped_column(Integer, default=0)
    reject_all: Mapped[int] = mapped_column(Integer, default=0)
    custom: Mapped[int] = mapped_column(Integer, default=0)
    api: Mapped[int] = mapped_column(Integer, default=0)
    # First decisions that grant no optional category (action ``refuse``).
    refused: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Decisions of the page's script without a user gesture, kept out of the above.
    page_code: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    page_code_granted: Mapped[int] = mapped_column(
        Integer, default=0, server_default="0"
    )


class StatsProgress(db.Model):  # type: ignore[name-defined,misc]
    """How far the daily counters have counted receipts (one row per counter set).

    Receipts created before ``counted_until`` are in ``daily_stats``; newer ones are
    counted from the receipts themselves until the next fold (see ``stats``).
    """

    __tablename__ = "stats_progress"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    counted_until: Mapped[datetime] = mapped_column(UTCDateTime)


# --- Transparency log (issue #12): tiles of hashes, salts, signed heads -----------


class LogTile(db.Model):  # type: ignore[name-defined,misc]
    """Up to 256 consecutive node hashes of the Merkle tree, 32 bytes each.

    Tile ``index`` of ``level`` holds the hashes of the complete subtrees of
    2**(8*level) leaves numbered ``256*index`` onwards: level 0 the leaf hashes,
    level 1 the roots of full level-0 tiles, and so on (log_tiles.py). One row
    per 256 hashes keeps the log near 32 bytes per leaf.
    """

    __tablename__ = "log_tiles"

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    index: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hashes: Mapped[bytes] = mapped_column(LargeBinary)


class LogSaltTile(db.Model):  # type: ignore[name-defined,misc]
    """The 16-byte salts of 256 consecutive leaves: one salt per leaf.

    A receipt leaf commits to personal fields only through hashes salted with its
    salt; an erasure overwrites the salt with zeros, so the leaf (and every proof)
    stays while nothing can be matched against it. A row per leaf would cost
    about 80 bytes of database per receipt, over the log's budget of 100.
    """

    __tablename__ = "log_salt_tiles"

    index: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    salts: Mapped[bytes] = mapped_column(LargeBinary)


class LogIdTile(db.Model):  # type: ignore[name-defined,misc]
    """Which receipts the 256 leaves of a tile are: their ids, 16 bytes each.

    Zeros for an erasure's leaf. A receipt's leaf is found by its ``created_at``
    (tiles whose range holds it) and then its id; no column of the receipts
    changes when they are sealed, so sealing never rewrites the receipts table.
    """

    __tablename__ = "log_id_tiles"
    # Finding a receipt's tile reads this index alone, not the tiles' blobs.
    __table_args__ = (
        Index("ix_log_id_tiles_span", "last_created_at", "first_created_at"),
    )

    index: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    receipt_ids: Mapped[bytes] = mapped_column(LargeBinary)
    # The range of the tile's receipts' created_at (null for erasures only).
    first_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LogHead(db.Model):  # type: ignore[name-defined,misc]
    """A signed tree head: the tree's size and root hash at a time, as a JWS."""

    __tablename__ = "log_heads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tree_size: Mapped[int] = mapped_column(BigInteger, unique=True)
    root_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    signature: Mapped[str] = mapped_column(Text)


class ErasedLeaf(db.Model):  # type: ignore[name-defined,misc]
    """The salted hashes of a sealed receipt's personal fields, kept at erasure.

    The erasure deletes the salt and clears the fields; these hashes (which the
    leaf already published) let ``consent log verify`` still rebuild the leaf.
    """

    __tablename__ = "log_erased_leaves"

    log_index: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    erasure_id: Mapped[int] = mapped_column(ForeignKey("erasures.id"), index=True)
    salted: Mapped[dict[str, str]] = mapped_column(JSON)
