"""marshmallow schemas of the staff API's answers: receipts, stats, audit, tokens."""

from __future__ import annotations

from marshmallow import Schema, fields

from ..schemas import ReceiptSchema
from ..vocabulary import METHODS


class StaffReceiptSchema(ReceiptSchema):
    """A receipt as staff see it: with its signed token (null once erased)."""

    token = fields.String(allow_none=True)
    erased = fields.Function(lambda r: r.token is None)


class ReceiptPageSchema(Schema):
    items = fields.List(fields.Nested(StaffReceiptSchema))
    next_cursor = fields.String(allow_none=True)


class JWSCheckSchema(Schema):
    valid = fields.Boolean(
        metadata={"description": "Signed with a key of the JWKS, payload as stored"}
    )
    reason = fields.String(
        allow_none=True,
        metadata={
            "description": "missing (recorded before receipts were signed), erased, "
            "mismatch, bad_signature, unknown_key, bad_header, bad_payload or "
            "malformed when not valid"
        },
    )
    kid = fields.String(
        allow_none=True, metadata={"description": "The key that signed it"}
    )
    mismatches = fields.List(
        fields.String(),
        metadata={"description": "Payload fields that differ from the stored receipt"},
    )


class VerificationSchema(Schema):
    valid = fields.Boolean(
        metadata={
            "description": "Token signature, fields and notice all check out, and "
            "the JWS too when the receipt has one"
        }
    )
    signature_valid = fields.Boolean()
    reason = fields.String(
        allow_none=True,
        metadata={
            "description": "bad_signature, erased or expired_signature when not valid"
        },
    )
    token_expired = fields.Boolean(
        metadata={"description": "The consent itself has expired"}
    )
    mismatches = fields.List(
        fields.String(),
        metadata={"description": "Receipt fields that differ from the token"},
    )
    notice_intact = fields.Boolean(
        metadata={"description": "The stored notice still hashes to the receipt's hash"}
    )
    jws = fields.Nested(
        JWSCheckSchema,
        metadata={"description": "The Ed25519 JWS checked with the published JWKS"},
    )


class ReceiptDetailSchema(Schema):
    receipt = fields.Nested(StaffReceiptSchema)
    jws = fields.String(
        allow_none=True,
        metadata={
            "description": "The receipt's Ed25519 compact JWS; null when recorded "
            "before receipts were signed, or erased"
        },
    )
    verification = fields.Nested(VerificationSchema)
    notice = fields.Dict(
        allow_none=True, metadata={"description": "The exact notice the visitor saw"}
    )


class SubjectHistorySchema(Schema):
    subject = fields.String()
    exported_at = fields.DateTime(format="iso")
    receipts = fields.List(fields.Nested(StaffReceiptSchema))
    notices = fields.Dict(
        keys=fields.String(), values=fields.Dict(), metadata={"description": "By hash"}
    )


class ErasureSchema(Schema):
    id = fields.Integer()
    site = fields.String(allow_none=True)
    receipts = fields.Integer(metadata={"description": "Receipts anonymized"})
    erased_by = fields.String()
    created_at = fields.DateTime(format="iso")


class CategoryStatsSchema(Schema):
    decisions = fields.Integer()
    granted = fields.Integer()
    opt_in_rate = fields.Float(allow_none=True)
    page_code = fields.Integer(
        metadata={"description": "Decisions of page scripts without a user gesture"}
    )
    page_code_granted = fields.Integer()


# A field per decision method: its count in ``methods``, its share in ``shares``.
MethodCountsSchema = Schema.from_dict(
    {method: fields.Raw() for method in METHODS}, name="MethodCountsSchema"
)


class StatsTotalsSchema(Schema):
    decisions = fields.Integer(metadata={"description": "Visitors' decisions"})
    refused = fields.Integer(
        metadata={"description": "First decisions that grant no optional category"}
    )
    methods = fields.Nested(MethodCountsSchema)
    shares = fields.Nested(MethodCountsSchema)
    page_code = fields.Integer(
        metadata={"description": "Decisions of page scripts without a user gesture"}
    )
    categories = fields.Dict(
        keys=fields.String(), values=fields.Nested(CategoryStatsSchema)
    )


class DayStatsSchema(StatsTotalsSchema):
    day = fields.String()


class StatsSchema(Schema):
    site = fields.String(allow_none=True)
    since = fields.String()
    until = fields.String(metadata={"description": "Exclusive"})
    days = fields.List(fields.Nested(DayStatsSchema))
    totals = fields.Nested(StatsTotalsSchema)


class AuditEntrySchema(Schema):
    id = fields.Integer()
    created_at = fields.DateTime(format="iso")
    token_name = fields.String(allow_none=True)
    role = fields.String(allow_none=True)
    interface = fields.String(metadata={"description": "api or ui"})
    method = fields.String()
    path = fields.String()
    query = fields.String()
    status = fields.Integer()


class AuditPageSchema(Schema):
    items = fields.List(fields.Nested(AuditEntrySchema))
    next_cursor = fields.String(allow_none=True)


class StaffTokenSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    role = fields.String()
    sites = fields.List(fields.String(), allow_none=True)
    created_at = fields.DateTime(format="iso")
    last_used_at = fields.DateTime(format="iso", allow_none=True)
    revoked_at = fields.DateTime(format="iso", allow_none=True)
    active = fields.Boolean()


class StaffTokenCreatedSchema(StaffTokenSchema):
    token = fields.String(metadata={"description": "Shown once; only its hash is kept"})
