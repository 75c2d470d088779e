"""Site files for tests: a small valid site as a dict, written out as TOML."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

SHOP_ORIGIN = "https://shop.example.com"
BLOG_ORIGIN = "https://blog.example.org"


def shop_site(**overrides: Any) -> dict[str, Any]:
    """A valid two-category site; ``overrides`` replace top-level fields."""
    site: dict[str, Any] = {
        "policy_version": "1",
        "validity_days": 30,
        "refusal_validity_days": 10,
        "allowed_origins": [SHOP_ORIGIN],
        "gpc_categories": ["analytics"],
        "controller": {"name": "Shop Ltd", "email": "privacy@shop.example.com"},
        "categories": [
            {
                "id": "necessary",
                "required": True,
                "texts": {"en": {"title": "Necessary", "description": "Needed."}},
            },
            {
                "id": "analytics",
                "texts": {
                    "en": {"title": "Analytics", "description": "Counting visits."},
                    "de": {"title": "Statistik", "description": "Besuche zaehlen."},
                },
                "cookies": [
                    {"pattern": "^_ga", "provider": "Google", "party": "first"}
                ],
            },
        ],
    }
    site.update(copy.deepcopy(overrides))
    return site


def blog_site(**overrides: Any) -> dict[str, Any]:
    return shop_site(allowed_origins=[BLOG_ORIGIN], **overrides)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string for plain text
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        items = (
            f"{json.dumps(k)} = {_value(v)}" for k, v in value.items() if v is not None
        )
        return "{" + ", ".join(items) + "}"
    raise TypeError(f"cannot write {value!r} as TOML")


def to_toml(sites: dict[str, dict[str, Any]]) -> str:
    """``{"shop": {...}}`` -> a ``[sites.shop]`` TOML document (inline tables)."""
    lines: list[str] = []
    for site_id, fields in sites.items():
        lines.append(f"[sites.{json.dumps(site_id)}]")
        lines.extend(
            f"{key} = {_value(v)}" for key, v in fields.items() if v is not None
        )
        lines.append("")
    return "\n".join(lines)


def write_sites(path: Path, sites: dict[str, dict[str, Any]]) -> Path:
    path.write_text(to_toml(sites), encoding="utf-8")
    return path
