"""marshmallow schemas: the site file, requests, responses and problem details."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from .compiled_dump import CompiledDumpSchema

SITE_ID_RE = r"^[a-z0-9][a-z0-9_-]{0,63}$"
CATEGORY_ID_RE = r"^[a-z][a-z0-9_]{0,31}$"
LANGUAGE_RE = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$"
# A subject is the banner's random UUID or a site's own pseudonymous id.
SUBJECT_RE = r"^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,127}$"
UUID_RE = (
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
SHA256_RE = r"^[0-9a-f]{64}$"
COOKIE_NAME_RE = r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$"
DOMAIN_RE = r"^\.?[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})*$"
ORIGIN_RE = r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$"

# Google Consent Mode v2 consent types.
CONSENT_MODE_TYPES = (
    "ad_storage",
    "ad_user_data",
    "ad_personalization",
    "analytics_storage",
    "functionality_storage",
    "personalization_storage",
    "security_storage",
)
METHODS = ("accept_all", "reject_all", "custom", "api")
LAYERS = ("first", "preferences", "api")
ACTIONS = ("grant", "update", "withdraw")
VERIFY_REASONS = ("bad_signature", "expired", "unknown_site", "outdated_policy")

_text = validate.Length(min=1, max=2000)
_short = validate.Length(min=1, max=200)


class StrictBoolean(fields.Boolean):
    """A JSON true/false only: not "true", 1 or "yes"."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


def strict_boolean(**kwargs: Any) -> fields.Boolean:
    return StrictBoolean(**kwargs)


def _valid_regex(value: str) -> None:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValidationError(f"Not a valid regular expression: {exc}.") from exc


# --- Site configuration -----------------------------------------------------


class CookieSchema(Schema):
    name = fields.String(validate=validate.Regexp(COOKIE_NAME_RE), load_default=None)
    pattern = fields.String(
        validate=[validate.Length(min=1, max=200), _valid_regex], load_default=None
    )
    provider = fields.String(validate=_short, load_default=None)
    duration = fields.String(validate=_short, load_default=None)
    party = fields.String(
        validate=validate.OneOf(("first", "third")), load_default="first"
    )
    description = fields.String(validate=_text, load_default=None)

    @validates_schema
    def _name_or_pattern(self, data: dict[str, Any], **kwargs: Any) -> None:
        if (data.get("name") is None) == (data.get("pattern") is None):
            raise ValidationError("Give exactly one of 'name' or 'pattern'.", "name")


class ThirdPartySchema(Schema):
    name = fields.String(required=True, validate=_short)
    url = fields.Url(load_default=None, schemes={"http", "https"})


class CategoryTextsSchema(Schema):
    title = fields.String(required=True, validate=_short)
    description = fields.String(required=True, validate=_text)


class CategorySchema(Schema):
    id = fields.String(required=True, validate=validate.Regexp(CATEGORY_ID_RE))
    required = strict_boolean(load_default=False)
    texts = fields.Dict(
        keys=fields.String(validate=validate.Regexp(LANGUAGE_RE)),
        values=fields.Nested(CategoryTextsSchema),
        required=True,
        validate=validate.Length(min=1),
    )
    cookies = fields.List(fields.Nested(CookieSchema), load_default=list)
    third_parties = fields.List(fields.Nested(ThirdPartySchema), load_default=list)
    consent_mode = fields.List(
        fields.String(validate=validate.OneOf(CONSENT_MODE_TYPES)), load_default=list
    )


class ControllerSchema(Schema):
    name = fields.String(required=True, validate=_short)
    contact = fields.String(load_default=None, validate=_short)
    address = fields.String(load_default=None, validate=_short)
    email = fields.Email(required=True)


class SiteCookieSchema(Schema):
    name = fields.String(
        load_default="consent", validate=validate.Regexp(COOKIE_NAME_RE)
    )
    domain = fields.String(load_default=None, validate=validate.Regexp(DOMAIN_RE))


