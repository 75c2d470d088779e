"""The watcher that keeps gunicorn's log sealer running (log_sealer_process.py),
with a stand-in command that dies at once, as one with a bad setting would."""

from __future__ import annotations

import re
import sys
import time
from typing import Any

import pytest

from consent_server import log_sealer_process
from consent_server.log_sealer_process import SealerProcess


class Log:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def error(self, message: str, *args: Any) -> None:
        self.lines.append(message % args)

    info = error


@pytest.fixture(autouse=True)
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(log_sealer_process, "POLL_S", 0.01)
    monkeypatch.setattr(log_sealer_process, "FIRST_DELAY_S", 0.05)
    monkeypatch.setattr(log_sealer_process, "LONGEST_DELAY_S", 0.2)


def _delays(log: Log) -> list[float]:
    return [
        float(m.group(1))
        for line in log.lines
        if (m := re.search(r"stopped; starting it again in (\S+) s", line))
    ]


def test_a_sealer_that_keeps_dying_is_restarted_with_growing_pauses() -> None:
    log = Log()
    sealer = SealerProcess([sys.executable, "-c", "raise SystemExit(3)"], log)
    sealer.start()
    deadline = time.monotonic() + 30
    while len(_delays(log)) < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    sealer.stop(timeout=5)
    assert _delays(log)[:5] == [0.05, 0.1, 0.2, 0.2, 0.2]
    assert sum("started again" in line for line in log.lines) >= 4


def test_stop_ends_the_sealer_and_no_new_one_starts() -> None:
    log = Log()
    sealer = SealerProcess([sys.executable, "-c", "import time; time.sleep(60)"], log)
    sealer.start()
    process = sealer._process
    assert process is not None and process.poll() is None
    sealer.stop(timeout=5)
    assert process.poll() is not None
    time.sleep(0.2)
    assert sealer._process is process
    assert not log.lines
