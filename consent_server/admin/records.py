"""Receipt search, pages, export and verification for staff."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from flask import Response, g, stream_with_context
from sqlalchemy import Select, and_, or_, select

from ..config import secret_keys
from ..erasure import find_erasure
from ..errors import NotFound
from ..extensions import db
from ..models import AuditEntry, Notice, Receipt
from ..signing import TokenClaims, TokenInvalid, read_receipt
from ..sites import canonical_json
from .cursor import make_cursor, read_cursor

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
# Spreadsheets run cells that start with these as formulas (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def filtered(args: dict[str, Any]) -> Select[Any]:
    """Receipts matching the search filters, newest first."""
    stmt = select(Receipt)
    return _where(stmt, args).order_by(Receipt.created_at.desc(), Receipt.id.desc())


def _where(stmt: Select[Any], args: dict[str, Any]) -> Select[Any]:
    for name in ("site", "subject", "action", "method", "policy_version", "gpc"):
        if args.get(name) is not None:
            stmt = stmt.where(getattr(Receipt, name) == args[name])
    if args.get("category"):
        granted = args.get("granted", True)
        stmt = stmt.where(Receipt.choices[args["category"]].as_boolean() == granted)
    if args.get("since"):
        stmt = stmt.where(Receipt.created_at >= args["since"])
    if args.get("until"):
        stmt = stmt.where(Receipt.created_at < args["until"])
    return stmt


def _after(model: Any, position: tuple[datetime, Any]) -> Any:
    created, row_id = position
    return or_(
        model.created_at < created, and_(model.created_at == created, model.id < row_id)
    )


def search_page(args: dict[str, Any]) -> dict[str, Any]:
    """One page of matching receipts and the cursor of the next page (or None)."""
    limit = args.get("limit", 100)
    stmt = filtered(args)
    if args.get("cursor"):
        stmt = stmt.where(
            _after(Receipt, read_cursor("receipts", args, args["cursor"]))
        )
    rows = list(db.session.scalars(stmt.limit(limit + 1)))
    if not rows and args.get("subject") and find_erasure(args["subject"]):
        g.audit_redact = args["subject"]  # searching an erased subject leaves no trace
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = make_cursor("receipts", args, rows[-1].created_at, rows[-1].id)
    return {"items": rows, "next_cursor": next_cursor}


def audit_page(args: dict[str, Any]) -> dict[str, Any]:
    """One page of the audit log, newest first."""
    limit = args.get("limit", 100)
    stmt = select(AuditEntry).order_by(
        AuditEntry.created_at.desc(), AuditEntry.id.desc()
    )
    if args.get("cursor"):
        created, row_id = read_cursor("audit", {}, args["cursor"])
        stmt = stmt.where(_after(AuditEntry, (created, row_id)))
    rows = list(db.session.scalars(stmt.limit(limit + 1)))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = make_cursor("audit", {}, rows[-1].created_at, rows[-1].id)
    return {"items": rows, "next_cursor": next_cursor}


def get_receipt(receipt_id: str) -> Receipt:
    receipt = (
        db.session.get(Receipt, receipt_id[:36]) if len(receipt_id) <= 36 else None
    )
    if receipt is None:
        raise NotFound("There is no receipt with this id.")
    return receipt


def notice_content(notice_hash: str) -> dict[str, Any] | None:
    notice = db.session.get(Notice, notice_hash)
    return dict(notice.content) if notice is not None else None


def verify_receipt(receipt: Receipt, now: datetime | None = None) -> dict[str, Any]:
    """Re-check the receipt's signature, its fields against the token, its notice."""
    now = now or datetime.now(UTC)
    content = notice_content(receipt.notice_hash)
    notice_intact = content is not None and (
        hashlib.sha256(
            canonical_json({k: v for k, v in content.items() if k != "notice"})
        ).hexdigest()
        == receipt.notice_hash
    )
    result: dict[str, Any] = {
        "valid": False,
        "signature_valid": False,
        "reason": None,
        "token_expired": receipt.expires_at <= now,
        "mismatches": [],
        "notice_intact": notice_intact,
    }
    if receipt.token is None:
        result["reason"] = "erased"
        return result
    keys = secret_keys()
    claims: TokenClaims | None
    try:
        claims = read_receipt(keys, receipt.token, now=now)
    except TokenInvalid as exc:
        claims = exc.claims  # set when only the consent's expiry failed
        if claims is None:
            result["reason"] = (
                "expired_signature" if exc.reason == "expired" else exc.reason
            )
            return result
    result["signature_valid"] = True
    expected = {
        "id": (claims.receipt_id, receipt.id),
        "site": (claims.site, receipt.site),
        "subject": (claims.subject, receipt.subject),
        "granted": (
            set(claims.granted),
            {c for c, ok in receipt.choices.items() if ok},
        ),
        "denied": (
            set(claims.denied),
            {c for c, ok in receipt.choices.items() if not ok},
        ),
        "policy_version": (claims.policy_version, receipt.policy_version),
        "expires_at": (
            int(claims.expires_at.timestamp()),
            int(receipt.expires_at.timestamp()),
        ),
    }
    result["mismatches"] = [name for name, (a, b) in expected.items() if a != b]
    result["valid"] = not result["mismatches"] and notice_intact
    return result


# --- Export -----------------------------------------------------------------------


def _export_rows(args: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Matching receipts as plain dicts, streamed from the database in batches."""
    table = Receipt.__table__
    stmt = _where(select(*table.c), args).order_by(
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
    buffer: list[str] = []
    for row in _export_rows(args):
        buffer.append(json.dumps(row, separators=(",", ":"), ensure_ascii=False))
        if len(buffer) >= 1000:
            yield "\n".join(buffer) + "\n"
            buffer.clear()
    if buffer:
        yield "\n".join(buffer) + "\n"


def csv_lines(args: dict[str, Any]) -> Iterator[str]:
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
    fmt = args.get("format", "jsonl")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    if fmt == "csv":
        body, mimetype = csv_lines(args), "text/csv"
    else:
        body, mimetype = jsonl_lines(args), "application/x-ndjson"
    response = Response(stream_with_context(body), mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="receipts-{stamp}.{fmt}"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response
