"""``flask --app consent_server consent ...`` commands for operators."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from .sites import Site

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
def key_status() -> None:
    """Show how many signing keys are configured (never the keys themselves)."""
    keys: list[str] = current_app.config["CONSENT_SECRET_KEYS"]
    click.echo(f"{len(keys)} signing key(s); tokens are signed with the first.")
    if current_app.config["CONSENT_ENV"] != "production":
        click.echo("CONSENT_ENV is not 'production': a missing key falls back to a dev key.")
