"""The audit log: every staff request, who made it and how it ended.

An entry never holds a subject id or any other text a client chose: the route is
stored as its template with the subject replaced by a keyed hash, and query values
other than a few plain filters likewise (issue #10). So an erasure has nothing to
find in the log, however staff spelled the subject (``%65``, ``+``, ...), a hash
still tells an auditor whether a given subject was looked up (``subject_reference``),
and a flood of failed requests writes small rows.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlencode

from flask import Response, g, request
from sqlalchemy import delete, or_, select
from sqlalchemy.exc import SQLAlchemyError

from .admin.cursor import Page, paginate
from .config import secret_keys
from .extensions import db
from .models import AuditEntry
from .outages import is_unavailable, one_line

log = logging.getLogger(__name__)

REDACTED = "[erased]"
# Query parameters whose values are plain filters, kept as sent when they look
# plain; any other value (a subject, free text) is stored as a keyed hash.
PLAIN_PARAMS = frozenset(
    {
        "site",
        "category",
        "granted",
        "action",
        "method",
        "policy_version",
        "gpc",
        "since",
        "until",
        "limit",
        "format",
        "lang",
    }
)
_PLAIN_VALUE = re.compile(r"[A-Za-z0-9._:+-]{0,40}")
_PLAIN_ARG = re.compile(r"[A-Za-z0-9._-]{1,64}")  # receipt ids, hashes, numbers
# Route arguments that name a subject.
_SUBJECT_ARGS = frozenset({"subject"})
MAX_QUERY = 1024


def subject_reference(value: str) -> str:
    """What the log keeps of a subject id (or any chosen text): a keyed hash."""
    key = secret_keys()[0].encode()
    digest = hmac.new(key, b"audit:" + value.encode(), hashlib.sha256).hexdigest()
    return f"#{digest[:24]}"


def _logged_path() -> str:
    """The route's template with its arguments filled in, subjects hashed."""
    rule = request.url_rule
    if rule is None:
        return "(no route)"  # a path that matched nothing is the client's text
    path = rule.rule
    for name, value in (request.view_args or {}).items():
        text = str(value)
        plain = name not in _SUBJECT_ARGS and _PLAIN_ARG.fullmatch(text)
        shown = text if plain else subject_reference(text)
        pattern = rf"<(?:[^:<>]+:)?{re.escape(name)}>"
        path = re.sub(pattern, shown.replace("\\", "\\\\"), path)
    return path


def _logged_query() -> str:
    pairs = []
    for key, value in parse_qsl(request.query_string.decode("latin-1"), True):
        if key in PLAIN_PARAMS and _PLAIN_VALUE.fullmatch(value):
            pairs.append((key, value))
        elif key in PLAIN_PARAMS or key == "subject":
            pairs.append((key, subject_reference(value)))
        elif key == "cursor":
            pairs.append((key, "..."))  # signed and opaque, and long
        else:
            pairs.append((subject_reference(key), subject_reference(value)))
    return urlencode(pairs, safe="#:")[:MAX_QUERY]


def record_request(response: Response, interface: str) -> Response:
    """``after_request`` hook of the staff blueprints: store one audit entry."""
    staff = g.get("staff")
    entry = AuditEntry(
        token_id=staff.token_id if staff else None,
        token_name=staff.name if staff else None,
        role=staff.role if staff else None,
        interface=interface,
        method=request.method[:8],
        path=_logged_path()[:512],
        query=_logged_query(),
        status=response.status_code,
    )
    try:
        # Views commit their own work; whatever is left over belongs to a failure.
        db.session.rollback()
        db.session.add(entry)
        db.session.commit()
    except Exception as error:  # never turn a served answer into an error
        _discard_failed_entry()
        if is_unavailable(error):
            # No traceback for an outage. A 503 already has its one log line
            # (outages.py); an answer that was served unaudited is worth a warning.
            level = logging.INFO if response.status_code == 503 else logging.WARNING
            log.log(
                level, "audit entry for %s not written: %s", entry.path, one_line(error)
            )
        else:
            log.exception("could not write the audit entry for %s", entry.path)
    return response


def _discard_failed_entry() -> None:
    try:
        db.session.rollback()
    except SQLAlchemyError:  # the connection is gone: the pool replaces it
        pass


def record_if_staff(response: Response) -> Response:
    """``after_request`` hook of public blueprints that staff may call too
    (proofs, receipt files): a staff token's request is audited, a visitor's not."""
    if g.get("staff") is not None:
        return record_request(response, "api")
    return response


def entries_page(args: dict[str, Any]) -> Page[AuditEntry]:
    """One page of the audit log, newest first."""
    return paginate(AuditEntry, select(AuditEntry), "audit", args, {})


def purge_entries(before: Any) -> int:
    """Delete audit entries created before ``before``; returns how many."""
    deleted: Any = db.session.execute(
        delete(AuditEntry).where(AuditEntry.created_at < before)
    )
    return int(deleted.rowcount or 0)


# --- Entries written before subjects were hashed --------------------------------


def _redacted_path(path: str, subject: str) -> str:
    return "/".join(REDACTED if part == subject else part for part in path.split("/"))


def _redacted_query(query: str, subject: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    if not any(value == subject for _, value in pairs):
        return query
    return urlencode(
        [(k, REDACTED if v == subject else v) for k, v in pairs], safe="[]"
    )


def redact_subject(subject: str) -> None:
    """Remove a subject's id from entries an earlier version wrote in clear."""
    # LIKE narrows the rows; the exact replacement happens in Python, so a short
    # subject such as "a" never mangles unrelated entries.
    forms = {subject, quote(subject, safe=""), quote_plus(subject)}
    clauses = [AuditEntry.path.contains(subject, autoescape=True)]
    clauses += [AuditEntry.query.contains(f, autoescape=True) for f in forms]
    for entry in db.session.scalars(select(AuditEntry).where(or_(*clauses))):
        entry.path = _redacted_path(entry.path, subject)
        entry.query = _redacted_query(entry.query, subject)
