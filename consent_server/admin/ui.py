"""Staff web UI under /admin/: token sign-in into a session, server-rendered pages.

``ui_session`` signs staff in and out (HttpOnly, SameSite=Strict cookie scoped to
/admin, Secure on https; a CSRF token on every POST) and ``ui_pages`` holds what
they see; this module holds what both share. Pages load nothing but /static/admin/
under a strict Content-Security-Policy, and a ``Problem`` raised anywhere in the UI
becomes its HTML error page, where the API answers it as problem+json.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, render_template

from .. import audit
from ..errors import Problem

bp = Blueprint("admin_ui", __name__, url_prefix="/admin")

UI_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


def register_ui(app: Flask) -> None:
    """Give staff their own session cookie and mount the UI under /admin/."""
    # Importing the page modules puts their hooks and views on ``bp``.
    from . import ui_pages, ui_records  # noqa: F401
    from .ui_session import StaffSessionInterface

    app.session_interface = StaffSessionInterface()
    app.register_blueprint(bp)


def render(template: str, status: int = 200, **context: Any) -> Response:
    """A rendered page with its status, which the template sees as ``status``."""
    response = Response(render_template(template, status=status, **context))
    response.status_code = status
    return response


@bp.errorhandler(Problem)
def _error_page(problem: Problem) -> Response:
    """A ``Problem`` raised in the UI, as its HTML error page."""
    return render("admin/error.html", problem.status, message=problem.detail)


@bp.after_request
def _after(response: Response) -> Response:
    """Lock every UI answer down and audit the request."""
    response.headers["Content-Security-Policy"] = UI_CSP
    response.headers["Cache-Control"] = "no-store"
    # Staff URLs can name subjects: never send them to another origin.
    response.headers["Referrer-Policy"] = "same-origin"
    return audit.record_request(response, "ui")
