"""What visitors were shown, kept by content hash: notices, banner builds, policies.

A receipt names the notice, the banner build and (through the notice) the policy
text it was given on; each is stored once, the first time it is needed, and never
changed. A decision stores what it names in its own transaction (so a receipt
never points at something missing); serving a build or a policy stores it in the
background, so those routes never wait for the database (issue #9, #10).
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app
from sqlalchemy import Table, select

from .banner_bundle import banner_bundle
from .extensions import db, upsert_insert
from .models import BannerBuild, Notice, PolicyText
from .sites import Site

log = logging.getLogger(__name__)

_EXTENSION_KEY = "consent_archived"


def _archived(kind: str) -> set[str]:
    """Keys this process knows are stored (committed), per kind."""
    sets: dict[str, set[str]] = current_app.extensions.setdefault(_EXTENSION_KEY, {})
    return sets.setdefault(kind, set())


def _insert(table: Table, key: str, row: dict[str, Any]) -> None:
    """``INSERT .. ON CONFLICT DO NOTHING``: the first writer wins, content is equal."""
    stmt = upsert_insert(table, db.session.get_bind().dialect.name)
    db.session.execute(stmt.on_conflict_do_nothing(index_elements=[key]), row)


def notice_row(site: Site, notice_hash: str) -> dict[str, Any]:
    lang = site.by_hash[notice_hash]
    return {
        "hash": notice_hash,
        "site": site.id,
        "language": lang,
        "policy_version": site.policy_version,
        "content": site.notices[lang],
        "created_at": datetime.now(UTC),
    }


def build_row() -> dict[str, Any]:
    bundle = banner_bundle()
    return {
        "hash": bundle.build,
        "content": bundle.content,
        "first_served_at": datetime.now(UTC),
    }


def policy_row(site: Site) -> dict[str, Any] | None:
    policy = site.policy
    if policy is None:
        return None
    return {
        "sha256": policy.sha256,
        "site": site.id,
        "media_type": policy.media_type,
        "content": policy.text,
        "first_served_at": datetime.now(UTC),
    }


def stage_for_decision(
    site: Site, notice_hash: str, build: str | None
) -> list[tuple[str, str]]:
    """Add what a decision names to its transaction, unless stored already.

    Returns the (kind, key) pairs to mark stored once the transaction commits
    (``mark_stored``): before that, other threads cannot see the rows.
    """
    staged: list[tuple[str, str]] = []
    if notice_hash not in _archived("notice"):
        _insert(Notice.__table__, "hash", notice_row(site, notice_hash))
        staged.append(("notice", notice_hash))
    if build is not None and build not in _archived("build"):
        row = build_row()
        if row["hash"] == build:  # an older build is stored already (is_known_build)
            _insert(BannerBuild.__table__, "hash", row)
            staged.append(("build", build))
    policy = policy_row(site)
    if policy is not None and policy["sha256"] not in _archived("policy"):
        _insert(PolicyText.__table__, "sha256", policy)
        staged.append(("policy", policy["sha256"]))
    return staged


def mark_stored(staged: list[tuple[str, str]]) -> None:
    for kind, key in staged:
        _archived(kind).add(key)


def is_known_build(build: str) -> bool:
    """Whether the service has served this banner build (now or before)."""
    if build == banner_bundle().build or build in _archived("build"):
        return True
    # A connection of its own: the decision's session may switch to autocommit.
    with db.engine.connect() as conn:
        stored = conn.scalar(select(BannerBuild.hash).where(BannerBuild.hash == build))
    return stored is not None


def archive_served(kind: str, row: dict[str, Any] | None) -> None:
    """Store a served build or policy in the background (once per process)."""
    if row is None:
        return
    key = row["hash"] if kind == "build" else row["sha256"]
    archived = _archived(kind)
    pending: set[str] = current_app.extensions.setdefault("consent_archiving", set())
    if key in archived or key in pending:
        return
    pending.add(key)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    thread = threading.Thread(
        target=_archive, args=(app, kind, key, row), name=f"archive-{kind}", daemon=True
    )
    app.extensions.setdefault("consent_archive_threads", []).append(thread)
    thread.start()


def wait_for_archiving(app: Flask, timeout: float = 10) -> None:
    """Let background archiving finish (before the app's engine is disposed)."""
    threads: list[threading.Thread] = app.extensions.get("consent_archive_threads", [])
    for thread in list(threads):
        thread.join(timeout)
        threads.remove(thread)


def _archive(app: Flask, kind: str, key: str, row: dict[str, Any]) -> None:
    table, column = {
        "build": (BannerBuild.__table__, "hash"),
        "policy": (PolicyText.__table__, "sha256"),
    }[kind]
    with app.app_context():
        try:
            _insert(table, column, row)
            db.session.commit()
            _archived(kind).add(key)
        except Exception as exc:  # a background thread: log, the next serve retries
            db.session.rollback()
            log.warning("could not archive the served %s %s: %s", kind, key[:12], exc)
        finally:
            app.extensions["consent_archiving"].discard(key)
            db.session.remove()
