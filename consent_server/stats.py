"""Opt-in statistics from per-day counters, kept in step with every decision.

Counting at write time (one upsert per decision, in the decision's transaction)
keeps a 30-day report a few hundred rows to read however many receipts there are.
Erasure anonymizes receipts and leaves the counters alone; purge deletes receipts
and leaves the counters too, since they hold no personal data.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from .extensions import db
from .models import DailyStat, Receipt

TOTAL = "*"
METHOD_COLUMNS = ("accept_all", "reject_all", "custom", "api")
_COUNTERS = ("decisions", "granted", *METHOD_COLUMNS)


def _rows(
    site: str, day: date, method: str, choices: dict[str, bool]
) -> list[dict[str, Any]]:
    """Counter increments of one decision: one row per category and the day total."""
    methods = {m: int(method == m) for m in METHOD_COLUMNS}
    rows = [
        {
            "site": site,
            "day": day,
            "category": cat,
            "decisions": 1,
            "granted": int(bool(ok)),
            **methods,
        }
        for cat, ok in choices.items()
    ]
    rows.append(
        {
            "site": site,
            "day": day,
            "category": TOTAL,
            "decisions": 1,
            "granted": 0,
            **methods,
        }
    )
    # Same lock order in every transaction: no deadlock between concurrent decisions.
    return sorted(rows, key=lambda r: r["category"])


_UPSERTS: dict[tuple[str, int], Any] = {}
_COLUMNS = ("site", "day", "category", *_COUNTERS)


def _upsert_statement(dialect: str, n_rows: int) -> Any:
    """``INSERT .. ON CONFLICT DO UPDATE`` adding to the counters, built once.

    ``n_rows`` 0: plain parameters, for executemany. More: a multi-row VALUES with
    named parameters, so one decision's counters cost one round trip.
    """
    key = (dialect, n_rows)
    if key not in _UPSERTS:
        insert: Any = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(
            dialect
        )
        if insert is None:
            raise RuntimeError(
                f"statistics counters need SQLite or PostgreSQL, not {dialect}"
            )
        table = DailyStat.__table__
        stmt = insert(table)
        if n_rows:
            stmt = stmt.values(
                [{c: bindparam(f"{c}_{i}") for c in _COLUMNS} for i in range(n_rows)]
            )
        _UPSERTS[key] = stmt.on_conflict_do_update(
            index_elements=["site", "day", "category"],
            set_={c: table.c[c] + getattr(stmt.excluded, c) for c in _COUNTERS},
        )
    return _UPSERTS[key]


def _upsert(rows: list[dict[str, Any]]) -> None:
    dialect = db.session.get_bind().dialect.name
    if dialect == "sqlite":
        # In-process: round trips cost nothing, and server_bench measured
        # executemany ~20% faster than one multi-row statement on SQLite.
        db.session.execute(_upsert_statement(dialect, 0), rows)
        return
    params = {f"{c}_{i}": row[c] for i, row in enumerate(rows) for c in _COLUMNS}
    db.session.execute(_upsert_statement(dialect, len(rows)), params)


def count_decision(receipt: Receipt) -> None:
    """Add one decision to the counters (call inside the decision's transaction)."""
    _upsert(
        _rows(receipt.site, receipt.created_at.date(), receipt.method, receipt.choices)
    )


def rebuild_counters() -> int:
    """Recount every counter from the stored receipts; returns the receipts counted.

    For repairs and bulk loads; decisions recorded meanwhile may be counted twice.
    """
    totals: dict[tuple[str, date, str], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(_COUNTERS, 0)
    )
    seen = 0
    stmt = select(Receipt.site, Receipt.created_at, Receipt.method, Receipt.choices)
    for site, created_at, method, choices in db.session.execute(
        stmt.execution_options(yield_per=5000)
    ):
        seen += 1
        for row in _rows(site, created_at.date(), method, choices):
            acc = totals[(row["site"], row["day"], row["category"])]
            for c in _COUNTERS:
                acc[c] += row[c]
    db.session.execute(delete(DailyStat))
    batch = [
        {"site": s, "day": d, "category": c, **counts}
        for (s, d, c), counts in totals.items()
    ]
    for start in range(0, len(batch), 5000):
        db.session.execute(DailyStat.__table__.insert(), batch[start : start + 5000])
    db.session.commit()
    return seen


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def daily_stats(site: str | None, since: date, until: date) -> dict[str, Any]:
    """Per day (``since`` <= day < ``until``) and category: counts and rates."""
    sums = [func.sum(getattr(DailyStat, c)).label(c) for c in _COUNTERS]
    stmt = (
        select(DailyStat.day, DailyStat.category, *sums)
        .where(DailyStat.day >= since, DailyStat.day < until)
        .group_by(DailyStat.day, DailyStat.category)
        .order_by(DailyStat.day, DailyStat.category)
    )
    if site is not None:
        stmt = stmt.where(DailyStat.site == site)
    days: dict[date, dict[str, Any]] = {}
    overall: dict[str, dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(_COUNTERS, 0)
    )
    for row in db.session.execute(stmt):
        day = days.setdefault(row.day, {"day": row.day.isoformat(), "categories": {}})
        counts = {c: int(getattr(row, c) or 0) for c in _COUNTERS}
        for c in _COUNTERS:
            overall[row.category][c] += counts[c]
        if row.category == TOTAL:
            day.update(_totals(counts))
        else:
            day["categories"][row.category] = _category(counts)
    total = overall.pop(TOTAL, dict.fromkeys(_COUNTERS, 0))
    return {
        "site": site,
        "since": since.isoformat(),
        "until": until.isoformat(),
        "days": [days[d] for d in sorted(days)],
        "totals": {
            **_totals(total),
            "categories": {cat: _category(c) for cat, c in sorted(overall.items())},
        },
    }


def _totals(counts: dict[str, int]) -> dict[str, Any]:
    n = counts["decisions"]
    return {
        "decisions": n,
        "methods": {m: counts[m] for m in METHOD_COLUMNS},
        "shares": {m: _rate(counts[m], n) for m in METHOD_COLUMNS},
    }


def _category(counts: dict[str, int]) -> dict[str, Any]:
    return {
        "decisions": counts["decisions"],
        "granted": counts["granted"],
        "opt_in_rate": _rate(counts["granted"], counts["decisions"]),
    }
