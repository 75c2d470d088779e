"""Transparency log at a million receipts: seal from scratch, proofs, bytes.

    .venv/bin/python benchmarks/log_bench.py                 # PostgreSQL and SQLite
    .venv/bin/python benchmarks/log_bench.py --db sqlite --rows 200000

Loads receipts by bulk insert (COPY on PostgreSQL) into a dedicated database
(PostgreSQL: ``logbench``, which it empties; SQLite: /tmp/logbench.sqlite3),
none of them sealed, as after upgrading a running service. Then:

- seal: ``consent log seal``'s work (``log_seal.seal``) in a fresh child process,
  so its peak RSS is the seal's own: wall time and peak RSS;
- proof: ``GET /v1/receipts/<id>/proof``'s work (``log_proofs.receipt_proof``)
  for random receipts of the million-leaf log: median, p95 and max;
- bytes per receipt the log adds: the log's tables (tiles of hashes, receipt
  ids and salts, heads, with their indexes and TOAST), compacted (VACUUM FULL;
  SQLite: dbstat), divided by the number of receipts; sealing writes nothing to
  the receipts table.

A database that already holds ``--rows`` receipts is not loaded again: the log
is emptied and sealed from scratch.

Targets (issue #12): seal < 60 s and < 200 MB, proof < 20 ms, <= 100 bytes.

Figures, 1,000,000 receipts, development machine (2 shared cores), run while
the machine was otherwise idle (2026-12-04, three runs one after the other):

    PostgreSQL 15: seal 41.1-42.1 s (36.3-37.3 s CPU here, 5.9-6.2 s in the
                   server), peak RSS 163 MB; proof median 3.5-3.8 ms, max
                   6.2-7.5 ms; 85.3 bytes per receipt
    SQLite 3.40:   seal 36.2-37.5 s (37-38 s CPU), peak RSS 156-190 MB (the
                   app alone is 124 MB); proof median 2.4-2.6 ms, max 3.4-3.6
                   ms; 70.8 bytes per receipt

With seven other jobs on the same two cores (load average 12 to 14) the same
seal took 197 to 386 s of wall time for 52 to 70 s of CPU, and proofs had a
median of 6 to 26 ms: the seal is bound by the CPU it gets.

Not budgeted: ``consent log verify`` on the SQLite million passed in 157 s with
a peak RSS of 233 MB (load average 7), run as
``CONSENT_DATABASE_URL=sqlite:////tmp/logbench.sqlite3 flask --app
consent_server consent log verify`` after this benchmark.
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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, text  # noqa: E402

from consent_server import create_app  # noqa: E402
from consent_server.database import lift_statement_timeout  # noqa: E402
from consent_server.extensions import db  # noqa: E402
from consent_server.models import Notice, Receipt  # noqa: E402
from consent_server.sites import all_sites  # noqa: E402
from tests.support import reset_postgres  # noqa: E402

KEYS = ["bench-key-0123456789abcdef0123"]
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/logbench"
SQLITE_PATH = "/tmp/logbench.sqlite3"
BATCH = 20_000
LOG_TABLES = (
    "log_tiles",
    "log_id_tiles",
    "log_salt_tiles",
    "log_heads",
    "log_erased_leaves",
)
COLUMNS = (
    "id site subject action method layer choices policy_version notice_hash "
    "language jurisdiction gpc created_at expires_at origin user_agent ip_prefix token"
).split()


def make_app(url: str, bounded: bool = False) -> Any:
    """The app; ``bounded`` keeps the statement timeout requests run under."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "CONSENT_SECRET_KEYS": KEYS,
            "CONSENT_RATELIMIT_ENABLED": False,
        }
    )
    if not bounded:
        with app.app_context():
            lift_statement_timeout(db.engine)
    return app


def reset(url: str) -> None:
    if url.startswith("sqlite"):
        for suffix in ("", "-wal", "-shm"):
            Path(SQLITE_PATH + suffix).unlink(missing_ok=True)
        return
    reset_postgres(url)


