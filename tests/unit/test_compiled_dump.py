"""CompiledDumpSchema dumps exactly what marshmallow's own dump gives."""

from __future__ import annotations

from collections import namedtuple
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from marshmallow import Schema, fields, post_dump

from consent_server.compiled_dump import CompiledDumpSchema
from consent_server.models import Receipt
from consent_server.notice_schemas import NoticeSchema
from consent_server.schemas import (
    ConsentCreatedSchema,
    ConsentLookupSchema,
    ReceiptSchema,
    VerifyResultSchema,
)

NOW = datetime(2026, 12, 2, 18, 30, 5, 123456, tzinfo=UTC)


def reference(schema: Schema, obj: Any, many: bool = False) -> Any:
    """marshmallow's own dump of the same schema."""
    return Schema.dump(schema, obj, many=many)


def receipt_fields(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "id": "0b5f1b1e-34b4-4a8e-9a7b-5b0a1d2c3e4f",
        "site": "default",
        "subject": "visitor-1",
        "action": "update",
        "method": "custom",
        "layer": "preferences",
        "choices": {"session": True, "persistent": False, "third_party": True},
        "policy_version": "2026-06",
        "notice_hash": "a" * 64,
        "banner_build": None,
        "language": "de",
        "jurisdiction": "EU",
        "gpc": False,
        "previous_id": None,
        "created_at": NOW,
        "expires_at": NOW + timedelta(days=180),
        "origin": "https://shop.example",
        "user_agent": "Firefox 128",
        "ip_prefix": "203.0.113.0/24",
    }
    values.update(changes)
    return values


Row = namedtuple("Row", list(receipt_fields()))  # type: ignore[misc]


@pytest.mark.parametrize(
    "receipt",
    [
        pytest.param(Receipt(**receipt_fields()), id="orm-object"),
        pytest.param(receipt_fields(), id="mapping"),
        pytest.param(Row(**receipt_fields(gpc=True)), id="row"),
        pytest.param(
            receipt_fields(previous_id="p1", origin=None, choices=None), id="nulls"
        ),
        pytest.param(
            {k: v for k, v in receipt_fields().items() if k != "ip_prefix"},
            id="missing-key",
        ),
    ],
)
def test_receipt_dump_is_marshmallows(receipt: Any) -> None:
    schema = ReceiptSchema()
    assert schema.dump(receipt) == reference(schema, receipt)


def test_nested_and_many_dump_like_marshmallow() -> None:
    receipt = Receipt(**receipt_fields())
    created = {"receipt": receipt, "token": "t.o.k"}
    lookup = {"receipt": receipt, "choices": receipt.choices, "valid": True}
    assert ConsentCreatedSchema().dump(created) == reference(
        ConsentCreatedSchema(), created
    )
    assert ConsentLookupSchema().dump(lookup) == reference(
        ConsentLookupSchema(), lookup
    )
    rows = [receipt_fields(), receipt_fields(subject="other")]
    assert ReceiptSchema(many=True).dump(rows) == reference(
        ReceiptSchema(), rows, many=True
    )


def test_verify_result_dump_is_marshmallows() -> None:
    for result in (
        {"valid": False, "reason": "bad_signature", "receipt": None},
        {
            "valid": True,
            "reason": None,
            "receipt": {
                "id": "r",
                "site": "default",
                "subject": "s",
                "granted": ["session"],
                "denied": [],
                "policy_version": "1",
                "issued_at": NOW,
                "expires_at": NOW,
            },
        },
    ):
        assert VerifyResultSchema().dump(result) == reference(
            VerifyResultSchema(), result
        )


def test_notice_dump_is_marshmallows(client: Any) -> None:
    notice = client.application.extensions["consent_sites"]["default"].notice("en")
    assert NoticeSchema().dump(notice) == reference(NoticeSchema(), notice)


class WithHook(CompiledDumpSchema):
    name = fields.String()

    @post_dump
    def shout(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return {k: v.upper() for k, v in data.items()}


class WithMethod(CompiledDumpSchema):
    name = fields.String()
    size = fields.Method("_size")

    def _size(self, obj: dict[str, Any]) -> int:
        return len(obj["name"])


class WithDefault(CompiledDumpSchema):
    name = fields.String(dump_default="anonymous")


@pytest.mark.parametrize(
    ("schema", "obj", "expected"),
    [
        (WithHook(), {"name": "ada"}, {"name": "ADA"}),
        (WithMethod(), {"name": "ada"}, {"name": "ada", "size": 3}),
        (WithDefault(), {}, {"name": "anonymous"}),
    ],
)
def test_what_cannot_be_compiled_falls_back(
    schema: Schema, obj: Any, expected: Any
) -> None:
    assert schema.dump(obj) == expected
