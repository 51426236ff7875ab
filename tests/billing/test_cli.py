"""Connecting a business from the command line: secrets, billing data, checks, padrón."""

from __future__ import annotations

from decimal import Decimal

from core.models import IvaCondition, Organization
from core.vault import Vault
from web import create_app


def _run(billing, *args):
    return create_app(billing.settings).test_cli_runner().invoke(args=list(args))


def test_set_secrets_from_files_and_billing_data(billing, tmp_path, afip_credentials):
    cert = tmp_path / "cert.pem"
    cert.write_bytes(afip_credentials[0])
    result = _run(billing, "secrets", "set", "--org", "plomeria-rapida", "afip_certificate",
                  "--file", str(cert))
    assert result.exit_code == 0 and "encrypted" in result.output
    assert _run(billing, "secrets", "set", "--org", "plomeria-rapida", "nope",
                "--value", "x").exit_code != 0
    result = _run(billing, "billing", "set", "--org", "plomeria-rapida", "--iva", "monotributo",
                  "--punto-de-venta", "5", "--alias", "plomeria.rapida", "--cbu",
                  "2850590940090418135201", "--activity-start", "2019-03-01")
    assert result.exit_code == 0, result.output
    with billing.db.org_session(billing.org_id) as s:
        org = s.get(Organization, billing.org_id)
        assert (org.iva_condition, org.punto_de_venta, org.transfer_alias) == (
            IvaCondition.MONOTRIBUTO, 5, "plomeria.rapida")
        assert Vault(billing.settings.encryption_keys).load(s, "afip_certificate").startswith(
            "-----BEGIN CERTIFICATE-----")
    refused = _run(billing, "billing", "set", "--org", "plomeria-rapida", "--cbu", "123")
    assert refused.exit_code != 0 and "El CBU o CVU tiene 22 números" in refused.output
    assert _run(billing, "billing", "set", "--org", "plomeria-rapida", "--cbu",
                "0000003100012345678901").exit_code != 0  # a check digit is off


def test_check_reports_afip_and_mercadopago(billing, fake_mercadopago):
    result = _run(billing, "billing", "check", "--org", "plomeria-rapida")
    assert result.exit_code == 0, result.output
    assert "AFIP (homologation): OK" in result.output
    assert "Última factura B autorizada: 0003-00000000" in result.output
    assert "Mercado Pago: not configured: Falta el token de Mercado Pago" in result.output
    with billing.db.org_session(billing.org_id) as s:
        Vault(billing.settings.encryption_keys).store(s, "mercadopago_token", "wrong-token")
    result = _run(billing, "billing", "check", "--org", "plomeria-rapida")
    assert result.exit_code == 1 and "Mercado Pago: FAILED: Mercado Pago rechazó el token" in result.output


def test_check_says_when_afip_is_down(billing, fake_afip):
    fake_afip.down(True)
    result = _run(billing, "billing", "check", "--org", "plomeria-rapida")
    assert result.exit_code == 1 and "AFIP (homologation): FAILED: AFIP no respondió" in result.output


def test_lookup_a_cuit(billing, fake_afip):
    fake_afip.add_persona("30712345671", "CONSTRUCTORA SUR SA", "responsable_inscripto", None)
    result = _run(billing, "billing", "lookup", "--org", "plomeria-rapida", "30-71234567-1")
    assert result.exit_code == 0 and "CONSTRUCTORA SUR SA (responsable_inscripto)" in result.output
    assert _run(billing, "billing", "lookup", "--org", "plomeria-rapida",
                "20111111112").exit_code != 0


def test_record_a_transfer_payment(billing):
    from core.billing import invoicing
    from core.billing.invoicing import DraftLine
    from core.models import Job
    from core.vault import Vault as V

    with billing.db.org_session(billing.org_id) as s:
        V(billing.settings.encryption_keys).delete(s, "afip_key")  # an internal receipt
    job_id = billing.job()
    with billing.db.org_session(billing.org_id) as s:
        invoice_id = invoicing.create_for_job(
            s, s.get(Job, job_id), [DraftLine("Servicio", Decimal(1), Decimal(15000))], settings=billing.settings).id
    args = ["billing", "pay", "--org", "plomeria-rapida", "--invoice", str(invoice_id)]
    too_much = _run(billing, *args, "--amount", "20000")
    assert too_much.exit_code != 0 and "supera lo que se debe" in too_much.output
    result = _run(billing, *args, "--amount", "10000", "--method", "cash")
    assert result.exit_code == 0 and "partial, balance 5000" in result.output
    result = _run(billing, *args, "--amount", "5000")
    assert result.exit_code == 0 and "paid, balance 0" in result.output
