"""Receipt search for staff: filters, pages of results, one receipt and its notice."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from ..errors import NotFound
from ..extensions import db
from ..models import Notice, Receipt
from .cursor import Page, paginate


def receipt_filter(stmt: Select[Any], args: dict[str, Any]) -> Select[Any]:
    """``stmt`` narrowed to the receipts matching the search filters in ``args``."""
    for name in ("site", "subject", "action", "method", "policy_version", "gpc"):
        if args.get(name) is not None:
            stmt = stmt.where(getattr(Receipt, name) == args[name])
    if args.get("category"):
        granted = args.get("granted", True)
        stmt = stmt.where(Receipt.choices[args["category"]].as_boolean() == granted)
    if args.get("since"):
        stmt = stmt.where(Receipt.created_at >= args["since"])
    if args.get("until"):
        stmt = stmt.where(Receipt.created_at < args["until"])
    return stmt


def search_page(args: dict[str, Any]) -> Page[Receipt]:
    """One page of matching receipts, newest first, and the next page's cursor."""
    return paginate(
        Receipt, receipt_filter(select(Receipt), args), "receipts", args, args
    )


def get_receipt(receipt_id: str) -> Receipt:
    """The receipt with this id.

    :raises NotFound: there is none.
    """
    receipt = (
        db.session.get(Receipt, receipt_id[:36]) if len(receipt_id) <= 36 else None
    )
    if receipt is None:
        raise NotFound("There is no receipt with this id.")
    return receipt


def notice_content(notice_hash: str) -> dict[str, Any] | None:
    """The exact notice stored under this hash, if it is stored."""
    notice = db.session.get(Notice, notice_hash)
    return dict(notice.content) if notice is not None else None
