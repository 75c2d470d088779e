"""marshmallow schemas of the public API: requests, responses, problem details."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, fields, validate

from .compiled_dump import CompiledDumpSchema
from .schema_fields import FullMatch, strict_boolean
from .site_schema import (
    ControllerSchema,
    SiteCookieSchema,
    ThirdPartySchema,
)
from .vocabulary import (
    ACTIONS,
    CATEGORY_ID_RE,
    IDEMPOTENCY_KEY_RE,
    LANGUAGE_RE,
    LAYERS,
    METHODS,
    SHA256_RE,
    SUBJECT_RE,
    UUID_RE,
    VERIFY_REASONS,
)

# --- Problem details ----------------------------------------------------------


class ProblemSchema(Schema):
    """RFC 9457 problem details."""

    type = fields.String(
        required=True, metadata={"description": "URI of the problem type"}
    )
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    instance = fields.String()
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(),
        metadata={"description": "Messages per invalid field"},
    )


# --- Notices ------------------------------------------------------------------


class NoticeCookieSchema(CompiledDumpSchema):
    """A cookie or storage key, its duration and provider in the notice's language."""

    name = fields.String(allow_none=True)
    pattern = fields.String(allow_none=True)
    kind = fields.String(
        metadata={"enum": ["cookie", "local_storage", "session_storage"]}
    )
    provider = fields.String(allow_none=True)
    duration = fields.String(
        allow_none=True,
        metadata={
            "description": "In words, in the notice's language (null: kept until the "
            "visitor clears it)"
        },
    )
    max_age_days = fields.Integer(allow_none=True)
    session = fields.Boolean(
        metadata={"description": "Deleted when the browser closes"}
    )
    party = fields.String(metadata={"enum": ["first", "third"]})
    country = fields.String(
        allow_none=True,
        metadata={
            "description": "ISO 3166-1 alpha-2 where its data are processed; null: "
            "the site's storage countries"
        },
    )
    purpose = fields.String(allow_none=True)


class NoticeServiceSchema(CompiledDumpSchema):
    """A service inside a category, allowed whole with it or on its own."""

    id = fields.String()
    name = fields.String()
    provider = fields.String()
    country = fields.String(metadata={"description": "ISO 3166-1 alpha-2"})
    eu = fields.Boolean(
        metadata={
            "description": "The country is in the EU/EEA: data stay under the GDPR"
        }
    )
    privacy_url = fields.String(allow_none=True)
    purpose = fields.String()
    cookies = fields.List(fields.Nested(NoticeCookieSchema))
    consent_mode = fields.List(fields.String())


class NoticeCategorySchema(CompiledDumpSchema):
    id = fields.String()
    required = fields.Boolean()
    title = fields.String()
    description = fields.String()
    cookies = fields.List(fields.Nested(NoticeCookieSchema))
    services = fields.List(fields.Nested(NoticeServiceSchema))
    third_parties = fields.List(fields.Nested(ThirdPartySchema))
    consent_mode = fields.List(fields.String())


class NoticeLinksSchema(CompiledDumpSchema):
    policy = fields.String()
    declaration = fields.String()


class NoticeKeptSchema(CompiledDumpSchema):
    consent = fields.String()
    refusal = fields.String()


class NoticeSchema(CompiledDumpSchema):
    """The notice a visitor sees: one site's categories and texts in one language."""

    site = fields.String()
    notice = fields.String(
        metadata={"description": "SHA-256 of the notice's canonical JSON"}
    )
    language = fields.String()
    languages = fields.List(fields.String())
    policy_version = fields.String()
    policy_url = fields.String(allow_none=True)
    policy_sha256 = fields.String(
        allow_none=True,
        metadata={"description": "SHA-256 of the policy text (`GET .../policy`)"},
    )
    links = fields.Nested(
        NoticeLinksSchema,
        metadata={"description": "Paths resolve against the banner's own origin"},
    )
    jurisdiction = fields.String()
    storage_countries = fields.List(fields.String())
    countries = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={
            "description": "ISO 3166-1 alpha-2 -> name in the notice's language, for "
            "every country the notice mentions"
        },
    )
    controller = fields.Nested(ControllerSchema)
    validity_days = fields.Integer()
    refusal_validity_days = fields.Integer()
    kept = fields.Nested(
        NoticeKeptSchema,
        metadata={"description": "The validities in words, in the notice's language"},
    )
    cookie = fields.Nested(SiteCookieSchema)
    gpc_categories = fields.List(fields.String())
    reload_on_withdraw = fields.Boolean(
        metadata={"description": "The banner reloads the page after a withdrawal"}
    )
    texts = fields.Dict(keys=fields.String(), values=fields.String())
    categories = fields.List(fields.Nested(NoticeCategorySchema))


