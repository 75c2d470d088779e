"""marshmallow schemas of the staff API: filters, pages, receipts, stats, audit."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..schemas import ReceiptSchema
from ..staff import NAME_RE, ROLES
from ..vocabulary import ACTIONS, CATEGORY_ID_RE, METHODS, SITE_ID_RE, SUBJECT_RE

MAX_LIMIT = 500
DEFAULT_LIMIT = 100
MAX_STATS_DAYS = 3660
EXPORT_FORMATS = ("csv", "jsonl")


class Instant(fields.Field[datetime]):
    """A date (midnight UTC) or an ISO 8601 date-time; without an offset it is UTC."""

    default_error_messages = {
        "invalid": "Not a date (YYYY-MM-DD) or an ISO 8601 date-time.",
    }

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> datetime:
        if not isinstance(value, str) or not 10 <= len(value) <= 40:
            raise self.make_error("invalid")
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError as exc:
            raise self.make_error("invalid") from exc
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)


class Day(fields.Date):
    default_error_messages = {"invalid": "Not a date (YYYY-MM-DD)."}


class QueryBoolean(fields.Boolean):
    """``true``/``false`` (also 1/0, yes/no) in a query string."""

    default_error_messages = {"invalid": "Use true or false."}


class ReceiptFilterArgsSchema(Schema):
    """Filters shared by search and export."""

    site = fields.String(validate=validate.Regexp(SITE_ID_RE, error="Not a site id."))
    subject = fields.String(
        validate=validate.Regexp(SUBJECT_RE, error="Not a subject id.")
    )
    category = fields.String(
        validate=validate.Regexp(CATEGORY_ID_RE, error="Not a category id."),
        metadata={
            "description": "Receipts where this category was granted (or denied)"
        },
    )
    granted = QueryBoolean(
        metadata={
            "description": "With `category`: true (default) granted, false denied"
        }
    )
    action = fields.String(validate=validate.OneOf(ACTIONS))
    method = fields.String(validate=validate.OneOf(METHODS))
    policy_version = fields.String(validate=validate.Length(1, 64))
    gpc = QueryBoolean()
    since = Instant(metadata={"description": "Inclusive; a date means 00:00 UTC"})
    until = Instant(metadata={"description": "Exclusive; a date means 00:00 UTC"})

    @validates_schema
    def _consistent(self, data: dict[str, Any], **kwargs: Any) -> None:
        from ..sites import all_sites

        errors: dict[str, list[str]] = {}
        sites = all_sites()
        site = data.get("site")
        if site is not None and site not in sites and not _site_has_receipts(site):
            errors["site"] = [f"Unknown site; this server has {sorted(sites)}."]
        category = data.get("category")
        if category is not None:
            if site in sites:
                known = set(sites[site].category_ids)
            else:
                known = {c for s in sites.values() for c in s.category_ids}
            if category not in known:
                errors["category"] = [f"Unknown category; known are {sorted(known)}."]
        elif "granted" in data:
            errors["granted"] = ["Only together with 'category'."]
        since, until = data.get("since"), data.get("until")
        if since and until and until <= since:
            errors["until"] = ["Must be after 'since'."]
        if errors:
            raise ValidationError(errors)


def _site_has_receipts(site: str) -> bool:
    """Receipts of a site removed from the configuration stay searchable."""
    from sqlalchemy import select

    from ..extensions import db
    from ..models import Receipt

    return (
        db.session.scalar(select(Receipt.id).where(Receipt.site == site).limit(1))
        is not None
    )


class ReceiptSearchArgsSchema(ReceiptFilterArgsSchema):
    limit = fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(1, MAX_LIMIT, error=f"Must be 1 to {MAX_LIMIT}."),
    )
    cursor = fields.String(
        validate=validate.Length(1, 1024),
        metadata={"description": "`next_cursor` of the previous page, same filters"},
    )


class ExportArgsSchema(ReceiptFilterArgsSchema):
    format = fields.String(
        load_default="jsonl", validate=validate.OneOf(EXPORT_FORMATS)
    )


class StaffReceiptSchema(ReceiptSchema):
    """A receipt as staff see it: with its signed token (null once erased)."""

    token = fields.String(allow_none=True)
    erased = fields.Function(lambda r: r.token is None)


class ReceiptPageSchema(Schema):
    items = fields.List(fields.Nested(StaffReceiptSchema))
    next_cursor = fields.String(allow_none=True)


class VerificationSchema(Schema):
    valid = fields.Boolean(
        metadata={"description": "Signature, fields and notice all check out"}
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


class ReceiptDetailSchema(Schema):
    receipt = fields.Nested(StaffReceiptSchema)
    verification = fields.Nested(VerificationSchema)
    notice = fields.Dict(
        allow_none=True, metadata={"description": "The exact notice the visitor saw"}
    )


class SubjectArgsSchema(Schema):
    site = fields.String(validate=validate.Regexp(SITE_ID_RE, error="Not a site id."))


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


class StatsArgsSchema(Schema):
    site = fields.String(validate=validate.Regexp(SITE_ID_RE, error="Not a site id."))
    since = Day(
        metadata={"description": "First day (UTC), default 30 days before until"}
    )
    until = Day(
        metadata={"description": "Day after the last (exclusive), default tomorrow"}
    )

    @validates_schema
    def _range(self, data: dict[str, Any], **kwargs: Any) -> None:
        from ..sites import all_sites

        site = data.get("site")
        if (
            site is not None
            and site not in all_sites()
            and not _site_has_receipts(site)
        ):
            raise ValidationError(
                f"Unknown site; this server has {sorted(all_sites())}.", "site"
            )
        since, until = stats_range(data)
        if until <= since:
            raise ValidationError("Must be after 'since'.", "until")
        if (until - since).days > MAX_STATS_DAYS:
            raise ValidationError(f"At most {MAX_STATS_DAYS} days at once.", "since")


def stats_range(data: dict[str, Any]) -> tuple[date, date]:
    until: date = data.get("until") or (datetime.now(UTC).date() + timedelta(days=1))
    since: date = data.get("since") or (until - timedelta(days=30))
    return since, until


class CategoryStatsSchema(Schema):
    decisions = fields.Integer()
    granted = fields.Integer()
    opt_in_rate = fields.Float(allow_none=True)


class MethodCountsSchema(Schema):
    accept_all = fields.Raw()
    reject_all = fields.Raw()
    custom = fields.Raw()
    api = fields.Raw()


class StatsTotalsSchema(Schema):
    decisions = fields.Integer()
    methods = fields.Nested(MethodCountsSchema)
    shares = fields.Nested(MethodCountsSchema)
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


class PageArgsSchema(Schema):
    limit = fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(1, MAX_LIMIT, error=f"Must be 1 to {MAX_LIMIT}."),
    )
    cursor = fields.String(validate=validate.Length(1, 1024))


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
    created_at = fields.DateTime(format="iso")
    last_used_at = fields.DateTime(format="iso", allow_none=True)
    revoked_at = fields.DateTime(format="iso", allow_none=True)
    active = fields.Boolean()


class StaffTokenCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Regexp(NAME_RE))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))


class StaffTokenCreatedSchema(StaffTokenSchema):
    token = fields.String(metadata={"description": "Shown once; only its hash is kept"})


def is_subject(value: str) -> bool:
    return re.match(SUBJECT_RE, value) is not None
