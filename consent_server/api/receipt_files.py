"""``GET /v1/receipts/<id>/file``: the visitor's receipt file, to keep and check.

The banner's "Download my receipt" fetches this URL with the subject's token in
``X-Consent-Token``; staff may fetch any receipt's file with their bearer token
(audited like every staff request).
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from flask.views import MethodView
from marshmallow import EXCLUDE, Schema, fields, validate

from .. import audit
from ..admin.auth import (
    SECURITY_SCHEME,
    authenticate_request,
    bearer_token,
    require_role,
)
from ..admin.receipt_search import get_receipt
from ..blueprint import Blueprint
from ..errors import Unauthorized
from ..extensions import limiter
from ..receipt_file import TOKEN_HEADER, receipt_file, receipt_for_subject
from ..receipt_file_schema import ReceiptFileSchema
from .limits import client_key, lookup_limit

blp = Blueprint(
    "receipt_files",
    __name__,
    url_prefix="/v1/receipts",
    description="The visitor's receipt file (the subject's token, or staff)",
)


@blp.after_request
def _audit_staff(response: Response) -> Response:
    """Staff reads are audited like every staff request; visitors' are not."""
    if bearer_token() is None:
        return response
    return audit.record_request(response, "api")


class FileHeadersSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    token = fields.String(
        data_key=TOKEN_HEADER,
        validate=validate.Length(1, 4096),
        metadata={
            "description": "A token the service signed for the receipt's subject "
            "and site (an expired one too); staff send 'Authorization: Bearer' "
            "instead"
        },
    )


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

    @blp.arguments(FileHeadersSchema, location="headers")
    @blp.response(200, ReceiptFileSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.doc(security=[{}, {SECURITY_SCHEME: []}])
    def get(self, headers: dict[str, Any], receipt_id: str) -> Response:
        """The receipt's file: receipt, JWS, notice, log proof, ISO 27560 record.

        Send a token of the receipt's subject in `X-Consent-Token` (what the
        banner keeps in its cookie), or a staff bearer token. The answer is a
        download (`Content-Disposition: attachment`); `proof` and `head` are null
        until a seal covers the receipt. `examples/verify_receipt.py` checks the
        file offline with the JWKS.
        """
        if bearer_token() is not None:
            refused = authenticate_request()
            if refused is not None:
                return refused
            require_role("auditor", "read receipt files")
            receipt = get_receipt(receipt_id)
        else:
            token = headers.get("token")
            if token is None:
                raise Unauthorized(
                    f"Send a token of the receipt's subject in '{TOKEN_HEADER}'."
                )
            receipt = receipt_for_subject(receipt_id, token)
        return _attachment(receipt_file(receipt, request.url_root), receipt.id)