class SiteConfigSchema(Schema):
    """One site of the site file: its notice and how its consent is kept."""

    policy_version = fields.String(
        required=True, validate=validate.Regexp(r"^[A-Za-z0-9._:-]{1,64}$")
    )
    policy_url = fields.Url(load_default=None, schemes={"http", "https"})
    jurisdiction = fields.String(load_default="EU", validate=validate.Length(1, 32))
    default_language = fields.String(
        load_default="en", validate=validate.Regexp(LANGUAGE_RE)
    )
    languages = fields.List(
        fields.String(validate=validate.Regexp(LANGUAGE_RE)),
        load_default=None,
        validate=validate.Length(min=1),
    )
    validity_days = fields.Integer(
        load_default=365, strict=True, validate=validate.Range(1, 3650)
    )
    refusal_validity_days = fields.Integer(
        load_default=None, strict=True, validate=validate.Range(1, 3650)
    )
    retention_days = fields.Integer(
        load_default=1095, strict=True, validate=validate.Range(1, 36500)
    )
    allowed_origins = fields.List(
        fields.String(validate=validate.Regexp(ORIGIN_RE)), load_default=list
    )
    gpc_categories = fields.List(fields.String(), load_default=list)
    floating_button = strict_boolean(load_default=True)
    cookie = fields.Nested(SiteCookieSchema, load_default=lambda: {"name": "consent"})
    controller = fields.Nested(ControllerSchema, required=True)
    texts = fields.Dict(
        keys=fields.String(validate=validate.Regexp(LANGUAGE_RE)),
        values=fields.Dict(
            keys=fields.String(
                validate=validate.Regexp(r"^[A-Za-z][A-Za-z0-9]{0,40}$")
            ),
            values=fields.String(validate=_text),
        ),
        load_default=dict,
    )
    categories = fields.List(
        fields.Nested(CategorySchema), required=True, validate=validate.Length(1, 20)
    )

    @validates_schema
    def _consistent(self, data: dict[str, Any], **kwargs: Any) -> None:
        categories = data.get("categories") or []
        ids = [c["id"] for c in categories]
        if len(set(ids)) != len(ids):
            raise ValidationError("Category ids must be unique.", "categories")
        if not any(c["required"] for c in categories) and not categories:
            raise ValidationError("At least one category is needed.", "categories")
        optional = {c["id"] for c in categories if not c["required"]}
        for cat in data.get("gpc_categories") or []:
            if cat not in optional:
                raise ValidationError(
                    f"'{cat}' is not an optional category of this site.",
                    "gpc_categories",
                )
        default = data.get("default_language", "en")
        for cat in categories:
            if default not in cat["texts"]:
                raise ValidationError(
                    f"Category '{cat['id']}' has no texts in the default language "
                    f"'{default}'.",
                    "categories",
                )
        refusal = data.get("refusal_validity_days")
        if refusal is not None and refusal > data.get("validity_days", 365):
            raise ValidationError(
                "A refusal cannot be kept longer than a consent.",
                "refusal_validity_days",
            )

    @post_load
    def _fill_languages(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if not data.get("languages"):
            found = {lang for c in data["categories"] for lang in c["texts"]}
            data["languages"] = [data["default_language"]] + sorted(
                found - {data["default_language"]}
            )
        if data["default_language"] not in data["languages"]:
            data["languages"].insert(0, data["default_language"])
        return data


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
    name = fields.String(allow_none=True)
    pattern = fields.String(allow_none=True)
    provider = fields.String(allow_none=True)
    duration = fields.String(allow_none=True)
    party = fields.String()
    description = fields.String(allow_none=True)


class NoticeCategorySchema(CompiledDumpSchema):
    id = fields.String()
    required = fields.Boolean()
    title = fields.String()
    description = fields.String()
    cookies = fields.List(fields.Nested(NoticeCookieSchema))
    third_parties = fields.List(fields.Nested(ThirdPartySchema))
    consent_mode = fields.List(fields.String())


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
    jurisdiction = fields.String()
    controller = fields.Nested(ControllerSchema)
    validity_days = fields.Integer()
    refusal_validity_days = fields.Integer()
    cookie = fields.Nested(SiteCookieSchema)
    gpc_categories = fields.List(fields.String())
    texts = fields.Dict(keys=fields.String(), values=fields.String())
    categories = fields.List(fields.Nested(NoticeCategorySchema))


class NoticeQueryArgsSchema(Schema):
    lang = fields.String(validate=validate.Regexp(LANGUAGE_RE))


# --- Consents -------------------------------------------------------------------


class ConsentCreateSchema(Schema):
    """A visitor's decision, as the banner or a site's backend sends it."""

    id = fields.String(
        validate=validate.Regexp(UUID_RE, error="Must be a UUID."),
        metadata={
            "description": "Client-made receipt id; a retry with it is idempotent"
        },
    )
    subject = fields.String(
        validate=validate.Regexp(
            SUBJECT_RE,
            error="Must be a UUID or an id of 1 to 128 letters, digits and ._:@+-.",
        )
    )
    notice = fields.String(
        required=True,
        validate=validate.Regexp(SHA256_RE, error="Must be a notice hash (64 hex)."),
    )
    choices = fields.Dict(
        keys=fields.String(validate=validate.Length(1, 64)),
        values=strict_boolean(),
        required=True,
    )
    language = fields.String(validate=validate.Regexp(LANGUAGE_RE))
    method = fields.String(validate=validate.OneOf(METHODS), load_default="custom")
    layer = fields.String(validate=validate.OneOf(LAYERS), load_default="api")
    banner_build = fields.String(
        validate=validate.Regexp(r"^[0-9a-f]{8,64}$"), load_default=None
    )
    gpc = strict_boolean(load_default=False)


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


class ReceiptSchema(CompiledDumpSchema):
    """A consent receipt: what was decided, on which notice, when."""

    id = fields.String()
    site = fields.String()
    subject = fields.String()
    action = fields.String(metadata={"enum": list(ACTIONS)})
    method = fields.String(metadata={"enum": list(METHODS)})
    layer = fields.String(metadata={"enum": list(LAYERS)})
    choices = StoredChoices()
    policy_version = fields.String()
    notice = fields.String(attribute="notice_hash")
    banner_build = fields.String(allow_none=True)
    language = fields.String()
    jurisdiction = fields.String()
    gpc = fields.Boolean()
    previous = fields.String(attribute="previous_id", allow_none=True)
    created_at = fields.DateTime(format="iso")
    expires_at = fields.DateTime(format="iso")
    origin = fields.String(allow_none=True)
    user_agent = fields.String(allow_none=True)
    ip_prefix = fields.String(allow_none=True)


class ConsentCreatedSchema(CompiledDumpSchema):
    receipt = fields.Nested(ReceiptSchema)
    token = fields.String(
        metadata={"description": "Signed token for the consent cookie"}
    )


IDEMPOTENCY_KEY_RE = r"^[A-Za-z0-9._:-]{1,128}$"


class ConsentHeadersSchema(Schema):
    """Headers of a decision; others are ignored."""

    class Meta:
        unknown = EXCLUDE

    idempotency_key = fields.String(
        data_key="Idempotency-Key",
        validate=validate.Regexp(
            IDEMPOTENCY_KEY_RE, error="Must be 1-128 letters, digits or ._:-"
        ),
        metadata={"description": "Retries with the same key return the same receipt."},
    )


class SubjectPathSchema(Schema):
    """The path of one subject's decision on a site."""

    site = fields.String(required=True)
    subject = fields.String(
        required=True,
        validate=validate.Regexp(
            SUBJECT_RE,
            error="Must be a UUID or an id of 1 to 128 letters, digits and ._:@+-.",
        ),
    )


class ConsentQueryArgsSchema(Schema):
    category = fields.String(validate=validate.Regexp(CATEGORY_ID_RE))


class ConsentLookupSchema(CompiledDumpSchema):
    receipt = fields.Nested(ReceiptSchema)
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
