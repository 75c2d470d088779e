"""The site file's schema: one site's notice and how its consent is kept."""

from __future__ import annotations

from typing import Any

from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from .schema_fields import FullMatch, long_text, short_text, strict_boolean, valid_regex
from .vocabulary import (
    CATEGORY_ID_RE,
    CONSENT_MODE_TYPES,
    COOKIE_NAME_RE,
    COUNTRY_RE,
    DOMAIN_RE,
    LANGUAGE_RE,
    ORIGIN_RE,
    STORAGE_KINDS,
)

DEFAULT_VALIDITY_DAYS = 180


class CookieSchema(Schema):
    name = fields.String(validate=FullMatch(COOKIE_NAME_RE), load_default=None)
    pattern = fields.String(
        validate=[validate.Length(min=1, max=200), valid_regex], load_default=None
    )
    provider = fields.String(validate=short_text, load_default=None)
    # Free text kept as given; prefer ``max_age_days`` or ``session``, which the
    # notice renders in each language.
    duration = fields.String(validate=short_text, load_default=None)
    max_age_days = fields.Integer(
        strict=True, validate=validate.Range(1, 3650), load_default=None
    )
    session = strict_boolean(load_default=False)
    party = fields.String(
        validate=validate.OneOf(("first", "third")), load_default="first"
    )
    description = fields.String(validate=long_text, load_default=None)
    # Where the value lives: a cookie, or a key of the page's Web Storage.
    kind = fields.String(validate=validate.OneOf(STORAGE_KINDS), load_default="cookie")
    # ISO 3166-1 alpha-2 of where the data it holds is processed, when not the
    # site's own storage countries.
    country = fields.String(validate=FullMatch(COUNTRY_RE), load_default=None)

    @validates_schema
    def _name_or_pattern(self, data: dict[str, Any], **kwargs: Any) -> None:
        if (data.get("name") is None) == (data.get("pattern") is None):
            raise ValidationError("Give exactly one of 'name' or 'pattern'.", "name")
        lifetimes = [
            data.get("duration") is not None,
            data.get("max_age_days") is not None,
            bool(data.get("session")),
        ]
        if sum(lifetimes) > 1:
            raise ValidationError(
                "Give at most one of 'duration', 'max_age_days' or 'session'.",
                "max_age_days",
            )


class ThirdPartySchema(Schema):
    """A recipient of a category's data that visitors cannot allow on its own (a
    service can be): its name, privacy link and the country its data go to, which
    production requires (``site_checks``)."""

    name = fields.String(required=True, validate=short_text)
    url = fields.Url(load_default=None, schemes={"http", "https"})
    country = fields.String(load_default=None, validate=FullMatch(COUNTRY_RE))


class ServiceTextsSchema(Schema):
    purpose = fields.String(required=True, validate=long_text)


class ServiceSchema(Schema):
    """A service inside a category: a visitor may allow it on its own (issue #11)."""

    id = fields.String(required=True, validate=FullMatch(CATEGORY_ID_RE))
    name = fields.String(required=True, validate=short_text)
    provider = fields.String(required=True, validate=short_text)
    country = fields.String(required=True, validate=FullMatch(COUNTRY_RE))
    privacy_url = fields.Url(load_default=None, schemes={"http", "https"})
    texts = fields.Dict(
        keys=fields.String(validate=FullMatch(LANGUAGE_RE)),
        values=fields.Nested(ServiceTextsSchema),
        required=True,
        validate=validate.Length(min=1),
    )
    cookies = fields.List(fields.Nested(CookieSchema), load_default=list)
    consent_mode = fields.List(
        fields.String(validate=validate.OneOf(CONSENT_MODE_TYPES)), load_default=list
    )


class CategoryTextsSchema(Schema):
    title = fields.String(required=True, validate=short_text)
    description = fields.String(required=True, validate=long_text)


