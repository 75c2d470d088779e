"""Throughput and latency of the public API against a minimal Flask ceiling.

Starts gunicorn (2 sync workers) on 127.0.0.1 twice — the consent service (with
its log sealer beside the workers, every 60 s, as gunicorn.conf.py runs it) and a
minimal Flask JSON app with the same settings — loads each with wrk (after 2 s of
warm-up load that is not counted) and prints
requests/s, p50 and p99 latency, errors and the ratio to the ceiling for:
verify, current decision by subject, record a decision (SQLite and PostgreSQL).
Both servers stay up; each endpoint's --duration is cut into --slices slices, each
right after an equal slice of the ceiling, and the ratio is of the totals: on a
shared machine the throughput of the same code drifts by a fifth within seconds,
and slices side by side see the same drift. p50 and p99 are the run's (each
slice's latency at every tenth of a percent, merged by its requests); "slice p99"
is the worst slice's own p99, shown beside it.

    .venv/bin/python benchmarks/server_bench.py [--duration 10] [--connections 16]
        [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/bench]

Needs wrk (apt-get install wrk). Targets (issues #2, #8, #9, #12): verify >= 0.6 of
the ceiling, lookup >= 0.4, record >= 0.15 on both databases, zero errors, p99 < 50
ms, each in one run (the ceiling is measured in the same run: the machine drifts).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.fault_rig import free_port  # noqa: E402
from benchmarks.wrk_load import merged_percentile, wrk  # noqa: E402
from tests.support import reset_postgres  # noqa: E402

BIN = Path(sys.executable).parent
KEY = "bench-key-0123456789abcdef0123456789"
# kid:seed of the Ed25519 key receipts are signed with (issue #12).
SIGNING_KEY = "bench:" + "QmVuY2g" * 6 + "A"


def wait_ready(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server at {url} did not come up")


@contextmanager
def gunicorn(
    app_spec: str, env: dict[str, str], cwd: Path, threads: int = 1
) -> Iterator[str]:
    port = free_port()
    # One thread: sync workers. More: gthread workers, which overlap database waits.
    worker = (
        ["-k", "sync"] if threads == 1 else ["-k", "gthread", "--threads", str(threads)]
    )
    proc = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            # Not the repository's gunicorn.conf.py (which gunicorn reads from the
            # working directory by default): both apps run on these settings alone.
            "-c",
            os.devnull,
            "-w",
            "2",
            *worker,
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            app_spec,
        ],
        cwd=cwd,
        env={**os.environ, **env},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base + ("/healthz" if "consent_server" in app_spec else "/ping"))
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@contextmanager
def sealer(env: dict[str, str]) -> Iterator[None]:
    """``consent log seal --every 60`` for the duration."""
    proc = subprocess.Popen(
        [str(BIN / "flask"), "--app", "consent_server"]
        + ["consent", "log", "seal", "--every", "60"],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def post_json(url: str, body: dict[str, Any]) -> dict[str, Any]:
    req = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=10) as rv:
        data: dict[str, Any] = json.load(rv)
        return data


def bench_database(
    label: str,
    db_url: str,
    args: argparse.Namespace,
    ceiling: Callable[[int], dict[str, Any]],
) -> list[dict[str, Any]]:
    env = {
        "CONSENT_DATABASE_URL": db_url,
        "CONSENT_SECRET_KEYS": KEY,
        "CONSENT_SIGNING_KEYS": SIGNING_KEY,
        "CONSENT_ENV": "production",
        "CONSENT_RATELIMIT_ENABLED": "false",
    }
    subprocess.run(
        [str(BIN / "flask"), "--app", "consent_server", "db", "upgrade"],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
        capture_output=True,
    )
    rows = []
    # The log is sealed by a process beside the workers, as gunicorn.conf.py runs
    # it: every 60 s, so once or twice while the three endpoints are measured.
    workers = {**env, "CONSENT_LOG_SEAL_INTERVAL": "0"}
    with (
        sealer(env),
        gunicorn("consent_server:create_app()", workers, ROOT, args.threads) as base,
    ):
        with urllib.request.urlopen(base + "/v1/sites/default/notice") as rv:
            notice = json.load(rv)["notice"]
        decision = {
            "notice": notice,
            "choices": {"persistent": True, "third_party": False},
        }
        first = post_json(base + "/v1/sites/default/consents", decision)
        subject = first["receipt"]["subject"]
        lookup = f"/v1/sites/default/consents/{subject}?category=persistent"
        loads = {
            "verify": ("/v1/receipts/verify", "POST", {"token": first["token"]}),
            "lookup": (lookup, "GET", None),
            # As the banner sends it: its own receipt id and a subject it made.
            "record": (
                "/v1/sites/default/consents",
                "POST",
                {**decision, "id": "@ID@", "subject": "@SUBJECT@", "layer": "first"},
            ),
        }
        for name, (path, method, body) in loads.items():
            if args.only and name != args.only:
                continue
            payload = json.dumps(body) if body is not None else None
            # Warm up first (pools, prepared statements, caches), as for the ceiling.
            wrk(
                base + path,
                method,
                payload,
                argparse.Namespace(**{**vars(args), "duration": WARMUP_S}),
            )
            result = interleaved(base + path, method, payload, args, ceiling)
            rows.append((name, result))
    return [{"name": f"{name} ({label})", **r} for name, r in rows]


def interleaved(
    url: str,
    method: str,
    payload: str | None,
    args: argparse.Namespace,
    ceiling: Callable[[int], dict[str, Any]],
) -> dict[str, Any]:
    """Load ``url`` for --duration seconds in --slices slices, each right after an
    equal slice of the ceiling; totals of both, and the worst slice's latencies.

    A shared machine's throughput drifts by a fifth within seconds: slices side by
    side see the same drift, so their ratio is the code's cost, not the moment's.
    """
    piece = argparse.Namespace(
        **{**vars(args), "duration": max(1, args.duration // args.slices)}
    )
    pairs = []
    for _ in range(args.slices):
        base = ceiling(piece.duration)
        pairs.append((base, wrk(url, method, payload, piece)))
    measured = [r for _, r in pairs]
    total = {
        "requests": sum(r["requests"] for r in measured),
        "seconds": sum(r["seconds"] for r in measured),
        "p50": merged_percentile(measured, 0.50),
        "p99": merged_percentile(measured, 0.99),
        "worst_p99": max(r["p99"] for r in measured),
        "errors": sum(r["errors"] for r in measured),
    }
    total["rps"] = total["requests"] / total["seconds"]
    total["ceiling_rps"] = sum(c["requests"] for c, _ in pairs) / sum(
        c["seconds"] for c, _ in pairs
    )
    return total


TARGETS = {"verify": 0.6, "lookup": 0.4, "record": 0.15}
WARMUP_S = 2  # seconds of load before each measured run, not counted


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--slices",
        type=int,
        default=3,
        help="slices of --duration, each after an equal slice of the ceiling",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads per gunicorn worker (1: sync workers; more: gthread), both apps",
    )
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument(
        "--only", choices=sorted(TARGETS), help="measure one endpoint (and the ceiling)"
    )
    parser.add_argument(
        "--pg-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/bench",
        help="an empty database the benchmark may wipe ('' to skip PostgreSQL)",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 2

    with gunicorn(
        "ceiling_app:app", {}, ROOT / "benchmarks", args.threads
    ) as ceiling_base:
        warmup = argparse.Namespace(**{**vars(args), "duration": WARMUP_S})
        wrk(ceiling_base + "/ping", "GET", None, warmup)

        def ceiling(seconds: int) -> dict[str, Any]:
            """The minimal app's throughput now, for ``seconds``."""
            piece = argparse.Namespace(**{**vars(args), "duration": seconds})
            return wrk(ceiling_base + "/ping", "GET", None, piece)

        results = []
        if not args.skip_sqlite:
            with tempfile.TemporaryDirectory() as tmp:
                url = f"sqlite:///{tmp}/bench.sqlite3"
                results += bench_database("sqlite", url, args, ceiling)
        if args.pg_url:
            subprocess.run(
                [
                    "psql",
                    "-h",
                    "127.0.0.1",
                    "-U",
                    "postgres",
                    "-c",
                    "CREATE DATABASE bench",
                ],
                capture_output=True,
            )
            reset_postgres(args.pg_url)
            results += bench_database("postgresql", args.pg_url, args, ceiling)

    print(
        f"\n{'endpoint':24} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'slice p99':>10} "
        f"{'errors':>7} {'ceiling':>8} {'ratio':>6} {'target':>7}"
    )
    ok = True
    for r in results:
        ratio = r["rps"] / r["ceiling_rps"]
        target = TARGETS[r["name"].split()[0]]
        passed = ratio >= target and r["errors"] == 0 and r["p99"] < 50
        ok &= passed
        verdict = "" if passed else "  MISSED"
        print(
            f"{r['name']:24} {r['rps']:9.0f} {r['p50']:8.2f} {r['p99']:8.2f} "
            f"{r['worst_p99']:10.2f} {r['errors']:7d} {r['ceiling_rps']:8.0f} "
            f"{ratio:6.2f} {target:>6.2f}{verdict}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
