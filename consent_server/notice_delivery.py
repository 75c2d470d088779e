"""Which notice a page gets with the banner, and in what form (issue #11: languages).

A page downloads one language, never all of them: banner.js inlines the first layer
of the notice of the language the browser asks for (``Accept-Language``), and lists the
others; a page whose ``lang`` picks another one fetches that notice's first layer alone
from ``/notice?lang=&v=&part=first`` (``banner_notice``, as banner.js would inline it),
and the preferences fetch the whole notice of their language from the same URL without
``part`` when they first open. ``v`` (the site's notices version) changes whenever
any notice does, so those fetches are cached for good and a returning visit sends no
request.
"""

from __future__ import annotations

import hashlib
from typing import Any

from werkzeug.datastructures import LanguageAccept

from .sites import Site, match_language

# For a URL whose answer never changes (``v`` names the notices): a year, and no
# revalidation while fresh (RFC 8246).
IMMUTABLE = "public, max-age=31536000, immutable"
# What banner.js inlines is the notice's first layer: what the banner shows before the
# preferences open (the first layer, the settings button, iframe placeholders), and what
# decisions, gating and Consent Mode need. The banner fetches the whole notice (the one
# hashed into receipts) when the preferences first open. The lists below name what is
# left out, so anything new in the notice is inlined until it is named here.

# Top-level fields: read by the preferences only, or by no banner code at all.
_NOT_IN_FIRST_LAYER = frozenset(
    "languages jurisdiction policy_sha256 storage_countries countries kept".split()
)
# Texts the preferences, the cookie tables and the declaration page show. None of them
# may be a key the banner requires of every notice (i18n.js KEYS: a test checks).
PREFERENCES_TEXTS = frozenset(
    """services service purpose recipients country insideEU outsideEU providerPolicy
    storedIn keptTitle keptConsent keptRefusal rightsTitle rightsIntro rightAccess
    rightRectification rightErasure rightRestriction rightObjection rightPortability
    rightWithdrawal rightComplaint party firstParty thirdParty kind kindCookie
    kindLocalStorage kindSessionStorage thisSite untilClose ownCookiePurpose
    ownMarkerPurpose ownQueuePurpose ownTokenPurpose ownReceiptPurpose declarationTitle
    declarationIntro openPreferences required optional downloadReceipt
    allowCategory""".split()
)
# Of categories, services and cookie entries: what withdrawing, gating and Consent Mode
# use (ids, levels, which cookies to clear); their words come with the whole notice.
_CATEGORY_FIELDS = ("id", "required", "title", "consent_mode", "cookies", "services")
_SERVICE_FIELDS = ("id", "name", "consent_mode", "cookies")
_COOKIE_FIELDS = ("name", "pattern", "kind", "party")


def accepted_language(site: Site, accept: LanguageAccept) -> str:
    """The site language the browser's ``Accept-Language`` asks for, else the default.

    The rule of the banner's pickLanguage (i18n.js) over ``navigator.languages``: each
    tag in order of preference, exact or by its primary subtag (``de-AT`` -> ``de``),
    so the inlined notice is the one the banner picks on a page without ``lang``.
    """
    languages: list[str] = site.config["languages"]
    for tag, quality in accept:  # best first; q=0 means "not this one"
        match = match_language(tag, languages) if quality > 0 else None
        if match:
            return match
    default: str = site.config["default_language"]
    return default


def notices_version(site: Site) -> str:
    """A short digest of every notice hash of the site: ``v`` in notice URLs.

    One value for all languages keeps banner.js small (24 full hashes would cost
    about 800 B gzip) and still changes whenever any notice changes.
    """
    hashes = "".join(sorted(site.by_hash))
    return hashlib.sha256(hashes.encode()).hexdigest()[:16]


def banner_notice(notice: dict[str, Any]) -> dict[str, Any]:
    """The first layer of a notice, as banner.js inlines it.

    Every field and string kept is the hashed notice's own, unchanged, and ``notice``
    (the hash of the whole notice, which receipts name) is among them. Null top-level
    fields go too: the banner reads a missing field as it reads null.
    """
    first = {
        key: value
        for key, value in notice.items()
        if key not in _NOT_IN_FIRST_LAYER and value is not None
    }
    first["texts"] = {
        k: v for k, v in notice["texts"].items() if k not in PREFERENCES_TEXTS
    }
    first["categories"] = [
        {
            **_pick(category, _CATEGORY_FIELDS),
            "cookies": [_pick(c, _COOKIE_FIELDS) for c in category["cookies"]],
            "services": [
                {
                    **_pick(service, _SERVICE_FIELDS),
                    "cookies": [_pick(c, _COOKIE_FIELDS) for c in service["cookies"]],
                }
                for service in category["services"]
            ],
        }
        for category in notice["categories"]
    ]
    return first


def _pick(entry: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    return {k: entry[k] for k in fields if entry.get(k) is not None}
