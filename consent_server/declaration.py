"""The cookie declaration: every cookie and storage key of a site, from its notice.

It is made from the same notice the banner shows (issue #11), so the declaration,
the preferences and the receipts never disagree: one row per cookie or storage key,
the banner's own included, grouped by category and service.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .sites import Site, match_language

# The notice fields a declaration repeats: who, where, how long, and the rows.
_HEADER_FIELDS = (
    "site",
    "language",
    "languages",
    "notice",
    "policy_version",
    "controller",
    "links",
    "storage_countries",
    "countries",
    "kept",
)


def declaration_language(
    site: Site, requested: str | None, accepted: Iterable[str]
) -> str:
    """``?lang=`` first, then the browser's languages in order, then the default."""
    languages: list[str] = site.config["languages"]
    for tag in ([requested] if requested else []) + list(accepted):
        found = match_language(tag, languages)
        if found:
            return found
    default: str = site.config["default_language"]
    return default


def _rows(cookies: list[dict[str, Any]], where: list[str]) -> list[dict[str, Any]]:
    """Table rows; ``where``: where data are kept when a cookie names no country.

    A third-party cookie that names none is set by someone else, whose country the
    site has not said: its row names none rather than the site's own countries.
    """
    return [
        {
            "name": c["name"],
            "pattern": c["pattern"],
            "kind": c["kind"],
            "provider": c["provider"],
            "purpose": c["purpose"],
            "duration": c["duration"],
            "party": c["party"],
            "country": c["country"],
            "countries": (
                [c["country"]]
                if c["country"]
                else ([] if c["party"] == "third" else where)
            ),
        }
        for c in cookies
    ]


def declaration(site: Site, lang: str) -> dict[str, Any]:
    """The declaration of ``site`` in ``lang`` (a language of the site)."""
    notice = site.notice(lang)
    return {
        **{key: notice[key] for key in _HEADER_FIELDS},
        "categories": [
            {
                "id": cat["id"],
                "required": cat["required"],
                "title": cat["title"],
                "description": cat["description"],
                "cookies": _rows(cat["cookies"], notice["storage_countries"]),
                "services": [
                    {
                        "id": s["id"],
                        "name": s["name"],
                        "provider": s["provider"],
                        "country": s["country"],
                        "eu": s["eu"],
                        "privacy_url": s["privacy_url"],
                        "purpose": s["purpose"],
                        "cookies": _rows(s["cookies"], [s["country"]]),
                    }
                    for s in cat["services"]
                ],
            }
            for cat in notice["categories"]
        ],
    }
