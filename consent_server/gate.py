"""Consent checks for a site's own Flask backend: no network, no database.

The banner keeps the signed token in a first-party cookie; this module verifies it
with the shared keys, so a view or template can ask "may I?" per category::

    from consent_server.gate import ConsentGate, consent_required

    gate = ConsentGate(secret_keys=["..."], site="default", policy_version="2026-01")
    gate.init_app(app)          # adds consent_granted() to Jinja, g.consent per request

    @app.get("/analytics")
    @consent_required("third_party")
    def analytics(): ...
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Flask, abort, current_app, g, has_request_context, request

from .signing import TokenClaims, TokenInvalid, read_receipt

F = TypeVar("F", bound=Callable[..., Any])

EXTENSION_KEY = "consent_gate"


class ConsentGate:
    """Reads the consent cookie of the current request and answers per category."""

    def __init__(
        self,
        app: Flask | None = None,
        *,
        secret_keys: list[str] | None = None,
        site: str = "default",
        policy_version: str | None = None,
        cookie_name: str = "consent",
    ) -> None:
        self.secret_keys = list(secret_keys or [])
        self.site = site
        self.policy_version = policy_version
        self.cookie_name = cookie_name
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        if not self.secret_keys:
            keys = app.config.get("CONSENT_SECRET_KEYS") or []
            self.secret_keys = [keys] if isinstance(keys, str) else list(keys)
        if not self.secret_keys:
            raise RuntimeError("ConsentGate needs secret_keys or CONSENT_SECRET_KEYS")
        app.extensions[EXTENSION_KEY] = self
        app.jinja_env.globals["consent_granted"] = consent_granted
        app.jinja_env.tests["consent_granted"] = consent_granted

    def claims(self) -> TokenClaims | None:
        """The verified claims of this request's cookie, or None (read once)."""
        if "consent_claims" in g:
            return cast(TokenClaims | None, g.consent_claims)
        g.consent_claims = self._read(request.cookies.get(self.cookie_name))
        return cast(TokenClaims | None, g.consent_claims)

    def _read(self, token: str | None) -> TokenClaims | None:
        if not token or len(token) > 4096:
            return None
        try:
            claims = read_receipt(self.secret_keys, token)
        except TokenInvalid:
            return None
        if claims.site != self.site:
            return None
        if self.policy_version and claims.policy_version != self.policy_version:
            return None  # consent given under an older policy no longer counts
        return claims

    def granted(self, category: str) -> bool:
        claims = self.claims()
        return claims is not None and category in claims.granted


def _gate() -> ConsentGate:
    gate = current_app.extensions.get(EXTENSION_KEY)
    if gate is None:
        raise RuntimeError("call ConsentGate(...).init_app(app) first")
    return cast(ConsentGate, gate)


def consent_granted(category: str) -> bool:
    """True when the request's verified consent cookie grants ``category``."""
    if not has_request_context():
        return False
    return _gate().granted(category)


def consent_required(category: str, status: int = 403) -> Callable[[F], F]:
    """View decorator: answer ``status`` unless ``category`` is granted."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not consent_granted(category):
                abort(status, description=f"Consent for {category!r} is required.")
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorator
