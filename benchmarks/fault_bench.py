"""Faults under load (issue #10): what visitors get while PostgreSQL or Redis fails.

Starts gunicorn with gunicorn.conf.py (4 workers; rate limits in a redis-server of
its own) against a PostgreSQL database it creates and drops, loads it from plain
threads (8 recorders posting decisions and 2 readers looking one up, back to
back; banner.js, notice, verify and /healthz every 20 ms; /readyz every 200 ms),
breaks one thing at a time and prints, for each fault, the answers given while it
lasted and how many decisions were acknowledged (201) but are not stored, which
must be 0:

  stall          receipts locked (LOCK TABLE ... ACCESS EXCLUSIVE) for --stall s
  outage         ALLOW_CONNECTIONS false and the open connections ended, --outage s
  dropped idle   every app backend ended (pg_terminate_backend) while idle
  dropped busy   the same under load: what was in flight fails (503), no more
  redis hang     redis-server stopped with SIGSTOP (accepts, never answers)
  redis down     redis-server stopped; with fail-open on, then off

    .venv/bin/python benchmarks/fault_bench.py \\
        [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres] \\
        [--stall 12] [--outage 8]

Needs PostgreSQL (a role that may create databases and end backends) and
redis-server. Columns: the decisions sent and answered while the fault lasted,
their latency, how many failed database requests (decisions and lookups) carried
Retry-After, /readyz, the worst p99 of banner.js, notice, verify and /healthz,
error-log bytes per failed database request, fail-open warnings (one per worker
and outage), the non-2xx answers of the whole run around the fault (/readyz
aside), and decisions acknowledged with 201 but not stored. Below the table,
each fault's details.

Figures on the 2-core development machine, shared with other jobs (2026-12-02,
gunicorn 27 gthread, PostgreSQL 15, Redis 7):

    fault                       decisions during it  p50/max         Retry-After  /readyz               no-DB p99  log B/fail  warnings  failed/run  lost
    stall 12 s                  38x 503              2024/2063 ms    46/46        57x 200, max 48 ms    27 ms      181         0         50/2568     0
    outage 8 s                  540x 503             57/742 ms       681/681      31x 503, max 129 ms   115 ms     285         0         695/2513    0
    dropped idle                298x 201             73/256 ms       0/0          10x 200, max 104 ms   97 ms      0           0         0/1146      0
    dropped busy                297x 201             72/150 ms       0/0          11x 200, max 158 ms   83 ms      348         0         2/1628      0
    redis hang                  888x 201             58/637 ms       0/0          10x 200, max 735 ms   76 ms      864         4         0/2803      0
    redis down                  885x 201             67/206 ms       0/0          28x 200, max 209 ms   103 ms     796         4         0/2842      0
    redis hang, no fail-open    61x 503              509/546 ms      78/78        7x 503, max 520 ms    519 ms     195         0         91/1364     0
    redis down, no fail-open    530x 503             23/71 ms        661/661      20x 503, max 62 ms    54 ms      235         0         799/1902    0

"dropped busy" fails what was in flight when its connection was ended (a 503:
the client sends it again with its Idempotency-Key); connections ended while idle
in the pool cost nothing ("dropped idle"). Redis-backed verify is rate-limited,
so without fail-open it shares the decisions' 503s.
"""  # noqa: E501 (the table is as wide as the script prints it)

from __future__ import annotations

import argparse
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, create_engine, text  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

from benchmarks.fault_rig import (  # noqa: E402
    BIN,
    ROOT,
    Gunicorn,
    Load,
    RedisServer,
    Sample,
    call,
    decision,
    gunicorn,
)
from consent_server.signing_keys import new_key_entry  # noqa: E402
from tests.support import scratch_database, server_url  # noqa: E402

PROBES = ("banner.js", "notice", "verify", "healthz")
AFTER_S = 2.0  # load goes on after each fault, for the recovery
WARM_S = 2.0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def statuses(samples: list[Sample]) -> str:
    counts = Counter("no answer" if s.status is None else s.status for s in samples)
    return ", ".join(f"{n}x {status}" for status, n in sorted(counts.items(), key=str))


