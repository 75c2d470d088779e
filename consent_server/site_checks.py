"""Checks a production server makes of its sites before it starts (issue #11).

A notice that names a placeholder controller tells visitors nothing about who
holds their data: production refuses to start until each site names its own.
"""

from __future__ import annotations

import re
from typing import Any

from .config import ConfigError

# A name left from an example: "Example Controller", "Example Shop GmbH".
_PLACEHOLDER_NAME = re.compile(r"^\s*example\b", re.IGNORECASE)
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


def check_production_sites(configs: dict[str, dict[str, Any]]) -> None:
    """Refuse to start while a site's controller or contact is a placeholder."""
    problems = [
        f"site {site_id!r}: controller.{field} {why}"
        for site_id, config in configs.items()
        for field, why in placeholder_fields(config["controller"])
    ]
    if problems:
        raise ConfigError(
            "CONSENT_ENV=production needs each site's real controller and contact "
            "(visitors read them in the banner): " + "; ".join(problems)
        )
