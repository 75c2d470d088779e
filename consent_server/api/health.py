"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..blueprint import Blueprint
from ..errors import Problem
from ..extensions import db, limiter
from ..schemas import HealthSchema, ReadinessSchema

blp = Blueprint("health", __name__, description="Health checks")


class NotReady(Problem):
    status = 503
    type = "not-ready"
    title = "Service unavailable"


@blp.route("/healthz")
class LivenessView(MethodView):
    @blp.response(200, HealthSchema())
    def get(self) -> dict[str, Any]:
        """Liveness: the process answers."""
        return {"status": "ok"}


@blp.route("/readyz")
class ReadinessView(MethodView):
    @blp.response(200, ReadinessSchema())
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE")
    def get(self) -> dict[str, Any]:
        """Readiness: the database and the rate-limit storage answer.

        `rate_limits` is `degraded` while the storage is unreachable and limits count
        in each process instead (`CONSENT_RATELIMIT_FAIL_OPEN`, the default), `off`
        when rate limiting is; without fail-open an unreachable storage is a 503.
        """
        try:
            db.session.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            db.session.rollback()
            raise NotReady("The database is not reachable.") from exc
        rate_limits = limiter.storage_state()
        if rate_limits == "down":
            raise NotReady(
                "The rate-limit storage is not reachable, and without it requests "
                "are refused (CONSENT_RATELIMIT_FAIL_OPEN is off)."
            )
        return {"status": "ok", "database": "ok", "rate_limits": rate_limits}
