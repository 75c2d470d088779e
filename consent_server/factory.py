"""The application factory: configuration, extensions, blueprints, CLI."""

from __future__ import annotations

import logging
import math
import os
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from limits import parse_many
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import DEFAULTS, ConfigError, dev_secret_key, from_env, load_sites
from .database import checked_timeout, engine_options, replace_closed_connections
from .extensions import api as smorest_api
from .extensions import db, limiter, migrate
from .limiter import storage_options
from .signing import parse_secret_keys
from .signing_keys import SigningKeyError, configure_signing_keys
from .site_checks import check_production_sites
from .sites import build_sites

log = logging.getLogger(__name__)

_PACKAGE_DIR = Path(__file__).resolve().parent


def _data_dir(name: str, marker: str) -> Path:
    """``migrations/`` and ``static/`` sit at the top of the repository, and inside
    the package once installed: the one that holds ``marker``."""
    candidates = (_PACKAGE_DIR / name, _PACKAGE_DIR.parent / name)
    return next((p for p in candidates if (p / marker).exists()), candidates[1])


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: defaults < ``CONSENT_*`` environment < ``overrides``."""
    static = _data_dir("static", "banner.js")
    app = Flask(
        "consent_server", instance_relative_config=True, static_folder=str(static)
    )
    configure(app, overrides)
    register_extensions(app)
    register_blueprints(app)
    register_cli(app)
    return app


ENVIRONMENTS = ("development", "production")


def configure(app: Flask, overrides: Mapping[str, Any] | None) -> None:
    app.config.update(DEFAULTS)
    app.config.update(from_env(os.environ))
    app.config.update(overrides or {})
    env = str(app.config["CONSENT_ENV"]).strip().lower()
    if env not in ENVIRONMENTS:
        # "prod" or "Production" must not quietly run on a development key.
        raise ConfigError(
            f"CONSENT_ENV={app.config['CONSENT_ENV']!r} is not one of {ENVIRONMENTS}"
        )
    app.config["CONSENT_ENV"] = env
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        db_file = Path(app.instance_path) / "consent.sqlite3"
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{db_file}"
    _configure_secret_keys(app)
    try:
        configure_signing_keys(app)
    except SigningKeyError as exc:
        raise ConfigError(str(exc)) from exc
    configs = load_sites(app.config["CONSENT_SITES_FILE"])
    if env == "production":
        check_production_sites(configs)
    app.extensions["consent_sites"] = build_sites(configs)
    app.extensions["consent_stored_notices"] = set()
    _configure_bounds(app)
    app.config["RATELIMIT_ENABLED"] = bool(app.config["CONSENT_RATELIMIT_ENABLED"])
    _check_rate_limits(app)
    audit_days = app.config["CONSENT_AUDIT_RETENTION_DAYS"]
    if audit_days is not None and (not isinstance(audit_days, int) or audit_days < 1):
        raise ConfigError("CONSENT_AUDIT_RETENTION_DAYS must be a whole number of days")
    proxies = int(app.config["CONSENT_PROXY_COUNT"])
    if proxies < 0:
        raise ConfigError("CONSENT_PROXY_COUNT must be 0 or more")
    if proxies:
        # Trust X-Forwarded-For only for as many hops as the operator declared.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )


RATE_LIMIT_SETTINGS = (
    "CONSENT_RATELIMIT_RECORD",
    "CONSENT_RATELIMIT_LOOKUP",
    "CONSENT_RATELIMIT_VERIFY",
    "CONSENT_RATELIMIT_STAFF_AUTH",
)


def _configure_bounds(app: Flask) -> None:
    """Time limits on every wait for the database and the rate-limit storage."""
    timeout = checked_timeout(app.config["CONSENT_DB_TIMEOUT"])
    app.config["CONSENT_DB_TIMEOUT"] = timeout
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(
        app.config["SQLALCHEMY_DATABASE_URI"],
        timeout,
        app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {},
    )
    app.config["RATELIMIT_STORAGE_OPTIONS"] = storage_options(
        app.config["RATELIMIT_STORAGE_URI"],
        app.config.get("RATELIMIT_STORAGE_OPTIONS") or {},
    )
    app.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] = bool(
        app.config["CONSENT_RATELIMIT_FAIL_OPEN"]
    )


def _check_rate_limits(app: Flask) -> None:
    """Limits are parsed when first used: a typo would be a 500 on every request."""
    for name in RATE_LIMIT_SETTINGS:
        value = app.config[name]
        try:
            if not isinstance(value, str) or not parse_many(value):
                raise ValueError("empty")
        except ValueError as exc:
            raise ConfigError(
                f"{name}={value!r} is not a rate limit such as '60 per minute': {exc}"
            ) from exc


def _configure_secret_keys(app: Flask) -> None:
    keys = parse_secret_keys(app.config["CONSENT_SECRET_KEYS"])
    if not keys:
        if app.config["CONSENT_ENV"] == "production":
            raise ConfigError(
                "CONSENT_SECRET_KEYS is not set; production needs at least one key"
            )
        keys = [dev_secret_key(app.instance_path)]
        log.warning(
            "!!! CONSENT_SECRET_KEYS is not set: using a generated DEVELOPMENT key "
            "from %s. Tokens signed with it mean nothing elsewhere. Set "
            "CONSENT_SECRET_KEYS before going live. !!!",
            app.instance_path,
        )
    short = [k for k in keys if len(k) < 16]
    if short:
        raise ConfigError("every key in CONSENT_SECRET_KEYS needs 16+ characters")
    if app.config["CONSENT_ENV"] == "production":
        weak = [
            i for i, key in enumerate(keys, 1) if estimated_bits(key) < MIN_KEY_BITS
        ]
        if weak:
            raise ConfigError(
                f"CONSENT_SECRET_KEYS: key(s) {weak} look guessable (under "
                f"{MIN_KEY_BITS} bits by their characters); make one with "
                "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
    app.config["CONSENT_SECRET_KEYS"] = keys
    # Flask's own signing (staff sessions) uses the newest key.
    app.config.setdefault("SECRET_KEY", None)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = keys[0]


# A production key must not be guessable: one repeated character, a word.
MIN_KEY_BITS = 80


def estimated_bits(key: str) -> float:
    """A key's entropy estimated from its character frequencies (an upper bound
    for keys made by people, close for random ones)."""
    counts = Counter(key)
    n = len(key)
    per_char = -sum(c / n * math.log2(c / n) for c in counts.values())
    return per_char * n


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """WAL lets readers and one writer work at once (the busy timeout, how long to
    wait for the writer, is ``CONSENT_DB_TIMEOUT``: see ``database.engine_options``)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # Deleted and overwritten content is zeroed, not left in free space: an erased
    # subject must not be readable from the file (issue #10).
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def register_extensions(app: Flask) -> None:
    from .security import register_security

    db.init_app(app)
    with app.app_context():
        # This app's engines only: a host process's other SQLite databases keep
        # their own settings (a listener on ``Engine`` would reach them all).
        for engine in db.engines.values():
            if engine.dialect.name == "sqlite":
                event.listen(engine, "connect", _sqlite_pragmas)
            replace_closed_connections(engine)
    migrate.init_app(app, db, directory=str(_data_dir("migrations", "env.py")))
    limiter.init_app(app)
    smorest_api.init_app(app)
    register_security(app, app.extensions["consent_sites"])


def register_blueprints(app: Flask) -> None:
    from .admin import register_admin
    from .api import register_api
    from .demo import blp as demo_blp

    register_api()
    app.register_blueprint(demo_blp)
    register_admin(app)


def register_cli(app: Flask) -> None:
    from .cli import consent_cli

    app.cli.add_command(consent_cli)
