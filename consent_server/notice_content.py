"""What one notice says, in one language: built from a site's settings at start-up.

Every string the banner shows comes from here (issue #9): texts, category and
service purposes, cookie durations and country names rendered for the language,
and the banner's own storage, which every site declares in its required category
(issue #11).
"""

from __future__ import annotations

from typing import Any

from .banner_texts import banner_texts
from .locale_names import country_names, format_days, is_eea

# The banner's localStorage keys; the site id is appended (banner-js constants.js).
OWN_STORAGE_KEYS = (
    ("consent:queue:", "ownQueuePurpose"),
    ("consent:receipt:", "ownReceiptPurpose"),
    ("consent:token:", "ownTokenPurpose"),
)
# The banner keeps its "not yet confirmed" marker cookie for a year (outbox.js).
MARKER_MAX_AGE_DAYS = 365


def site_links(
    site_id: str, policy_url: str | None, has_policy_text: bool
) -> dict[str, str]:
    """The policy and the declaration; a path resolves against the banner's origin.

    The policy is ``policy_url``, else the policy text the service serves; a site
    with neither has no policy link (a link to a 404 would tell visitors nothing,
    and production refuses to start such a site: ``site_checks``).
    """
    links = {"declaration": f"/v1/sites/{site_id}/cookies"}
    if policy_url or has_policy_text:
        links["policy"] = policy_url or f"/v1/sites/{site_id}/policy"
    return links


def own_storage(
    site_id: str, cfg: dict[str, Any], lang: str, texts: dict[str, str]
) -> list[dict[str, Any]]:
    """The cookies and storage keys the banner itself sets on the site's pages."""
    cookie = cfg["cookie"]["name"]

    def entry(name: str, kind: str, purpose: str, days: int | None) -> dict[str, Any]:
        return {
            "name": name,
            "pattern": None,
            "kind": kind,
            "provider": texts["thisSite"],
            # localStorage has no expiry: the key stays until the visitor clears it.
            "duration": format_days(days, lang) if days else None,
            "max_age_days": days,
            "session": False,
            "party": "first",
            "country": None,
            "purpose": purpose,
        }

    entries = [
        entry(cookie, "cookie", texts["ownCookiePurpose"], cfg["validity_days"]),
        entry(f"{cookie}_q", "cookie", texts["ownMarkerPurpose"], MARKER_MAX_AGE_DAYS),
    ]
    entries += [
        entry(prefix + site_id, "local_storage", texts[key], None)
        for prefix, key in OWN_STORAGE_KEYS
    ]
    return entries


def _cookie(
    cookie: dict[str, Any],
    lang: str,
    texts: dict[str, str],
    provider: str | None,
    purpose: str,
) -> dict[str, Any]:
    """A declared cookie as the notice shows it: duration and provider in words."""
    duration = cookie["duration"]
    if cookie["session"]:
        duration = texts["untilClose"]
    elif cookie["max_age_days"]:
        duration = format_days(cookie["max_age_days"], lang)
    own = cookie["party"] == "first" and provider is None
    return {
        "name": cookie["name"],
        "pattern": cookie["pattern"],
        "kind": cookie["kind"],
        "provider": cookie["provider"]
        or provider
        or (texts["thisSite"] if own else None),
        "duration": duration,
        "max_age_days": cookie["max_age_days"],
        "session": cookie["session"],
        "party": cookie["party"],
        "country": cookie["country"],
        "purpose": cookie["description"] or purpose,
    }


def _service(
    service: dict[str, Any], lang: str, fallback: str, texts: dict[str, str]
) -> dict[str, Any]:
    """A service as the notice shows it, its purpose in one language."""
    own = service["texts"].get(lang) or service["texts"][fallback]
    return {
        "id": service["id"],
        "name": service["name"],
        "provider": service["provider"],
        "country": service["country"],
        "eu": is_eea(service["country"]),
        "privacy_url": service["privacy_url"],
        "purpose": own["purpose"],
        "cookies": [
            _cookie(c, lang, texts, service["provider"], own["purpose"])
            for c in service["cookies"]
        ],
        "consent_mode": service["consent_mode"],
    }


def _third_party(party: dict[str, Any]) -> dict[str, Any]:
    """A recipient as the notice shows it: with whether its country is in the EEA
    (None when the site names no country, which only development allows)."""
    country = party["country"]
    return {**party, "eu": is_eea(country) if country else None}


def _categories(
    site_id: str, cfg: dict[str, Any], lang: str, texts: dict[str, str]
) -> list[dict[str, Any]]:
    fallback = cfg["default_language"]
    own_declared = False
    categories = []
    for cat in cfg["categories"]:
        own = cat["texts"].get(lang) or cat["texts"][fallback]
        cookies = [
            _cookie(c, lang, texts, None, own["description"]) for c in cat["cookies"]
        ]
        if cat["required"] and not own_declared:
            cookies += own_storage(site_id, cfg, lang, texts)
            own_declared = True
        categories.append(
            {
                "id": cat["id"],
                "required": cat["required"],
                "title": own["title"],
                "description": own["description"],
                "cookies": cookies,
                "services": [
                    _service(s, lang, fallback, texts) for s in cat["services"]
                ],
                "third_parties": [_third_party(p) for p in cat["third_parties"]],
                "consent_mode": cat["consent_mode"],
            }
        )
    return categories


def _mentioned_countries(
    cfg: dict[str, Any], categories: list[dict[str, Any]]
) -> set[str]:
    codes = set(cfg["storage_countries"])
    for cat in categories:
        codes |= {c["country"] for c in cat["cookies"] if c["country"]}
        codes |= {p["country"] for p in cat["third_parties"] if p["country"]}
        for service in cat["services"]:
            codes.add(service["country"])
            codes |= {c["country"] for c in service["cookies"] if c["country"]}
    return codes


def build_notice(
    site_id: str, cfg: dict[str, Any], lang: str, policy_sha256: str | None
) -> dict[str, Any]:
    """The notice of ``site_id`` in ``lang``, without its hash."""
    texts = {**banner_texts(lang), **cfg["texts"].get(lang, {})}
    categories = _categories(site_id, cfg, lang, texts)
    refusal_days = cfg["refusal_validity_days"] or cfg["validity_days"]
    return {
        "site": site_id,
        "language": lang,
        "languages": cfg["languages"],
        "policy_version": cfg["policy_version"],
        "policy_url": cfg["policy_url"],
        "policy_sha256": policy_sha256,
        "links": site_links(site_id, cfg["policy_url"], policy_sha256 is not None),
        "jurisdiction": cfg["jurisdiction"],
        "storage_countries": cfg["storage_countries"],
        "countries": country_names(_mentioned_countries(cfg, categories), lang),
        "controller": cfg["controller"],
        "validity_days": cfg["validity_days"],
        "refusal_validity_days": refusal_days,
        "kept": {
            "consent": format_days(cfg["validity_days"], lang),
            "refusal": format_days(refusal_days, lang),
        },
        "cookie": cfg["cookie"],
        "gpc_categories": cfg["gpc_categories"],
        "reload_on_withdraw": cfg["reload_on_withdraw"],
        # Every word the banner shows: the notice is what the visitor read.
        "texts": texts,
        "categories": categories,
    }
