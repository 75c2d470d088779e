"""``GET /v1/receipts/<id>/file``: the visitor's receipt file, to keep and check.

The banner's "Download my receipt" fetches this URL with the subject's token in
``X-Consent-Token``; staff may fetch any receipt's file with their bearer token
(audited like every staff request).
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from flask.views import MethodView

from .. import audit
from ..admin.auth import SECURITY_SCHEME
from ..admin.receipt_search import get_receipt
from ..blueprint import Blueprint
from ..extensions import limiter
from ..log_access import TOKEN_HEADER, authorize_proof
from ..receipt_file import receipt_file
from ..receipt_file_schema import ReceiptFileSchema
from .limits import client_key, lookup_limit

blp = Blueprint(
    "receipt_files",
    __name__,
    url_prefix="/v1/receipts",
    description="The visitor's receipt file (the subject's token, or staff)",
)


# Staff reads are audited like every staff request; visitors' are not.
blp.after_request(audit.record_if_staff)


def _attachment(body: dict[str, Any], receipt_id: str) -> Response:
    response = jsonify(body)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="consent-receipt-{receipt_id}.json"'
    )
    # Personal data: never kept by a shared cache.
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.route("/<receipt_id>/file")
class ReceiptFileView(MethodView):
    decorators = [limiter.limit(lookup_limit, key_func=client_key)]

    @blp.response(200, ReceiptFileSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.doc(
        parameters=[
            {
                "in": "header",
                "name": TOKEN_HEADER,
                "schema": {"type": "string"},
                "description": "A consent token of the receipt's subject and site "
                "(an expired one too); staff send 'Authorization: Bearer' instead",
            }
        ],
        security=[{}, {SECURITY_SCHEME: []}],
    )
    @blp.alt_response(429, response="TOO_MANY_REQUESTS")
    def get(self, receipt_id: str) -> Response:
        """The receipt's file: receipt, JWS, notice, log proof, ISO 27560 record.

        For the receipt's subject (`X-Consent-Token`, what the banner keeps in its
        cookie) and for staff (bearer token), as the inclusion proof is. The
        answer is a download (`Content-Disposition: attachment`); `proof` and
        `head` are null until a seal covers the receipt.
        `examples/verify_receipt.py` checks the file offline with the JWKS.
        """
        authorize_proof(receipt_id)
        receipt = get_receipt(receipt_id)
        return _attachment(receipt_file(receipt, request.url_root), receipt.id)
