"""The documented shape of the visitor's receipt file (``receipt_file``)."""

from __future__ import annotations

from marshmallow import Schema, fields

from .schemas import ReceiptSchema


class ReceiptFileSchema(Schema):
    format = fields.String(metadata={"description": "consent-receipt-file/1"})
    made_at = fields.String(metadata={"description": "When this file was made"})
    jwks_url = fields.String(
        metadata={"description": "The public keys that check `jws` and `head`"}
    )
    receipt = fields.Nested(
        ReceiptSchema, metadata={"description": "The receipt, as its JWS signs it"}
    )
    jws = fields.String(
        allow_none=True,
        metadata={"description": "Ed25519 compact JWS over the receipt (RFC 8785)"},
    )
    notice = fields.Dict(
        allow_none=True,
        metadata={"description": "The exact notice the receipt names (by hash)"},
    )
    proof = fields.Dict(
        allow_none=True,
        metadata={
            "description": "RFC 9162 inclusion proof: leaf_index, leaf, salt, "
            "inclusion_path; null until a seal covers the receipt"
        },
    )
    head = fields.Dict(
        allow_none=True,
        metadata={"description": "The signed tree head the proof leads to"},
    )
    iso27560 = fields.Dict(
        metadata={"description": "The receipt as an ISO/IEC TS 27560 consent receipt"}
    )
