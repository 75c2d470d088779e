"""Deployment settings from ``CONSENT_*`` variables, and the site file loader."""

from __future__ import annotations

import json
import logging
import os
import secrets
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from marshmallow import ValidationError

from .default_site import default_policy, default_site
from .signing import parse_secret_keys
from .site_schema import SiteConfigSchema
from .sites import PolicyDocument
from .vocabulary import SITE_ID_RE

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 16 * 1024

DEFAULTS: dict[str, Any] = {
    "CONSENT_ENV": "development",
    "CONSENT_SECRET_KEYS": [],
    "CONSENT_SIGNING_KEYS": None,
    "CONSENT_RETIRED_SIGNING_KEYS": None,
    "CONSENT_SITES_FILE": None,
    "CONSENT_PROXY_COUNT": 0,
    "CONSENT_RATELIMIT_ENABLED": True,
    # A lost consent record is worse than a missing rate limit (issue #10).
    "CONSENT_RATELIMIT_FAIL_OPEN": True,
    "CONSENT_DB_TIMEOUT": 2.0,
    "CONSENT_RATELIMIT_RECORD": "60 per minute",
    "CONSENT_RATELIMIT_LOOKUP": "120 per minute",
    "CONSENT_RATELIMIT_VERIFY": "300 per minute",
    "CONSENT_RATELIMIT_STAFF_AUTH": "10 per minute",
    "CONSENT_AUDIT_RETENTION_DAYS": None,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    "MAX_CONTENT_LENGTH": MAX_BODY_BYTES,
    "SQLALCHEMY_DATABASE_URI": None,
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    "API_TITLE": "Consent service",
    "API_VERSION": "1.0.0",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "JSON_SORT_KEYS": False,
}


def _flag(value: str) -> bool:
    return value.strip().lower() not in {"0", "false", "no", "off"}


# Environment variable -> (config key, parser). The README lists the same table.
ENV_VARS: dict[str, tuple[str, Any]] = {
    "CONSENT_ENV": ("CONSENT_ENV", str),
    "CONSENT_DATABASE_URL": ("SQLALCHEMY_DATABASE_URI", str),
    "CONSENT_SECRET_KEYS": ("CONSENT_SECRET_KEYS", parse_secret_keys),
    # Checked by signing_keys at start-up (an error here would print the key).
    "CONSENT_SIGNING_KEYS": ("CONSENT_SIGNING_KEYS", str),
    "CONSENT_RETIRED_SIGNING_KEYS": ("CONSENT_RETIRED_SIGNING_KEYS", str),
    "CONSENT_SITES_FILE": ("CONSENT_SITES_FILE", str),
    "CONSENT_PROXY_COUNT": ("CONSENT_PROXY_COUNT", int),
    "CONSENT_RATELIMIT_STORAGE_URL": ("RATELIMIT_STORAGE_URI", str),
    "CONSENT_RATELIMIT_RECORD": ("CONSENT_RATELIMIT_RECORD", str),
    "CONSENT_RATELIMIT_LOOKUP": ("CONSENT_RATELIMIT_LOOKUP", str),
    "CONSENT_RATELIMIT_VERIFY": ("CONSENT_RATELIMIT_VERIFY", str),
    "CONSENT_RATELIMIT_STAFF_AUTH": ("CONSENT_RATELIMIT_STAFF_AUTH", str),
    "CONSENT_AUDIT_RETENTION_DAYS": ("CONSENT_AUDIT_RETENTION_DAYS", int),
    "CONSENT_RATELIMIT_ENABLED": ("CONSENT_RATELIMIT_ENABLED", _flag),
    "CONSENT_RATELIMIT_FAIL_OPEN": ("CONSENT_RATELIMIT_FAIL_OPEN", _flag),
    "CONSENT_DB_TIMEOUT": ("CONSENT_DB_TIMEOUT", float),
}


class ConfigError(RuntimeError):
    """The deployment settings or the site file are unusable; start-up stops."""


