"""RFC 9457 problem details: domain exceptions and the one error hook."""

from __future__ import annotations

import http
import logging
from typing import Any

from flask import Response, jsonify, request
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from werkzeug.exceptions import HTTPException, InternalServerError

PROBLEM_MIMETYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://consent.dev/problems/"

log = logging.getLogger(__name__)


class Problem(Exception):
    """A failure that becomes a problem+json response; subclasses set the fields."""

    status = 400
    type = "bad-request"
    title = "Bad request"

    def __init__(
        self,
        detail: str,
        errors: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}


class NotFound(Problem):
    status = 404
    type = "not-found"
    title = "Not found"


class UnknownSite(NotFound):
    type = "unknown-site"
    title = "Unknown site"


class ValidationFailed(Problem):
    status = 422
    type = "validation-error"
    title = "Invalid request"


class Conflict(Problem):
    status = 409
    type = "conflict"
    title = "Conflict"


class UnsupportedMediaType(Problem):
    status = 415
    type = "unsupported-media-type"
    title = "Unsupported Media Type"


def require_json() -> None:
    """Bodies are JSON only: anything else is a 415 before parsing starts.

    Registered with ``blp.before_request`` on blueprints that take bodies.
    """
    if request.method in {"POST", "PUT", "PATCH"} and not request.is_json:
        raise UnsupportedMediaType(
            "Send the request body as JSON with 'Content-Type: application/json'."
        )


# Titles and types for the HTTP errors raised by Flask, werkzeug and webargs.
_HTTP_TYPES = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation-error",
    429: "rate-limited",
    500: "internal-error",
    503: "service-unavailable",
}

_FRIENDLY_DETAIL = {
    400: "The request body is not valid JSON.",
    413: "The request body is larger than the limit of 16 KiB.",
    415: "Send the request body as JSON with 'Content-Type: application/json'.",
    422: "The request has invalid fields; see 'errors'.",
}


def problem_response(
    status: int,
    title: str,
    detail: str,
    type_: str,
    errors: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """Build an ``application/problem+json`` response."""
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + type_,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    if errors:
        body["errors"] = errors
    rv = jsonify(body)
    rv.status_code = status
    rv.mimetype = PROBLEM_MIMETYPE
    for name, value in (headers or {}).items():
        rv.headers[name] = value
    return rv


def handle_problem(error: Problem) -> Response:
    """Render a domain ``Problem``."""
    return problem_response(
        error.status, error.title, error.detail, error.type, error.errors, error.headers
    )


class ProblemApi(Api):  # type: ignore[misc]
    """flask-smorest ``Api`` whose errors are RFC 9457 problem details."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from .schemas import ProblemSchema

        self.ERROR_SCHEMA = ProblemSchema
        super().__init__(*args, **kwargs)

    def _register_responses(self) -> None:
        """Document error responses as ``application/problem+json``."""
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_MIMETYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Error", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_MIMETYPE)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)

    def _register_error_handlers(self) -> None:
        from sqlalchemy.exc import SQLAlchemyError

        from .outages import handle_database_error

        super()._register_error_handlers()
        self._app.register_error_handler(Problem, handle_problem)
        self._app.register_error_handler(SQLAlchemyError, handle_database_error)

    def handle_http_exception(self, error: HTTPException) -> Response:
        status = error.code or 500
        original = getattr(error, "original_exception", None)
        if isinstance(error, InternalServerError) and original is not None:
            from .outages import DatabaseUnavailable, is_unavailable, log_unavailable

            if is_unavailable(original):  # raised after the view, e.g. by a hook
                log_unavailable("database", original)
                return handle_problem(DatabaseUnavailable())
        if status >= 500:
            # Never leak internals: a generic detail; the traceback goes to the log.
            if isinstance(error, InternalServerError) and error.original_exception:
                log.error(
                    "unhandled error on %s %s",
                    request.method,
                    request.path,
                    exc_info=error.original_exception,
                )
            return problem_response(
                status,
                "Internal server error",
                "The server could not complete the request.",
                _HTTP_TYPES.get(500, "internal-error"),
            )
        data = getattr(error, "data", None) or {}
        errors = data.get("errors") or data.get("messages")
        if isinstance(errors, dict) and set(errors) <= {
            "json",
            "query",
            "path",
            "headers",
        }:
            # webargs nests messages by location; one location at a time is flatter.
            flat: dict[str, Any] = {}
            for messages in errors.values():
                flat.update(messages if isinstance(messages, dict) else {"_": messages})
            errors = flat
        detail = (
            data.get("message") or _FRIENDLY_DETAIL.get(status) or error.description
        )
        headers = dict(data.get("headers") or {})
        if status == 405 and error.get_response().headers.get("Allow"):
            headers["Allow"] = error.get_response().headers["Allow"]
        if status == 429:
            detail = f"Too many requests: {error.description}. Try again later."
        return problem_response(
            status,
            error.name,
            str(detail),
            _HTTP_TYPES.get(status, "error"),
            errors if isinstance(errors, dict) else None,
            headers,
        )


class Forbidden(Problem):
    """The caller is known but its role does not allow this."""

    status = 403
    type = "forbidden"
    title = "Forbidden"


class Unauthorized(Problem):
    """A credential was sent and is not valid."""

    status = 401
    type = "unauthorized"
    title = "Unauthorized"
