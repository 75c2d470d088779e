"""``flask --app consent_server consent ...`` commands for operators."""

from __future__ import annotations

import signal
import threading

import click
from flask import current_app
from flask.cli import AppGroup

from .config import secret_keys
from .database import lift_statement_timeout
from .extensions import db
from .signing_keys import current_signing_keys, new_key_entry
from .sites import Site
from .staff import ROLES

consent_cli = AppGroup("consent", help="Consent service administration.")


@consent_cli.command("sites")
def list_sites() -> None:
    """Check the site file (start-up already did) and list sites and notice hashes."""
    sites: dict[str, Site] = current_app.extensions["consent_sites"]
    for site in sites.values():
        click.echo(
            f"{site.id}: policy {site.policy_version}, categories "
            f"{', '.join(site.category_ids)}"
        )
        for lang, notice in site.notices.items():
            click.echo(f"  {lang}: notice {notice['notice']}")


@consent_cli.command("keys")
@click.option(
    "--receipts",
    "count_receipts",
    is_flag=True,
    help="Also count stored receipts and tree heads by the key that signed them; "
    "fails when a key they name is not published (check before dropping a "
    "retired key).",
)
def key_status(count_receipts: bool) -> None:
    """Show how many signing keys are configured (never the keys themselves)."""
    keys = secret_keys()
    click.echo(f"{len(keys)} signing key(s); tokens are signed with the first.")
    if current_app.config["CONSENT_ENV"] != "production":
        click.echo(
            "CONSENT_ENV is not 'production': a missing key falls back to a dev key."
        )
    signing = current_signing_keys()
    click.echo(
        f"Ed25519 receipt keys (kid): {', '.join(k.kid for k in signing.active)}; "
        f"the first signs. Retired: {len(signing.retired)}."
    )
    if count_receipts:
        _receipt_keys([k["kid"] for k in signing.jwks()["keys"]])


def _receipt_keys(published: list[str]) -> None:
    """Which keys signed the stored receipts and tree heads; exit 1 when one is
    not published."""
    from .receipt_jws import heads_by_kid, receipts_by_kid

    lift_statement_timeout(db.engine)  # it reads every receipt (not a request)
    unpublished = False
    for what, counts in (
        ("receipt(s)", receipts_by_kid()),
        ("tree head(s)", heads_by_kid()),
    ):
        for kid, number in sorted(counts.items(), key=lambda item: str(item[0])):
            if kid is None:
                click.echo(
                    f"  without a JWS (recorded before issue #12, or erased): {number}"
                )
            elif kid not in published:
                unpublished = True
                click.echo(
                    f"  {kid}: {number} {what}, NOT in the JWKS: cannot be checked"
                )
            else:
                click.echo(f"  {kid}: {number} {what}, published")
    if unpublished:
        raise SystemExit(1)


@consent_cli.command("new-signing-key")
@click.option("--kid", default=None, help="Key id (default: today's date + random).")
def new_signing_key(kid: str | None) -> None:
    """Print a new Ed25519 key entry for CONSENT_SIGNING_KEYS (put it first)."""
    click.echo(new_key_entry(kid))


# --- Staff tokens and retention (issue 4) ------------------------------------------

token_cli = AppGroup("token", help="Staff tokens for /v1/admin and /admin/.")
consent_cli.add_command(token_cli)


@token_cli.command("create")
@click.option("--name", required=True, help="Who holds the token, e.g. 'alice'.")
@click.option(
    "--role",
    required=True,
    type=click.Choice(ROLES),
    help="auditor reads; admin also erases subjects and manages tokens; recorder "
    "records decisions for its --site(s) through the public API.",
)
@click.option(
    "--site",
    "sites",
    multiple=True,
    help="A site a recorder records for (repeat for several); recorders only.",
)
def token_create(name: str, role: str, sites: tuple[str, ...]) -> None:
    """Create a staff token and print it, alone, on standard output (only now)."""
    from .staff import TokenError, create_token

    try:
        row, token = create_token(name, role, list(sites))
    except TokenError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(f"Created token {row.id} {row.name!r} ({row.role}).", err=True)
    click.echo(token)


@token_cli.command("list")
def token_list() -> None:
    """List staff tokens (never the tokens themselves)."""
    from .staff import list_tokens

    rows = list_tokens()
    if not rows:
        click.echo("No staff tokens.")
    for row in rows:
        used = f"{row.last_used_at:%Y-%m-%d %H:%M}" if row.last_used_at else "never"
        revoked = row.revoked_at
        state = f"revoked {revoked:%Y-%m-%d %H:%M}" if revoked else "active"
        click.echo(
            f"{row.id}\t{row.name}\t{row.role}\tcreated {row.created_at:%Y-%m-%d %H:%M}"
            f"\tlast used {used}\t{state}"
        )