class CategorySchema(Schema):
    id = fields.String(required=True, validate=FullMatch(CATEGORY_ID_RE))
    required = strict_boolean(load_default=False)
    texts = fields.Dict(
        keys=fields.String(validate=FullMatch(LANGUAGE_RE)),
        values=fields.Nested(CategoryTextsSchema),
        required=True,
        validate=validate.Length(min=1),
    )
    cookies = fields.List(fields.Nested(CookieSchema), load_default=list)
    services = fields.List(fields.Nested(ServiceSchema), load_default=list)
    third_parties = fields.List(fields.Nested(ThirdPartySchema), load_default=list)
    consent_mode = fields.List(
        fields.String(validate=validate.OneOf(CONSENT_MODE_TYPES)), load_default=list
    )


class ControllerSchema(Schema):
    name = fields.String(required=True, validate=short_text)
    contact = fields.String(load_default=None, validate=short_text)
    address = fields.String(load_default=None, validate=short_text)
    email = fields.Email(required=True)


class SiteCookieSchema(Schema):
    name = fields.String(load_default="consent", validate=FullMatch(COOKIE_NAME_RE))
    domain = fields.String(load_default=None, validate=FullMatch(DOMAIN_RE))


class SiteConfigSchema(Schema):
    """One site of the site file: its notice and how its consent is kept."""

    policy_version = fields.String(
        required=True, validate=FullMatch(r"^[A-Za-z0-9._:-]{1,64}$")
    )
    policy_url = fields.Url(load_default=None, schemes={"http", "https"})
    # Read at start-up (relative to the site file); its SHA-256 is in the notice.
    policy_file = fields.String(load_default=None, validate=validate.Length(1, 1024))
    jurisdiction = fields.String(load_default="EU", validate=validate.Length(1, 32))
    default_language = fields.String(load_default="en", validate=FullMatch(LANGUAGE_RE))
    languages = fields.List(
        fields.String(validate=FullMatch(LANGUAGE_RE)),
        load_default=None,
        validate=validate.Length(min=1),
    )
    # About six months (CNIL's recommendation for keeping a choice).
    validity_days = fields.Integer(
        load_default=DEFAULT_VALIDITY_DAYS,
        strict=True,
        validate=validate.Range(1, 3650),
    )
    refusal_validity_days = fields.Integer(
        load_default=None, strict=True, validate=validate.Range(1, 3650)
    )
    retention_days = fields.Integer(
        load_default=1095, strict=True, validate=validate.Range(1, 36500)
    )
    # Where the controller keeps the data (ISO 3166-1 alpha-2), e.g. FR, NL, DE.
    storage_countries = fields.List(
        fields.String(validate=FullMatch(COUNTRY_RE)), load_default=list
    )
    allowed_origins = fields.List(
        fields.String(validate=FullMatch(ORIGIN_RE)), load_default=list
    )
    gpc_categories = fields.List(fields.String(), load_default=list)
    floating_button = strict_boolean(load_default=True)
    # After a withdrawal the banner reloads the page, so scripts that already ran
    # stop (issue #11).
    reload_on_withdraw = strict_boolean(load_default=True)
    cookie = fields.Nested(SiteCookieSchema, load_default=lambda: {"name": "consent"})
    controller = fields.Nested(ControllerSchema, required=True)
    texts = fields.Dict(
        keys=fields.String(validate=FullMatch(LANGUAGE_RE)),
        values=fields.Dict(
            keys=fields.String(validate=FullMatch(r"^[A-Za-z][A-Za-z0-9]{0,40}$")),
            values=fields.String(validate=long_text),
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
        ids += [s["id"] for c in categories for s in c.get("services") or []]
        if len(set(ids)) != len(ids):
            # One namespace: gating and choices name a category or a service by id.
            raise ValidationError(
                "Category and service ids must be unique across the site.",
                "categories",
            )
        if categories and not any(c["required"] for c in categories):
            # The banner's own cookie and storage keys are declared there (issue #11).
            raise ValidationError(
                "At least one category must be required: the banner's own cookie "
                "and storage keys are declared in it.",
                "categories",
            )
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
            for service in cat.get("services") or []:
                if default not in service["texts"]:
                    raise ValidationError(
                        f"Service '{service['id']}' has no purpose in the default "
                        f"language '{default}'.",
                        "categories",
                    )
        refusal = data.get("refusal_validity_days")
        if refusal is not None and refusal > data.get(
            "validity_days", DEFAULT_VALIDITY_DAYS
        ):
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
