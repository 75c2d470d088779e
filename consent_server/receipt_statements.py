"""The SQL behind recording and reading receipts, built once and reused.

On the hot path only the parameters change, so each statement is built once (per
site's categories where it depends on them) and SQLAlchemy's compiled cache does
the rest. They name table columns, not ORM attributes: Core statements skip the
ORM's execution layer, and these answer with plain rows.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Boolean,
    Engine,
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

from .driver_sql import first_row
from .extensions import upsert_insert
from .models import Notice, Receipt

RECEIPTS = Receipt.__table__
RECEIPT_COLUMNS = tuple(c.key for c in RECEIPTS.columns)
# Filled by the statement itself from the subject's newest receipt.
_LINKED = ("previous_id", "action")

# The decision fields: all a public lookup answers with (issue #9), as plain rows
# (no ORM identity map or instrumentation to build for a read-only answer). Never
# the network context, the banner build or the token.
DECISION_COLUMNS = (
    "id",
    "site",
    "subject",
    "action",
    "method",
    "layer",
    "choices",
    "gpc",
    "previous_id",
    "policy_version",
    "notice_hash",
    "language",
    "created_at",
    "expires_at",
)
CURRENT: Select[Any] = (
    select(*(RECEIPTS.c[c] for c in DECISION_COLUMNS))
    .where(
        RECEIPTS.c.site == bindparam("site"), RECEIPTS.c.subject == bindparam("subject")
    )
    .order_by(RECEIPTS.c.created_at.desc(), RECEIPTS.c.id.desc())
    .limit(1)
)


def fetch_current(engine: Engine, site: str, subject: str) -> Any | None:
    """Run ``CURRENT`` on the driver's cursor (``driver_sql``): a row with the
    public receipt fields, or None."""
    return first_row(engine, CURRENT, {"site": site, "subject": subject})


INSERT: Insert = RECEIPTS.insert()

_LINKED_INSERTS: dict[tuple[tuple[str, ...], bool], Insert] = {}


def insert_linked(optional: tuple[str, ...], first_only: bool = False) -> Insert:
    """INSERT .. SELECT of a receipt that finds the subject's previous one itself.

    One statement instead of a look-up and an insert: ``previous_id`` is the
    subject's newest receipt on the site, and ``action`` is ``grant`` (or
    ``refuse`` when this decision, parameter ``granted_any``, grants no optional
    category) without one, ``withdraw`` when it granted one of the ``optional``
    categories and this decision grants none, else ``update``. Returns both.

    With ``first_only`` nothing is inserted (and nothing returned) when the subject
    already has a receipt: a caller without proof of the subject may only make its
    first decision, and the check and the insert are one statement.

    Without it, nothing is inserted either unless ``previous_id`` and ``action``
    come out as the parameters ``expected_previous`` and ``expected_action`` say:
    the receipt's JWS, signed before the insert, names both (issue #12).
    """
    cached = _LINKED_INSERTS.get((optional, first_only))
    if cached is not None:
        return cached
    prev = (
        select(RECEIPTS.c.id, RECEIPTS.c.choices)
        .where(
            RECEIPTS.c.site == bindparam("site"),
            RECEIPTS.c.subject == bindparam("subject"),
        )
        .order_by(RECEIPTS.c.created_at.desc(), RECEIPTS.c.id.desc())
        .limit(1)
        .subquery("prev")
    )
    grants = [prev.c.choices[c].as_boolean() for c in optional]
    had_any = or_(*grants) if grants else false()
    granted_any = bindparam("granted_any", type_=Boolean)
    action = case(
        (and_(prev.c.id.is_(None), granted_any), "grant"),
        (prev.c.id.is_(None), "refuse"),
        (and_(not_(granted_any), had_any), "withdraw"),
        else_="update",
    )
    one = select(literal(1).label("one")).subquery("one")
    names = [c for c in RECEIPT_COLUMNS if c not in _LINKED]
    values = [bindparam(c, type_=RECEIPTS.c[c].type) for c in names]
    source = select(*values, prev.c.id, action).select_from(one.outerjoin(prev, true()))
    if first_only:
        source = source.where(prev.c.id.is_(None))
    else:
        expected = bindparam("expected_previous", type_=RECEIPTS.c.previous_id.type)
        source = source.where(
            prev.c.id.is_not_distinct_from(expected),
            action == bindparam("expected_action", type_=RECEIPTS.c.action.type),
        )
    stmt: Insert = (
        RECEIPTS.insert()
        .from_select([*names, *_LINKED], source)
        .returning(RECEIPTS.c.previous_id, RECEIPTS.c.action)
    )
    _LINKED_INSERTS[(optional, first_only)] = stmt
    return stmt


NEWEST: Select[Any] = (
    select(RECEIPTS.c.id, RECEIPTS.c.choices)
    .where(
        RECEIPTS.c.site == bindparam("site"), RECEIPTS.c.subject == bindparam("subject")
    )
    .order_by(RECEIPTS.c.created_at.desc(), RECEIPTS.c.id.desc())
    .limit(1)
)


def insert_notice(dialect: str) -> Insert:
    """``INSERT .. ON CONFLICT DO NOTHING`` for notices: the first writer wins."""
    stmt: Insert = upsert_insert(Notice.__table__, dialect).on_conflict_do_nothing(
        index_elements=["hash"]
    )
    return stmt
