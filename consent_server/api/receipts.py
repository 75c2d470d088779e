"""Token verification: any holder of a token can ask whether it is good."""

from __future__ import annotations

from typing import Any

from ..blueprint import Blueprint, parse
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


VERIFY_REQUEST = VerifyRequestSchema()
VERIFY_RESULT = VerifyResultSchema()


@blp.route("/verify", methods=["POST"])
@blp.documents(body=VERIFY_REQUEST, answer=(200, VERIFY_RESULT), errors=(413, 429, 503))
@limiter.limit(verify_limit, key_func=client_key)
def verify() -> dict[str, Any]:
    """Check a consent token's signature, expiry, site and policy version.

    `reason` is null when valid, else one of `bad_signature`, `expired`,
    `unknown_site`, `outdated_policy`.
    """
    result = verify_token(parse(VERIFY_REQUEST)["token"])
    answer: dict[str, Any] = VERIFY_RESULT.dump(
        {
            "valid": result.valid,
            "reason": result.reason,
            "receipt": result.claims.as_dict() if result.claims else None,
        }
    )
    return answer
