"""Automatic sealing: every ``CONSENT_LOG_SEAL_INTERVAL`` seconds, what was
recorded since is sealed.

Sealing stays off the write path (a decision never waits for the log), and under
gunicorn off the workers too: ``gunicorn.conf.py`` starts ``consent log seal
--every`` as a process of its own beside them and sets the workers' interval to
0. A seal in a worker's thread shares that worker's interpreter lock with its
requests: in ``benchmarks/server_bench.py`` it raised SQLite's record p99 from
about 50 ms to 150-500 ms.

Run any other way (``flask run``, another WSGI server), each process that serves
requests starts one daemon thread at its first request, which seals every
interval; with the interval at 0, run ``consent log seal --every 60`` beside the
app (or ``consent log seal`` from cron) instead. The log lock lets one process
seal at a time; the others skip that round without waiting (PostgreSQL's
advisory lock; on SQLite after the busy timeout).
"""

from __future__ import annotations

import logging
import os
import random
import threading
from typing import Any

from flask import Flask

from .config import ConfigError
from .log_seal import has_unsealed, seal

log = logging.getLogger(__name__)

EXTENSION = "consent_log_sealer"

# While requests are served, a seal writes a batch at a time (holding the log,
# and on SQLite the one writer lock, for the writes only: it reads and hashes
# before) and pauses after each batch as long as the longest sleep of SQLite's
# busy handler, so that decisions waiting for the lock get it and the sealing
# process leaves the CPU to the workers in between.
# ``consent log seal`` (the command) takes 10,000-leaf batches without pauses.
ROUND_BATCH_SIZE = 500
ROUND_PAUSE_S = 0.1


def register_log_sealer(app: Flask, overrides: dict[str, Any]) -> None:
    """Start the sealing thread at the first request, if sealing is on."""
    interval = app.config["CONSENT_LOG_SEAL_INTERVAL"]
    if not isinstance(interval, int | float) or interval < 0:
        raise ConfigError("CONSENT_LOG_SEAL_INTERVAL must be 0 (off) or seconds")
    if app.testing and "CONSENT_LOG_SEAL_INTERVAL" not in overrides:
        return  # tests seal when they mean to
    if not interval:
        return

    def start_sealer() -> None:
        _ensure_started(app, float(interval))
        # Started: later requests of this process skip the hook. A new list, as
        # Flask may be iterating over the old one; a worker forked from a process
        # that served no request still has the hook and starts its own thread.
        hooks = app.before_request_funcs[None]
        app.before_request_funcs[None] = [h for h in hooks if h is not start_sealer]

    app.before_request(start_sealer)


_starting = threading.Lock()


def _ensure_started(app: Flask, interval: float) -> None:
    """One sealing thread in this process (a forked worker starts its own)."""
    with _starting:  # two threads of a gthread worker may both be first
        running = app.extensions.get(EXTENSION)
        if running is not None and running[0] == os.getpid():
            return
        stop = threading.Event()
        thread = threading.Thread(
            target=run_sealer,
            args=(app, interval, stop),
            name="consent-log-sealer",
            daemon=True,
        )
        app.extensions[EXTENSION] = (os.getpid(), thread, stop)
        thread.start()


def run_sealer(app: Flask, interval: float, stop: threading.Event) -> None:
    """Seal every ``interval`` seconds (less a random fifth) until ``stop`` is set."""
    # Processes started together should not all try at the same moment. A random
    # generator of its own: a thread never touches the process's shared one.
    jitter = random.Random()
    while not stop.wait(interval * jitter.uniform(0.8, 1.0)):
        seal_round(app)


def seal_round(app: Flask) -> None:
    """One automatic seal: skipped when there is nothing new or another seals."""
    try:
        with app.app_context():
            if has_unsealed():
                result = seal(
                    wait=False, batch_size=ROUND_BATCH_SIZE, pause=ROUND_PAUSE_S
                )
                if result is not None and result.head is not None:
                    log.info(
                        "log sealed: %d new leaves, tree size %d",
                        result.appended,
                        result.tree_size,
                    )
    except Exception:  # the next round tries again; a request never sees this
        log.exception("automatic log seal failed")


def stop_log_sealer(app: Flask) -> None:
    """Stop this process's sealing thread (tests)."""
    running = app.extensions.pop(EXTENSION, None)
    if running is not None:
        running[2].set()
        running[1].join(timeout=10)
