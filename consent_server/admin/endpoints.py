"""Staff API under /v1/admin: bearer tokens, every request audited."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from flask.views import MethodView

from .. import audit
from ..blueprint import Blueprint
from ..erasure import erase_subject, subject_history
from ..errors import Conflict, NotFound, ValidationFailed, require_json
from ..extensions import db
from ..iso27560 import MEDIA_TYPE as JSON_LD
from ..iso_records import ISO_FORMAT, receipt_document
from ..models import AuditEntry, Receipt, StaffToken
from ..staff import (
    TokenError,
    TokenNameTaken,
    create_token,
    list_tokens,
    revoke_token,
)
from ..stats import daily_stats
from ..vocabulary import SUBJECT_RE
from .auth import SECURITY, authenticate_request, require_role
from .cursor import Page
from .export import export_response
from .receipt_search import (
    checked_site,
    get_receipt,
    notice_content,
    search_page,
)
from .request_schemas import (
    ExportArgsSchema,
    PageArgsSchema,
    ReceiptSearchArgsSchema,
    RecordFormatArgsSchema,
    StaffTokenCreateSchema,
    StatsArgsSchema,
    SubjectArgsSchema,
    SubjectHistoryArgsSchema,
    is_subject,
    stats_range,
)
from .response_schemas import (
    AuditPageSchema,
    ErasureSchema,
    ReceiptDetailSchema,
    ReceiptPageSchema,
    StaffTokenCreatedSchema,
    StaffTokenSchema,
    StatsSchema,
    SubjectHistorySchema,
)
from .verification import verify_receipt

blp = Blueprint(
    "admin_api",
    __name__,
    url_prefix="/v1/admin",
    description="Staff API: receipts, subjects, statistics, audit (bearer token)",
)
blp.before_request(authenticate_request)
blp.before_request(require_json)
blp.after_request(lambda response: audit.record_request(response, "api"))


def staff_doc(func: Any) -> Any:
    """Document the bearer scheme and the auth failures of a staff operation."""
    func = blp.alt_response(401, response="UNAUTHORIZED")(func)
    func = blp.alt_response(403, response="FORBIDDEN")(func)
    # Too many failed authentications from one client (admin/auth.py).
    func = blp.alt_response(429, response="TOO_MANY_REQUESTS")(func)
    return blp.doc(security=SECURITY)(func)


# The other answer of ``?format=iso27560``, next to the JSON one, in the document.
_ISO_RESPONSE = {
    200: {
        "content": {
            JSON_LD: {
                "schema": {
                    "type": "object",
                    "description": "An ISO/IEC TS 27560 consent receipt (W3C DPV "
                    "profile `receipt-eu-gdpr`) holding the consent records",
                }
            }
        }
    }
}


def _json_ld(document: dict[str, Any]) -> Response:
    response = jsonify(document)
    response.mimetype = JSON_LD
    return response


def _checked_subject(subject: str) -> str:
    if not is_subject(subject):
        raise NotFound("No receipts are recorded for this subject.")
    return subject


@blp.route("/receipts")
class ReceiptsView(MethodView):
    @staff_doc
    @blp.arguments(ReceiptSearchArgsSchema, location="query")
    @blp.response(200, ReceiptPageSchema)
    def get(self, args: dict[str, Any]) -> Page[Receipt]:
        """Search receipts, newest first, a page at a time.

        Pass `next_cursor` back as `cursor` with the same filters for the next page;
        receipts recorded meanwhile never shift the pages. `since` is inclusive,
        `until` exclusive.
        """
        require_role("auditor", "search receipts")
        return search_page(args)


@blp.route("/receipts/export")
class ExportView(MethodView):
    @staff_doc
    @blp.arguments(ExportArgsSchema, location="query")
    @blp.doc(
        responses={
            "200": {
                "description": "Every matching receipt, streamed, newest first",
                "content": {
                    "text/csv": {"schema": {"type": "string"}},
                    "application/x-ndjson": {"schema": {"type": "string"}},
                },
            }
        }
    )
    def get(self, args: dict[str, Any]) -> Response:
        """Export matching receipts as CSV or JSON Lines (same filters as search).

        CSV cells starting with `= + - @`, tab or CR get a leading `'` so that no
        spreadsheet runs them as formulas.
        """
        require_role("auditor", "export receipts")
        return export_response(args)


@blp.route("/receipts/<receipt_id>")
class ReceiptView(MethodView):
    @staff_doc
    @blp.arguments(RecordFormatArgsSchema, location="query")
    @blp.response(200, ReceiptDetailSchema)
    @blp.doc(responses=_ISO_RESPONSE)
    def get(self, args: dict[str, Any], receipt_id: str) -> Any:
        """One receipt, its JWS, its verification, and the notice the visitor saw.

        With `format=iso27560` the receipt as an ISO/IEC TS 27560 consent receipt
        (JSON-LD, W3C DPV) instead.
        """
        require_role("auditor", "read receipts")
        receipt = get_receipt(receipt_id)
        if args["format"] == ISO_FORMAT:
            return _json_ld(receipt_document([receipt], request.url_root))
        return {
            "receipt": receipt,
            "jws": receipt.jws,
            "verification": verify_receipt(receipt),
            "notice": notice_content(receipt.notice_hash),
        }


# Documented with its pattern; an id that does not fit it has no receipts (404).
_SUBJECT_PARAM = {
    "in": "path",
    "name": "subject",
    "required": True,
    "schema": {"type": "string", "pattern": SUBJECT_RE},
}


@blp.route("/subjects/<subject>", parameters=[_SUBJECT_PARAM])
class SubjectView(MethodView):
    @staff_doc
    @blp.arguments(SubjectHistoryArgsSchema, location="query")
    @blp.response(200, SubjectHistorySchema)
    @blp.doc(responses=_ISO_RESPONSE)
    def get(self, args: dict[str, Any], subject: str) -> Any:
        """A subject's full history as portable JSON (GDPR access and portability).

        With `format=iso27560` one ISO/IEC TS 27560 consent receipt (JSON-LD, W3C
        DPV) holding a consent record per receipt, oldest first.
        """
        require_role("auditor", "read subject histories")
        history = subject_history(_checked_subject(subject), args.get("site"))
        if args["format"] == ISO_FORMAT:
            return _json_ld(receipt_document(history["receipts"], request.url_root))
        return history

    @staff_doc
    @blp.arguments(SubjectArgsSchema, location="query")
    @blp.response(200, ErasureSchema)
    def delete(self, args: dict[str, Any], subject: str) -> Any:
        """Erase a subject's personal data (admin; GDPR erasure).

        Its receipts are kept anonymized, so statistics stay right, but no search,
        lookup or export finds the subject, its IP prefix or user agent again. The
        erasure is recorded with a keyed hash of the subject.
        """
        staff = require_role("admin", "erase subjects")
        return erase_subject(_checked_subject(subject), staff.name, args.get("site"))


@blp.route("/stats")
class StatsView(MethodView):
    @staff_doc
    @blp.arguments(StatsArgsSchema, location="query")
    @blp.response(200, StatsSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Decisions per UTC day and category: granted, opt-in rate, method shares.

        `since` is the first day, `until` the day after the last (default: the last
        30 days).
        """
        require_role("auditor", "read statistics")
        since, until = stats_range(args)
        return daily_stats(checked_site(args.get("site")), since, until)


