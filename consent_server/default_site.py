"""The built-in site ``default``: the three cookie categories of our privacy policy.

Texts are our own words for what the policy promises: session cookies are temporary
and always on; persistent and third-party cookies need the visitor's consent.
"""

from __future__ import annotations

from typing import Any

DEFAULT_SITE: dict[str, Any] = {
    "policy_version": "2026-01",
    "policy_url": None,
    "jurisdiction": "EU",
    "default_language": "en",
    "languages": ["en", "de", "fr", "nl"],
    "validity_days": 365,
    # A refusal is asked again sooner than a consent is, but not on every visit.
    "refusal_validity_days": 180,
    # Proof of consent is kept three years, then purged (`flask consent purge`).
    "retention_days": 1095,
    "allowed_origins": [],
    "gpc_categories": ["third_party"],
    "floating_button": True,
    "cookie": {"name": "consent", "domain": None},
    "controller": {
        "name": "Example Controller",
        "contact": "Data protection officer",
        "address": "Example Street 1, 10115 Berlin, Germany",
        "email": "privacy@example.com",
    },
    "texts": {},
    "categories": [
        {
            "id": "session",
            "required": True,
            "texts": {
                "en": {
                    "title": "Session cookies",
                    "description": "Short-lived cookies that are deleted when you "
                    "close the browser. They keep you signed in and remember your "
                    "shopping cart while you browse, so the site works at all.",
                },
                "de": {
                    "title": "Sitzungs-Cookies",
                    "description": "Kurzlebige Cookies, die beim Schließen des "
                    "Browsers gelöscht werden. Sie halten Sie angemeldet und merken "
                    "sich Ihren Warenkorb, damit die Website überhaupt funktioniert.",
                },
                "fr": {
                    "title": "Cookies de session",
                    "description": "Cookies temporaires supprimés à la fermeture du "
                    "navigateur. Ils vous gardent connecté et retiennent votre panier "
                    "pendant la navigation, pour que le site fonctionne.",
                },
                "nl": {
                    "title": "Sessiecookies",
                    "description": "Tijdelijke cookies die worden verwijderd zodra u "
                    "de browser sluit. Ze houden u ingelogd en onthouden uw "
                    "winkelwagen, zodat de site kan werken.",
                },
            },
            "cookies": [
                {
                    "name": "session",
                    "provider": "This site",
                    "duration": "Until the browser closes",
                    "party": "first",
                }
            ],
            "consent_mode": ["security_storage"],
        },
        {
            "id": "persistent",
            "required": False,
            "texts": {
                "en": {
                    "title": "Persistent cookies",
                    "description": "Cookies that stay on your device for a set time "
                    "to remember your preferences and actions across visits.",
                },
                "de": {
                    "title": "Dauerhafte Cookies",
                    "description": "Cookies, die für eine festgelegte Zeit auf Ihrem "
                    "Gerät bleiben, um Ihre Einstellungen und Aktionen über Besuche "
                    "hinweg zu speichern.",
                },
                "fr": {
                    "title": "Cookies persistants",
                    "description": "Cookies conservés sur votre appareil pendant une "
                    "durée fixée pour mémoriser vos préférences et vos actions d'une "
                    "visite à l'autre.",
                },
                "nl": {
                    "title": "Permanente cookies",
                    "description": "Cookies die een vaste tijd op uw apparaat blijven "
                    "om uw voorkeuren en handelingen tussen bezoeken te onthouden.",
                },
            },
            "cookies": [
                {
                    "name": "prefs",
                    "provider": "This site",
                    "duration": "1 year",
                    "party": "first",
                }
            ],
            "consent_mode": ["functionality_storage", "personalization_storage"],
        },
        {
            "id": "third_party",
            "required": False,
            "texts": {
                "en": {
                    "title": "Third-party cookies",
                    "description": "Cookies set by other services that run on our "
                    "pages, such as analytics that show how the site is used, or "
                    "advertising.",
                },
                "de": {
                    "title": "Drittanbieter-Cookies",
                    "description": "Cookies anderer Dienste, die auf unseren Seiten "
                    "laufen, etwa Analysen zur Nutzung der Website oder Werbung.",
                },
                "fr": {
                    "title": "Cookies tiers",
                    "description": "Cookies déposés par d'autres services présents "
                    "sur nos pages, par exemple la mesure d'audience ou la publicité.",
                },
                "nl": {
                    "title": "Cookies van derden",
                    "description": "Cookies van andere diensten op onze pagina's, "
                    "zoals statistieken over het gebruik van de site of advertenties.",
                },
            },
            "cookies": [
                {
                    "pattern": "^_ga",
                    "provider": "Google Analytics",
                    "duration": "2 years",
                    "party": "first",
                }
            ],
            "third_parties": [
                {
                    "name": "Google Analytics",
                    "url": "https://policies.google.com/privacy",
                }
            ],
            "consent_mode": [
                "analytics_storage",
                "ad_storage",
                "ad_user_data",
                "ad_personalization",
            ],
        },
    ],
}
