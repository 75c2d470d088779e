"""The audit log: every staff request, who made it and how it ended."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlencode

from flask import Response, g, request
from sqlalchemy import or_, select

from .admin.cursor import Page, paginate
from .extensions import db
from .models import AuditEntry

log = logging.getLogger(__name__)

REDACTED = "[erased]"
# Where ``leave_out`` keeps the subjects of the current request; this module alone
# reads and writes it.
_LEFT_OUT = "audit_left_out"


def leave_out(subject: str) -> None:
    """Keep ``subject`` out of this request's audit entry.

    Views call it when the request names a subject that is erased, or being erased:
    the log must not keep the id that the erasure removed everywhere else.
    """
    left_out: set[str] = g.setdefault(_LEFT_OUT, set())
    left_out.add(subject)


def record_request(response: Response, interface: str) -> Response:
    """``after_request`` hook of the staff blueprints: store one audit entry."""
    staff = g.get("staff")
    path = request.path
    query = request.query_string.decode("latin-1")
    for subject in sorted(g.get(_LEFT_OUT, ())):
        path, query = _redacted(path, query, subject)
    entry = AuditEntry(
        token_id=staff.token_id if staff else None,
        token_name=staff.name if staff else None,
        role=staff.role if staff else None,
        interface=interface,
        method=request.method,
        path=path[:512],
        query=query[:2048],
        status=response.status_code,
    )
    try:
        # Views commit their own work; whatever is left over belongs to a failure.
        db.session.rollback()
        db.session.add(entry)
        db.session.commit()
    except Exception:  # never turn a served answer into an error, but say so loudly
        db.session.rollback()
        log.exception("could not write the audit entry for %s %s", request.method, path)
    return response


def entries_page(args: dict[str, Any]) -> Page[AuditEntry]:
    """One page of the audit log, newest first."""
    return paginate(AuditEntry, select(AuditEntry), "audit", args, {})


def _redacted_path(path: str, subject: str) -> str:
    return "/".join(REDACTED if part == subject else part for part in path.split("/"))


def _redacted_query(query: str, subject: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    if not any(value == subject for _, value in pairs):
        return query
    return urlencode(
        [(k, REDACTED if v == subject else v) for k, v in pairs], safe="[]"
    )


def _redacted(path: str, query: str, subject: str) -> tuple[str, str]:
    """Replace the subject where it is a whole path segment or query value."""
    return _redacted_path(path, subject), _redacted_query(query, subject)


def redact_subject(subject: str) -> None:
    """Remove a subject's id from the paths and queries already in the log."""
    # LIKE narrows the rows; the exact replacement happens in Python, so a short
    # subject such as "a" never mangles unrelated entries.
    forms = {subject, quote(subject, safe=""), quote_plus(subject)}
    clauses = [AuditEntry.path.contains(subject, autoescape=True)]
    clauses += [AuditEntry.query.contains(f, autoescape=True) for f in forms]
    for entry in db.session.scalars(select(AuditEntry).where(or_(*clauses))):
        entry.path, entry.query = _redacted(entry.path, entry.query, subject)
