"""Which notice a page gets with the banner, and in what form (issue #11: languages).

A page downloads one language, never all of them: banner.js inlines the notice of the
language the browser asks for (``Accept-Language``), and lists the others; a page whose
``lang`` picks another one fetches that notice alone from ``/notice?lang=&v=``. ``v``
(the site's notices version) changes whenever any notice does, so those fetches can be
cached for good and a returning visit sends no request.
"""

from __future__ import annotations

import hashlib
from typing import Any

from werkzeug.datastructures import LanguageAccept

from .sites import Site, match_language

# A year: the longest lifetime RFC 9111 caches are asked to honour in practice.
IMMUTABLE = "public, max-age=31536000, immutable"
# Top-level notice fields the banner never reads: the inlined copy leaves them out
# (the hashed notice keeps them; the notice endpoint serves it whole).
_NOT_READ_BY_BANNER = frozenset({"languages", "jurisdiction", "policy_sha256"})
# Structured config values the server renders into text the banner shows (a cookie's
# ``duration``), left out of the inlined copy like the empty (null) fields.
_RENDERED_BY_SERVER = frozenset({"max_age_days", "session"})


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
    """The notice as banner.js inlines it: without what the banner never reads.

    Every string the banner shows stays, and so does ``notice`` (the hash of the whole
    notice, which receipts name). Gone: the top-level fields above, null fields (the
    banner reads a missing field as it reads null) and the structured values the
    server has rendered into strings. Lists stay, empty or not.
    """
    top = {k: v for k, v in notice.items() if k not in _NOT_READ_BY_BANNER}
    compact: dict[str, Any] = _without_empty_fields(top)
    return compact


def _without_empty_fields(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: _without_empty_fields(v)
            for k, v in value.items()
            if v is not None
            # Only the numbers and flags: a map keyed by category id keeps "session".
            and not (k in _RENDERED_BY_SERVER and isinstance(v, (bool, int)))
        }
    if isinstance(value, list):
        return [_without_empty_fields(v) for v in value]
    return value