@blp.route("/audit")
class AuditView(MethodView):
    @staff_doc
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, AuditPageSchema)
    def get(self, args: dict[str, Any]) -> Page[AuditEntry]:
        """The audit log of staff requests, newest first (admin)."""
        require_role("admin", "read the audit log")
        return audit.entries_page(args)


@blp.route("/tokens")
class TokensView(MethodView):
    @staff_doc
    @blp.response(200, StaffTokenSchema(many=True))
    def get(self) -> list[StaffToken]:
        """List staff tokens, never their secrets (admin)."""
        require_role("admin", "manage staff tokens")
        return list_tokens()

    @staff_doc
    @blp.arguments(StaffTokenCreateSchema)
    @blp.response(201, StaffTokenCreatedSchema)
    @blp.alt_response(409, response="CONFLICT")
    @blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
    def post(self, data: dict[str, Any]) -> StaffToken:
        """Create a staff token; the answer is the only time it is shown (admin)."""
        require_role("admin", "manage staff tokens")
        try:
            row, token = create_token(data["name"], data["role"], data["sites"])
        except TokenNameTaken as exc:
            raise Conflict(str(exc)) from None
        except TokenError as exc:
            raise ValidationFailed(str(exc), {exc.field: [str(exc)]}) from None
        row.token = token  # shown in this answer only, never stored
        return row


@blp.route("/tokens/<int:token_id>")
class TokenView(MethodView):
    @staff_doc
    @blp.response(200, StaffTokenSchema)
    def delete(self, token_id: int) -> StaffToken:
        """Revoke a staff token (admin)."""
        require_role("admin", "manage staff tokens")
        row = db.session.get(StaffToken, token_id)
        if row is None:
            raise NotFound("There is no staff token with this id.")
        revoke_token(row)
        return row
