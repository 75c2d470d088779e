"""Staff access: the API under /v1/admin and the web UI under /admin/."""

from __future__ import annotations

from flask import Flask

from ..extensions import api as smorest_api
from .auth import SECURITY_SCHEME


def register_admin(app: Flask) -> None:
    """Register the staff API (documented, with its security scheme) and the UI."""
    from . import archive_endpoints, endpoints, ui

    smorest_api.spec.components.security_scheme(
        SECURITY_SCHEME,
        {
            "type": "http",
            "scheme": "bearer",
            "description": "A staff token from `flask consent token create`",
        },
    )
    smorest_api.register_blueprint(endpoints.blp)
    smorest_api.register_blueprint(archive_endpoints.blp)
    ui.register_ui(app)
