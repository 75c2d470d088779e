"""Statistics counters folded lazily from the receipts: reports stay exact."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, select, update

from consent_server import stats
from consent_server.extensions import db
from consent_server.models import DailyStat, Receipt, StatsProgress
from consent_server.retention import purge_expired

SUBJECT = "user:fold-me@example"
LAG = stats.FOLD_LAG


def _report(
    client: FlaskClient, headers: dict[str, str], site: str | None = None
) -> dict[str, Any]:
    """The whole report from 1300 days ago to tomorrow."""
    today = datetime.now(UTC).date()
    query = f"since={today - timedelta(days=1300)}&until={today + timedelta(days=2)}"
    if site:
        query += f"&site={site}"
    rv = client.get(f"/v1/admin/stats?{query}", headers=headers)
    assert rv.status_code == 200, rv.json
    return dict(rv.json)


def _counters(app: Flask) -> dict[tuple[str, date, str], tuple[int, ...]]:
    with app.app_context():
        return {
            (r.site, r.day, r.category): (
                r.decisions,
                r.granted,
                r.accept_all,
                r.reject_all,
                r.custom,
                r.api,
            )
            for r in db.session.scalars(select(DailyStat))
        }


def _counted_until(app: Flask) -> datetime | None:
    with app.app_context():
        return stats.counted_until()


def _fold(app: Flask) -> int:
    with app.app_context():
        return stats.fold_counters()


def _receipt_ids(app: Flask) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(Receipt.id)))


def _purge(app: Flask, dry_run: bool = False) -> int:
    """Purge the configured sites; how many receipts of 'default' went (or would)."""
    with app.app_context():
        results = purge_expired(app.extensions["consent_sites"], dry_run=dry_run)
    return next(r.receipts for r in results if r.site == "default")


def _uncount(app: Flask, monkeypatch: pytest.MonkeyPatch, back: timedelta) -> None:
    """Rewind the counters to ``back`` ago, as if no fold had run since then."""
    monkeypatch.setattr(stats, "FOLD_LAG", back)
    with app.app_context():
        stats.rebuild_counters()
    monkeypatch.setattr(stats, "FOLD_LAG", LAG)


def test_a_new_decision_is_reported_at_once_and_the_same_after_its_fold(
    app: Flask, client: FlaskClient, auditor, record, monkeypatch
) -> None:
    all_on = {"persistent": True, "third_party": True}
    assert record(method="accept_all", choices=all_on).status_code == 201
    before = _report(client, auditor)
    assert before["totals"]["decisions"] == 1
    assert before["totals"]["methods"]["accept_all"] == 1
    assert before["totals"]["categories"]["persistent"]["granted"] == 1
    assert _counters(app) == {}  # the report counted it from the receipt
    progress = _counted_until(app)  # the report's fold could not reach it
    assert progress is not None

    monkeypatch.setattr(stats, "FOLD_LAG", timedelta(0))
    assert _fold(app) == 1
    assert _report(client, auditor) == before
    today = datetime.now(UTC).date()
    assert _counters(app)[("default", today, stats.TOTAL)] == (1, 0, 1, 0, 0, 0)
    assert _counters(app)[("default", today, "persistent")][:2] == (1, 1)
    after = _counted_until(app)
    assert after is not None and after > progress


def test_a_second_fold_counts_nothing_again(
    app: Flask, client: FlaskClient, auditor, record, monkeypatch
) -> None:
    record()
    record(choices={"persistent": False, "third_party": False})
    monkeypatch.setattr(stats, "FOLD_LAG", timedelta(0))
    assert _fold(app) == 2
    counters = _counters(app)
    report = _report(client, auditor)  # folds once more
    assert _fold(app) == 0
    assert _counters(app) == counters
    assert _report(client, auditor) == report
    assert report["totals"]["decisions"] == 2


def test_a_fold_adds_to_the_counters_of_the_day(
    app: Flask, client: FlaskClient, auditor, record, monkeypatch
) -> None:
    monkeypatch.setattr(stats, "FOLD_LAG", timedelta(0))
    record()
    assert _fold(app) == 1
    record(method="accept_all", choices={"persistent": True, "third_party": True})
    assert _fold(app) == 1
    today = datetime.now(UTC).date()
    assert _counters(app)[("default", today, stats.TOTAL)] == (2, 0, 1, 0, 1, 0)
    assert _counters(app)[("default", today, "persistent")][:2] == (2, 2)
    assert _report(client, auditor)["totals"]["decisions"] == 2


def test_a_fold_never_moves_the_progress_back(
    app: Flask, client: FlaskClient, auditor, record, monkeypatch
) -> None:
    """A server whose fold point is behind the progress (a longer lag, a slow clock).

    Moving the progress back would count the receipts in between a second time.
    """
    record()
    monkeypatch.setattr(stats, "FOLD_LAG", timedelta(0))
    assert _fold(app) == 1
    progress, counters = _counted_until(app), _counters(app)
    monkeypatch.setattr(stats, "FOLD_LAG", LAG)
    assert _fold(app) == 0
    assert _counted_until(app) == progress
    assert _counters(app) == counters
    assert _report(client, auditor)["totals"]["decisions"] == 1


def test_a_claim_from_a_stale_progress_fails(app: Flask, record, monkeypatch) -> None:
    record()
    monkeypatch.setattr(stats, "FOLD_LAG", timedelta(0))
    _fold(app)
    with app.app_context():
        progress = stats.counted_until()
        assert progress is not None
        stale = progress - timedelta(seconds=1)
        assert stats._claim(stale, datetime.now(UTC)) is False
        assert stats._claim(None, datetime.now(UTC)) is False
        db.session.rollback()
        assert stats.counted_until() == progress


@pytest.mark.parametrize("counted_before", [True, False], ids=["moved", "created"])
def test_a_fold_that_loses_the_race_counts_nothing(
    app: Flask,
    client: FlaskClient,
    auditor,
    record,
    monkeypatch,
    counted_before: bool,
) -> None:
    """Another process folds between this fold's read of the progress and its claim.

    With ``counted_before`` the progress row exists and the claim is an UPDATE;
    otherwise both folds try to create it.
    """
    if counted_before:
        _report(client, auditor)
    record()
    record(method="reject_all", choices={"persistent": False, "third_party": False})
    monkeypatch.setattr(stats, "FOLD_LAG", timedelta(0))
    read = stats.counted_until

    def racing() -> datetime | None:
        lower = read()
        monkeypatch.setattr(stats, "counted_until", read)
        with app.app_context():  # its own session, like another process
            assert stats.fold_counters() == 2
        return lower

    with app.app_context():
        monkeypatch.setattr(stats, "counted_until", racing)
        assert stats.fold_counters() == 0
    today = datetime.now(UTC).date()
    assert _counters(app)[("default", today, stats.TOTAL)] == (2, 0, 0, 1, 1, 0)
    report = _report(client, auditor)
    assert report["totals"]["decisions"] == 2
    assert report["totals"]["methods"]["reject_all"] == 1


def test_a_report_read_while_a_fold_lands_counts_each_decision_once(
    app: Flask, client: FlaskClient, auditor, record, monkeypatch
) -> None:
    """Another process folds between the report's reads of progress and counters.

    Taken from both, the folded receipts would count twice.
    """
    _report(client, auditor)
    record()
    read = stats._counters

    def racing(*args: Any) -> Any:
        monkeypatch.setattr(stats, "_counters", read)
        monkeypatch.setattr(stats, "FOLD_LAG", timedelta(0))
        with app.app_context():  # its own session, like another process
            assert stats.fold_counters() == 1
        return read(*args)

    monkeypatch.setattr(stats, "_counters", racing)
    report = _report(client, auditor)
    assert report["totals"]["decisions"] == 1
    assert _counters(app) != {}


def test_erasure_keeps_folded_and_unfolded_decisions_counted(
    app: Flask,
    client: FlaskClient,
    admin,
    recorder,
    record,
    make_receipt,
    monkeypatch,
) -> None:
    make_receipt(  # older than the fold point: in the counters
        subject=SUBJECT, created_at=datetime.now(UTC) - timedelta(days=2)
    )
    by_site = record(subject=SUBJECT, method="api", headers=recorder)
    assert by_site.status_code == 201  # not folded yet
    record(choices={"persistent": False, "third_party": True})
    before = _report(client, admin)
    assert before["totals"]["decisions"] == 3
    assert len(before["days"]) == 2

    rv = client.delete(f"/v1/admin/subjects/{SUBJECT}", headers=admin)
    assert rv.status_code == 200 and rv.json["receipts"] == 2
    assert _report(client, admin) == before
    monkeypatch.setattr(stats, "FOLD_LAG", timedelta(0))
    assert _fold(app) == 2
    assert _report(client, admin) == before


def test_receipts_past_retention_are_counted_before_the_purge(
    app: Flask, client: FlaskClient, admin, record, make_receipt, monkeypatch
) -> None:
    now = datetime.now(UTC)
    old = {make_receipt(created_at=now - timedelta(days=d)) for d in (1100, 1097)}
    make_receipt(created_at=now - timedelta(days=1), method="api")
    record()
    before = _report(client, admin)
    assert before["totals"]["decisions"] == 4
    _uncount(app, monkeypatch, timedelta(days=1200))
    assert _counters(app) == {}  # no report now: it would fold them

    assert _purge(app) == 2
    assert not _receipt_ids(app) & old
    assert _report(client, admin) == before


def test_purge_keeps_receipts_the_counters_have_not_reached(
    app: Flask, client: FlaskClient, admin, make_receipt, monkeypatch
) -> None:
    now = datetime.now(UTC)
    oldest = {make_receipt(created_at=now - timedelta(days=d)) for d in (1200, 1190)}
    expired = make_receipt(created_at=now - timedelta(days=1100))
    recent = make_receipt(created_at=now - timedelta(days=1))
    before = _report(client, admin)
    assert before["totals"]["decisions"] == 4

    # The counters stop 1150 days ago and cannot catch up during the purge.
    monkeypatch.setattr(stats, "FOLD_LAG", timedelta(days=1150))
    with app.app_context():
        assert stats.rebuild_counters() == 2
    assert _purge(app, dry_run=True) == 2  # what the purge will do, not more
    assert _purge(app) == 2
    assert _receipt_ids(app) == {expired, recent}
    assert not _receipt_ids(app) & oldest
    assert _report(client, admin) == before

    monkeypatch.setattr(stats, "FOLD_LAG", LAG)
    assert _purge(app) == 1
    assert _receipt_ids(app) == {recent}
    assert _report(client, admin) == before


def test_rebuild_repairs_corrupted_counters(
    app: Flask, client: FlaskClient, auditor, corpus, record
) -> None:
    record()
    before = _report(client, auditor)
    with app.app_context():
        db.session.execute(delete(DailyStat).where(DailyStat.day == date(2026, 1, 5)))
        db.session.execute(update(DailyStat).values(decisions=DailyStat.decisions + 7))
        db.session.commit()
    assert _report(client, auditor) != before
    with app.app_context():
        assert stats.rebuild_counters() == 6  # the corpus; the new decision is newer
    assert _report(client, auditor) == before


def test_without_progress_every_receipt_counts_once(
    app: Flask, client: FlaskClient, auditor, corpus, record
) -> None:
    """A database that never folded (new schema over loaded receipts)."""
    record()
    with app.app_context():
        db.session.execute(delete(StatsProgress))
        db.session.execute(delete(DailyStat))
        db.session.commit()
    assert _counted_until(app) is None

    first = _report(client, auditor)
    assert first["totals"]["decisions"] == 7
    assert first["totals"]["methods"] == {
        "accept_all": 2,
        "reject_all": 1,
        "custom": 3,
        "api": 1,
    }
    assert _counted_until(app) is not None
    assert sum(c[0] for k, c in _counters(app).items() if k[2] == stats.TOTAL) == 6
    assert _report(client, auditor) == first
    assert _report(client, auditor, site="default")["totals"]["decisions"] == 6


def test_a_site_report_leaves_out_other_sites_unfolded_decisions(
    app: Flask, client: FlaskClient, auditor, record, make_receipt, monkeypatch
) -> None:
    make_receipt(site="legacy")  # newer than the fold point
    record()
    assert _report(client, auditor)["totals"]["decisions"] == 2
    site = _report(client, auditor, site="default")
    assert site["totals"]["decisions"] == 1
    monkeypatch.setattr(stats, "FOLD_LAG", timedelta(0))
    assert _fold(app) == 2
    assert _report(client, auditor, site="default") == site


def test_recount_command_repairs_the_counters(
    app: Flask, client: FlaskClient, auditor, corpus
) -> None:
    before = _report(client, auditor)
    with app.app_context():
        db.session.execute(delete(DailyStat))
        db.session.commit()
    assert _report(client, auditor) != before

    result = app.test_cli_runner().invoke(args=["consent", "recount"])

    assert result.exit_code == 0, result.output
    assert "Counted 6 receipt(s)" in result.output
    assert _report(client, auditor) == before
