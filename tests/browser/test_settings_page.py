"""The settings page in a real browser at phone width: the owner fills in the business data,
uploads the AFIP certificate and key, presses "Probar conexión" and, once a worker has run the
check against the fake AFIP, the page (refreshing itself) shows that AFIP answered."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from rq import Queue, SimpleWorker

from core.models import Organization
from core.vault import Vault
from services.queues import QUEUE_NAMES
from tests.browser.conftest import owner_shop, sign_in

PASSWORD = "una-clave-bien-larga"


def test_owner_sets_up_afip_and_tests_the_connection(make_live_app, page, shot, fake_afip,
                                                     afip_credentials, tmp_path):
    live = make_live_app(afip_base_url=fake_afip.url, afip_timeout_seconds=5.0)
    org_id = owner_shop(live, PASSWORD)
    cert_pem, key_pem = afip_credentials
    (tmp_path / "campotech.crt").write_bytes(cert_pem)
    (tmp_path / "campotech.key").write_bytes(key_pem)

    sign_in(page, live, "roberto@example.com", PASSWORD)
    page.click("header summary:has-text('Más')")
    page.click("header a:has-text('Ajustes')")
    page.wait_for_url(re.compile(r"/app/settings$"))

    page.fill("#cuit", "20-11111111-2")
    page.select_option("#iva_condition", "monotributo")
    page.fill("#punto_de_venta", "2")
    page.fill("#address", "Av. Rivadavia 5000, CABA")
    page.fill("#transfer_alias", "plomeria.rapida")
    page.click("button:has-text('Guardar datos del negocio')")
    expect(page.get_by_text("Listo, guardamos los datos del negocio.")).to_be_visible()
    assert page.input_value("#cuit") == "20-11111111-2"

    page.set_input_files("#afip_certificate", str(tmp_path / "campotech.crt"))
    page.set_input_files("#afip_key", str(tmp_path / "campotech.key"))
    page.click("button:has-text('Guardar certificado y clave')")
    expect(page.get_by_text("Listo, guardamos el certificado y la clave de AFIP.")).to_be_visible()
    expect(page.get_by_text("campotech-test")).to_be_visible()
    assert "BEGIN" not in page.content()

    page.click("button:has-text('Probar conexión con AFIP')")
    page.wait_for_selector("#check-afip >> text=Probando la conexión")
    redis = live.app.extensions["campotech.redis"]
    SimpleWorker([Queue(name, connection=redis) for name in QUEUE_NAMES],
                 connection=redis).work(burst=True)
    # No reload from the test: the page refreshes itself while the check is pending.
    page.wait_for_selector("#check-afip >> text=Anda bien.", timeout=15_000)
    result = page.locator("#check-afip").inner_text()
    assert "AFIP (homologación) respondió bien. Última factura C autorizada: 0002-00000000." in result
    page.locator("#afip").scroll_into_view_if_needed()
    shot(page, "settings")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    with live.db.org_session(org_id) as s:
        org = s.get(Organization, org_id)
        assert (org.cuit, org.punto_de_venta, org.transfer_alias) == ("20111111112", 2, "plomeria.rapida")
        assert Vault(live.settings.encryption_keys).load(s, "afip_key").startswith("-----BEGIN")
