"""The transparency log: sealing in a fixed order, verifying, erasure (issue #12)."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select, text, update

from consent_server import log_leaves, merkle
from consent_server.extensions import db
from consent_server.jws import TREE_HEAD_TYP, verify_compact
from consent_server.log_seal import seal
from consent_server.log_tiles import StoredTree, find_leaf, read_salt
from consent_server.models import LogHead, Receipt
from consent_server.signing_keys import current_signing_keys
from tests.api.admin_fixtures import admin, tokens  # noqa: F401
from tests.api.helpers import Record


def _record_many(record: Record, n: int) -> list[dict[str, Any]]:
    bodies = []
    for i in range(n):
        rv = record({"persistent": bool(i % 2), "third_party": False})
        assert rv.status_code == 201, rv.get_data(as_text=True)
        bodies.append(rv.json)
    return bodies


def _receipt_ids(bodies: list[dict[str, Any]]) -> list[str]:
    return [b["receipt"]["id"] for b in bodies]


def _seal(app: Flask, **kwargs: Any) -> Any:
    with app.app_context():
        return seal(**kwargs)


def test_seal_appends_every_receipt_and_signs_a_head(
    app: Flask, record: Record
) -> None:
    ids = _receipt_ids(_record_many(record, 5))
    result = _seal(app)
    assert result.appended == 5
    assert result.tree_size == 5
    with app.app_context():
        head = db.session.scalars(select(LogHead)).one()
        payload = verify_compact(
            head.signature, current_signing_keys().jwks(), typ=TREE_HEAD_TYP
        )
        assert payload["tree_size"] == 5
        assert payload["root_hash"] == head.root_hash
        # Every receipt is a leaf, oldest first; the root is the RFC's MTH of
        # the leaf entries.
        conn = db.session.connection()
        rows = db.session.scalars(
            select(Receipt).order_by(Receipt.created_at, Receipt.id)
        ).all()
        assert sorted(r.id for r in rows) == sorted(ids)
        assert [find_leaf(conn, r.id, r.created_at) for r in rows] == list(range(5))
        entries = []
        for index, row in enumerate(rows):
            salt = read_salt(conn, index)
            assert salt is not None
            leaf = log_leaves.receipt_leaf(row, log_leaves.personal_hashes(row, salt))
            entries.append(log_leaves.leaf_bytes(leaf))
        assert merkle.mth(entries).hex() == head.root_hash


def test_a_leaf_shows_personal_fields_only_as_salted_hashes(
    app: Flask, record: Record
) -> None:
    body = _record_many(record, 1)[0]
    _seal(app)
    with app.app_context():
        row = db.session.get(Receipt, body["receipt"]["id"])
        salt = read_salt(db.session.connection(), 0)
        assert row is not None and salt is not None
        leaf = log_leaves.receipt_leaf(row, log_leaves.personal_hashes(row, salt))
        published = log_leaves.leaf_bytes(leaf).decode()
        assert row.subject not in published
        assert row.token is not None and row.token not in published
        assert leaf["salted_sha256"]["subject"] == log_leaves.salted_hash(
            salt, "subject", row.subject
        )
        assert leaf["choices"] == row.choices


def test_every_receipt_column_is_either_published_or_salted() -> None:
    columns = {c.name for c in Receipt.__table__.columns}
    placed = [
        *log_leaves.CLEAR_FIELDS,
        *log_leaves.PERSONAL_FIELDS,
    ]
    assert sorted(placed) == sorted(columns)


def test_receipts_committed_late_are_appended_never_inserted(
    app: Flask, record: Record
) -> None:
    first = _receipt_ids(_record_many(record, 3))
    _seal(app)
    late = _receipt_ids(_record_many(record, 2))
    with app.app_context():  # a decision that committed late, dated earlier
        db.session.execute(
            update(Receipt)
            .where(Receipt.id == late[0])
            .values(created_at=datetime.now(UTC) - timedelta(minutes=2))
        )
        db.session.commit()
    # ... sealed after the first ones all the same: the old leaves stay put.
    with app.app_context():
        old_root = db.session.scalars(select(LogHead)).one().root_hash
    result = _seal(app)
    assert result.tree_size == 5
    with app.app_context():
        conn = db.session.connection()
        index = {
            r.id: find_leaf(conn, r.id, r.created_at)
            for r in db.session.scalars(select(Receipt))
        }
        assert sorted(index[i] for i in first) == [0, 1, 2]
        assert index[late[0]] == 3  # older created_at goes first among the new
        assert index[late[1]] == 4
        tree = StoredTree(conn)
        proof = merkle.consistency_proof(tree, 3, 5)
        new_root = db.session.scalars(
            select(LogHead).where(LogHead.tree_size == 5)
        ).one()
        assert merkle.verify_consistency(
            3,
            5,
            bytes.fromhex(old_root),
            bytes.fromhex(new_root.root_hash),
            proof,
        )


def test_verify_names_a_receipt_that_never_reached_the_log(
    app: Flask, runner: FlaskCliRunner, record: Record
) -> None:
    _record_many(record, 2)
    runner.invoke(args=["consent", "log", "seal"])
    stray = _receipt_ids(_record_many(record, 1))[0]
    with app.app_context():  # loaded with a date before the seal's margin
        db.session.execute(
            update(Receipt)
            .where(Receipt.id == stray)
            .values(created_at=datetime.now(UTC) - timedelta(days=3))
        )
        db.session.commit()
    runner.invoke(args=["consent", "log", "seal"])
    result = runner.invoke(args=["consent", "log", "verify"])
    assert result.exit_code == 1
    assert f"receipt {stray} is missing from the log" in result.output


def test_verify_names_a_young_receipt_deleted_and_counts_purged_ones(
    app: Flask, runner: FlaskCliRunner, record: Record
) -> None:
    ids = _receipt_ids(_record_many(record, 3))
    with app.app_context():  # old enough for the retention purge (1095 days)
        db.session.execute(
            update(Receipt)
            .where(Receipt.id == ids[0])
            .values(created_at=datetime.now(UTC) - timedelta(days=2000))
        )
        db.session.commit()
    runner.invoke(args=["consent", "log", "seal"])
    with app.app_context():
        db.session.execute(text("DELETE FROM receipts WHERE id = :id"), {"id": ids[0]})
        db.session.commit()
    result = runner.invoke(args=["consent", "log", "verify"])
    assert result.exit_code == 0, result.output
    assert "1 purged" in result.output
    _record_many(record, 300)  # a tile of young receipts only
    runner.invoke(args=["consent", "log", "seal"])
    with app.app_context():
        young = db.session.scalars(
            select(Receipt.id).order_by(Receipt.created_at.desc()).limit(1)
        ).one()
        db.session.execute(text("DELETE FROM receipts WHERE id = :id"), {"id": young})
        db.session.commit()
    result = runner.invoke(args=["consent", "log", "verify"])
    assert result.exit_code == 1
    assert f"receipt {young}" in result.output and "was deleted" in result.output


def test_sealing_twice_without_news_makes_no_head(app: Flask, record: Record) -> None:
    _record_many(record, 2)
    assert _seal(app).head is not None
    again = _seal(app)
    assert again.head is None and again.appended == 0


def test_sealing_in_small_batches_gives_the_same_tree(
    app: Flask, record: Record
) -> None:
    _record_many(record, 7)
    result = _seal(app, batch_size=2)
    assert result.tree_size == 7
    with app.app_context():
        heads = db.session.scalars(select(LogHead)).all()
        assert len(heads) == 1  # one head per seal, not per batch
        tree = StoredTree(db.session.connection())
        assert merkle.tree_hash(tree, 7).hex() == heads[0].root_hash


def test_a_decision_gets_in_between_the_batches_of_a_seal(
    app: Flask, record: Record
) -> None:
    """The automatic sealer pauses between batches: a decision made meanwhile is
    stored before the seal ends, not after it (SQLite has one writer)."""
    _record_many(record, 8)
    ended: dict[str, float] = {}

    def sealing() -> None:
        with app.app_context():
            seal(batch_size=2, pause=0.5)
        ended["seal"] = time.monotonic()

    sealer = threading.Thread(target=sealing)
    sealer.start()
    time.sleep(0.1)  # within the first batch or the first pause
    rv = record({"persistent": True, "third_party": False})
    ended["decision"] = time.monotonic()
    sealer.join(timeout=60)
    assert rv.status_code == 201
    assert ended["decision"] < ended["seal"]
    assert _seal(app).tree_size == 9  # in that seal's last batch, or the next seal


def test_verify_passes_on_an_untouched_log(
    runner: FlaskCliRunner, record: Record
) -> None:
    _record_many(record, 4)
    assert runner.invoke(args=["consent", "log", "seal"]).exit_code == 0
    _record_many(record, 3)
    assert runner.invoke(args=["consent", "log", "seal"]).exit_code == 0
    result = runner.invoke(args=["consent", "log", "verify"])
    assert result.exit_code == 0, result.output
    assert "7 leaves" in result.output and "2 heads checked: OK" in result.output


def test_verify_names_a_receipt_changed_after_sealing(
    app: Flask, runner: FlaskCliRunner, record: Record
) -> None:
    ids = _receipt_ids(_record_many(record, 4))
    assert runner.invoke(args=["consent", "log", "seal"]).exit_code == 0
    with app.app_context():
        db.session.execute(
            text("UPDATE receipts SET choices = :c WHERE id = :id"),
            {"c": json.dumps({"persistent": True, "third_party": True}), "id": ids[2]},
        )
        db.session.commit()
    result = runner.invoke(args=["consent", "log", "verify"])
    assert result.exit_code == 1
    assert f"receipt {ids[2]}" in result.output
    assert ids[0] not in result.output


def test_verify_names_a_receipt_whose_subject_was_rewritten(
    app: Flask, runner: FlaskCliRunner, record: Record
) -> None:
    ids = _receipt_ids(_record_many(record, 3))
    runner.invoke(args=["consent", "log", "seal"])
    with app.app_context():
        db.session.execute(
            text("UPDATE receipts SET subject = 'someone-else' WHERE id = :id"),
            {"id": ids[1]},
        )
        db.session.commit()
    result = runner.invoke(args=["consent", "log", "verify"])
    assert result.exit_code == 1
    assert f"receipt {ids[1]}" in result.output


def test_an_erasure_deletes_the_salt_keeps_the_proof_and_becomes_a_leaf(
    app: Flask,
    client: FlaskClient,
    runner: FlaskCliRunner,
    record: Record,
    admin: dict[str, str],  # noqa: F811
) -> None:
    bodies = _record_many(record, 3)
    subject = bodies[1]["receipt"]["subject"]
    assert runner.invoke(args=["consent", "log", "seal"]).exit_code == 0
    with app.app_context():
        row = db.session.get(Receipt, bodies[1]["receipt"]["id"])
        assert row is not None
        index = find_leaf(db.session.connection(), row.id, row.created_at)
        assert index is not None
        assert read_salt(db.session.connection(), index) is not None
    rv = client.delete(f"/v1/admin/subjects/{subject}", headers=admin)
    assert rv.status_code == 200, rv.get_data(as_text=True)
    with app.app_context():
        assert read_salt(db.session.connection(), index) is None
    assert runner.invoke(args=["consent", "log", "seal"]).exit_code == 0
    result = runner.invoke(args=["consent", "log", "verify"])
    assert result.exit_code == 0, result.output
    assert "4 leaves (1 erased" in result.output
    with app.app_context():
        conn = db.session.connection()
        salts = [read_salt(conn, i) for i in range(4)]
        assert salts[index] is None
        assert salts[3] is None  # the erasure's leaf has no personal field


def test_a_seal_in_progress_elsewhere_is_skipped_without_waiting(
    app: Flask, record: Record
) -> None:
    _record_many(record, 1)
    from consent_server.log_seal import lock_log

    with app.app_context():
        other = db.engine.connect()
        try:
            transaction = other.begin()
            assert lock_log(other)
            assert seal(wait=False) is None
            transaction.rollback()
        finally:
            other.close()
        assert seal(wait=False) is not None


def test_the_retention_purge_deletes_the_salts_of_what_it_purges(
    app: Flask, runner: FlaskCliRunner, record: Record
) -> None:
    ids = _receipt_ids(_record_many(record, 3))
    with app.app_context():  # older than the default site's retention
        db.session.execute(
            update(Receipt)
            .where(Receipt.id == ids[0])
            .values(created_at=datetime.now(UTC) - timedelta(days=2000))
        )
        db.session.commit()
    runner.invoke(args=["consent", "log", "seal"])
    with app.app_context():
        conn = db.session.connection()
        stamps = dict(db.session.execute(select(Receipt.id, Receipt.created_at)).all())
        indexes = {i: find_leaf(conn, i, stamps[i]) for i in ids}
        assert all(read_salt(conn, indexes[i]) is not None for i in ids)

    purged = runner.invoke(args=["consent", "purge"])
    assert purged.exit_code == 0, purged.output

    with app.app_context():
        conn = db.session.connection()
        assert db.session.get(Receipt, ids[0]) is None
        assert read_salt(conn, indexes[ids[0]]) is None
        assert all(read_salt(conn, indexes[i]) is not None for i in ids[1:])
    result = runner.invoke(args=["consent", "log", "verify"])
    assert result.exit_code == 0, result.output
    assert "1 purged" in result.output
