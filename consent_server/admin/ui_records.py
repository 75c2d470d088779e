"""Staff UI: a receipt's proofs and records, to download or to check by eye."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from flask import Response, request

from ..iso27560 import MEDIA_TYPE as JSON_LD
from ..iso_records import receipt_document
from .receipt_search import get_receipt
from .ui import bp


@bp.route("/receipts/<receipt_id>/iso27560")
def receipt_iso27560(receipt_id: str) -> Response:
    """The receipt as an ISO/IEC TS 27560 consent receipt (JSON-LD), downloaded."""
    found = get_receipt(receipt_id)
    document = receipt_document([found], request.url_root)
    response = Response(
        json.dumps(document, ensure_ascii=False, indent=2), mimetype=JSON_LD
    )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="receipt-{found.id}-iso27560-{stamp}.jsonld"'
    )
    return response
