"""Staff UI pages: receipts, one receipt, export, subjects, erasure, stats, audit."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, request, url_for
from marshmallow import Schema, ValidationError
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as BaseResponse

from .. import audit
from ..erasure import erase_subject, subject_history
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..models import BannerBuild, PolicyText
from ..sites import all_sites
from ..stats import daily_stats
from ..vocabulary import ACTIONS, METHODS
from .auth import require_role
from .chart import opt_in_chart
from .export import export_response
from .log_checks import latest_head, log_place
from .receipt_search import (
    checked_site,
    get_receipt,
    notice_content,
    search_page,
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
from .ui import bp, render
from .verification import verify_receipt

_FILTER_KEYS = set(ReceiptFilterArgsSchema().fields)


def _form_args() -> dict[str, str]:
    """The query string without empty form fields."""
    return {k: v for k, v in request.args.items() if v.strip() != ""}


def _load(schema: Schema, raw: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The loaded arguments and no errors, or no arguments and the errors to show."""
    try:
        return schema.load(raw), {}
    except ValidationError as exc:
        messages = (
            exc.messages if isinstance(exc.messages, dict) else {"_": exc.messages}
        )
        return {}, messages


def _load_or_refuse(
    schema: Schema, raw: dict[str, str], refusal: str
) -> dict[str, Any]:
    """The loaded arguments of a page that has no form to show errors in.

    :raises ValidationFailed: naming every invalid field.
    """
    args, errors = _load(schema, raw)
    if errors:
        flat = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in errors.items())
        raise ValidationFailed(f"{refusal}: {flat}", errors)
    return args


def _filter_options() -> dict[str, Any]:
    """The choices of the search form's selects."""
    sites = all_sites()
    categories = sorted({c for s in sites.values() for c in s.category_ids})
    return {
        "sites": sorted(sites),
        "categories": categories,
        "actions": ACTIONS,
        "methods": METHODS,
    }


@bp.route("/")
def index() -> BaseResponse:
    """The receipts are the staff home page."""
    return redirect(url_for("admin_ui.receipts"))


# --- Receipts ---------------------------------------------------------------------


@bp.route("/receipts")
def receipts() -> Response:
    """Search receipts, a page at a time; invalid filters are shown by the form."""
    raw = _form_args()
    args, errors = _load(ReceiptSearchArgsSchema(), raw)
    page = None
    if not errors:
        page = search_page(args)
    filters = {k: v for k, v in raw.items() if k in _FILTER_KEYS}
    return render(
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
    """One receipt, its verification, its place in the log, the notice seen."""
    found = get_receipt(receipt_id)
    return render(
        "admin/receipt.html",
        receipt=found,
        verification=verify_receipt(found),
        log=log_place(found),
        notice=notice_content(found.notice_hash),
    )


@bp.route("/banner-builds/<build>")
def banner_build(build: str) -> Response:
    """A banner build as served, as text to read (never run in the staff origin)."""
    return _archived_text(BannerBuild, build, "banner build")


@bp.route("/policies/<sha256>")
def policy_text(sha256: str) -> Response:
    """A policy text as served, as text to read."""
    return _archived_text(PolicyText, sha256, "policy text")


def _archived_text(model: Any, key: str, what: str) -> Response:
    row = db.session.get(model, key.lower()) if len(key) == 64 else None
    if row is None:
        raise NotFound(f"No {what} with this hash is archived.")
    # Plain text: the staff origin never runs or renders archived content.
    response = Response(row.content, mimetype="text/plain")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/export")
def export() -> Response:
    """Download the receipts matching the search filters."""
    args = _load_or_refuse(
        ExportArgsSchema(), _form_args(), "The export filters are not valid"
    )
    return export_response(args)


# --- Subjects ---------------------------------------------------------------------


def _subject_arg(source: MultiDict[str, str]) -> str | None:
    """The subject a form names, None when it names none.

    :raises ValidationFailed: not a subject id.
    """
    subject = (source.get("subject") or "").strip()
    if not subject:
        return None
    if not is_subject(subject):
        raise ValidationFailed(
            "That is not a valid subject id.", {"subject": ["Not a subject id."]}
        )
    return subject


@bp.route("/subjects")
def subjects() -> Response:
    """Look a subject up: its history, and for admins the way to erase it."""
    subject = _subject_arg(request.args)
    site_arg = {k: v for k, v in _form_args().items() if k == "site"}
    args = _load_or_refuse(SubjectArgsSchema(), site_arg, "The filters are not valid")
    history = None
    if subject:
        history = subject_history(subject, args.get("site"))
    return render(
        "admin/subjects.html", subject=subject, site=args.get("site"), history=history
    )


@bp.route("/subjects/erase", methods=["GET", "POST"])
def erase() -> BaseResponse:
    """Confirm (GET) and carry out (POST) a subject's erasure; admins only."""
    staff = require_role("admin", "erase subjects")
    source = request.form if request.method == "POST" else request.args
    subject = _subject_arg(source)
    if subject is None:
        raise ValidationFailed(
            "Name the subject to erase.", {"subject": ["Name a subject."]}
        )
    site = (source.get("site") or "").strip() or None
    if request.method == "GET":
        history = subject_history(subject, site)
        return render("admin/erase.html", subject=subject, site=site, history=history)
    erasure = erase_subject(subject, staff.name, site)
    flash(f"Erased: {erasure.receipts} receipt(s) anonymized; the erasure is recorded.")
    return redirect(url_for("admin_ui.subjects"))


# --- Statistics and audit ------------------------------------------------------------


@bp.route("/stats")
def stats() -> Response:
    """Opt-in statistics with their chart."""
    raw = _form_args()
    args, errors = _load(StatsArgsSchema(), raw)
    data = chart = None
    if not errors:
        since, until = stats_range(args)
        data = daily_stats(checked_site(args.get("site")), since, until)
        chart = opt_in_chart(data, _required_categories(args.get("site")))
    return render(
        "admin/stats.html",
        status=422 if errors else 200,
        errors=errors,
        values=raw,
        data=data,
        chart=chart,
        sites=sorted(all_sites()),
        head=latest_head(),
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


@bp.route("/audit", endpoint="audit")
def audit_log() -> Response:
    """The audit log, a page at a time; admins only."""
    require_role("admin", "read the audit log")
    args = _load_or_refuse(PageArgsSchema(), _form_args(), "The page is not valid")
    return render("admin/audit.html", page=audit.entries_page(args))