def generate(rows: int, notice_hash: str, rng: random.Random) -> Any:
    """Receipts of the last year in the order they were recorded (the receipts
    table of a running service is in time order), as dict rows."""
    now = datetime.now(UTC)
    step = timedelta(days=365) / rows
    token = "eyJyIjoiYmVuY2gi" + "x" * 200 + ".bench.signature"
    for i in range(rows):
        created = now - timedelta(days=365) + step * i
        yield {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "site": "default",
            "subject": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "action": "grant",
            "method": rng.choice(["accept_all", "reject_all", "custom"]),
            "layer": "first",
            "choices": {
                "session": True,
                "persistent": rng.random() < 0.6,
                "third_party": rng.random() < 0.3,
            },
            "policy_version": "2026-01",
            "notice_hash": notice_hash,
            "language": "en",
            "jurisdiction": "EU",
            "gpc": rng.random() < 0.05,
            "created_at": created,
            "expires_at": created + timedelta(days=365),
            "origin": "https://shop.example",
            "user_agent": rng.choice(["Firefox 128", "Chrome 126", "Safari 17"]),
            "ip_prefix": f"198.51.{rng.randrange(256)}.0/24",
            "token": token,
        }


def load(url: str, rows: int) -> None:
    """Fill the database."""
    app = make_app(url)
    rng = random.Random(12)
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
        batch: list[dict[str, Any]] = []
        raw = db.engine.raw_connection() if pg else None
        for row in generate(rows, notice["notice"], rng):
            batch.append(row)
            if len(batch) >= BATCH:
                _flush(raw, batch)
        if batch:
            _flush(raw, batch)
        if raw is not None:
            raw.commit()
            raw.close()
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def _flush(raw: Any, batch: list[dict[str, Any]]) -> None:
    if raw is None:
        db.session.execute(insert(Receipt), batch)
        db.session.commit()
    else:
        with raw.cursor() as cur:
            with cur.copy(f"COPY receipts ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for r in batch:
                    copy.write_row(
                        [json.dumps(r[c]) if c == "choices" else r[c] for c in COLUMNS]
                    )
    batch.clear()


def empty_log(url: str) -> None:
    """Forget the log, keep the receipts: the next seal starts from scratch."""
    app = make_app(url)
    with app.app_context(), db.engine.begin() as conn:
        for table in LOG_TABLES:
            conn.exec_driver_sql(f"DELETE FROM {table}")
        conn.exec_driver_sql("UPDATE erasures SET log_index = NULL")


def stored_receipts(url: str) -> int:
    app = make_app(url)
    with app.app_context(), db.engine.connect() as conn:
        try:
            return int(
                conn.exec_driver_sql("SELECT count(*) FROM receipts").scalar_one()
            )
        except Exception:
            return 0


def sample_ids(url: str, n: int = 300) -> list[str]:
    app = make_app(url)
    with app.app_context(), db.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT id FROM receipts ORDER BY random() LIMIT " + str(n)
        )
        return [r[0] for r in rows]


def log_bytes(url: str) -> int:
    """The log's own tables and the unsealed-receipts index (compacted)."""
    app = make_app(url)
    with app.app_context(), db.engine.connect() as conn:
        if url.startswith("postgresql"):
            auto = conn.execution_options(isolation_level="AUTOCOMMIT")
            for table in LOG_TABLES:
                auto.exec_driver_sql(f"VACUUM FULL {table}")
            names = ", ".join(f"pg_total_relation_size('{t}')" for t in LOG_TABLES)
            total = conn.exec_driver_sql(f"SELECT {names.replace(', ', ' + ')}")
            return int(total.scalar_one())
        quoted = ", ".join(f"'{t}'" for t in LOG_TABLES)
        like = " OR ".join(f"name LIKE '%{t}%'" for t in LOG_TABLES)
        return int(
            conn.exec_driver_sql(
                f"SELECT sum(pgsize) FROM dbstat WHERE name IN ({quoted}) OR {like}"
            ).scalar_one()
        )


