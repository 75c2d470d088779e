"""Staff API: the exact banner builds and policy texts receipts name, by hash."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView

from .. import audit
from ..blueprint import Blueprint
from ..errors import NotFound
from ..extensions import db
from ..models import BannerBuild, PolicyText
from ..vocabulary import SHA256_RE
from .auth import SECURITY, authenticate_request, require_role

blp = Blueprint(
    "admin_archive",
    __name__,
    url_prefix="/v1/admin",
    description="Staff API: archived banner builds and policy texts (bearer token)",
)
blp.before_request(authenticate_request)
blp.after_request(lambda response: audit.record_request(response, "api"))

_HASH_PARAM = {"type": "string", "pattern": SHA256_RE}


def _archived(body: str, media_type: str) -> Response:
    response = Response(body, mimetype=media_type)
    # Content-addressed: the bytes behind a hash never change.
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    response.headers["Content-Disposition"] = "inline"
    return response


def _staff_doc(func: Any) -> Any:
    func = blp.alt_response(401, response="UNAUTHORIZED")(func)
    func = blp.alt_response(403, response="FORBIDDEN")(func)
    func = blp.alt_response(404, response="NOT_FOUND")(func)
    # Too many failed authentications from one client (admin/auth.py).
    func = blp.alt_response(429, response="TOO_MANY_REQUESTS")(func)
    return blp.doc(security=SECURITY)(func)


@blp.route("/banner-builds/<build>")
class BannerBuildView(MethodView):
    @_staff_doc
    @blp.doc(parameters=[{"in": "path", "name": "build", "schema": _HASH_PARAM}])
    @blp.response(
        200, content_type="text/javascript", description="The bundle, byte for byte"
    )
    def get(self, build: str) -> Response:
        """A banner build the service served, by the hash receipts name it by."""
        require_role("auditor", "read banner builds")
        row = db.session.get(BannerBuild, build.lower()) if len(build) == 64 else None
        if row is None:
            raise NotFound("This service has not served a banner build with this hash.")
        return _archived(row.content, "text/javascript")


@blp.route("/policies/<sha256>")
class PolicyTextView(MethodView):
    @_staff_doc
    @blp.doc(parameters=[{"in": "path", "name": "sha256", "schema": _HASH_PARAM}])
    @blp.response(
        200, content_type="text/plain", description="The policy text as it was served"
    )
    def get(self, sha256: str) -> Response:
        """A policy text a site served, by its SHA-256 (`policy_sha256` in notices)."""
        require_role("auditor", "read policy texts")
        row = db.session.get(PolicyText, sha256.lower()) if len(sha256) == 64 else None
        if row is None:
            raise NotFound(
                "No site of this service has served a policy with this hash."
            )
        return _archived(row.content, row.media_type)
