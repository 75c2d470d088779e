"""Public API blueprints, mounted under /v1 (health checks at the root)."""

from __future__ import annotations

from ..extensions import api
from . import banner, consents, health, jwks, receipts, sites


def register_api() -> None:
    """Register every public blueprint on the bound ``api``."""
    for module in (sites, banner, consents, receipts, health, jwks):
        api.register_blueprint(module.blp)