class Bench:
    def __init__(self, db_url: str, logs: Path) -> None:
        self.db_url = db_url
        self.logs = logs
        # No pool: the benchmark ends every connection to its database too.
        self.db = create_engine(
            db_url, isolation_level="AUTOCOMMIT", poolclass=NullPool
        )
        self.server_db: Engine = create_engine(
            server_url(db_url), isolation_level="AUTOCOMMIT", poolclass=NullPool
        )
        self.name = db_url.rsplit("/", 1)[1]
        self.rows: list[dict[str, Any]] = []
        self._firsts: dict[str, tuple[str, str, str]] = {}

    def sql(self, statement: str, engine: Engine | None = None) -> Any:
        with (engine or self.server_db).connect() as conn:
            result = conn.execute(text(statement))
            return result.fetchall() if result.returns_rows else []

    def end_backends(self) -> int:
        """``pg_terminate_backend`` every connection to the database; wait until
        they are gone (new ones may come: the app reconnects)."""
        ended = {
            pid
            for pid, done in self.sql(
                "SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE datname = '{self.name}'"
            )
            if done
        }
        while ended & {pid for (pid,) in self.sql("SELECT pid FROM pg_stat_activity")}:
            time.sleep(0.05)
        return len(ended)

    def load(self, server: Gunicorn) -> Load:
        """Load on ``server``, with a notice and a token from it."""
        if server.url not in self._firsts:
            notice = call(server.url + "/v1/sites/default/notice")[2]["notice"]
            consents = server.url + "/v1/sites/default/consents"
            first = call(consents, decision(notice))[2]
            receipt = first["receipt"]
            self._firsts[server.url] = (notice, first["token"], receipt["subject"])
        return Load(server.url, *self._firsts[server.url])

    def lost(self, load: Load) -> int:
        acknowledged = load.acknowledged()
        with self.db.connect() as conn:
            stored = set(
                conn.execute(
                    text("SELECT id FROM receipts WHERE id = ANY(:ids)"),
                    {"ids": list(acknowledged)},
                ).scalars()
            )
        return len(acknowledged - stored)

    def fault(
        self,
        name: str,
        server: Gunicorn,
        start: Callable[[], Any],
        end: Callable[[], Any],
        seconds: float,
        warm: float = WARM_S,
    ) -> None:
        """Load ``server``; break it with ``start``, mend it ``seconds`` later."""
        with self.load(server) as load:
            time.sleep(warm)
            log_from = server.log_size()
            detail = start()  # returns once the fault is in place
            t0 = time.monotonic()
            time.sleep(seconds)
            t1 = time.monotonic()
            end()
            time.sleep(AFTER_S)
        log = server.log_tail(log_from)
        self.rows.append(self._row(name, load, t0, t1, log, detail))

    def _row(
        self, name: str, load: Load, t0: float, t1: float, log: str, detail: Any
    ) -> dict[str, Any]:
        recorded = load.window("record", t0, t1)
        looked_up = load.window("lookup", t0, t1)
        latency = [s.latency for s in recorded]
        failed = [s for s in recorded + looked_up if s.status not in (200, 201)]
        probes = {p: load.window(p, t0, t1) for p in PROBES}
        ready = load.window("readyz", t0, t1)
        served = [s for s in load.samples if s.kind != "readyz"]
        return {
            "fault": name,
            "detail": detail,
            "decisions": statuses(recorded),
            "lookups": statuses(looked_up),
            "latency": f"{pct(latency, 0.5) * 1000:.0f}/"
            f"{max(latency, default=0) * 1000:.0f} ms",
            "retry_after": f"{sum(s.retry_after for s in failed)}/{len(failed)}",
            "readyz": f"{statuses(ready)}, max {ms(max(_latency(ready), default=0))}",
            "p99": max(pct(_latency(v), 0.99) for v in probes.values()),
            "probe_p99": ", ".join(
                f"{p} {ms(pct(_latency(v), 0.99))}" for p, v in probes.items()
            ),
            "probes": "; ".join(f"{p} {statuses(v)}" for p, v in probes.items()),
            "log_per_failure": len(log.encode()) // max(1, len(failed)),
            "log_lines": log.count("\n"),
            "tracebacks": log.count("Traceback"),
            "warnings": log.count("falling back to in-memory"),
            "example": _example(log),
            "run_failed": f"{sum(s.status not in (200, 201) for s in served)}"
            f"/{len(served)}",
            "lost": self.lost(load),
        }


def _latency(samples: list[Sample]) -> list[float]:
    return [s.latency for s in samples]


def _example(log: str) -> str:
    """The first log line, shortened (timestamps and pid off)."""
    first = log.splitlines()[0] if log else ""
    message = first.split("] ", 2)[-1]
    return message if len(message) < 160 else message[:157] + "..."


