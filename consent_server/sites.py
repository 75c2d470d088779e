"""Sites and their notices: what a visitor is shown, in one language, and its hash."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from flask import current_app

from .errors import UnknownSite
from .notice_content import build_notice


def canonical_json(data: Any) -> bytes:
    """The one byte form a notice is hashed in: sorted keys, no spaces, UTF-8."""
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


def notice_hash(notice: dict[str, Any]) -> str:
    """The SHA-256 of a notice's canonical JSON, without its own ``notice`` field.

    The one notice hash: receipts name it, staff re-check stored notices with it.
    """
    body = {k: v for k, v in notice.items() if k != "notice"}
    return hashlib.sha256(canonical_json(body)).hexdigest()


def match_language(requested: str | None, languages: list[str]) -> str | None:
    """The site language a tag asks for (``de-AT`` -> ``de``), or None.

    Tags compare case-insensitively (BCP 47); the answer is the site's spelling.
    The one language matcher of the server: notices, decisions and pages use it.
    """
    if not requested:
        return None
    by_lower = {lang.lower(): lang for lang in languages}
    requested = requested.lower()
    for candidate in (requested, requested.split("-")[0]):
        if candidate in by_lower:
            return by_lower[candidate]
    return None


def pick_language(requested: str | None, languages: list[str], default: str) -> str:
    """``de-AT`` falls back to ``de``; an unknown language to the site's default."""
    return match_language(requested, languages) or default


@dataclass(frozen=True)
class PolicyDocument:
    """A site's policy text as served, pinned by its SHA-256 in every notice."""

    text: str
    media_type: str
    sha256: str

    @classmethod
    def from_text(cls, text: str, media_type: str) -> PolicyDocument:
        return cls(text, media_type, hashlib.sha256(text.encode("utf-8")).hexdigest())


@dataclass
class Site:
    """One configured site: its settings and its notices, one per language."""

    id: str
    config: dict[str, Any]
    notices: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_hash: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for lang in self.config["languages"]:
            notice = self._build_notice(lang)
            digest = notice_hash(notice)
            self.notices[lang] = {**notice, "notice": digest}
            self.by_hash[digest] = lang

    @property
    def categories(self) -> list[dict[str, Any]]:
        categories: list[dict[str, Any]] = self.config["categories"]
        return categories

    # Cached: a site's configuration does not change after start-up, and every
    # decision asks for these.
    @cached_property
    def category_ids(self) -> list[str]:
        return [c["id"] for c in self.categories]

    @cached_property
    def required_ids(self) -> set[str]:
        return {c["id"] for c in self.categories if c["required"]}

    @cached_property
    def optional_ids(self) -> tuple[str, ...]:
        return tuple(c["id"] for c in self.categories if not c["required"])

    @cached_property
    def services_of(self) -> dict[str, tuple[str, ...]]:
        """Category id -> the ids of its services (empty for most)."""
        return {c["id"]: tuple(s["id"] for s in c["services"]) for c in self.categories}

    @cached_property
    def service_ids(self) -> tuple[str, ...]:
        return tuple(s for ids in self.services_of.values() for s in ids)

    @cached_property
    def choice_keys(self) -> tuple[str, ...]:
        """Everything a decision says yes or no to: categories, then services."""
        return (*self.category_ids, *self.service_ids)

    @cached_property
    def optional_keys(self) -> tuple[str, ...]:
        """The optional categories and their services."""
        return tuple(
            key for cat in self.optional_ids for key in (cat, *self.services_of[cat])
        )

    @property
    def policy(self) -> PolicyDocument | None:
        """The policy document named by ``policy_file``, read at start-up."""
        document: PolicyDocument | None = self.config.get("policy_document")
        return document

    @property
    def policy_version(self) -> str:
        version: str = self.config["policy_version"]
        return version

    def notice(self, lang: str | None) -> dict[str, Any]:
        """The notice in the requested language or the site's fallback."""
        chosen = pick_language(
            lang, self.config["languages"], self.config["default_language"]
        )
        return self.notices[chosen]

    def _build_notice(self, lang: str) -> dict[str, Any]:
        return build_notice(
            self.id, self.config, lang, self.policy.sha256 if self.policy else None
        )


def build_sites(configs: dict[str, dict[str, Any]]) -> dict[str, Site]:
    """Make ``Site`` objects (and so all notice hashes) once, at start-up."""
    return {sid: Site(sid, cfg) for sid, cfg in configs.items()}


def get_site(site_id: str) -> Site:
    """The configured site, or a 404 problem."""
    sites: dict[str, Site] = current_app.extensions["consent_sites"]
    site = sites.get(site_id)
    if site is None:
        raise UnknownSite(f"There is no site {site_id!r} on this server.")
    return site


def all_sites() -> dict[str, Site]:
    sites: dict[str, Site] = current_app.extensions["consent_sites"]
    return sites
