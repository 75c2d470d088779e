"""Token verification: any holder of a token can ask whether it is good."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from ..blueprint import Blueprint
from ..errors import require_json
from ..extensions import limiter
from ..schemas import VerifyRequestSchema, VerifyResultSchema
from ..validity import verify_token
from .limits import client_key, verify_limit

blp = Blueprint(
    "receipts",
    __name__,
    url_prefix="/v1/receipts",
    description="Verify consent tokens (public, no database read)",
)

blp.before_request(require_json)


@blp.route("/verify")
class VerifyView(MethodView):
    decorators = [limiter.limit(verify_limit, key_func=client_key)]

    @blp.arguments(VerifyRequestSchema())
    @blp.response(200, VerifyResultSchema())
    @blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE")
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Check a consent token's signature, expiry, site and policy version.

        `reason` is null when valid, else one of `bad_signature`, `expired`,
        `unknown_site`, `outdated_policy`.
        """
        result = verify_token(data["token"])
        return {
            "valid": result.valid,
            "reason": result.reason,
            "receipt": result.claims.as_dict() if result.claims else None,
        }
