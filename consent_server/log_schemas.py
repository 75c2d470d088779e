"""marshmallow schemas of the transparency log's public endpoints."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .schema_fields import FullMatch
from .vocabulary import UUID_RE

HEX_HASH = {"type": "string", "pattern": "^[0-9a-f]{64}$"}


class TreeHeadSchema(Schema):
    tree_size = fields.Integer(metadata={"description": "Leaves the head covers."})
    root_hash = fields.String(
        metadata={"description": "RFC 9162 root hash, hex.", **HEX_HASH}
    )
    timestamp = fields.DateTime(format="iso")
    signature = fields.String(
        metadata={
            "description": "Compact JWS (EdDSA, typ tree-head+jws) over the "
            "canonical JSON of tree_size, root_hash and timestamp "
            "(timestamp as ISO 8601 with microseconds and Z); keys in "
            "/.well-known/jwks.json."
        }
    )


class TreeHeadsSchema(Schema):
    heads = fields.List(fields.Nested(TreeHeadSchema))


class HeadsQueryArgsSchema(Schema):
    since = fields.AwareDateTime(
        format="iso",
        metadata={"description": "Heads signed at or after this time (ISO 8601)."},
    )
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class ConsistencyQueryArgsSchema(Schema):
    first = fields.Integer(required=True, validate=validate.Range(min=1))
    second = fields.Integer(required=True, validate=validate.Range(min=1))


class ConsistencySchema(Schema):
    first = fields.Integer()
    second = fields.Integer()
    consistency_path = fields.List(
        fields.String(metadata=HEX_HASH),
        metadata={"description": "PROOF(first, D[second]) of RFC 9162, 2.1.4."},
    )


class ReceiptPathSchema(Schema):
    receipt_id = fields.String(
        required=True, validate=FullMatch(UUID_RE, error="Must be a UUID.")
    )


class ReceiptProofSchema(Schema):
    receipt_id = fields.String()
    leaf_index = fields.Integer()
    leaf = fields.Dict(
        metadata={
            "description": "The leaf: the receipt's fields, personal ones only as "
            "salted SHA-256 (salted_sha256); its RFC 8785 bytes are the entry "
            "the leaf hash covers."
        }
    )
    salt = fields.String(
        allow_none=True,
        metadata={"description": "The leaf's salt, hex; null once erased."},
    )
    inclusion_path = fields.List(
        fields.String(metadata=HEX_HASH),
        metadata={"description": "PATH(leaf_index, D[tree_size]) of RFC 9162."},
    )
    head = fields.Nested(TreeHeadSchema)
