"""Consent checks for a site's own Flask backend: no network, no database.

The banner keeps the signed token in a first-party cookie; this module verifies it
with the shared keys (through ``consent_server.verify``), so a view or template can
ask "may I?" per category::

    from consent_server.gate import ConsentGate, consent_required

    gate = ConsentGate(site="default", policy_version="2026-06")
    gate.init_app(app)  # keys from CONSENT_SECRET_KEYS; consent_granted() in Jinja

    @app.get("/analytics")
    @consent_required("third_party")
    def analytics(): ...

Needs only Flask and itsdangerous (``pip install "consent-server[flask]"``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from flask import Flask, abort, current_app, g, has_request_context, request

from .signing import TokenClaims, parse_secret_keys
from .verify import ConsentCheck, verify_consent

F = TypeVar("F", bound=Callable[..., Any])

EXTENSION_KEY = "consent_gate"


@dataclass(frozen=True)
class _Bound:
    """A gate's settings on one app: the keys are resolved once, in ``init_app``."""

    gate: ConsentGate
    secret_keys: tuple[str, ...]


class ConsentGate:
    """Reads the consent cookie of the current request and answers per category.

    ``policy_version`` is required: consent given under another version of the
    policy no longer counts. ``secret_keys`` (a list or a comma-separated string,
    newest first) default to the app's ``CONSENT_SECRET_KEYS``.
    """

    def __init__(
        self,
        app: Flask | None = None,
        *,
        policy_version: str,
        site: str = "default",
        secret_keys: str | Iterable[str] | None = None,
        cookie_name: str = "consent",
    ) -> None:
        if not isinstance(policy_version, str) or not policy_version:
            raise ValueError("ConsentGate needs the site's policy_version")
        self.policy_version = policy_version
        self.site = site
        self.secret_keys = parse_secret_keys(secret_keys)
        self.cookie_name = cookie_name
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        keys = self.secret_keys or parse_secret_keys(
            app.config.get("CONSENT_SECRET_KEYS")
        )
        if not keys:
            raise RuntimeError("ConsentGate needs secret_keys or CONSENT_SECRET_KEYS")
        app.extensions[EXTENSION_KEY] = _Bound(self, tuple(keys))
        app.jinja_env.globals["consent_granted"] = consent_granted
        app.jinja_env.tests["consent_granted"] = consent_granted

    def check(self) -> ConsentCheck:
        """This request's cookie, verified once per request."""
        if "consent_check" not in g:
            bound = _bound()
            g.consent_check = verify_consent(
                request.cookies.get(self.cookie_name),
                secret_keys=bound.secret_keys,
                site=self.site,
                policy_version=self.policy_version,
            )
        return cast(ConsentCheck, g.consent_check)

    def claims(self) -> TokenClaims | None:
        """The verified decision of this request's cookie, or None."""
        return self.check().decision

    def granted(self, category: str) -> bool:
        return self.check().granted(category)


def _bound() -> _Bound:
    bound = current_app.extensions.get(EXTENSION_KEY)
    if bound is None:
        raise RuntimeError("call ConsentGate(...).init_app(app) first")
    return cast(_Bound, bound)


def consent_granted(category: str) -> bool:
    """True when the request's verified consent cookie grants ``category``."""
    if not has_request_context():
        return False
    return _bound().gate.granted(category)


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
