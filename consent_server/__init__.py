"""Consent service: signed consent receipts for a cookie banner.

``create_app`` is the server's only entry point: ``flask --app consent_server run``
and ``gunicorn "consent_server:create_app()"`` both call it. It is loaded on first
use, so that ``consent_server.gate`` and ``consent_server.verify`` import with only
Flask and itsdangerous installed, and importing them does no work (issue #8).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["create_app", "ConfigError"]

if TYPE_CHECKING:
    from .config import ConfigError
    from .factory import create_app


def __getattr__(name: str) -> Any:
    """Load the server (and its dependencies) only when it is asked for."""
    if name == "create_app":
        try:
            from .factory import create_app
        except ModuleNotFoundError as exc:
            raise ModuleNotFoundError(
                f"The consent service needs its server dependencies ({exc.name} is "
                "missing): pip install 'consent-server[server]'",
                name=exc.name,
            ) from exc
        return create_app
    if name == "ConfigError":
        from .config import ConfigError

        return ConfigError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
