"""The flask-smorest ``Blueprint`` of every documented route, with a safe parser.

Most views take their input and give their answer through flask-smorest's
``arguments`` and ``response`` decorators. Each wraps every call in layers of its
own (webargs' ``use_args``, the dump, one per ``alt_response``): on the public
routes a page calls on every view, verify and the lookup, the layers cost a fifth
of the request in the worker. Those views parse with ``parse`` and dump
themselves, and ``Blueprint.documents`` writes the same OpenAPI description with
one thin wrapper.
"""

from __future__ import annotations

import http
import json
from collections.abc import Iterable
from typing import Any

import flask
import flask_smorest
from marshmallow import Schema
from webargs.flaskparser import FlaskParser


class SafeJSONParser(FlaskParser):
    """webargs' parser, with JSON nested deeper than Python recurses refused as bad.

    ``[`` x 3000 fits in 16 KiB and made ``json.loads`` raise RecursionError: a 500
    and two tracebacks per request (issue #10). It is a 400 like any bad JSON.
    """

    def _raw_load_json(self, req: flask.Request) -> Any:
        try:
            return super()._raw_load_json(req)
        except RecursionError as exc:
            error = json.JSONDecodeError("nested too deeply", "", 0)
            error.__cause__ = exc
            self._handle_invalid_json_error(error, req)


PARSER = SafeJSONParser()


def parse(schema: Schema, location: str = "json") -> Any:
    """The request's ``location`` loaded with ``schema``, exactly as
    ``blp.arguments(schema, location=location)`` hands it to a view: the same
    400 and 422 problems for bad input."""
    return PARSER.parse(schema, flask.request, location=location)


class Blueprint(flask_smorest.Blueprint):  # type: ignore[misc]
    """Our blueprints parse with ``SafeJSONParser``."""

    ARGUMENTS_PARSER = PARSER

    def documents(
        self,
        *,
        answer: tuple[int, Schema],
        body: Schema | None = None,
        query: Schema | None = None,
        headers: Schema | None = None,
        errors: Iterable[int] = (),
    ) -> Any:
        """Describe a view that parses and dumps itself (``parse``) as
        ``arguments``, ``response`` and ``alt_response`` would: a JSON ``body``,
        ``query`` or ``headers`` parameters (all answered by a 422 when invalid),
        the ``answer`` status and schema, and ``errors`` answered with the API's
        problems."""
        responses: dict[str, Any] = {
            str(status): http.HTTPStatus(status).name for status in errors
        }
        doc: dict[str, Any] = {"responses": responses}
        if body is not None:
            doc["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": body}},
            }
        parameters = [
            {"in": where, "schema": schema}
            for where, schema in (("query", query), ("header", headers))
            if schema is not None
        ]
        if parameters:
            doc["parameters"] = parameters
        if body is not None or parameters:
            responses["422"] = http.HTTPStatus(422).name
        status, schema = answer
        responses[str(status)] = {
            "description": http.HTTPStatus(status).phrase,
            "content": {"application/json": {"schema": schema}},
        }
        return self.doc(**doc)
