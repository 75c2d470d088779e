"""Staff web UI under /admin/: token sign-in into a session, server-rendered pages.

The session cookie is HttpOnly, SameSite=Strict, scoped to /admin and Secure on
https; every POST carries the session's CSRF token; pages load nothing but
/static/admin/ under a strict Content-Security-Policy.
"""

from __future__ import annotations

import hmac
import secrets
import time
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Request,
    Response,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from marshmallow import Schema, ValidationError
from werkzeug.wrappers import Response as BaseResponse

from ..audit import record_request
from ..erasure import erase_subject, subject_history
from ..errors import Problem
from ..schemas import ACTIONS, METHODS
from ..sites import all_sites
from ..staff import authenticate, staff_by_id
from ..stats import daily_stats
from .chart import opt_in_chart
from .records import (
    audit_page,
    export_response,
    get_receipt,
    notice_content,
    search_page,
    verify_receipt,
)
from .request_schemas import (
    ExportArgsSchema,
    PageArgsSchema,
    ReceiptFilterArgsSchema,
    ReceiptSearchArgsSchema,
    StatsArgsSchema,
    SubjectArgsSchema,
    is_subject,
    stats_range,
)

bp = Blueprint("admin_ui", __name__, url_prefix="/admin")

UI_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
IDLE_SECONDS = 30 * 60
MAX_AGE_SECONDS = 8 * 3600
_PUBLIC = {"admin_ui.sign_in"}
_FILTER_KEYS = set(ReceiptFilterArgsSchema().fields)


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
        # The public API never has a staff cookie: skip building a signer per request.
        if self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)


def register_ui(app: Flask) -> None:
    app.session_interface = StaffSessionInterface()
    app.register_blueprint(bp)


class UIError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return str(token)


@bp.app_template_global("admin_csrf_token")
def _csrf_global() -> str:
    return csrf_token()


def _check_csrf() -> None:
    sent = request.form.get("csrf_token", "")
    expected = session.get("csrf", "")
    if not sent or not expected or not hmac.compare_digest(sent, expected):
        raise UIError(
            400,
            "This form was not sent from this page or has expired. Go back, reload "
            "the page and try again.",
        )
    origin = request.headers.get("Origin")
    if origin and origin != request.host_url.rstrip("/"):
        raise UIError(400, "This form was sent from another site and was refused.")


@bp.before_request
def _load_session() -> Any:
    g.staff = None
    notice = None
    token_id = session.get("tid")
    now = int(time.time())
    if token_id is not None:
        too_old = now - int(session.get("iat", 0)) > MAX_AGE_SECONDS
        idle = now - int(session.get("seen", 0)) > IDLE_SECONDS
        staff = None if too_old or idle else staff_by_id(int(token_id))
        if staff is None:
            for key in ("tid", "iat", "seen"):
                session.pop(key, None)
            notice = (
                "Your session has expired. Sign in again."
                if too_old or idle
                else "Your token has been revoked. Sign in with another token."
            )
        else:
            g.staff = staff
            if now - int(session.get("seen", 0)) >= 60:
                session["seen"] = now
    try:
        if request.method == "POST":
            _check_csrf()
    except UIError as exc:
        return _error_page(exc.status, exc.message)
    if g.staff is None and request.endpoint not in _PUBLIC:
        return _sign_in_page(notice or "Sign in to continue.", 401)
    return None


