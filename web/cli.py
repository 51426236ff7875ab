"""Command-line tasks: `flask --app wsgi migrate | seed-demo | audit verify | secrets rotate|set
| billing set|check`."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import with_appcontext

from core import audit, migrate
from core.organizations import all_organization_ids, find_by_slug
from services import app_parts as parts


def register_cli(app: Flask) -> None:
    @app.cli.command("migrate")
    @click.option("--revision", default="head", show_default=True)
    @with_appcontext
    def migrate_cmd(revision: str) -> None:
        """Apply database migrations (as MIGRATION_DATABASE_URL's role when set)."""
        migrate.upgrade(parts.settings(app), revision)
        click.echo(f"database at {migrate.current_revision(parts.settings(app))}")

    @app.cli.command("seed-demo")
    @with_appcontext
    def seed_demo_cmd() -> None:
        """Create the demo organization once (owner, admin, technicians, price book); never
        with ENV=production."""
        from core.organizations.demo import DemoRefused, seed_demo

        try:
            result = seed_demo(parts.db(app))
        except DemoRefused as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(result if isinstance(result, str) else "demo organization ready")

    whatsapp_group = click.Group("whatsapp", help="The organizations' WhatsApp numbers.")
    app.cli.add_command(whatsapp_group)

    @whatsapp_group.command("bind")
    @click.option("--org", "slug", required=True, help="The organization (slug).")
    @click.option("--phone-number-id", help="Meta's phone_number_id; default WHATSAPP_PHONE_NUMBER_ID.")
    @click.option("--display-phone", help="The number people see, e.g. '+54 9 11 5555-0100'.")
    @with_appcontext
    def whatsapp_bind_cmd(slug: str, phone_number_id: str | None, display_phone: str | None) -> None:
        """Route a WhatsApp number's messages to one organization (the platform's own by default)."""
        from core.errors import Conflict, ValidationFailed
        from core.models import Organization
        from core.organizations.connections import update_whatsapp_number

        number = phone_number_id or parts.settings(app).whatsapp_phone_number_id
        org_id = _org_id(slug)
        try:
            with parts.db(app).org_session(org_id) as s:
                shown = display_phone or s.get(Organization, org_id).wa_display_phone
                bound = update_whatsapp_number(s, org_id, number, shown, actor="cli").wa_phone_number_id
        except (Conflict, ValidationFailed) as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"WhatsApp number {bound} now routes to '{slug}'")

    audit_group = click.Group("audit", help="Audit trail tools.")
    app.cli.add_command(audit_group)

    @audit_group.command("verify")
    @click.option("--org", "slug", help="Only this organization (slug); default: all.")
    @with_appcontext
    def verify_cmd(slug: str | None) -> None:
        """Check every hash link; exit 1 and name the first broken entry if any."""
        db = parts.db(app)
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

        db = parts.db(app)
        vault = Vault(parts.settings(app).encryption_keys)
        with db.system_session() as s:
            ids = all_organization_ids(s)
        total = 0
        for org_id in ids:
            with db.org_session(org_id) as s:
                total += vault.rotate(s)
        click.echo(f"re-encrypted {total} secrets with key '{vault.primary_key_id}'")

    @secrets_group.command("set")
    @click.option("--org", "slug", required=True, help="The organization's slug.")
    @click.argument("name")
    @click.option("--file", "path", type=click.Path(exists=True, dir_okay=False),
                  help="Read the value from a file (certificates, keys).")
    @click.option("--value", help="The value itself (prefer --file or the prompt: shells keep history).")
    @with_appcontext
    def set_secret_cmd(slug: str, name: str, path: str | None, value: str | None) -> None:
        """Store one secret encrypted: whatsapp_token, mercadopago_token,
        mercadopago_webhook_secret, afip_certificate, afip_key."""
        from core.errors import ValidationFailed
        from core.vault import Vault

        if path:
            with open(path, encoding="utf-8") as handle:
                value = handle.read()
        if value is None:
            value = click.prompt(name, hide_input=True)
        org_id = _org_id(slug)
        vault = Vault(parts.settings(app).encryption_keys)
        try:
            with parts.db(app).org_session(org_id) as s:
                vault.store(s, name, value.strip() + ("\n" if path else ""), actor="cli")
        except ValidationFailed as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"stored '{name}' for {slug} (encrypted)")

    billing_group = click.Group("billing", help="Invoicing and payment settings and checks.")
    app.cli.add_command(billing_group)

    @billing_group.command("set")
    @click.option("--org", "slug", required=True)
    @click.option("--cuit", help="11 digits, no dashes.")
    @click.option("--iva", "iva_condition",
                  type=click.Choice(["responsable_inscripto", "monotributo", "exento"]))
    @click.option("--punto-de-venta", "pdv", type=int)
    @click.option("--iibb")
    @click.option("--activity-start", help="Inicio de actividades, YYYY-MM-DD.")
    @click.option("--alias", help="Transfer alias shown to customers.")
    @click.option("--cbu", help="22-digit CBU or CVU.")
    @click.option("--holder", help="The bank account's holder.")
    @with_appcontext
    def billing_set_cmd(slug: str, **fields) -> None:
        """Business data for invoices and transfer details for payments."""
        from core.errors import ValidationFailed
        from core.organizations import update_business

        names = {"pdv": "punto_de_venta", "alias": "transfer_alias", "cbu": "transfer_cbu",
                 "holder": "transfer_holder"}
        changes = {names.get(key, key): value for key, value in fields.items() if value is not None}
        org_id = _org_id(slug)
        try:
            with parts.db(app).org_session(org_id) as s:
                update_business(s, org_id, changes, actor="cli")
        except ValidationFailed as exc:
            raise click.ClickException("; ".join(exc.errors.values()) or str(exc)) from exc
        click.echo(f"updated {', '.join(sorted(changes)) or 'nothing'} for {slug}")

    @billing_group.command("check")
    @click.option("--org", "slug", required=True)
    @with_appcontext
    def billing_check_cmd(slug: str) -> None:
        """Test the AFIP (WSAA login + last invoice number) and Mercado Pago connections."""
        from services import connection_checks
        from services.connection_status import FAILED
        from services.queues import redis_connection

        settings = parts.settings(app)
        db, org_id = parts.db(app), _org_id(slug)
        redis = redis_connection(settings)
        words = {"ok": "OK", "failed": "FAILED", "missing": "not configured"}
        failed = False
        for label, result in (
                (f"AFIP ({settings.afip_environment})",
                 connection_checks.check_afip(db, redis, settings, org_id)),
                ("Mercado Pago", connection_checks.check_mercadopago(db, settings, org_id))):
            failed |= result.state == FAILED
            click.echo(f"{label}: {words[result.state]}: {result.message}")
        sys.exit(1 if failed else 0)

    @billing_group.command("lookup")
    @click.option("--org", "slug", required=True)
    @click.argument("cuit")
    @with_appcontext
    def billing_lookup_cmd(slug: str, cuit: str) -> None:
        """Ask AFIP's padrón who a CUIT is (name, IVA condition, fiscal address)."""
        from services import afip_gateway
        from services.queues import redis_connection

        settings = parts.settings(app)
        persona = afip_gateway.lookup_cuit(parts.db(app), redis_connection(settings), settings,
                                           _org_id(slug), cuit.replace("-", ""))
        if persona is None:
            raise click.ClickException(f"AFIP has no one with CUIT {cuit}")
        click.echo(f"{persona.cuit}: {persona.name} ({persona.iva_condition}"
                   f"{'' if persona.active else ', inactive'}) {persona.address or ''}".rstrip())

    @billing_group.command("pay")
    @click.option("--org", "slug", required=True)
    @click.option("--invoice", "invoice_id", type=int, required=True)
    @click.option("--amount", required=True, help="Pesos, e.g. 15000 or 15000.50.")
    @click.option("--method", type=click.Choice(["cash", "transfer"]), default="transfer",
                  show_default=True)
    @click.option("--note")
    @with_appcontext
    def billing_pay_cmd(slug: str, invoice_id: int, amount: str, method: str,
                        note: str | None) -> None:
        """Record a cash or transfer payment staff saw arrive (the back-office does the same)."""
        from decimal import Decimal, InvalidOperation

        from core.billing import payments
        from core.errors import ValidationFailed
        from core.models import Invoice, utcnow

        try:
            value = Decimal(amount)
        except InvalidOperation as exc:
            raise click.ClickException(f"not an amount: {amount}") from exc
        with parts.db(app).org_session(_org_id(slug)) as s:
            invoice = s.get(Invoice, invoice_id)
            if invoice is None:
                raise click.ClickException(f"no invoice {invoice_id} in {slug}")
            try:
                outcome = payments.record_manual_payment(
                    s, invoice, method=method, amount=value, actor="cli", note=note, now=utcnow())
            except ValidationFailed as exc:
                raise click.ClickException(str(exc)) from exc
        click.echo(f"recorded {method} {value} on invoice {invoice_id}: {outcome.kind}, "
                   f"balance {outcome.balance}")

    def _org_id(slug: str) -> int:
        with parts.db(app).system_session() as s:
            org = find_by_slug(s, slug)
            if org is None:
                raise click.ClickException(f"no organization '{slug}'")
            return org.id
