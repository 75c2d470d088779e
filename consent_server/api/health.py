"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..blueprint import Blueprint
from ..errors import Problem
from ..extensions import db
from ..schemas import HealthSchema

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
    @blp.response(200, HealthSchema())
    @blp.alt_response(503, schema=None, description="Database unreachable")
    def get(self) -> dict[str, Any]:
        """Readiness: the database answers."""
        try:
            db.session.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            db.session.rollback()
            raise NotReady("The database is not reachable.") from exc
        return {"status": "ok"}