class BannerQueryArgsSchema(Schema):
    lang = fields.String(
        validate=FullMatch(LANGUAGE_RE),
        metadata={
            "description": "The page's language, when it has one: its notice is inlined"
            " instead of the one `Accept-Language` picks"
        },
    )


class PrefsQueryArgsSchema(Schema):
    b = fields.String(
        validate=FullMatch(r"^(?:[0-9a-f]{64})?$", error="Must be 64 hex digits."),
        metadata={
            "description": "The `banner_build` of the banner.js asking (empty:"
            " none): prefs.js of that build only (404 after a deploy), cached for good"
        },
    )


class NoticeQueryArgsSchema(Schema):
    lang = fields.String(validate=FullMatch(LANGUAGE_RE))
    v = fields.String(
        validate=FullMatch(r"^[0-9a-f]{16}$", error="Must be 16 hex digits."),
        metadata={
            "description": "The site's notices version (`notices_version` in"
            " banner.js): when it is the current one, the answer is cached for good"
        },
    )


# --- Consents -------------------------------------------------------------------


class ConsentCreateSchema(Schema):
    """A visitor's decision, as the banner or a site's backend sends it."""

    id = fields.String(
        validate=FullMatch(UUID_RE, error="Must be a UUID."),
        metadata={"description": "Client-made receipt id (optional)"},
    )
    subject = fields.String(
        validate=FullMatch(
            SUBJECT_RE,
            error="Must be a UUID or an id of 1 to 128 letters, digits and ._:@+-.",
        ),
        metadata={
            "description": "A random UUID (or none: the server makes one); other ids "
            "only from a recorder integration"
        },
    )
    token = fields.String(
        validate=validate.Length(1, 4096),
        metadata={
            "description": "A token the service signed for this subject and site "
            "(expired ones too): required once the subject has receipts"
        },
    )
    notice = fields.String(
        required=True,
        validate=FullMatch(SHA256_RE, error="Must be a notice hash (64 hex)."),
    )
    choices = fields.Dict(
        keys=fields.String(validate=validate.Length(1, 64)),
        values=strict_boolean(),
        required=True,
        metadata={
            "description": "Category id -> granted, for every optional category of "
            "the site's notice (and no other); required categories may be left out "
            "and are never false. Otherwise 422."
        },
    )
    language = fields.String(validate=FullMatch(LANGUAGE_RE))
    method = fields.String(validate=validate.OneOf(METHODS), load_default="custom")
    layer = fields.String(validate=validate.OneOf(LAYERS), load_default="api")
    banner_build = fields.String(
        validate=FullMatch(SHA256_RE, error="Must be a build hash (64 hex)."),
        load_default=None,
        metadata={"description": "SHA-256 of the banner bundle that collected it"},
    )
    gpc = strict_boolean(load_default=False)
    user_activation = strict_boolean(
        load_default=None,
        metadata={
            "description": "Layer `api` only: whether the browser saw a user gesture "
            "when the page's script decided"
        },
    )


