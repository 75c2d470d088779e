"""Output schemas of the signing keys (JWKS) and of the JWS checks, for OpenAPI."""

from __future__ import annotations

from marshmallow import Schema, fields


class JWKSchema(Schema):
    """One Ed25519 public key (RFC 7517, RFC 8037)."""

    kty = fields.String(metadata={"enum": ["OKP"]})
    crv = fields.String(metadata={"enum": ["Ed25519"]})
    x = fields.String(metadata={"description": "The public key, base64url"})
    kid = fields.String()
    use = fields.String(metadata={"enum": ["sig"]})
    alg = fields.String(metadata={"enum": ["EdDSA"]})
    signed_from = fields.String(
        metadata={"description": "Retired keys only: first time it signed (ISO 8601)"}
    )
    signed_until = fields.String(
        metadata={"description": "Retired keys only: last time it signed (ISO 8601)"}
    )


class JWKSSchema(Schema):
    keys = fields.List(fields.Nested(JWKSchema))
