"""A seal reads and hashes each batch before it takes the log lock (decisions
then wait for its writes only): what changed in between is read again, never
appended stale (issue #12)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import Connection, delete, insert, text, update

from consent_server.extensions import db
from consent_server.log_seal import SealResult, lock_log, seal
from consent_server.models import Erasure, Receipt
from tests.api.helpers import Record

WAITING = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    # The seal waits for a lock the test holds a second or two.
    return {**app_config, "CONSENT_DB_TIMEOUT": 15.0}


def _record(record: Record, n: int) -> list[str]:
    ids = []
    for i in range(n):
        rv = record({"persistent": bool(i % 2), "third_party": False})
        assert rv.status_code == 201, rv.get_data(as_text=True)
        ids.append(rv.json["receipt"]["id"])
    return ids


def _sealing(app: Flask, results: list[SealResult | None], **kwargs: Any) -> Any:
    def run() -> None:
        with app.app_context():
            results.append(seal(**kwargs))

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _seal_while(app: Flask, change: Callable[[Connection], Any]) -> SealResult:
    """Seal while the test holds the log lock: once the seal waits for it (its
    batch read and hashed), ``change`` runs and commits in the lock's transaction."""
    results: list[SealResult | None] = []
    with app.app_context():
        holder = db.engine.connect()
        watcher = db.engine.connect()
        try:
            transaction = holder.begin()
            assert lock_log(holder)
            sealer = _sealing(app, results)
            _wait_until_it_waits_for_the_lock(watcher)
            change(holder)
            transaction.commit()
        finally:
            holder.close()
            watcher.close()
    sealer.join(timeout=60)
    [result] = results
    assert result is not None
    return result


def _wait_until_it_waits_for_the_lock(conn: Connection) -> None:
    """PostgreSQL shows the seal waiting for the advisory lock; SQLite shows
    nothing, and a second is far more than reading three receipts takes."""
    if conn.dialect.name != "postgresql":
        time.sleep(1.0)
        return
    deadline = time.monotonic() + 20
    while not conn.scalar(text(WAITING)):
        assert time.monotonic() < deadline, "the seal never waited for the lock"
        time.sleep(0.05)


def test_a_receipt_erased_while_its_batch_waits_for_the_lock_is_read_again(
    app: Flask, runner: FlaskCliRunner, record: Record
) -> None:
    ids = _record(record, 3)

    def erase(holder: Connection) -> None:
        # An erasure's writes, made while the seal holds its hashed batch.
        holder.execute(
            update(Receipt.__table__)
            .where(Receipt.__table__.c.id == ids[1])
            .values(subject="erased-0123", origin=None, ip_prefix=None)
        )
        holder.execute(
            insert(Erasure.__table__).values(
                subject_hash="0" * 64,
                site="default",
                receipts=1,
                erased_by="test",
                created_at=datetime.now(UTC),
            )
        )

    result = _seal_while(app, erase)
    assert result.tree_size == 4  # 3 receipts, 1 erasure
    verified = runner.invoke(args=["consent", "log", "verify"])
    assert verified.exit_code == 0, verified.output
    assert "4 leaves" in verified.output


def test_seals_taking_turns_between_batches_append_each_receipt_once(
    app: Flask, runner: FlaskCliRunner, record: Record
) -> None:
    _record(record, 6)
    results: list[SealResult | None] = []
    sealer = _sealing(app, results, batch_size=2, pause=2.0)
    time.sleep(0.8)  # its first batch is in, it pauses
    with app.app_context():
        other = seal()  # appends the other four meanwhile
    sealer.join(timeout=60)
    assert other is not None and other.tree_size == 6
    [first] = results
    assert first is not None and first.tree_size == 6
    verified = runner.invoke(args=["consent", "log", "verify"])
    assert verified.exit_code == 0, verified.output
    assert "6 leaves" in verified.output


# The first receipt aged past retention, its batch reaching today (the seal reads
# the ids), or all three (nothing commits into their span: the seal counts them).
@pytest.mark.parametrize("aged", [1, 3], ids=["reaching-today", "all-old"])
def test_a_receipt_purged_while_its_batch_waits_for_the_lock_is_left_out(
    app: Flask, runner: FlaskCliRunner, record: Record, aged: int
) -> None:
    ids = _record(record, 3)
    receipts = Receipt.__table__
    long_ago = datetime.now(UTC) - timedelta(days=2000)
    with app.app_context():
        with db.engine.begin() as conn:  # past the default site's retention
            for n, receipt_id in enumerate(ids[:aged]):
                conn.execute(
                    update(receipts)
                    .where(receipts.c.id == receipt_id)
                    .values(created_at=long_ago + timedelta(seconds=n))
                )

    def purge(holder: Connection) -> None:
        holder.execute(delete(receipts).where(receipts.c.id == ids[0]))

    assert _seal_while(app, purge).tree_size == 2
    verified = runner.invoke(args=["consent", "log", "verify"])
    assert verified.exit_code == 0, verified.output
