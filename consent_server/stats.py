"""Opt-in statistics from per-day counters that catch up with the receipts.

A decision is not counted when it is recorded: adding to the same few counter rows
in every decision's transaction would serialize all writers of a site on those rows
(and cost the write path a round trip). Instead the counters are *folded* from the
receipts now and then (before each statistics report and each purge), up to a
point ``FOLD_LAG`` in the past, and a report adds the receipts newer than that
point straight from the receipts table. Reports stay exact and a few hundred
counter rows to read however many receipts there are.

The lag covers decisions whose transaction started (and took its ``created_at``)
before the fold but commits after it; it assumes app servers' clocks agree to
well within it (NTP). Erasure anonymizes receipts and keeps what is counted; purge
folds before it deletes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from .extensions import db, upsert_insert
from .models import DailyStat, Receipt, StatsProgress
from .vocabulary import METHODS

TOTAL = "*"
# DailyStat has one counter column per decision method, named after it; refusals
# (first decisions that grant nothing) and decisions a page's script made without
# a visitor's gesture are counted apart (issue #9).
_COUNTERS = (
    "decisions",
    "granted",
    *METHODS,
    "refused",
    "page_code",
    "page_code_granted",
)
_PROGRESS = "daily"
FOLD_LAG = timedelta(minutes=5)

Key = tuple[str, date, str]
Totals = dict[Key, dict[str, int]]


def _rows(
    site: str,
    day: date,
    method: str,
    action: str,
    by_page: bool,
    choices: dict[str, bool],
) -> list[dict[str, Any]]:
    """Counter increments of one decision: one row per category and the day total.

    A decision of the page's own script (``by_page``) counts only in the
    ``page_code`` counters: the opt-in rates are the visitors' own.
    """
    zero = dict.fromkeys(_COUNTERS, 0)
    if by_page:
        total = {**zero, "page_code": 1}
        per_category = {
            cat: {**total, "page_code_granted": int(bool(ok))}
            for cat, ok in choices.items()
        }
    else:
        total = {
            **zero,
            "decisions": 1,
            "refused": int(action == "refuse"),
            **{m: int(method == m) for m in METHODS},
        }
        per_category = {
            cat: {**total, "granted": int(bool(ok))} for cat, ok in choices.items()
        }
    rows = [
        {"site": site, "day": day, "category": cat, **counts}
        for cat, counts in per_category.items()
    ]
    rows.append({"site": site, "day": day, "category": TOTAL, **total})
    return rows


def is_page_code(layer: str, user_activation: bool | None) -> bool:
    """A decision the page's script made through the API without a user gesture."""
    return layer == "api" and user_activation is False


def _add(acc: dict[str, int], counts: dict[str, int]) -> None:
    for c in _COUNTERS:
        acc[c] += counts[c]


def _tally(receipts: Iterable[Any]) -> Totals:
    """Add up receipt rows (``_receipts_between``) per site, UTC day, category."""
    totals: Totals = defaultdict(lambda: dict.fromkeys(_COUNTERS, 0))
    for site, created_at, method, action, layer, activation, choices in receipts:
        by_page = is_page_code(layer, activation)
        for row in _rows(site, created_at.date(), method, action, by_page, choices):
            _add(totals[(row["site"], row["day"], row["category"])], row)
    return totals


class _Counted:
    """Pass rows through, counting them: a fold streams, however many there are."""

    def __init__(self, rows: Iterable[Any]) -> None:
        self.rows = rows
        self.count = 0

    def __iter__(self) -> Iterator[Any]:
        for row in self.rows:
            self.count += 1
            yield row


def _receipts_between(lower: datetime | None, upper: datetime, *where: Any) -> Any:
    stmt = select(
        Receipt.site,
        Receipt.created_at,
        Receipt.method,
        Receipt.action,
        Receipt.layer,
        Receipt.user_activation,
        Receipt.choices,
    )
    stmt = stmt.where(Receipt.created_at < upper, *where)
    if lower is not None:
        stmt = stmt.where(Receipt.created_at >= lower)
    return db.session.execute(stmt.execution_options(yield_per=5000))


def _add_to_counters(totals: Totals) -> None:
    """Add ``totals`` to the stored counters (insert or increment, in key order)."""
    if not totals:
        return
    table = DailyStat.__table__
    stmt = upsert_insert(table, db.session.get_bind().dialect.name)
    stmt = stmt.on_conflict_do_update(
        index_elements=["site", "day", "category"],
        set_={c: table.c[c] + getattr(stmt.excluded, c) for c in _COUNTERS},
    )
    rows = [
        {"site": s, "day": d, "category": c, **counts}
        for (s, d, c), counts in sorted(totals.items())
    ]
    for start in range(0, len(rows), 5000):
        db.session.execute(stmt, rows[start : start + 5000])


