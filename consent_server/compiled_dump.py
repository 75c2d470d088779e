"""Output schemas that dump through a plan compiled once from their fields.

marshmallow's ``dump`` resolves each field's accessor, attribute path and default
on every call; for the public hot paths (lookup, record, verify, health) that was
a fifth of a request's time. A ``CompiledDumpSchema`` reads each field's value
directly (a mapping key or an attribute) and calls the field's own ``_serialize``,
so the output is the same as marshmallow's (``tests/unit/test_compiled_dump.py``
compares them) and the schema stays the one documented in OpenAPI.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from marshmallow import Schema, fields, missing

# (output key, attribute, serializer of the value, field name, the value's type
# that the serializer returns as it is, if any)
_Step = tuple[str, str, Callable[..., Any], str, type | None]

# Fields whose ``_serialize`` returns a value of this type unchanged: ``str(v)`` of a
# str, ``bool(v)`` of a bool. Exact classes only: a subclass may serialize otherwise.
_RETURNED_AS_IS: dict[type, type] = {fields.String: str, fields.Boolean: bool}


def _compilable(schema: Schema) -> bool:
    """Hooks, defaults on dump or dotted attributes need marshmallow's own path."""
    if any(schema._hooks.values()):
        return False
    return all(
        f.dump_default is missing
        and f._CHECK_ATTRIBUTE  # Method and Function fields read the whole object
        and "." not in (f.attribute or name)
        for name, f in schema.dump_fields.items()
    )


class CompiledDumpSchema(Schema):
    """A ``Schema`` whose ``dump`` follows a plan made on first use."""

    _plan: list[_Step] | None = None
    _compiled = False

    def _compile(self) -> list[_Step] | None:
        if not _compilable(self):
            return None
        plan: list[_Step] = []
        for name, field in self.dump_fields.items():
            key = field.data_key if field.data_key is not None else name
            as_is = _RETURNED_AS_IS.get(type(field))
            plan.append((key, field.attribute or name, field._serialize, name, as_is))
        return plan

    def dump(self, obj: Any, *, many: bool | None = None) -> Any:
        if not self._compiled:
            self._plan, self._compiled = self._compile(), True
        plan = self._plan
        if plan is None:
            return super().dump(obj, many=many)
        if self.many if many is None else many:
            return [self._dump_one(plan, item) for item in obj]
        return self._dump_one(plan, obj)

    @staticmethod
    def _dump_one(plan: list[_Step], obj: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        get = obj.get if isinstance(obj, Mapping) else partial(getattr, obj)
        for key, attribute, serialize, name, as_is in plan:
            value = get(attribute, missing)
            if value is missing:
                continue
            # Most values are strings and booleans already: no call for those.
            out[key] = value if type(value) is as_is else serialize(value, name, obj)
        return out
