"""Checks a production server makes of its sites before it starts (issue #11).

A notice that names a placeholder controller tells visitors nothing about who
holds their data, one without a policy leaves them nothing to read, and a third
party without a country hides where their data go: production refuses to start
until each site says all three.
"""

from __future__ import annotations

import re
from typing import Any

from .config import ConfigError

# A name left from an example or a template: "Example Controller", "Example Shop
# GmbH", "Your Company", "Company Name", "Lorem ipsum", "TODO". (Not "ACME": real
# companies bear it, and production would refuse them with no way round.)
_PLACEHOLDER_NAME = re.compile(
    r"^\s*(?:example|lorem|todo|tbd|changeme|your\s+(?:company|organi[sz]ation|"
    r"business|name)|company\s+name)\b",
    re.IGNORECASE,
)
# Domains reserved for examples (RFC 2606, RFC 6761): no real mailbox lives there.
_EXAMPLE_DOMAIN = re.compile(
    r"(?:^|[@./\s])"
    r"(?:example\.(?:com|net|org)|[a-z0-9-]+\.(?:example|invalid|test|localhost))"
    r"(?![a-z0-9.-])",
    re.IGNORECASE,
)
_EXAMPLE_WORD = re.compile(r"\bexample\b", re.IGNORECASE)


def placeholder_fields(controller: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, why) for every controller field still holding a placeholder."""
    found: list[tuple[str, str]] = []
    name = controller.get("name") or ""
    if _PLACEHOLDER_NAME.search(name):
        found.append(("name", f"{name!r} is an example name"))
    for field in ("email", "contact"):
        value = (controller.get(field) or "").strip()
        if not value:
            found.append((field, "is empty"))
        elif _EXAMPLE_DOMAIN.search(value):
            found.append((field, f"{value!r} is at a domain reserved for examples"))
    address = controller.get("address") or ""
    if _EXAMPLE_WORD.search(address) or _EXAMPLE_DOMAIN.search(address):
        found.append(("address", f"{address!r} is an example address"))
    return found


def missing_information(config: dict[str, Any]) -> list[str]:
    """What a site's notice leaves out that visitors must read before they decide."""
    found = [
        f"controller.{field} {why}"
        for field, why in placeholder_fields(config["controller"])
    ]
    if not config["policy_url"] and config.get("policy_document") is None:
        found.append("names no privacy policy (set policy_url or policy_file)")
    for category in config["categories"]:
        for party in category["third_parties"]:
            if not party.get("country"):
                found.append(
                    f"third party {party['name']!r} of {category['id']!r} names no "
                    "country (where its data go)"
                )
    return found


def check_production_sites(configs: dict[str, dict[str, Any]]) -> None:
    """Refuse to start while a site's controller or contact is a placeholder, it
    names no policy, or one of its third parties names no country."""
    problems = [
        f"site {site_id!r}: {problem}"
        for site_id, config in configs.items()
        for problem in missing_information(config)
    ]
    if problems:
        raise ConfigError(
            "CONSENT_ENV=production needs each site's real controller and contact, "
            "its policy and its recipients' countries (visitors read them in the "
            "banner): " + "; ".join(problems)
        )
