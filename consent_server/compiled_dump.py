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
from typing import Any

from marshmallow import Schema, missing

# (output key, attribute, serializer of the value, field name)
_Step = tuple[str, str, Callable[..., Any], str]


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
            plan.append((key, field.attribute or name, field._serialize, name))
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
        if isinstance(obj, Mapping):
            for key, attribute, serialize, name in plan:
                value = obj.get(attribute, missing)
                if value is not missing:
                    out[key] = serialize(value, name, obj)
        else:
            for key, attribute, serialize, name in plan:
                value = getattr(obj, attribute, missing)
                if value is not missing:
                    out[key] = serialize(value, name, obj)
        return out
