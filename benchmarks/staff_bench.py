"""Staff API on a million receipts: subject history, search, 30-day stats, export.

    .venv/bin/python benchmarks/staff_bench.py          # SQLite and PostgreSQL
    .venv/bin/python benchmarks/staff_bench.py --db sqlite --rows 200000

Loads receipts by bulk insert (COPY on PostgreSQL) into a dedicated database
(PostgreSQL: ``staffbench``, which it empties), with the per-day counters the
server would have kept, then times requests through the full Flask stack (token
auth, audit log). The export runs in a fresh child process so its peak RSS is the
export's own. Targets: history and search page < 50 ms median, stats < 500 ms,
JSONL export of 1M rows < 60 s with peak RSS < 200 MB. The ISO/IEC TS 27560
export (``format=iso27560``, issue #12) is timed the same way, with no target:
with ``--db sqlite --rows 50000`` on the shared development machine (load average
above 10) it took 100 s for 386 MB (about 7.7 kB per record) at 162 MB peak RSS,
where the JSON Lines export took 22 s in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, text  # noqa: E402

from consent_server import create_app  # noqa: E402
from consent_server.extensions import db  # noqa: E402
from consent_server.models import (  # noqa: E402
    DailyStat,
    Notice,
    Receipt,
    StatsProgress,
)
from consent_server.sites import all_sites  # noqa: E402
from consent_server.staff import create_token  # noqa: E402
from tests.support import reset_postgres  # noqa: E402

KEYS = ["bench-key-0123456789abcdef0123"]
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/staffbench"
SQLITE_PATH = "/tmp/staffbench.sqlite3"
METHODS = ["accept_all", "reject_all", "custom", "api"]
ACTIONS = ["grant", "update", "withdraw"]
BATCH = 20_000


def make_app(url: str) -> Any:
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "CONSENT_SECRET_KEYS": KEYS,
            "CONSENT_RATELIMIT_ENABLED": False,
        }
    )


def reset(url: str) -> None:
    if url.startswith("sqlite"):
        for suffix in ("", "-wal", "-shm"):
            Path(SQLITE_PATH + suffix).unlink(missing_ok=True)
        return
    reset_postgres(url)


def generate(rows: int, subjects: int, now: datetime, rng: random.Random):  # type: ignore[no-untyped-def]
    """Receipts spread over the last 365 days; yields dict rows."""
    token = "eyJyIjoiYmVuY2gi" + "x" * 200 + ".bench.signature"
    ids = [str(uuid.uuid4()) for _ in range(subjects)]
    for i in range(rows):
        created = now - timedelta(seconds=rng.randrange(365 * 86400))
        method = rng.choices(METHODS, weights=[55, 30, 13, 2])[0]
        if method == "accept_all":
            persistent = third = True
        elif method == "reject_all":
            persistent = third = False
        else:
            persistent, third = rng.random() < 0.6, rng.random() < 0.3
        yield {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "site": "default" if i % 10 else "shop",
            "subject": ids[rng.randrange(subjects)],
            "action": rng.choices(ACTIONS, weights=[70, 25, 5])[0],
            "method": method,
            "layer": "first" if method != "custom" else "preferences",
            "choices": {
                "session": True,
                "persistent": persistent,
                "third_party": third,
            },
            "policy_version": "2026-01",
            "banner_build": None,
            "language": "en",
            "jurisdiction": "EU",
            "gpc": rng.random() < 0.05,
            "previous_id": None,
            "created_at": created,
            "expires_at": created + timedelta(days=365),
            "origin": "https://shop.example",
            "user_agent": rng.choice(["Firefox 128", "Chrome 126", "Safari 17"]),
            "ip_prefix": f"198.51.{rng.randrange(256)}.0/24",
            "idempotency_key": None,
            "token": token,
        }


def load(app: Any, url: str, rows: int, seed: int = 7) -> tuple[float, list[str]]:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    subjects = max(rows // 20, 10)
    counters: dict[tuple[str, Any, str], list[int]] = defaultdict(lambda: [0] * 6)
    sample: list[str] = []
    started = time.perf_counter()
    with app.app_context():
        db.create_all()
        site = all_sites()["default"]
        notice = site.notices["en"]
        db.session.add(
            Notice(
                hash=notice["notice"],
                site="default",
                language="en",
                policy_version=site.policy_version,
                content=notice,
            )
        )
        db.session.commit()
        pg = url.startswith("postgresql")
        conn = db.engine.raw_connection() if pg else None
        batch: list[dict[str, Any]] = []

        def flush() -> None:
            if pg:
                _copy(conn, batch, notice["notice"])
            else:
                for r in batch:
                    r["notice_hash"] = notice["notice"]
                db.session.execute(insert(Receipt), batch)
                db.session.commit()
            batch.clear()

        for row in generate(rows, subjects, now, rng):
            day = row["created_at"].date()
            m = [int(row["method"] == x) for x in METHODS]
            for cat, ok in [*row["choices"].items(), ("*", False)]:
                c = counters[(row["site"], day, cat)]
                c[0] += 1
                c[1] += int(ok)
                for k in range(4):
                    c[2 + k] += m[k]
            if len(sample) < 200:
                sample.append(row["subject"])
            batch.append(row)
            if len(batch) >= BATCH:
                flush()
        if batch:
            flush()
        if conn is not None:
            conn.commit()
            conn.close()
        stats = [
            {
                "site": s,
                "day": d,
                "category": c,
                "decisions": v[0],
                "granted": v[1],
                "accept_all": v[2],
                "reject_all": v[3],
                "custom": v[4],
                "api": v[5],
            }
            for (s, d, c), v in counters.items()
        ]
        db.session.execute(insert(DailyStat), stats)
        # The counters above count every generated receipt (all older than now).
        db.session.add(StatsProgress(name="daily", counted_until=datetime.now(UTC)))
        db.session.commit()
        if pg:
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        else:
            db.session.execute(text("ANALYZE"))
    return time.perf_counter() - started, sample


def _copy(conn: Any, batch: list[dict[str, Any]], notice_hash: str) -> None:
    cols = [
        "id",
        "site",
        "subject",
        "action",
        "method",
        "layer",
        "choices",
        "policy_version",
        "notice_hash",
        "language",
        "jurisdiction",
        "gpc",
        "created_at",
        "expires_at",
        "origin",
        "user_agent",
        "ip_prefix",
        "token",
    ]
    with conn.cursor() as cur:
        with cur.copy(f"COPY receipts ({', '.join(cols)}) FROM STDIN") as copy:
            for r in batch:
                copy.write_row(
                    [
                        r["id"],
                        r["site"],
                        r["subject"],
                        r["action"],
                        r["method"],
                        r["layer"],
                        json.dumps(r["choices"]),
                        r["policy_version"],
                        notice_hash,
                        r["language"],
                        r["jurisdiction"],
                        r["gpc"],
                        r["created_at"],
                        r["expires_at"],
                        r["origin"],
                        r["user_agent"],
                        r["ip_prefix"],
                        r["token"],
                    ]
                )


def timed(client: Any, url: str, headers: dict[str, str], n: int) -> tuple[float, Any]:
    times = []
    rv = None
    for _ in range(n):
        t = time.perf_counter()
        rv = client.get(url, headers=headers)
        times.append((time.perf_counter() - t) * 1000)
        assert rv.status_code == 200, (
            url,
            rv.status_code,
            rv.get_data(as_text=True)[:300],
        )
    return statistics.median(times), rv


def measure(url: str, rows: int) -> dict[str, Any]:
    app = make_app(url)
    reset(url)
    with app.app_context():
        db.create_all()
    load_s, sample = load(app, url, rows)
    with app.app_context():
        _, token = create_token("bench", "admin")
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    result: dict[str, Any] = {"rows": rows, "load_s": round(load_s, 1)}

    times = []
    for subject in sample[:50]:
        t = time.perf_counter()
        rv = client.get(f"/v1/admin/subjects/{subject}", headers=headers)
        times.append((time.perf_counter() - t) * 1000)
        assert rv.status_code == 200
    result["subject_history_ms"] = round(statistics.median(times), 2)
    result["history_receipts"] = len(rv.json["receipts"])

    today = datetime.now(UTC).date()
    since, until = today - timedelta(days=60), today - timedelta(days=30)
    search = (
        f"/v1/admin/receipts?site=default&category=third_party&granted=true"
        f"&action=update&since={since}&until={until}&limit=100"
    )
    result["search_page_ms"], rv = timed(client, search, headers, 20)
    result["search_page2_ms"], _ = timed(
        client, f"{search}&cursor={rv.json['next_cursor']}", headers, 20
    )
    result["search_all_sites_ms"], _ = timed(
        client, "/v1/admin/receipts?limit=100", headers, 20
    )
    month = f"since={today - timedelta(days=30)}&until={today + timedelta(days=1)}"
    stats = f"/v1/admin/stats?site=default&{month}"
    result["stats_30d_ms"], rv = timed(client, stats, headers, 20)
    result["stats_days"] = len(rv.json["days"])

    for fmt in ("jsonl", "iso27560"):
        child = subprocess.run(
            [sys.executable, __file__, "--export-only", url, "--token", token]
            + ["--format", fmt],
            check=True,
            capture_output=True,
            text=True,
        )
        result.update(json.loads(child.stdout.strip().splitlines()[-1]))
    for key, value in result.items():
        if isinstance(value, float):
            result[key] = round(value, 2)
    return result


def export_only(url: str, token: str, fmt: str = "jsonl") -> None:
    """In a fresh process: stream the full export and report time and peak RSS."""
    app = make_app(url)
    client = app.test_client()
    start = time.perf_counter()
    rv = client.get(
        f"/v1/admin/receipts/export?format={fmt}",
        headers={"Authorization": f"Bearer {token}"},
        buffered=False,
    )
    lines = size = 0
    for chunk in rv.response:
        size += len(chunk)
        lines += chunk.count(b"\n") if isinstance(chunk, bytes) else chunk.count("\n")
    rv.close()
    elapsed = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # The JSONL figures keep their names; the ISO 27560 ones are prefixed.
    prefix = "export" if fmt == "jsonl" else f"export_{fmt}"
    print(
        json.dumps(
            {
                f"{prefix}_s": round(elapsed, 1),
                f"{prefix}_rows": lines,
                f"{prefix}_mb": round(size / 1e6, 1),
                f"{prefix}_peak_rss_mb": round(peak_mb, 1),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--db", choices=["sqlite", "postgresql", "both"], default="both"
    )
    parser.add_argument(
        "--pg-url", default=os.environ.get("STAFF_BENCH_PG_URL", PG_URL)
    )
    parser.add_argument("--export-only", metavar="URL")
    parser.add_argument("--token")
    parser.add_argument("--format", default="jsonl", choices=["jsonl", "iso27560"])
    args = parser.parse_args()
    if args.export_only:
        export_only(args.export_only, args.token, args.format)
        return
    targets = []
    if args.db in {"sqlite", "both"}:
        targets.append(("sqlite", f"sqlite:///{SQLITE_PATH}"))
    if args.db in {"postgresql", "both"}:
        targets.append(("postgresql", args.pg_url))
    for name, url in targets:
        print(name, json.dumps(measure(url, args.rows)), flush=True)


if __name__ == "__main__":
    main()
