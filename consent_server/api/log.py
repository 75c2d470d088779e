"""The transparency log, public: signed tree heads, consistency and inclusion proofs.

Anyone may read heads and consistency proofs; a receipt's inclusion proof is for
its subject (``X-Consent-Token``) and for staff (see ``log_access``).
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from .. import audit
from ..blueprint import Blueprint
from ..extensions import limiter
from ..log_access import TOKEN_HEADER, authorize_proof
from ..log_proofs import consistency, current_head, heads_since, receipt_proof
from ..log_schemas import (
    ConsistencyQueryArgsSchema,
    ConsistencySchema,
    HeadsQueryArgsSchema,
    ReceiptPathSchema,
    ReceiptProofSchema,
    TreeHeadSchema,
    TreeHeadsSchema,
)
from .limits import client_key, lookup_limit

blp = Blueprint(
    "log",
    __name__,
    url_prefix="/v1",
    description="Transparency log (RFC 9162): signed tree heads and proofs",
)


# Staff reads are audited like every staff request; visitors' are not.
blp.after_request(audit.record_if_staff)


@blp.route("/log/head")
class HeadView(MethodView):
    decorators = [limiter.limit(lookup_limit, key_func=client_key)]

    @blp.response(200, TreeHeadSchema())
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(429, response="TOO_MANY_REQUESTS")
    def get(self) -> dict[str, Any]:
        """The latest signed tree head.

        404 (`no-tree-head`) until the first seal.
        """
        return current_head()


@blp.route("/log/heads")
class HeadsView(MethodView):
    decorators = [limiter.limit(lookup_limit, key_func=client_key)]

    @blp.arguments(HeadsQueryArgsSchema(), location="query")
    @blp.response(200, TreeHeadsSchema())
    @blp.alt_response(429, response="TOO_MANY_REQUESTS")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Signed tree heads, oldest first: `since` a time, at most `limit`."""
        return {"heads": heads_since(args.get("since"), args["limit"])}


@blp.route("/log/consistency")
class ConsistencyView(MethodView):
    decorators = [limiter.limit(lookup_limit, key_func=client_key)]

    @blp.arguments(ConsistencyQueryArgsSchema(), location="query")
    @blp.response(200, ConsistencySchema())
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(429, response="TOO_MANY_REQUESTS")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The consistency proof between tree sizes `first` <= `second`.

        `second` may be at most the latest head's tree size.
        """
        return consistency(args["first"], args["second"])


@blp.route("/receipts/<receipt_id>/proof")
class ReceiptProofView(MethodView):
    decorators = [limiter.limit(lookup_limit, key_func=client_key)]

    @blp.arguments(ReceiptPathSchema(), location="path")
    @blp.response(200, ReceiptProofSchema())
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.doc(
        parameters=[
            {
                "in": "header",
                "name": TOKEN_HEADER,
                "schema": {"type": "string"},
                "description": "A consent token of the receipt's subject and site.",
            }
        ],
        security=[{}, {"staffToken": []}],
    )
    @blp.alt_response(429, response="TOO_MANY_REQUESTS")
    def get(self, path: dict[str, str], receipt_id: str) -> dict[str, Any]:
        """A receipt's inclusion proof in the latest signed tree head, with its leaf.

        For the receipt's subject (`X-Consent-Token`) and for staff (bearer
        token). 404 (`not-sealed`) until a seal covers the receipt.
        """
        authorize_proof(path["receipt_id"])
        return receipt_proof(path["receipt_id"])