class StoredChoices(fields.Dict):
    """Category -> granted, as stored: output only, for the hot lookup and record paths.

    Stored choices were validated on the way in, so dumping needs no per-entry field
    calls (marshmallow's Dict costs ~60 us for three entries); the key and value
    fields stay for the OpenAPI document.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(keys=fields.String(), values=fields.Boolean(), **kwargs)

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else {str(k): bool(v) for k, v in value.items()}


class DecisionSchema(CompiledDumpSchema):
    """What was decided: the receipt fields a public lookup answers with."""

    id = fields.String()
    site = fields.String()
    subject = fields.String()
    action = fields.String(metadata={"enum": list(ACTIONS)})
    method = fields.String(metadata={"enum": list(METHODS)})
    layer = fields.String(metadata={"enum": list(LAYERS)})
    choices = StoredChoices()
    gpc = fields.Boolean()
    previous = fields.String(attribute="previous_id", allow_none=True)
    policy_version = fields.String()
    notice = fields.String(attribute="notice_hash")
    language = fields.String()
    created_at = fields.DateTime(format="iso")
    expires_at = fields.DateTime(format="iso")


class ReceiptSchema(DecisionSchema):
    """A consent receipt: the decision, what it was made on, and its context."""

    banner_build = fields.String(allow_none=True)
    jurisdiction = fields.String()
    user_activation = fields.Boolean(allow_none=True)
    origin = fields.String(allow_none=True)
    user_agent = fields.String(allow_none=True)
    ip_prefix = fields.String(allow_none=True)


class ConsentCreatedSchema(CompiledDumpSchema):
    receipt = fields.Nested(ReceiptSchema)
    token = fields.String(
        metadata={"description": "Signed token for the consent cookie"}
    )
    jws = fields.String(
        allow_none=True,
        metadata={
            "description": "The receipt as an Ed25519 compact JWS (alg EdDSA) over "
            "its RFC 8785 canonical JSON: the payload is `receipt`. Check it with "
            "/.well-known/jwks.json. Null only for receipts recorded before "
            "receipts were signed."
        },
    )


class ConsentHeadersSchema(Schema):
    """Headers of a decision; others are ignored."""

    class Meta:
        unknown = EXCLUDE

    idempotency_key = fields.String(
        data_key="Idempotency-Key",
        validate=FullMatch(
            IDEMPOTENCY_KEY_RE, error="Must be 1-128 letters, digits or ._:-"
        ),
        metadata={"description": "Retries with the same key return the same receipt."},
    )


class SubjectPathSchema(Schema):
    """The path of one subject's decision on a site."""

    site = fields.String(required=True)
    subject = fields.String(
        required=True,
        validate=FullMatch(
            SUBJECT_RE,
            error="Must be a UUID or an id of 1 to 128 letters, digits and ._:@+-.",
        ),
    )


class ConsentQueryArgsSchema(Schema):
    category = fields.String(validate=FullMatch(CATEGORY_ID_RE))


class ConsentLookupSchema(CompiledDumpSchema):
    receipt = fields.Nested(DecisionSchema)
    choices = StoredChoices()
    valid = fields.Boolean(
        metadata={"description": "Not expired and made under the current policy"}
    )
    granted = fields.Boolean(
        metadata={
            "description": "Only with ?category=: whether it is granted and valid"
        }
    )


# --- Tokens -------------------------------------------------------------------------


class VerifyRequestSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    token = fields.String(required=True, validate=validate.Length(1, 4096))


class TokenReceiptSchema(CompiledDumpSchema):
    """What a token says, readable without a database."""

    id = fields.String()
    site = fields.String()
    subject = fields.String()
    granted = fields.List(fields.String())
    denied = fields.List(fields.String())
    policy_version = fields.String()
    issued_at = fields.DateTime(format="iso")
    expires_at = fields.DateTime(format="iso")


class VerifyResultSchema(CompiledDumpSchema):
    valid = fields.Boolean()
    reason = fields.String(allow_none=True, metadata={"enum": list(VERIFY_REASONS)})
    receipt = fields.Nested(TokenReceiptSchema, allow_none=True)


class HealthSchema(CompiledDumpSchema):
    status = fields.String()


class ReadinessSchema(HealthSchema):
    database = fields.String(metadata={"enum": ["ok"]})
    rate_limits = fields.String(metadata={"enum": ["ok", "degraded", "off"]})
