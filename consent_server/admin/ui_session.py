"""Staff UI sessions: the locked-down cookie, sign-in and sign-out, expiry, CSRF."""

from __future__ import annotations

import hmac
import secrets
import time
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Flask,
    Request,
    Response,
    flash,
    g,
    redirect,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from werkzeug.wrappers import Response as BaseResponse

from ..errors import Problem
from ..staff import (
    authenticate,
    end_session,
    session_open,
    staff_by_id,
    start_session,
)
from .auth import count_failure, too_many_failures
from .ui import bp, render

IDLE_SECONDS = 30 * 60
MAX_AGE_SECONDS = 8 * 3600
_PUBLIC = {"admin_ui.sign_in"}


class StaffSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, locked down for the staff UI."""

    salt = "consent-admin-session"

    def get_cookie_name(self, app: Flask) -> str:
        return "consent_admin"

    def get_cookie_path(self, app: Flask) -> str:
        return "/admin"

    def get_cookie_httponly(self, app: Flask) -> bool:
        return True

    def get_cookie_samesite(self, app: Flask) -> str:
        return "Strict"

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(request.is_secure) or bool(app.config.get("SESSION_COOKIE_SECURE"))

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        # Only the staff UI has sessions: elsewhere a null session, which Flask
        # neither signs nor saves (and which refuses writes), costs nothing.
        path = self.get_cookie_path(app)
        if request.path != path and not request.path.startswith(path + "/"):
            return self.make_null_session(app)
        # A page without a staff cookie: skip building a signer.
        if self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)


class CsrfRejected(Problem):
    """A form sent without this session's CSRF token, or from another origin."""

    status = 400
    type = "csrf-rejected"
    title = "Form refused"


def csrf_token() -> str:
    """This session's CSRF token, made on first use."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return str(token)


@bp.app_template_global("admin_csrf_token")
def _csrf_global() -> str:
    """``admin_csrf_token()`` in templates, for every form."""
    return csrf_token()


def _check_csrf() -> None:
    """Refuse a POST without this session's CSRF token or from another origin."""
    sent = request.form.get("csrf_token", "")
    expected = session.get("csrf", "")
    if not sent or not expected or not hmac.compare_digest(sent, expected):
        raise CsrfRejected(
            "This form was not sent from this page or has expired. Go back, reload "
            "the page and try again."
        )
    origin = request.headers.get("Origin")
    if origin and origin != request.host_url.rstrip("/"):
        raise CsrfRejected("This form was sent from another site and was refused.")


@bp.before_request
def _load_session() -> Response | None:
    """Sign the session's staff member in (or out when expired); check POSTs."""
    g.staff = None
    notice = None
    token_id = session.get("tid")
    now = int(time.time())
    if token_id is not None:
        too_old = now - int(session.get("iat", 0)) > MAX_AGE_SECONDS
        idle = now - int(session.get("seen", 0)) > IDLE_SECONDS
        ended = not session_open(str(session.get("sid", "")), int(token_id))
        staff = None if too_old or idle or ended else staff_by_id(int(token_id))
        if staff is None:
            for key in ("tid", "iat", "seen", "sid"):
                session.pop(key, None)
            notice = (
                "Your session has expired. Sign in again."
                if too_old or idle
                else "You are signed out."
                if ended
                else "Your token has been revoked. Sign in with another token."
            )
        else:
            g.staff = staff
            if now - int(session.get("seen", 0)) >= 60:
                session["seen"] = now
    if request.method == "POST":
        _check_csrf()
    if g.staff is None and request.endpoint not in _PUBLIC:
        # A page asked for without a session: the sign-in form, as a page (200).
        return _sign_in_page(notice or "Sign in to continue.")
    return None


def _sign_in_page(
    message: str | None, status: int = 200, error: str | None = None
) -> Response:
    """The sign-in form, coming back to the page asked for after signing in."""
    next_url = request.full_path if request.method == "GET" else None
    return render(
        "admin/sign_in.html",
        status,
        message=message,
        error=error,
        next_url=_safe_next(next_url),
    )


def _safe_next(target: str | None) -> str | None:
    """``target`` when it is a staff page of this site to go on to, else None."""
    if not target or len(target) > 2048:
        return None
    # Control characters (CR/LF in a Location header) or backslashes (read as "/"
    # by browsers): never a page to go on to (issue #10).
    if any(ord(c) < 0x20 or c in "\x7f\\" for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/admin/"):
        return None
    if parts.path.startswith("/admin/sign-"):
        return None
    return target.rstrip("?")


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Any:
    """The sign-in form (GET) and signing in with a staff token (POST)."""
    if request.method == "GET":
        if g.staff is not None:
            return redirect(url_for("admin_ui.receipts"))
        csrf_token()
        return _sign_in_page(None)
    if too_many_failures():
        return _sign_in_page(
            None, 429, "Too many failed sign-ins from here; wait a minute."
        )
    staff = authenticate(request.form.get("token", "").strip())
    if staff is None:
        count_failure()
        return _sign_in_page(None, 401, "That token is not valid or has been revoked.")
    if not staff.may("auditor"):
        return _sign_in_page(
            None, 403, "A recorder token records decisions; it cannot sign in here."
        )
    # A fresh session on sign-in: nothing from before survives (session fixation).
    session.clear()
    now = int(time.time())
    session_id = start_session(staff.token_id)
    session.update({"tid": staff.token_id, "iat": now, "seen": now, "sid": session_id})
    csrf_token()
    g.staff = staff
    return redirect(
        _safe_next(request.form.get("next")) or url_for("admin_ui.receipts")
    )


@bp.route("/sign-out", methods=["POST"])
def sign_out() -> BaseResponse:
    """End the session, on the server too: a copy of the cookie signs nobody in."""
    if session.get("sid"):
        end_session(str(session["sid"]))
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("admin_ui.sign_in"))
