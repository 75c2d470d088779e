"""marshmallow schemas of a site's notice as the public API answers it, and the
query arguments of the banner and notice routes."""

from __future__ import annotations

from marshmallow import Schema, fields
from marshmallow.validate import OneOf

from .compiled_dump import CompiledDumpSchema
from .schema_fields import FullMatch
from .site_schema import ControllerSchema, SiteCookieSchema, ThirdPartySchema
from .vocabulary import LANGUAGE_RE


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


class NoticeThirdPartySchema(ThirdPartySchema):
    eu = fields.Boolean(
        allow_none=True,
        metadata={
            "description": "Whether its country is in the EU/EEA (null: none named)"
        },
    )


class NoticeCategorySchema(CompiledDumpSchema):
    id = fields.String()
    required = fields.Boolean()
    title = fields.String()
    description = fields.String()
    cookies = fields.List(fields.Nested(NoticeCookieSchema))
    services = fields.List(fields.Nested(NoticeServiceSchema))
    third_parties = fields.List(fields.Nested(NoticeThirdPartySchema))
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
    part = fields.String(
        validate=OneOf(["first"]),
        metadata={
            "description": "`first`: only the notice's first layer, exactly as"
            " banner.js inlines it (its `notice` is still the hash of the whole"
            " notice); the banner fetches it for a page whose `lang` picks another"
            " language"
        },
    )
