"""marshmallow schemas of what staff send: query filters, pages, new tokens."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..schema_fields import FullMatch
from ..staff import NAME_RE, ROLES
from ..vocabulary import ACTIONS, CATEGORY_ID_RE, METHODS, SITE_ID_RE, SUBJECT_RE
from .cursor import DEFAULT_LIMIT, MAX_LIMIT

MAX_STATS_DAYS = 3660
EXPORT_FORMATS = ("csv", "jsonl", "iso27560")
# A receipt or a history as the API's JSON, or as ISO/IEC TS 27560 JSON-LD.
RECORD_FORMATS = ("json", "iso27560")


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

    site = fields.String(validate=FullMatch(SITE_ID_RE, error="Not a site id."))
    subject = fields.String(validate=FullMatch(SUBJECT_RE, error="Not a subject id."))
    category = fields.String(
        validate=FullMatch(CATEGORY_ID_RE, error="Not a category id."),
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
        """Shape only; which sites and categories exist is checked by the search
        (``receipt_search.checked_filters``)."""
        errors: dict[str, list[str]] = {}
        if data.get("category") is None and "granted" in data:
            errors["granted"] = ["Only together with 'category'."]
        since, until = data.get("since"), data.get("until")
        if since and until and until <= since:
            errors["until"] = ["Must be after 'since'."]
        if errors:
            raise ValidationError(errors)


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
        load_default="jsonl",
        validate=validate.OneOf(EXPORT_FORMATS),
        metadata={
            "description": "`iso27560`: JSON Lines of ISO/IEC TS 27560 consent "
            "records (JSON-LD, W3C DPV)"
        },
    )


class RecordFormatArgsSchema(Schema):
    format = fields.String(
        load_default="json",
        validate=validate.OneOf(RECORD_FORMATS),
        metadata={
            "description": "`iso27560`: an ISO/IEC TS 27560 consent receipt "
            "(JSON-LD, W3C DPV, `application/ld+json`)"
        },
    )


class SubjectArgsSchema(Schema):
    site = fields.String(validate=FullMatch(SITE_ID_RE, error="Not a site id."))


class SubjectHistoryArgsSchema(SubjectArgsSchema, RecordFormatArgsSchema):
    pass


class StatsArgsSchema(Schema):
    site = fields.String(validate=FullMatch(SITE_ID_RE, error="Not a site id."))
    since = Day(
        metadata={"description": "First day (UTC), default 30 days before until"}
    )
    until = Day(
        metadata={"description": "Day after the last (exclusive), default tomorrow"}
    )

    @validates_schema
    def _range(self, data: dict[str, Any], **kwargs: Any) -> None:
        since, until = stats_range(data)
        if until <= since:
            raise ValidationError("Must be after 'since'.", "until")
        if (until - since).days > MAX_STATS_DAYS:
            raise ValidationError(f"At most {MAX_STATS_DAYS} days at once.", "since")


def stats_range(data: dict[str, Any]) -> tuple[date, date]:
    until: date = data.get("until") or (datetime.now(UTC).date() + timedelta(days=1))
    since: date = data.get("since") or (until - timedelta(days=30))
    return since, until


class PageArgsSchema(Schema):
    limit = fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(1, MAX_LIMIT, error=f"Must be 1 to {MAX_LIMIT}."),
    )
    cursor = fields.String(validate=validate.Length(1, 1024))


class StaffTokenCreateSchema(Schema):
    name = fields.String(required=True, validate=FullMatch(NAME_RE))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    sites = fields.List(
        fields.String(validate=FullMatch(SITE_ID_RE)),
        load_default=list,
        validate=validate.Length(max=100),
        metadata={"description": "Recorders only: the sites it records for"},
    )


def is_subject(value: str) -> bool:
    """Whether ``value`` has the shape of a subject id."""
    return re.fullmatch(SUBJECT_RE, value) is not None
