"""Security headers on every response and CORS for each site's own origins."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, Response, request

from .extensions import cors
from .sites import Site

# JSON and scripts never need to load anything; HTML pages set their own policy.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"


# Defaults: a view that needs another value (an HTML page's CSP) sets it first.
DEFAULT_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Content-Security-Policy", API_CSP),
    ("X-Frame-Options", "DENY"),
    ("Permissions-Policy", "browsing-topics=(), interest-cohort=()"),
)


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    # One pass over the headers (Headers.setdefault would scan once per name).
    present = {name.lower() for name, _ in headers.items()}
    for name, value in DEFAULT_HEADERS:
        if name.lower() not in present:
            headers.add(name, value)
    if response.mimetype == "text/html":
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=63072000")
    return response


def cors_resources(
    sites: dict[str, Site],
) -> dict[str | re.Pattern[str], dict[str, Any]]:
    """One flask-cors resource per site, each with that site's origins only."""
    resources: dict[str | re.Pattern[str], dict[str, Any]] = {}
    for site in sites.values():
        origins = site.config["allowed_origins"]
        if origins:
            resources[rf"^/v1/sites/{re.escape(site.id)}/.*"] = {"origins": origins}
    # A visitor's receipt file and proof are fetched by the banner on sites' pages.
    every_origin = sorted(
        {o for s in sites.values() for o in s.config["allowed_origins"]}
    )
    if every_origin:
        resources[r"^/v1/receipts/[^/]+/(file|proof)$"] = {"origins": every_origin}
    return resources


# The blueprints whose routes ``cors_resources`` can match: flask-cors checks each
# response against every pattern, so only their responses pay for it.
CORS_BLUEPRINTS = ("sites", "banner", "consents", "receipt_files", "log")


def register_security(app: Flask, sites: dict[str, Site]) -> None:
    app_hooks = list(app.after_request_funcs.get(None, []))
    cors.init_app(
        app,
        resources=cors_resources(sites),
        methods=["GET", "POST", "OPTIONS"],
        allow_headers=["Content-Type", "Idempotency-Key", "X-Consent-Token"],
        expose_headers=["ETag", "Content-Disposition"],
        supports_credentials=False,
        max_age=86400,
    )
    cors_hooks = [
        hook for hook in app.after_request_funcs[None] if hook not in app_hooks
    ]
    app.after_request_funcs[None] = app_hooks
    for name in CORS_BLUEPRINTS:
        app.after_request_funcs[name].extend(cors_hooks)
    app.after_request(add_security_headers)
