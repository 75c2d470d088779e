"""The retention purge: receipts older than their site's ``retention_days`` go, and
audit entries older than ``CONSENT_AUDIT_RETENTION_DAYS``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select

from .extensions import db
from .log_erasure import forget_purged_salts
from .models import AuditEntry, Receipt
from .sites import Site
from .stats import counted_until, fold_counters, fold_point


@dataclass(frozen=True)
class PurgeResult:
    """What one site's purge removed (or, on a dry run, would remove)."""

    site: str
    retention_days: int
    cutoff: datetime
    receipts: int


def purge_expired(
    sites: dict[str, Site], dry_run: bool = False, now: datetime | None = None
) -> list[PurgeResult]:
    """Delete (or with ``dry_run`` count) receipts older than each site's retention.

    The statistics counters first catch up with the receipts about to go, and
    receipts they have not counted yet are kept for the next purge.
    """
    now = now or datetime.now(UTC)
    counted: datetime | None
    if dry_run:  # count as if the fold below had run
        counted = max(counted_until() or fold_point(), fold_point())
    else:
        fold_counters()
        counted = counted_until()
    results = []
    for site in sites.values():
        days = int(site.config["retention_days"])
        cutoff = now - timedelta(days=days)
        if counted is not None:
            cutoff = min(cutoff, counted)  # the rest goes at the next purge
        where = (Receipt.site == site.id) & (Receipt.created_at < cutoff)
        if dry_run:
            n = db.session.scalar(
                select(func.count()).select_from(Receipt).where(where)
            )
        else:
            forget_purged_salts(where)
            # Newer receipts pointing at a purged one keep a NULL 'previous'.
            deleted: Any = db.session.execute(delete(Receipt).where(where))
            n = deleted.rowcount
        results.append(PurgeResult(site.id, days, cutoff, int(n or 0)))
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    return results


def audit_retention_days(sites: dict[str, Site], setting: int | None) -> int:
    """The audit log's retention: the setting, else the longest receipt retention."""
    if setting is not None:
        return setting
    return max(int(site.config["retention_days"]) for site in sites.values())


def purge_audit(days: int, dry_run: bool = False, now: datetime | None = None) -> int:
    """Delete (or count) audit entries older than ``days``; returns how many."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
    where = AuditEntry.created_at < cutoff
    if dry_run:
        return int(
            db.session.scalar(select(func.count()).select_from(AuditEntry).where(where))
            or 0
        )
    deleted: Any = db.session.execute(delete(AuditEntry).where(where))
    db.session.commit()
    return int(deleted.rowcount or 0)