def seal_only(url: str) -> None:
    """Child process: seal everything, print time and peak RSS as JSON."""
    from consent_server.log_seal import seal

    app = make_app(url)
    with app.app_context():
        server_before = _server_cpu()
        started = time.perf_counter()
        result = seal()
        seconds = time.perf_counter() - started
        server = _server_cpu() - server_before
    assert result is not None
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": usage.ru_utime + usage.ru_stime,
                "server_cpu_seconds": server,
                "peak_rss_mb": usage.ru_maxrss / 1024,
                "leaves": result.tree_size,
            }
        )
    )


def _server_cpu() -> float:
    """CPU seconds the PostgreSQL backend of the pooled connection has used
    (the seal runs its statements on it): the database's share of the work,
    which the seal's own CPU time leaves out. 0 on SQLite (in-process)."""
    if db.engine.dialect.name != "postgresql":
        return 0.0
    with db.engine.connect() as conn:
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def proofs(url: str, sample: list[str]) -> dict[str, float]:
    from consent_server import log_leaves, merkle
    from consent_server.log_proofs import receipt_proof

    app = make_app(url, bounded=True)  # as the endpoint runs
    times = []
    with app.app_context():
        receipt_proof(sample[0])  # connection pool warm
        for receipt_id in sample:
            started = time.perf_counter()
            proof = receipt_proof(receipt_id)
            times.append((time.perf_counter() - started) * 1000)
            head = proof["head"]
            assert merkle.verify_inclusion(
                proof["leaf_index"],
                head["tree_size"],
                merkle.leaf_hash(log_leaves.leaf_bytes(proof["leaf"])),
                [bytes.fromhex(h) for h in proof["inclusion_path"]],
                bytes.fromhex(head["root_hash"]),
            )
    times.sort()
    return {
        "median_ms": statistics.median(times),
        "p95_ms": times[int(len(times) * 0.95)],
        "max_ms": times[-1],
    }


def run(url: str, rows: int) -> dict[str, Any]:
    """Load ``rows`` receipts (unless the database holds them), seal from scratch,
    time proofs, count bytes."""
    loaded = None
    if stored_receipts(url) != rows:
        reset(url)
        started = time.perf_counter()
        load(url, rows)
        loaded = round(time.perf_counter() - started, 1)
    else:
        empty_log(url)
    child = subprocess.run(
        [sys.executable, __file__, "--seal-only", url],
        check=True,
        capture_output=True,
        text=True,
    )
    sealed = json.loads(child.stdout.strip().splitlines()[-1])
    print("sealed", json.dumps(sealed), flush=True)
    proof = proofs(url, sample_ids(url))
    log = log_bytes(url)
    return {
        "rows": rows,
        "load_s": loaded,
        "seal_s": round(sealed["seconds"], 1),
        "seal_cpu_s": round(sealed["cpu_seconds"], 1),
        "seal_db_server_cpu_s": round(sealed["server_cpu_seconds"], 1),
        "seal_peak_rss_mb": round(sealed["peak_rss_mb"], 1),
        "proof": {k: round(v, 2) for k, v in proof.items()},
        # Sealing writes nothing to the receipts table: the log is its tables.
        "bytes_per_receipt": round(log / rows, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--db", choices=["postgresql", "sqlite", "both"], default="both"
    )
    parser.add_argument("--seal-only", metavar="URL")
    args = parser.parse_args()
    if args.seal_only:
        seal_only(args.seal_only)
        return
    urls = {"postgresql": PG_URL, "sqlite": f"sqlite:///{SQLITE_PATH}"}
    chosen = list(urls) if args.db == "both" else [args.db]
    for name in chosen:
        print(name, json.dumps(run(urls[name], args.rows)), flush=True)


if __name__ == "__main__":
    main()
