"""The log sealer as a process beside gunicorn's workers, restarted when it dies.

``gunicorn.conf.py`` starts ``consent log seal --every`` from the master once the
workers are up. Nothing else would notice if that process died (killed, out of
memory): the service would go on recording while the log stayed unsealed. A
thread of the master watches it and starts it again.

While it keeps dying soon after starting (a setting the app refuses, a database
it cannot reach), restarts back off from one second to a minute, so that a broken
setup logs one line a minute instead of spinning; a sealer that ran a minute
before it died is restarted after a second again.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Sequence
from typing import Any

FIRST_DELAY_S = 1.0
LONGEST_DELAY_S = 60.0
# Up this long, a sealer counts as started well: its death is not a setup problem.
STABLE_AFTER_S = 60.0
POLL_S = 0.5


class SealerProcess:
    """``command`` run as a child process and kept running until ``stop()``.

    :param log: gunicorn's logger (``server.log``): restarts are errors there.
    """

    def __init__(self, command: Sequence[str], log: Any) -> None:
        self.command = list(command)
        self.log = log
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._started_at = 0.0
        self._watcher: threading.Thread | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> None:
        self._spawn()
        self._watcher = threading.Thread(
            target=self._watch, name="consent-log-sealer-watch", daemon=True
        )
        self._watcher.start()

    def stop(self, timeout: float) -> None:
        """Stop watching, then ask the sealer to stop (SIGTERM: it finishes the
        batch it writes), killing it after ``timeout`` seconds."""
        self._stopping.set()
        with self._lock:
            process = self._process
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def _spawn(self) -> None:
        with self._lock:
            if self._stopping.is_set():
                return
            self._process = subprocess.Popen(self.command)
            self._started_at = time.monotonic()

    def _watch(self) -> None:
        delay = FIRST_DELAY_S
        while not self._stopping.wait(POLL_S):
            process = self._process
            # gunicorn's master reaps every child that exits (waitpid(-1)): then
            # poll() finds the process gone without its status.
            if process is None or process.poll() is None:
                continue
            if time.monotonic() - self._started_at >= STABLE_AFTER_S:
                delay = FIRST_DELAY_S
            self.log.error(
                "Log sealer (pid %s) stopped; starting it again in %g s",
                process.pid,
                delay,
            )
            if self._stopping.wait(delay):
                return
            self._spawn()
            self.log.info("Log sealer started again (pid %s)", self.pid)
            delay = min(delay * 2, LONGEST_DELAY_S)
