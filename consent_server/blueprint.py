"""The flask-smorest ``Blueprint`` of every documented route, with a safe parser."""

from __future__ import annotations

import json
from typing import Any

import flask
import flask_smorest
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


class Blueprint(flask_smorest.Blueprint):  # type: ignore[misc]
    """Our blueprints parse with ``SafeJSONParser``."""

    ARGUMENTS_PARSER = SafeJSONParser()
