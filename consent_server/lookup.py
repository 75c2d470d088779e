"""A subject's current decision on a site, for the public lookup."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import DBAPIError

from . import receipt_statements as statements
from .errors import NotFound, ValidationFailed
from .extensions import db
from .sites import Site
from .validity import is_valid


def current_receipt(site_id: str, subject: str) -> Any | None:
    """The subject's newest receipt on a site, for a read-only answer.

    One statement on a pooled connection of its own, outside the ORM session: a
    lookup needs neither its identity map nor a transaction. The row has every public
    field of ``Receipt`` as an attribute.

    A connection lost under it (the server ended it after the pool's checkout
    check) is retried once on a new one: a read can run twice, unlike a decision.
    """
    try:
        return statements.fetch_current(db.engine, site_id, subject)
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
    return statements.fetch_current(db.engine, site_id, subject)


def lookup_decision(
    site: Site, subject: str, category: str | None = None
) -> dict[str, Any]:
    """The subject's newest receipt, whether it still counts, and with ``category``
    whether that category is granted.

    :raises ValidationFailed: the site has no such category.
    :raises NotFound: nothing is recorded for the subject on this site.
    """
    if category is not None and category not in site.choice_keys:
        raise ValidationFailed(
            "Unknown category or service.",
            {"category": [f"This site has {list(site.choice_keys)}."]},
        )
    receipt = current_receipt(site.id, subject)
    if receipt is None:
        raise NotFound(f"No decision is recorded for this subject on {site.id!r}.")
    valid = is_valid(site, receipt)
    answer: dict[str, Any] = {
        "receipt": receipt,
        "choices": receipt.choices,
        "valid": valid,
    }
    if category is not None:
        answer["granted"] = valid and bool(receipt.choices.get(category))
    return answer
