"""The built-in site ``default``: IMAGINE by Trooper.AI, the site of our privacy policy.

The structure (controller, storage countries, categories, services, cookies) is here;
the words a visitor reads (category titles and descriptions, service purposes, the
purposes line) are in ``default_site_texts/<lang>.json``, one file per language with
the keys of ``en.json``. The services are examples of EU services that a deployer
replaces with their own; none is a US analytics tool or carries advertising signals.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

from .sites import PolicyDocument

BASE_LANGUAGE = "en"

# The 24 official languages of the European Union.
EU_LANGUAGES = (
    "bg cs da de el en es et fi fr ga hr hu it lt lv mt nl pl pt ro sk sl sv".split()
)

# About six months (CNIL: choices kept about six months), for consent and refusal.
SIX_MONTHS_DAYS = 180
# CNIL: audience measurement cookies live at most 13 months; no default goes past it.
THIRTEEN_MONTHS_DAYS = 395

_STRUCTURE: dict[str, Any] = {
    "policy_version": "2026-01",
    "policy_url": None,
    "jurisdiction": "EU",
    "default_language": BASE_LANGUAGE,
    "languages": list(EU_LANGUAGES),
    "validity_days": SIX_MONTHS_DAYS,
    "refusal_validity_days": SIX_MONTHS_DAYS,
    # Proof of consent is kept three years, then purged (`flask consent purge`).
    "retention_days": 1095,
    "storage_countries": ["FR", "NL", "DE"],
    "allowed_origins": [],
    "gpc_categories": ["third_party"],
    "floating_button": True,
    "reload_on_withdraw": True,
    "cookie": {"name": "consent", "domain": None},
    "controller": {
        "name": "IMAGINE by Trooper.AI",
        "contact": "info@trooper.ai",
        "address": None,
        "email": "info@trooper.ai",
    },
    "categories": [
        {
            "id": "session",
            "required": True,
            "cookies": [
                {"name": "session", "session": True, "party": "first"},
            ],
            "consent_mode": ["security_storage"],
        },
        {
            "id": "persistent",
            "required": False,
            "cookies": [
                {"name": "prefs", "max_age_days": SIX_MONTHS_DAYS, "party": "first"},
            ],
            "consent_mode": ["functionality_storage", "personalization_storage"],
        },
        {
            "id": "third_party",
            "required": False,
            "services": [
                {
                    # Example: Matomo Cloud, run by InnoCraft Ltd, keeps its data in
                    # Germany; its tracker sets first-party cookies on the site.
                    "id": "analytics",
                    "name": "Matomo Cloud",
                    "provider": "InnoCraft Ltd (Matomo)",
                    "country": "DE",
                    "privacy_url": "https://matomo.org/privacy-policy/",
                    "cookies": [
                        {
                            "pattern": r"^_pk_id\.",
                            "max_age_days": THIRTEEN_MONTHS_DAYS,
                            "party": "first",
                            "country": "DE",
                        },
                        {
                            "pattern": r"^_pk_ses\.",
                            "max_age_days": 1,
                            "party": "first",
                            "country": "DE",
                        },
                    ],
                    "consent_mode": ["analytics_storage"],
                },
                {
                    # Example: Dailymotion SA, Paris; its player sets its own cookies.
                    "id": "video",
                    "name": "Dailymotion",
                    "provider": "Dailymotion SA",
                    "country": "FR",
                    "privacy_url": "https://legal.dailymotion.com/en/privacy-policy/",
                    "cookies": [
                        {
                            "name": "v1st",
                            "provider": "Dailymotion SA",
                            "max_age_days": THIRTEEN_MONTHS_DAYS,
                            "party": "third",
                            "country": "FR",
                        },
                    ],
                    "consent_mode": [],
                },
            ],
            "consent_mode": ["analytics_storage"],
        },
    ],
}


def _read_texts(lang: str) -> dict[str, Any] | None:
    try:
        raw = (
            resources.files(__package__) / "default_site_texts" / f"{lang}.json"
        ).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    data: dict[str, Any] = json.loads(raw)
    return data


@cache
def default_site_texts() -> dict[str, dict[str, Any]]:
    """Language -> the default site's own texts, for every language file present."""
    found = {lang: _read_texts(lang) for lang in EU_LANGUAGES}
    return {lang: texts for lang, texts in found.items() if texts is not None}


def default_site() -> dict[str, Any]:
    """The built-in site as a site file would state it (a fresh copy each call)."""
    site = copy.deepcopy(_STRUCTURE)
    texts = default_site_texts()
    site["texts"] = {lang: {"purposes": t["purposes"]} for lang, t in texts.items()}
    for category in site["categories"]:
        category["texts"] = {
            lang: dict(t["categories"][category["id"]]) for lang, t in texts.items()
        }
        for service in category.get("services", []):
            service["texts"] = {
                lang: dict(t["services"][service["id"]]) for lang, t in texts.items()
            }
    return site


def default_policy() -> PolicyDocument:
    """Our short summary of the policy, served while no policy file is configured."""
    text = (resources.files(__package__) / "default_policy.html").read_text(
        encoding="utf-8"
    )
    return PolicyDocument.from_text(text, "text/html")


def __getattr__(name: str) -> Any:
    # ``DEFAULT_SITE`` is read lazily: the texts are package files, and importing
    # this module reads nothing.
    if name == "DEFAULT_SITE":
        return default_site()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
