"""Inserting a receipt linked to the subject's previous one, in one statement.

The receipt's JWS names the previous receipt and the action (``grant``,
``refuse``, ``update``, ``withdraw``), which the insert finds in the database:
both are predicted and signed first, and the statement inserts only when the
prediction holds (``receipt_statements.insert_linked``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Insert, Select

from . import receipt_statements as statements
from .decision_check import CheckedDecision
from .driver_sql import first_row
from .errors import Conflict
from .extensions import db
from .models import Receipt
from .receipt_jws import sign_receipt


class ConcurrentDecisions(Conflict):
    """Other decisions about the subject kept arriving while this one was stored."""

    type = "concurrent-decisions"
    title = "Concurrent decisions about the subject"


# How often a proven decision re-reads the subject's newest receipt when another
# decision was stored between reading it and inserting (then a 409).
LINK_ATTEMPTS = 3


def _action(had_previous: bool, had_any: bool, granted_any: bool) -> str:
    """What ``statements.insert_linked`` computes in SQL, for the JWS."""
    if not had_previous:
        return "grant" if granted_any else "refuse"
    return "withdraw" if had_any and not granted_any else "update"


def _predicted_link(decision: CheckedDecision) -> tuple[str | None, str] | None:
    """The ``previous_id`` and ``action`` the insert will find, when known without
    a query: none for a first decision, the token's receipt for a decision that
    proves its subject with a token (the cookie holds the newest one); None when
    only the database knows (a recorder without a token)."""
    granted_any = decision.granted_any
    if decision.subject is None or not decision.proves_subject:
        return None, _action(False, False, granted_any)
    claims = decision.claims
    if claims is None or (claims.site, claims.subject) != (
        decision.site.id,
        decision.subject,
    ):
        return None
    had_any = any(key in claims.granted for key in decision.site.optional_keys)
    return claims.receipt_id, _action(True, had_any, granted_any)


def _newest_link(decision: CheckedDecision) -> tuple[str | None, str]:
    """``previous_id`` and ``action`` from the subject's newest stored receipt."""
    row = _run(
        statements.NEWEST, {"site": decision.site.id, "subject": decision.subject}
    )
    if row is None:
        return None, _action(False, False, decision.granted_any)
    optional = decision.site.optional_keys
    had_any = any(bool((row.choices or {}).get(key)) for key in optional)
    return row.id, _action(True, had_any, decision.granted_any)


def _run(stmt: Insert | Select[Any], params: dict[str, Any]) -> Any | None:
    """Run a statement of recording, committed on its own; its first row, if it
    returns rows.

    On the driver's cursor in autocommit (``driver_sql``): no BEGIN and COMMIT,
    none of SQLAlchemy's execution layer, and on SQLite the writer lock held for
    this one statement.
    """
    return first_row(db.engine, stmt, params)


def _signed_row(receipt: Receipt, link: tuple[str | None, str]) -> dict[str, Any]:
    """Sign the receipt with its link to the previous one; the row to insert."""
    receipt.previous_id, receipt.action = link
    receipt.jws = sign_receipt(receipt)
    return {c: getattr(receipt, c) for c in statements.RECEIPT_COLUMNS}


def insert_linked(decision: CheckedDecision, receipt: Receipt) -> bool:
    """Sign and insert the receipt, linking the subject's previous one in the same
    statement.

    The JWS names the previous receipt and the action, which the statement finds
    in the database: they are predicted (``_predicted_link``, no query in the
    usual cases), and the statement inserts only when the prediction holds; else
    the subject's newest receipt is read and the receipt signed again.

    False when nothing was inserted: the subject has decided before and the caller
    has no proof of it.

    :raises ConcurrentDecisions: the prediction kept failing.
    """
    link = _predicted_link(decision)
    if decision.subject is None:
        # A subject the server made up just now has nothing to link.
        assert link is not None
        _run(statements.INSERT, _signed_row(receipt, link))
        return True
    first_only = not decision.proves_subject
    stmt = statements.insert_linked(decision.site.optional_keys, first_only)
    for _ in range(LINK_ATTEMPTS):
        if link is None:
            link = _newest_link(decision)
        row = _signed_row(receipt, link)
        params = {
            **row,
            "granted_any": decision.granted_any,
            "expected_previous": link[0],
            "expected_action": link[1],
        }
        if _run(stmt, params) is not None:
            return True
        if first_only:
            return False
        link = None  # stored meanwhile, or the token was not of the newest one
    raise ConcurrentDecisions(
        "Other decisions about this subject were being stored at the same time; "
        "send this one again."
    )