def from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    """Read the ``CONSENT_*`` variables that are set into config keys."""
    out: dict[str, Any] = {}
    for name, (key, parse) in ENV_VARS.items():
        raw = environ.get(name)
        if raw is None or raw == "":
            continue
        try:
            out[key] = parse(raw)
        except ValueError as exc:
            raise ConfigError(f"{name}={raw!r} is not valid: {exc}") from exc
    return out


def _flatten(messages: Any, prefix: str = "") -> list[str]:
    if isinstance(messages, dict):
        out: list[str] = []
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            out.extend(_flatten(value, name))
        return out
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [f"{prefix}: {' '.join(messages)}"]
    return [f"{prefix}: {messages}"]


def validate_site(site_id: str, raw: Any, source: str) -> dict[str, Any]:
    """Validate one site's settings; the error names the source, site and field."""
    import re

    if not isinstance(site_id, str) or not re.fullmatch(SITE_ID_RE, site_id):
        raise ConfigError(
            f"{source}: site id {site_id!r} must be 1-64 lowercase letters, digits, "
            "'-' or '_'"
        )
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: site {site_id!r} must be a table")
    try:
        loaded: dict[str, Any] = SiteConfigSchema().load(raw)
    except ValidationError as exc:
        problems = "; ".join(_flatten(exc.messages))
        raise ConfigError(f"{source}: site {site_id!r}: {problems}") from exc
    return loaded


def load_sites(path: str | os.PathLike[str] | None) -> dict[str, dict[str, Any]]:
    """Return the validated sites: the built-in ``default`` plus the file's sites.

    A site in the file with the id ``default`` replaces the built-in one.
    """
    built_in_raw = default_site()
    raw_sites: dict[str, Any] = {"default": built_in_raw}
    source = "built-in default site"
    if path:
        source = str(path)
        file = Path(path)
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{source}: cannot read the site file: {exc}") from exc
        try:
            data = json.loads(text) if file.suffix == ".json" else tomllib.loads(text)
        except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
            raise ConfigError(f"{source}: not valid TOML/JSON: {exc}") from exc
        sites = data.get("sites") if isinstance(data, dict) else None
        if not isinstance(sites, dict) or not sites:
            raise ConfigError(f"{source}: needs at least one [sites.<id>] table")
        raw_sites.update(sites)
    sites = {sid: validate_site(sid, raw, source) for sid, raw in raw_sites.items()}
    base = Path(path).parent if path else Path.cwd()
    for sid, site in sites.items():
        if site["policy_file"]:
            site["policy_document"] = read_policy(
                base / site["policy_file"], source, sid
            )
    built_in = sites["default"]
    if raw_sites["default"] is built_in_raw and not built_in["policy_file"]:
        # The built-in site serves our summary of its policy, pinned like a file.
        built_in["policy_document"] = default_policy()
    return sites


# Policy documents are served with the type their name says; anything else is text.
POLICY_MEDIA_TYPES = {".md": "text/markdown", ".html": "text/html", ".htm": "text/html"}
MAX_POLICY_BYTES = 1024 * 1024


def read_policy(path: Path, source: str, site_id: str) -> PolicyDocument:
    """Read a site's policy document; the error names the site and the file."""
    try:
        data = path.read_bytes()
        if len(data) > MAX_POLICY_BYTES:
            raise ValueError(f"larger than {MAX_POLICY_BYTES // 1024} KiB")
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(
            f"{source}: site {site_id!r}: policy_file {str(path)!r} cannot be read "
            f"as UTF-8 text: {exc}"
        ) from exc
    media_type = POLICY_MEDIA_TYPES.get(path.suffix.lower(), "text/plain")
    return PolicyDocument.from_text(text, media_type)


def secret_keys() -> list[str]:
    """The configured token keys of the current app, newest first (one accessor)."""
    from flask import current_app

    keys: list[str] = current_app.config["CONSENT_SECRET_KEYS"]
    return keys


def dev_secret_key(instance_path: str) -> str:
    """Read or create the development signing key in the instance folder."""
    key_file = Path(instance_path) / "dev-secret-key"
    if key_file.exists():
        return key_file.read_text(encoding="utf-8").strip()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(key)
    return key
