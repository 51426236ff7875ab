"""Command-line tasks: `flask --app wsgi migrate | seed-demo | audit verify | secrets rotate`."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import with_appcontext

from core import audit, migrate
from core.organizations import all_organization_ids, find_by_slug


def register_cli(app: Flask) -> None:
    from web import db_of

    @app.cli.command("migrate")
    @click.option("--revision", default="head", show_default=True)
    @with_appcontext
    def migrate_cmd(revision: str) -> None:
        """Apply database migrations (as MIGRATION_DATABASE_URL's role when set)."""
        migrate.upgrade(app.extensions["campotech.settings"], revision)
        click.echo(f"database at {migrate.current_revision(app.extensions['campotech.settings'])}")

    @app.cli.command("seed-demo")
    @with_appcontext
    def seed_demo_cmd() -> None:
        """Create the demo organization once (owner, admin, technicians, price book)."""
        from core.demo import seed_demo

        result = seed_demo(db_of(app))
        click.echo(result if isinstance(result, str) else "demo organization ready")

    audit_group = click.Group("audit", help="Audit trail tools.")
    app.cli.add_command(audit_group)

    @audit_group.command("verify")
    @click.option("--org", "slug", help="Only this organization (slug); default: all.")
    @with_appcontext
    def verify_cmd(slug: str | None) -> None:
        """Check every hash link; exit 1 and name the first broken entry if any."""
        db = db_of(app)
        with db.system_session() as s:
            if slug:
                org = find_by_slug(s, slug)
                if org is None:
                    raise click.ClickException(f"no organization '{slug}'")
                ids = [org.id]
            else:
                ids = all_organization_ids(s)
        broken = False
        for org_id in ids:
            with db.org_session(org_id) as s:
                report = audit.verify(s)
            click.echo(report.describe())
            broken |= not report.ok
        sys.exit(1 if broken else 0)

    secrets_group = click.Group("secrets", help="Encrypted organization secrets.")
    app.cli.add_command(secrets_group)

    @secrets_group.command("rotate")
    @with_appcontext
    def rotate_cmd() -> None:
        """Re-encrypt every secret with the first key of ENCRYPTION_KEY."""
        from core.vault import Vault

        db = db_of(app)
        vault = Vault(app.extensions["campotech.settings"].encryption_keys)
        with db.system_session() as s:
            ids = all_organization_ids(s)
        total = 0
        for org_id in ids:
            with db.org_session(org_id) as s:
                total += vault.rotate(s)
        click.echo(f"re-encrypted {total} secrets with key '{vault.primary_key_id}'")
