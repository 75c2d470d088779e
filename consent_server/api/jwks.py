"""The public keys that check receipts and tree heads: ``/.well-known/jwks.json``."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from flask.views import MethodView

from ..blueprint import Blueprint
from ..jws_schemas import JWKSSchema
from ..signing_keys import current_signing_keys

blp = Blueprint(
    "jwks",
    __name__,
    url_prefix="/.well-known",
    description="Public signing keys (JWKS, RFC 7517)",
)

# Keys change only with a deployment; an hour keeps verifiers from asking on every
# check while a rotation reaches them the same day.
CACHE_SECONDS = 3600


@blp.route("/jwks.json")
class JWKSView(MethodView):
    @blp.response(200, JWKSSchema(), content_type="application/jwk-set+json")
    def get(self) -> Any:
        """The Ed25519 public keys of the receipts' and tree heads' JWS.

        The newest key signs now; older ones, and retired ones marked with the
        period they signed (`signed_from`, `signed_until`), stay published as long
        as what they signed is kept.
        """
        response: Response = jsonify(current_signing_keys().jwks())
        response.mimetype = "application/jwk-set+json"
        response.cache_control.public = True
        response.cache_control.max_age = CACHE_SECONDS
        return response
