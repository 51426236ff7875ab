"""Connecting a business from the command line: secrets, billing data, checks, padrón."""

from __future__ import annotations

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
                  "0000003100012345678901", "--activity-start", "2019-03-01")
    assert result.exit_code == 0, result.output
    with billing.db.org_session(billing.org_id) as s:
        org = s.get(Organization, billing.org_id)
        assert (org.iva_condition, org.punto_de_venta, org.transfer_alias) == (
            IvaCondition.MONOTRIBUTO, 5, "plomeria.rapida")
        assert Vault(billing.settings.encryption_keys).load(s, "afip_certificate").startswith(
            "-----BEGIN CERTIFICATE-----")
    assert _run(billing, "billing", "set", "--org", "plomeria-rapida", "--cbu", "123").exit_code != 0


def test_check_reports_afip_and_mercadopago(billing, fake_mercadopago):
    result = _run(billing, "billing", "check", "--org", "plomeria-rapida")
    assert result.exit_code == 0, result.output
    assert "AFIP (homologation): OK, last factura B 0003-00000000" in result.output
    assert "Mercado Pago: not configured" in result.output
    with billing.db.org_session(billing.org_id) as s:
        Vault(billing.settings.encryption_keys).store(s, "mercadopago_token", "wrong-token")
    result = _run(billing, "billing", "check", "--org", "plomeria-rapida")
    assert result.exit_code == 1 and "Mercado Pago: FAILED" in result.output


def test_check_says_when_afip_is_down(billing, fake_afip):
    fake_afip.down(True)
    result = _run(billing, "billing", "check", "--org", "plomeria-rapida")
    assert result.exit_code == 1 and "AFIP (homologation): FAILED" in result.output


def test_lookup_a_cuit(billing, fake_afip):
    fake_afip.add_persona("30712345671", "CONSTRUCTORA SUR SA", "responsable_inscripto", None)
    result = _run(billing, "billing", "lookup", "--org", "plomeria-rapida", "30-71234567-1")
    assert result.exit_code == 0 and "CONSTRUCTORA SUR SA (responsable_inscripto)" in result.output
    assert _run(billing, "billing", "lookup", "--org", "plomeria-rapida",
                "20111111112").exit_code != 0
