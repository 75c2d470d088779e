"""ISO/IEC TS 27560 records of stored receipts: what they need from the database.

``iso27560`` shapes the JSON-LD from plain facts; here those facts are loaded: the
notice a receipt names and the choices of the receipt it supersedes (so that a
consent taken back reads "withdrawn"), for one receipt, a history, or an export.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from .extensions import db
from .iso27560 import consent_receipt, consent_record, receipt_facts, standalone
from .models import Notice, Receipt

ISO_FORMAT = "iso27560"


def _notice(notice_hash: str, cache: dict[str, dict[str, Any] | None]) -> Any:
    if notice_hash not in cache:
        row = db.session.get(Notice, notice_hash)
        cache[notice_hash] = dict(row.content) if row is not None else None
    return cache[notice_hash]


def _previous_choices(receipt: Receipt) -> dict[str, bool] | None:
    if receipt.previous_id is None:
        return None
    previous = db.session.get(Receipt, receipt.previous_id)
    return dict(previous.choices) if previous is not None else None


def record_of(
    receipt: Receipt,
    base_url: str,
    notices: dict[str, dict[str, Any] | None] | None = None,
) -> dict[str, Any]:
    """One stored receipt as a ``dpv:ConsentRecord`` node."""
    cache = {} if notices is None else notices
    return consent_record(
        receipt_facts(receipt),
        _notice(receipt.notice_hash, cache),
        base_url,
        _previous_choices(receipt),
    )


def receipt_document(receipts: list[Receipt], base_url: str) -> dict[str, Any]:
    """A ``dpv:ConsentReceipt`` document holding the records of ``receipts``."""
    cache: dict[str, dict[str, Any] | None] = {}
    records = [record_of(r, base_url, cache) for r in receipts]
    return consent_receipt(records, datetime.now(UTC))


def record_lines(stmt: Any, base_url: str) -> Iterator[str]:
    """The receipts ``stmt`` finds (a select of the receipts table's columns), as
    JSON Lines of records.

    Streamed in batches of plain rows; the superseded receipt's choices come in
    the same query, and each notice is read once.
    """
    receipts = Receipt.__table__
    previous = receipts.alias("previous")
    stmt = stmt.add_columns(previous.c.choices.label("previous_choices")).outerjoin(
        previous, previous.c.id == receipts.c.previous_id
    )
    cache: dict[str, dict[str, Any] | None] = {}
    buffer: list[str] = []
    result = db.session.execute(stmt.execution_options(yield_per=1000))
    for row in result:
        record = consent_record(
            receipt_facts(row),
            _notice(row.notice_hash, cache),
            base_url,
            row.previous_choices,
        )
        line = json.dumps(standalone(record), ensure_ascii=False, separators=(",", ":"))
        buffer.append(line)
        if len(buffer) >= 500:
            yield "\n".join(buffer) + "\n"
            buffer.clear()
    if buffer:
        yield "\n".join(buffer) + "\n"