@token_cli.command("revoke")
@click.argument("token")
def token_revoke(token: str) -> None:
    """Revoke the staff token with this id or active name."""
    from .staff import find_token, revoke_token

    row = find_token(token)
    if row is None:
        raise click.UsageError(f"No staff token {token!r}; see 'token list'.")
    if row.revoked_at is not None:
        click.echo(f"Token {row.id} {row.name!r} was already revoked.")
        return
    revoke_token(row)
    click.echo(f"Revoked token {row.id} {row.name!r}.")


@consent_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Only count what would be deleted.")
def purge(dry_run: bool) -> None:
    """Delete receipts older than each site's retention_days, and audit entries older
    than CONSENT_AUDIT_RETENTION_DAYS; print the counts.

    Run it daily, e.g. from cron: 15 3 * * * flask --app consent_server consent purge
    """
    from .retention import audit_retention_days, purge_audit, purge_expired

    lift_statement_timeout(db.engine)  # a purge may take minutes (not a request)
    sites: dict[str, Site] = current_app.extensions["consent_sites"]
    verb = "would delete" if dry_run else "deleted"
    for result in purge_expired(sites, dry_run=dry_run):
        click.echo(
            f"{result.site}: {verb} {result.receipts} receipt(s) older than "
            f"{result.retention_days} days (before {result.cutoff:%Y-%m-%d %H:%M} UTC)"
        )
    days = audit_retention_days(
        sites, current_app.config["CONSENT_AUDIT_RETENTION_DAYS"]
    )
    entries = purge_audit(days, dry_run=dry_run)
    click.echo(f"audit log: {verb} {entries} entr(ies) older than {days} days")


@consent_cli.command("recount")
def recount() -> None:
    """Recount the statistics counters from the stored receipts.

    Not needed in normal operation (counters catch up by themselves); for receipts
    loaded in bulk with past dates, and after downgrading the database schema.
    """
    from .stats import rebuild_counters

    lift_statement_timeout(db.engine)  # it reads every receipt (not a request)
    try:
        counted = rebuild_counters()
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Counted {counted} receipt(s); newer ones are counted as statistics are read."
    )


# --- Transparency log (issue 12) ------------------------------------------------

log_cli = AppGroup("log", help="The transparency log of receipts and erasures.")
consent_cli.add_command(log_cli)


@log_cli.command("seal")
@click.option(
    "--every",
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="Keep running and seal every SECONDS, in batches that let decisions in "
    "between, until SIGTERM or Ctrl-C: the sealer beside the web workers "
    "(gunicorn.conf.py starts one).",
)
def log_seal(every: float | None) -> None:
    """Append unsealed receipts and erasures to the log and sign a new tree head."""
    from .log_seal import seal

    if every is not None:
        _seal_until_stopped(every)
        return
    lift_statement_timeout(db.engine)  # a first seal may take a minute
    result = seal()
    assert result is not None  # seal() waits for the lock
    if result.head is None:
        click.echo(f"Nothing new to seal; the log has {result.tree_size} leaves.")
        return
    click.echo(
        f"Sealed {result.appended} new leaves; tree size {result.tree_size}, "
        f"root {result.head.root_hash}, head {result.head.id}."
    )


def _seal_until_stopped(every: float) -> None:
    from .log_sealer import run_sealer

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    click.echo(f"Sealing the log every {every:g} s; stop with SIGTERM or Ctrl-C.")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    run_sealer(app, every, stop)


@log_cli.command("verify")
def log_verify() -> None:
    """Rebuild the tree from the database and check every signed tree head.

    Exits with status 1 and names each receipt, tile or head that does not match.
    """
    from .log_verify import verify_log

    lift_statement_timeout(db.engine)  # it reads every receipt
    report = verify_log()
    for problem in report.problems:
        click.echo(f"FAIL {problem}", err=True)
    click.echo(
        f"{report.leaves} leaves ({report.erased} erased, {report.purged} purged "
        f"and checked by their stored hash only), {report.heads} heads checked: "
        + ("OK" if report.ok else f"{len(report.problems)} problem(s)")
    )
    if not report.ok:
        raise SystemExit(1)
