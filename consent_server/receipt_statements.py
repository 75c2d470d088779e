"""The SQL behind recording and reading receipts, built once and reused.

On the hot path only the parameters change, so each statement is built once (per
site's categories where it depends on them) and SQLAlchemy's compiled cache does
the rest.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Boolean,
    Insert,
    Select,
    and_,
    bindparam,
    case,
    false,
    literal,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.dialects import postgresql, sqlite

from .models import Notice, Receipt

RECEIPTS = Receipt.__table__
RECEIPT_COLUMNS = tuple(c.key for c in RECEIPTS.columns)
# Filled by the statement itself from the subject's newest receipt.
_LINKED = ("previous_id", "action")

# What a lookup answers with: the public receipt, as plain rows (no ORM identity
# map or instrumentation to build for a read-only answer).
CURRENT: Select[Any] = (
    select(
        *(
            RECEIPTS.c[c]
            for c in RECEIPT_COLUMNS
            if c not in {"token", "idempotency_key"}
        )
    )
    .where(Receipt.site == bindparam("site"), Receipt.subject == bindparam("subject"))
    .order_by(Receipt.created_at.desc(), Receipt.id.desc())
    .limit(1)
)

INSERT: Insert = RECEIPTS.insert()

_LINKED_INSERTS: dict[tuple[str, ...], Insert] = {}


def insert_linked(optional: tuple[str, ...]) -> Insert:
    """INSERT .. SELECT of a receipt that finds the subject's previous one itself.

    One statement instead of a look-up and an insert: ``previous_id`` is the
    subject's newest receipt on the site, and ``action`` is ``grant`` without one,
    ``withdraw`` when it granted one of the ``optional`` categories and this
    decision (parameter ``granted_any``) grants none, else ``update``. Returns both.
    """
    cached = _LINKED_INSERTS.get(optional)
    if cached is not None:
        return cached
    prev = (
        select(Receipt.id.label("id"), Receipt.choices.label("choices"))
        .where(
            Receipt.site == bindparam("site"), Receipt.subject == bindparam("subject")
        )
        .order_by(Receipt.created_at.desc(), Receipt.id.desc())
        .limit(1)
        .subquery("prev")
    )
    grants = [prev.c.choices[c].as_boolean() for c in optional]
    had_any = or_(*grants) if grants else false()
    action = case(
        (prev.c.id.is_(None), "grant"),
        (and_(not_(bindparam("granted_any", type_=Boolean)), had_any), "withdraw"),
        else_="update",
    )
    one = select(literal(1).label("one")).subquery("one")
    names = [c for c in RECEIPT_COLUMNS if c not in _LINKED]
    values = [bindparam(c, type_=RECEIPTS.c[c].type) for c in names]
    source = select(*values, prev.c.id, action).select_from(one.outerjoin(prev, true()))
    stmt: Insert = (
        RECEIPTS.insert()
        .from_select([*names, *_LINKED], source)
        .returning(RECEIPTS.c.previous_id, RECEIPTS.c.action)
    )
    _LINKED_INSERTS[optional] = stmt
    return stmt


def insert_notice(dialect: str) -> Insert:
    """``INSERT .. ON CONFLICT DO NOTHING`` for notices: the first writer wins."""
    insert: Any = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    stmt: Insert = insert(Notice.__table__).on_conflict_do_nothing(
        index_elements=["hash"]
    )
    return stmt