def run(args: argparse.Namespace, bench: Bench, redis: RedisServer) -> None:
    env = {
        "CONSENT_DATABASE_URL": bench.db_url,
        "CONSENT_SECRET_KEYS": secrets.token_urlsafe(32),
        "CONSENT_SIGNING_KEYS": new_key_entry("bench"),
        "CONSENT_ENV": "production",
        "CONSENT_RATELIMIT_STORAGE_URL": redis.url,
        "CONSENT_RATELIMIT_RECORD": "1000000 per minute",
        "CONSENT_RATELIMIT_LOOKUP": "1000000 per minute",
        "CONSENT_RATELIMIT_VERIFY": "1000000 per minute",
    }
    subprocess.run(
        [str(BIN / "flask"), "--app", "consent_server", "db", "upgrade"],
        cwd=ROOT,
        env={**env, "PATH": str(BIN)},
        check=True,
        capture_output=True,
    )
    with gunicorn(env, bench.logs) as server:
        locked, release = threading.Event(), threading.Event()

        def hold_lock() -> None:
            with bench.db.connect() as conn:
                conn.exec_driver_sql("BEGIN")
                conn.exec_driver_sql("LOCK TABLE receipts IN ACCESS EXCLUSIVE MODE")
                locked.set()
                release.wait()
                conn.exec_driver_sql("COMMIT")

        def lock() -> str:
            threading.Thread(target=hold_lock).start()
            locked.wait(timeout=60)
            return "LOCK TABLE receipts"

        stall = f"stall {args.stall:g} s"
        bench.fault(stall, server, lock, release.set, args.stall)

        def refuse() -> str:
            bench.sql(f'ALTER DATABASE "{bench.name}" ALLOW_CONNECTIONS false')
            return f"{bench.end_backends()} backends ended"

        bench.fault(
            f"outage {args.outage:g} s",
            server,
            refuse,
            lambda: bench.sql(f'ALTER DATABASE "{bench.name}" ALLOW_CONNECTIONS true'),
            args.outage,
        )
        with bench.load(server):
            time.sleep(WARM_S)  # every worker's pool holds connections
        ended = f"{bench.end_backends()} backends ended, then load"
        bench.fault("dropped idle", server, lambda: ended, lambda: None, 3, warm=0)

        def end_under_load() -> str:
            return f"{bench.end_backends()} backends ended under load"

        bench.fault("dropped busy", server, end_under_load, lambda: None, 3)
        bench.fault("redis hang", server, redis.hang, redis.resume, args.outage)
        bench.fault("redis down", server, redis.stop, redis.start, args.outage)
    closed = {**env, "CONSENT_RATELIMIT_FAIL_OPEN": "false"}
    with gunicorn(closed, bench.logs) as server:
        bench.fault("redis hang, no fail-open", server, redis.hang, redis.resume, 5)
        bench.fault("redis down, no fail-open", server, redis.stop, redis.start, 5)


COLUMNS = (
    ("fault", "fault", 26),
    ("decisions", "decisions during it", 19),
    ("latency", "p50/max", 14),
    ("retry_after", "Retry-After", 11),
    ("readyz", "/readyz", 20),
    ("p99", "no-DB p99", 9),
    ("log_per_failure", "log B/fail", 10),
    ("warnings", "warnings", 8),
    ("run_failed", "failed/run", 10),
    ("lost", "lost", 4),
)


def report(rows: list[dict[str, Any]]) -> str:
    """A table, then each fault's details."""
    lines = ["  ".join(f"{title:{width}}" for _, title, width in COLUMNS)]
    for row in rows:
        cells = {
            **row,
            "p99": ms(row["p99"]),
            "log_per_failure": row["log_per_failure"],
        }
        lines.append("  ".join(f"{cells[k]!s:{w}}" for k, _, w in COLUMNS))
    for row in rows:
        lines += [
            "",
            f"{row['fault']} ({row['detail']})" if row["detail"] else row["fault"],
            f"  lookups during it: {row['lookups']}",
            f"  without database: {row['probes']}",
            f"  p99 without database: {row['probe_p99']}",
            f"  log: {row['log_lines']} lines, {row['tracebacks']} tracebacks"
            + (f"; first: {row['example']}" if row["example"] else ""),
        ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--pg-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL server (its database is not touched: one is made)",
    )
    parser.add_argument("--stall", type=float, default=12)
    parser.add_argument("--outage", type=float, default=8)
    args = parser.parse_args()
    redis = RedisServer()
    redis.start()
    try:
        with (
            scratch_database(args.pg_url, "faultbench") as db_url,
            tempfile.TemporaryDirectory() as logs,
        ):
            bench = Bench(db_url, Path(logs))
            try:
                run(args, bench, redis)
            finally:
                bench.db.dispose()
                bench.server_db.dispose()
    finally:
        redis.stop()
    print(report(bench.rows))
    return 0 if all(row["lost"] == 0 for row in bench.rows) else 1


if __name__ == "__main__":
    sys.exit(main())