def counted_until() -> datetime | None:
    """Receipts created before this are in the counters (None: none counted yet)."""
    value: datetime | None = db.session.scalar(
        select(StatsProgress.counted_until).where(StatsProgress.name == _PROGRESS)
    )
    return value


def _claim(lower: datetime | None, upper: datetime) -> bool:
    """Move the progress from ``lower`` to ``upper`` unless another fold did first.

    A compare-and-set on the one progress row: a concurrent fold waits on its lock
    (PostgreSQL) or the write lock (SQLite), then finds it moved and counts nothing.
    """
    if lower is None:
        try:
            with db.session.begin_nested():
                db.session.add(StatsProgress(name=_PROGRESS, counted_until=upper))
        except IntegrityError:
            return False
        return True
    moved: Any = db.session.execute(
        update(StatsProgress)
        .where(StatsProgress.name == _PROGRESS, StatsProgress.counted_until == lower)
        .values(counted_until=upper)
    )
    return bool(moved.rowcount == 1)


def fold_point() -> datetime:
    # Always the real clock: a fold point in the future would skip receipts for good.
    return datetime.now(UTC) - FOLD_LAG


def fold_counters() -> int:
    """Count the receipts up to ``FOLD_LAG`` ago into the counters; commits.

    Returns how many receipts were counted (0 when another fold got there first).
    """
    upper = fold_point()
    lower = counted_until()
    if lower is not None and lower >= upper:
        return 0
    if not _claim(lower, upper):
        db.session.rollback()
        return 0
    seen = _Counted(_receipts_between(lower, upper))
    _add_to_counters(_tally(seen))
    db.session.commit()
    return seen.count


def rebuild_counters() -> int:
    """Recount every counter from the stored receipts; returns the receipts counted.

    For repairs, bulk loads and after a downgrade of the schema.
    """
    upper = fold_point()
    lower = counted_until()
    if not _claim(lower, upper):
        db.session.rollback()
        raise RuntimeError("another process is counting; try again")
    db.session.execute(delete(DailyStat))
    seen = _Counted(_receipts_between(None, upper))
    _add_to_counters(_tally(seen))
    db.session.commit()
    return seen.count


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _counters(site: str | None, since: date, until: date) -> Totals:
    counters = [getattr(DailyStat, c) for c in _COUNTERS]
    stmt = select(DailyStat.site, DailyStat.day, DailyStat.category, *counters).where(
        DailyStat.day >= since, DailyStat.day < until
    )
    if site is not None:
        stmt = stmt.where(DailyStat.site == site)
    totals: Totals = defaultdict(lambda: dict.fromkeys(_COUNTERS, 0))
    for row in db.session.execute(stmt):
        totals[(row.site, row.day, row.category)] = {
            c: int(getattr(row, c) or 0) for c in _COUNTERS
        }
    return totals


def _sums(site: str | None, since: date, until: date) -> Totals:
    """Counters plus the receipts newer than them, per (site, day, category)."""
    # A fold commits its counters and its progress together; reading the progress
    # on both sides of the counters shows whether one landed in between.
    for _attempt in range(10):
        newer = counted_until()
        totals = _counters(site, since, until)
        if counted_until() == newer:
            break
    else:
        raise RuntimeError("the counters kept moving while being read")
    start = datetime.combine(since, time(), UTC)
    end = datetime.combine(until, time(), UTC)
    if newer is None or newer < end:
        where = [Receipt.site == site] if site is not None else []
        lower = start if newer is None else max(start, newer)
        for key, counts in _tally(_receipts_between(lower, end, *where)).items():
            _add(totals[key], counts)
    return totals


def daily_stats(site: str | None, since: date, until: date) -> dict[str, Any]:
    """Per day (``since`` <= day < ``until``) and category: counts and rates."""
    fold_counters()
    by_day: dict[tuple[date, str], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(_COUNTERS, 0)
    )
    for (_site, on, category), counts in _sums(site, since, until).items():
        _add(by_day[(on, category)], counts)
    days: dict[date, dict[str, Any]] = {}
    overall: dict[str, dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(_COUNTERS, 0)
    )
    for (day_key, category), counts in sorted(by_day.items()):
        day = days.setdefault(day_key, {"day": day_key.isoformat(), "categories": {}})
        _add(overall[category], counts)
        if category == TOTAL:
            day.update(_totals(counts))
        else:
            day["categories"][category] = _category(counts)
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
        "refused": counts["refused"],
        "methods": {m: counts[m] for m in METHODS},
        "shares": {m: _rate(counts[m], n) for m in METHODS},
        "page_code": counts["page_code"],
    }


def _category(counts: dict[str, int]) -> dict[str, Any]:
    return {
        "decisions": counts["decisions"],
        "granted": counts["granted"],
        "opt_in_rate": _rate(counts["granted"], counts["decisions"]),
        "page_code": counts["page_code"],
        "page_code_granted": counts["page_code_granted"],
    }
