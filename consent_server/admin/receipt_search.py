"""Receipt search for staff: filters, pages of results, one receipt and its notice."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..models import Notice, Receipt
from ..sites import all_sites
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


def _site_has_receipts(site: str) -> bool:
    """Receipts of a site removed from the configuration stay searchable."""
    found = db.session.scalar(select(Receipt.id).where(Receipt.site == site).limit(1))
    return found is not None


def _site_problem(site: str | None) -> list[str]:
    sites = all_sites()
    if site is None or site in sites or _site_has_receipts(site):
        return []
    return [f"Unknown site; this server has {sorted(sites)}."]


def checked_site(site: str | None) -> str | None:
    """A site filter naming a configured site, or one with receipts.

    :raises ValidationFailed: neither.
    """
    problem = _site_problem(site)
    if problem:
        raise ValidationFailed("The site filter is not valid.", {"site": problem})
    return site


def checked_filters(args: dict[str, Any]) -> dict[str, Any]:
    """The search filters, when the site and category they name exist.

    :raises ValidationFailed: an unknown site or category (or service).
    """
    errors: dict[str, list[str]] = {}
    sites = all_sites()
    site = args.get("site")
    if _site_problem(site):
        errors["site"] = _site_problem(site)
    category = args.get("category")
    if category is not None:
        chosen = [sites[site]] if site in sites else list(sites.values())
        known = {key for s in chosen for key in s.choice_keys}
        if category not in known:
            errors["category"] = [f"Unknown category; known are {sorted(known)}."]
    if errors:
        raise ValidationFailed("The search filters are not valid.", errors)
    return args


def search_page(args: dict[str, Any]) -> Page[Receipt]:
    """One page of matching receipts, newest first, and the next page's cursor.

    :raises ValidationFailed: the filters name an unknown site or category.
    """
    args = checked_filters(args)
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