@bp.after_request
def _after(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = UI_CSP
    response.headers["Cache-Control"] = "no-store"
    # Staff URLs can name subjects: never send them to another origin.
    response.headers["Referrer-Policy"] = "same-origin"
    return record_request(response, "ui")


@bp.errorhandler(UIError)
def _ui_error(exc: UIError) -> Response:
    return _error_page(exc.status, exc.message)


@bp.errorhandler(Problem)
def _problem(exc: Problem) -> Response:
    return _error_page(exc.status, exc.detail)


def _error_page(status: int, message: str) -> Response:
    response = Response(
        render_template("admin/error.html", status=status, message=message)
    )
    response.status_code = status
    return response


def _sign_in_page(
    message: str | None, status: int = 200, error: str | None = None
) -> Response:
    next_url = request.full_path if request.method == "GET" else None
    response = Response(
        render_template(
            "admin/sign_in.html",
            message=message,
            error=error,
            next_url=_safe_next(next_url),
        )
    )
    response.status_code = status
    return response


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/admin/"):
        return None
    if parts.path.startswith("/admin/sign-"):
        return None
    return target.rstrip("?")


def _require_admin(action: str) -> None:
    if not g.staff.is_admin:
        raise UIError(
            403, f"Your role ({g.staff.role}) may not {action}; ask an admin."
        )


def _form_args() -> dict[str, str]:
    """The query string without empty form fields."""
    return {k: v for k, v in request.args.items() if v.strip() != ""}


def _load(schema: Schema, raw: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        return schema.load(raw), {}
    except ValidationError as exc:
        messages = (
            exc.messages if isinstance(exc.messages, dict) else {"_": exc.messages}
        )
        return {}, messages


def _render(template: str, status: int = 200, **context: Any) -> Response:
    response = Response(render_template(template, **context))
    response.status_code = status
    return response


def _filter_options() -> dict[str, Any]:
    sites = all_sites()
    categories = sorted({c for s in sites.values() for c in s.category_ids})
    return {
        "sites": sorted(sites),
        "categories": categories,
        "actions": ACTIONS,
        "methods": METHODS,
    }


# --- Sign-in ----------------------------------------------------------------------


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Any:
    if request.method == "GET":
        if g.staff is not None:
            return redirect(url_for("admin_ui.receipts"))
        csrf_token()
        return _sign_in_page(None)
    staff = authenticate(request.form.get("token", "").strip())
    if staff is None:
        return _sign_in_page(None, 401, "That token is not valid or has been revoked.")
    # A fresh session on sign-in: nothing from before survives (session fixation).
    session.clear()
    now = int(time.time())
    session.update({"tid": staff.token_id, "iat": now, "seen": now})
    csrf_token()
    g.staff = staff
    return redirect(
        _safe_next(request.form.get("next")) or url_for("admin_ui.receipts")
    )


@bp.route("/sign-out", methods=["POST"])
def sign_out() -> BaseResponse:
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("admin_ui.sign_in"))


@bp.route("/")
def index() -> BaseResponse:
    return redirect(url_for("admin_ui.receipts"))


# --- Receipts ---------------------------------------------------------------------


@bp.route("/receipts")
def receipts() -> Response:
    raw = _form_args()
    args, errors = _load(ReceiptSearchArgsSchema(), raw)
    page = None
    if not errors:
        page = search_page(args)
    filters = {k: v for k, v in raw.items() if k in _FILTER_KEYS}
    return _render(
        "admin/receipts.html",
        status=422 if errors else 200,
        page=page,
        errors=errors,
        values=raw,
        filters=filters,
        **_filter_options(),
    )


@bp.route("/receipts/<receipt_id>")
def receipt(receipt_id: str) -> Response:
    found = get_receipt(receipt_id)
    return _render(
        "admin/receipt.html",
        receipt=found,
        verification=verify_receipt(found),
        notice=notice_content(found.notice_hash),
    )


@bp.route("/export")
def export() -> Response:
    args, errors = _load(ExportArgsSchema(), _form_args())
    if errors:
        raise UIError(422, "The export filters are not valid: " + _flat(errors))
    return export_response(args)


def _flat(errors: dict[str, Any]) -> str:
    return "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in errors.items())


# --- Subjects ---------------------------------------------------------------------


def _subject_arg(source: Any) -> str | None:
    subject = (source.get("subject") or "").strip()
    if not subject:
        return None
    if not is_subject(subject):
        raise UIError(422, "That is not a valid subject id.")
    return subject


@bp.route("/subjects")
def subjects() -> Response:
    subject = _subject_arg(request.args)
    args, errors = _load(
        SubjectArgsSchema(), {k: v for k, v in _form_args().items() if k == "site"}
    )
    if errors:
        raise UIError(422, "The filters are not valid: " + _flat(errors))
    history = subject_history(subject, args.get("site")) if subject else None
    return _render(
        "admin/subjects.html", subject=subject, site=args.get("site"), history=history
    )


@bp.route("/subjects/erase", methods=["GET", "POST"])
def erase() -> BaseResponse:
    _require_admin("erase subjects")
    source = request.form if request.method == "POST" else request.args
    subject = _subject_arg(source)
    if subject is None:
        raise UIError(422, "Name the subject to erase.")
    site = (source.get("site") or "").strip() or None
    g.audit_redact = subject
    if request.method == "GET":
        history = subject_history(subject, site)
        return _render("admin/erase.html", subject=subject, site=site, history=history)
    erasure = erase_subject(subject, g.staff.name, site)
    flash(f"Erased: {erasure.receipts} receipt(s) anonymized; the erasure is recorded.")
    return redirect(url_for("admin_ui.subjects"))


# --- Statistics and audit ------------------------------------------------------------


@bp.route("/stats")
def stats() -> Response:
    raw = _form_args()
    args, errors = _load(StatsArgsSchema(), raw)
    data = chart = None
    if not errors:
        since, until = stats_range(args)
        data = daily_stats(args.get("site"), since, until)
        chart = opt_in_chart(data, _required_categories(args.get("site")))
    return _render(
        "admin/stats.html",
        status=422 if errors else 200,
        errors=errors,
        values=raw,
        data=data,
        chart=chart,
        sites=sorted(all_sites()),
    )


def _required_categories(site_id: str | None) -> frozenset[str]:
    """Categories required on the chosen site, or on every site that has them."""
    sites = all_sites()
    chosen = [sites[site_id]] if site_id in sites else list(sites.values())
    required = {c for site in chosen for c in site.required_ids}
    optional = {
        c for site in chosen for c in site.category_ids if c not in site.required_ids
    }
    return frozenset(required - optional)


@bp.route("/audit")
def audit() -> Response:
    _require_admin("read the audit log")
    args, errors = _load(PageArgsSchema(), _form_args())
    if errors:
        raise UIError(422, "The page is not valid: " + _flat(errors))
    return _render("admin/audit.html", page=audit_page(args))
