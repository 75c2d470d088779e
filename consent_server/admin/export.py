"""Receipt export for staff: every matching receipt as CSV or JSON Lines, streamed."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from flask import Response, request, stream_with_context
from sqlalchemy import select

from ..extensions import db
from ..iso_records import ISO_FORMAT, record_lines
from ..models import Receipt
from .receipt_search import checked_filters, receipt_filter

# Export columns, in order; CSV adds granted/denied lists instead of the choices map.
FIELDS = (
    "id",
    "site",
    "subject",
    "created_at",
    "expires_at",
    "action",
    "method",
    "layer",
    "choices",
    "policy_version",
    "notice",
    "language",
    "jurisdiction",
    "gpc",
    "user_activation",
    "previous",
    "origin",
    "user_agent",
    "ip_prefix",
    "banner_build",
    "token",
)
# CSV has no nested values: ``choices`` becomes the granted and denied lists.
_CHOICES_AT = FIELDS.index("choices")
CSV_FIELDS = (
    *FIELDS[:_CHOICES_AT],
    "granted",
    "denied",
    *FIELDS[_CHOICES_AT + 1 :],
)
_EXTENSIONS = {ISO_FORMAT: "iso27560.jsonl"}
# Spreadsheets run cells that start with these as formulas (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _export_rows(args: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Matching receipts as plain dicts, streamed from the database in batches."""
    table = Receipt.__table__
    stmt = receipt_filter(select(*table.c), args).order_by(
        Receipt.created_at.desc(), Receipt.id.desc()
    )
    result = db.session.execute(stmt.execution_options(yield_per=2000))
    for row in result.mappings():
        yield {
            "id": row["id"],
            "site": row["site"],
            "subject": row["subject"],
            "created_at": row["created_at"].isoformat(),
            "expires_at": row["expires_at"].isoformat(),
            "action": row["action"],
            "method": row["method"],
            "layer": row["layer"],
            "choices": row["choices"],
            "policy_version": row["policy_version"],
            "notice": row["notice_hash"],
            "language": row["language"],
            "jurisdiction": row["jurisdiction"],
            "gpc": row["gpc"],
            "user_activation": row["user_activation"],
            "previous": row["previous_id"],
            "origin": row["origin"],
            "user_agent": row["user_agent"],
            "ip_prefix": row["ip_prefix"],
            "banner_build": row["banner_build"],
            "token": row["token"],
        }


def safe_cell(value: Any) -> str:
    """A CSV cell that no spreadsheet will run as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def jsonl_lines(args: dict[str, Any]) -> Iterator[str]:
    """Matching receipts as JSON Lines, a thousand lines per chunk."""
    buffer: list[str] = []
    for row in _export_rows(args):
        buffer.append(json.dumps(row, separators=(",", ":"), ensure_ascii=False))
        if len(buffer) >= 1000:
            yield "\n".join(buffer) + "\n"
            buffer.clear()
    if buffer:
        yield "\n".join(buffer) + "\n"


def csv_lines(args: dict[str, Any]) -> Iterator[str]:
    """Matching receipts as CSV with a header row, a thousand rows per chunk."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_FIELDS)
    count = 0
    for row in _export_rows(args):
        choices = row.pop("choices") or {}
        row["granted"] = " ".join(c for c, ok in choices.items() if ok)
        row["denied"] = " ".join(c for c, ok in choices.items() if not ok)
        writer.writerow([safe_cell(row[f]) for f in CSV_FIELDS])
        count += 1
        if count % 1000 == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def export_response(args: dict[str, Any]) -> Response:
    """A streamed download; memory stays flat however many receipts match."""
    args = checked_filters(args)  # before the first byte is streamed
    fmt = args.get("format", "jsonl")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    if fmt == "csv":
        body, mimetype = csv_lines(args), "text/csv"
    elif fmt == ISO_FORMAT:
        stmt = receipt_filter(select(*Receipt.__table__.c), args).order_by(
            Receipt.created_at.desc(), Receipt.id.desc()
        )
        body = record_lines(stmt, request.url_root)
        mimetype = "application/x-ndjson"
    else:
        body, mimetype = jsonl_lines(args), "application/x-ndjson"
    response = Response(stream_with_context(body), mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="receipts-{stamp}.{_EXTENSIONS.get(fmt, fmt)}"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response
