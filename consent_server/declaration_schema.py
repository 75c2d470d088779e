"""The cookie declaration's JSON shape, as the OpenAPI document states it."""

from __future__ import annotations

from marshmallow import fields

from .compiled_dump import CompiledDumpSchema
from .notice_schemas import NoticeKeptSchema, NoticeLinksSchema
from .site_schema import ControllerSchema


class DeclarationRowSchema(CompiledDumpSchema):
    """One cookie or storage key."""

    name = fields.String(allow_none=True)
    pattern = fields.String(
        allow_none=True, metadata={"description": "A regular expression over names"}
    )
    kind = fields.String(
        metadata={"enum": ["cookie", "local_storage", "session_storage"]}
    )
    provider = fields.String(allow_none=True)
    purpose = fields.String(allow_none=True)
    duration = fields.String(
        allow_none=True,
        metadata={"description": "In words; null: kept until the visitor clears it"},
    )
    party = fields.String(metadata={"enum": ["first", "third"]})
    country = fields.String(allow_none=True)
    countries = fields.List(
        fields.String(),
        metadata={
            "description": "ISO 3166-1 alpha-2 codes of where its data are kept "
            "(empty: a third party's cookie whose country the site does not name)"
        },
    )


class DeclarationServiceSchema(CompiledDumpSchema):
    id = fields.String()
    name = fields.String()
    provider = fields.String()
    country = fields.String()
    eu = fields.Boolean()
    privacy_url = fields.String(allow_none=True)
    purpose = fields.String()
    cookies = fields.List(fields.Nested(DeclarationRowSchema))


class DeclarationCategorySchema(CompiledDumpSchema):
    id = fields.String()
    required = fields.Boolean()
    title = fields.String()
    description = fields.String()
    cookies = fields.List(fields.Nested(DeclarationRowSchema))
    services = fields.List(fields.Nested(DeclarationServiceSchema))


class DeclarationSchema(CompiledDumpSchema):
    """Every cookie and storage key of a site, the banner's own included."""

    site = fields.String()
    language = fields.String()
    languages = fields.List(fields.String())
    notice = fields.String(
        metadata={"description": "Hash of the notice the declaration is made from"}
    )
    policy_version = fields.String()
    controller = fields.Nested(ControllerSchema)
    links = fields.Nested(NoticeLinksSchema)
    storage_countries = fields.List(fields.String())
    countries = fields.Dict(keys=fields.String(), values=fields.String())
    kept = fields.Nested(NoticeKeptSchema)
    categories = fields.List(fields.Nested(DeclarationCategorySchema))
