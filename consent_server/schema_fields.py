"""marshmallow fields and validators shared by the request and site-file schemas."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import ValidationError, fields, validate

# Lengths of human-written texts: a paragraph at most, or one line.
long_text = validate.Length(min=1, max=2000)
short_text = validate.Length(min=1, max=200)


class FullMatch(validate.Regexp):
    """``validate.Regexp`` over the whole value.

    ``re.match`` with a ``$`` pattern lets a trailing newline through ("victim\\n"
    was stored as a subject of its own, issue #10); the patterns keep their ``^``
    and ``$`` so that OpenAPI (ECMA-262) reads them the same.
    """

    def __call__(self, value: Any) -> Any:
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


class StrictBoolean(fields.Boolean):
    """A JSON true/false only: not "true", 1 or "yes"."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


def strict_boolean(**kwargs: Any) -> fields.Boolean:
    return StrictBoolean(**kwargs)


def valid_regex(value: str) -> None:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValidationError(f"Not a valid regular expression: {exc}.") from exc
