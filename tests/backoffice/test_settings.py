"""The settings page: business data and hours (owner and admin), connections and write-only
secrets (owner only), and "Probar conexión" run by a real RQ worker against the fake AFIP,
Mercado Pago and Graph API."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from rq import Queue, SimpleWorker
from sqlalchemy import select

from core.models import AuditEntry, Organization, OrgSecret, Role
from core.settings import get_settings, load_settings
from core.vault import Vault
from tests.backoffice.conftest import email_of, login, post, seed_shop
from tests.bot.conftest import export_env
from tests.factories import create_org
from tests.fakes.afip_server import make_credentials
from web import create_app

CUIT = "20111111112"
VALID_CBU = "2850590940090418135201"
BUSINESS = {"name": "Plomería Ramos e Hijos", "cuit": "20-11111111-2",
            "iva_condition": "responsable_inscripto", "punto_de_venta": "3", "iibb": "901-123456-7",
            "activity_start": "2019-03-01", "address": "Av. Rivadavia 5000, CABA",
            "transfer_alias": "plomeria.ramos", "transfer_cbu": VALID_CBU,
            "transfer_holder": "Roberto Ramos"}
HOURS = {"hours_mon": "8-12, 14:00-18:00", "hours_tue": "08:00-18:00", "hours_wed": "08:00-18:00",
         "hours_thu": "08:00-18:00", "hours_fri": "08:00-17:30", "hours_sat": "9 a 13",
         "hours_sun": "", "summary_hour": "21", "burst_quiet_seconds": "2,5",
         "burst_cap_seconds": "15"}
SECRETS = {"whatsapp_token": "EAAG-secret-whatsapp-token-123", "whatsapp_app_secret": "app-secret-456",
           "mercadopago_token": "APP_USR-test-token", "mercadopago_webhook_secret": "mp-hook-secret-789"}


def _org(shop) -> Organization:
    with shop.db.org_session(shop.org_id) as s:
        return s.get(Organization, shop.org_id)


def _upload(client, **files):
    """A multipart POST to the AFIP form: name=(bytes, filename)."""
    with client.session_transaction() as session:
        token = session["csrf"]
    data = {"csrf_token": token}
    for name, (content, filename) in files.items():
        data[name] = (io.BytesIO(content), filename)
    return client.post("/app/settings/afip", data=data, content_type="multipart/form-data")


def _expired_credentials() -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "viejo"),
                         x509.NameAttribute(NameOID.SERIAL_NUMBER, f"CUIT {CUIT}")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(77)
            .not_valid_before(now - timedelta(days=800)).not_valid_after(now - timedelta(days=10))
            .sign(key, hashes.SHA256()))
    return (cert.public_bytes(serialization.Encoding.PEM),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()))


def _secret_names(shop) -> set[str]:
    with shop.db.org_session(shop.org_id) as s:
        return set(s.scalars(select(OrgSecret.name)))


# ---- business data --------------------------------------------------------------------------

def test_owner_saves_business_data_and_sees_the_cuit_with_dashes(signed_in, shop):
    client = signed_in(Role.OWNER)
    response = post(client, "/app/settings/business", **BUSINESS)
    assert response.status_code == 302 and "done=business" in response.headers["Location"]

    org = _org(shop)
    assert (org.name, org.cuit, org.iva_condition, org.punto_de_venta) == (
        "Plomería Ramos e Hijos", CUIT, "responsable_inscripto", 3)
    assert (org.transfer_alias, org.transfer_cbu, str(org.activity_start)) == (
        "plomeria.ramos", VALID_CBU, "2019-03-01")
    html = client.get("/app/settings?done=business").get_data(as_text=True)
    assert "Listo, guardamos los datos del negocio." in html
    assert 'value="20-11111111-2"' in html
    with shop.db.org_session(shop.org_id) as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "organization.business"))
    assert entry.actor == f"user:{shop.users[Role.OWNER]}" and entry.data["changed"]["cuit"] == CUIT


def test_business_errors_are_in_spanish_and_nothing_is_saved(signed_in, shop):
    client = signed_in(Role.ADMIN)
    bad = {**BUSINESS, "cuit": "20-11111111-3", "punto_de_venta": "0", "transfer_cbu": "1234",
           "transfer_alias": "a b", "activity_start": "2099-01-01"}
    response = post(client, "/app/settings/business", **bad)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Revisá los campos marcados: no guardamos nada todavía." in html
    for message in ("Ese CUIT no es válido", "El punto de venta es un número entre 1 y 99998.",
                    "El CBU o CVU tiene 22 números", "El alias tiene entre 6 y 20 letras",
                    "El inicio de actividades tiene que ser una fecha pasada."):
        assert message in html, message
    assert 'value="Plomería Ramos e Hijos"' in html  # what they typed comes back to fix
    org = _org(shop)
    assert (org.name, org.cuit, org.punto_de_venta) == ("Plomería Ramos", None, 1)


def test_a_name_with_markup_is_shown_escaped(signed_in, shop):
    client = signed_in(Role.OWNER)
    post(client, "/app/settings/business", **{**BUSINESS, "name": "<script>alert(1)</script>"})
    html = client.get("/app/settings").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# ---- hours and timing -----------------------------------------------------------------------

def test_hours_and_timing_are_saved(signed_in, shop):
    client = signed_in(Role.ADMIN)
    assert post(client, "/app/settings/hours", **HOURS).status_code == 302
    org = _org(shop)
    assert org.business_hours["mon"] == [["08:00", "12:00"], ["14:00", "18:00"]]
    assert org.business_hours["sat"] == [["09:00", "13:00"]] and org.business_hours["sun"] == []
    assert (org.summary_hour, org.burst_quiet_seconds, org.burst_cap_seconds) == (21, 2.5, 15.0)
    html = client.get("/app/settings").get_data(as_text=True)
    assert 'value="08:00-12:00, 14:00-18:00"' in html and 'value="2.5"' in html

    # Blank timing goes back to the deployment's defaults.
    post(client, "/app/settings/hours", **{**HOURS, "burst_quiet_seconds": "", "burst_cap_seconds": ""})
    org = _org(shop)
    assert (org.burst_quiet_seconds, org.burst_cap_seconds) == (None, None)


def test_hours_errors_are_in_spanish_and_nothing_is_saved(signed_in, shop):
    client = signed_in(Role.OWNER)
    before = _org(shop)
    bad = {**HOURS, "hours_mon": "8 a 25", "hours_tue": "08:00-12:00, 11:00-18:00",
           "summary_hour": "", "burst_quiet_seconds": "300"}
    html = post(client, "/app/settings/hours", **bad).get_data(as_text=True)
    assert "No entendí el horario del lunes" in html
    assert "Los horarios del martes se superponen." in html
    assert "Elegí una hora entre 0 y 23." in html
    assert "La espera tiene que ser de más de 0 y hasta 120 segundos." in html
    html = post(client, "/app/settings/hours", **{**HOURS, "burst_quiet_seconds": "10",
                                                  "burst_cap_seconds": "5"}).get_data(as_text=True)
    assert "El tope tiene que ser mayor que la espera (10 segundos)." in html
    after = _org(shop)
    assert (after.business_hours, after.summary_hour, after.burst_quiet_seconds) == (
        before.business_hours, before.summary_hour, before.burst_quiet_seconds)


def test_a_day_is_closed_and_opened_again_from_the_settings(signed_in, shop):
    client = signed_in(Role.ADMIN)
    soon = (datetime.now(UTC) + timedelta(days=5)).date()
    assert post(client, "/app/settings/closed-days", day=soon.strftime("%d/%m/%Y")).status_code == 302
    assert _org(shop).closed_days == [soon.isoformat()]
    html = client.get("/app/settings").get_data(as_text=True)
    assert f'value="{soon.isoformat()}"' in html and "Abrir" in html
    # a day gone by is refused; an empty one too
    gone = (datetime.now(UTC) - timedelta(days=3)).date()
    html = post(client, "/app/settings/closed-days", day=gone.strftime("%d/%m/%Y")).get_data(as_text=True)
    assert "Ese día ya pasó." in html
    assert "Elegí el día que no trabajan." in post(client, "/app/settings/closed-days",
                                                    day="").get_data(as_text=True)
    assert post(client, "/app/settings/closed-days", day=soon.isoformat(),
                action="open").status_code == 302
    assert _org(shop).closed_days == []


def test_a_day_with_its_own_hours_is_shown_and_given_its_weekly_hours_back(signed_in, shop):
    from core.organizations import set_day_hours

    client = signed_in(Role.ADMIN)
    soon = (datetime.now(UTC) + timedelta(days=5)).date()
    with shop.db.org_session(shop.org_id) as s:
        set_day_hours(s, shop.org_id, [soon], [("08:00", "13:00")], today=soon - timedelta(days=5))
    html = client.get("/app/settings").get_data(as_text=True)
    assert "solo de 08:00 a 13:00" in html and "Horario normal" in html
    assert post(client, "/app/settings/closed-days", day=soon.isoformat(),
                action="open").status_code == 302
    assert _org(shop).day_hours == {}


# ---- who sees what --------------------------------------------------------------------------

def test_admin_sees_business_and_hours_but_not_connections(signed_in, shop):
    admin = signed_in(Role.ADMIN)
    html = admin.get("/app/settings").get_data(as_text=True)
    assert "Datos del negocio" in html and "Horarios y tiempos" in html
    assert "Conexiones" not in html and "Probar conexión" not in html and "Token de acceso" not in html
    for path, data in (("/app/settings/whatsapp", {"wa_phone_number_id": "123456789"}),
                       ("/app/settings/mercadopago", {"mercadopago_token": "APP_USR-x"}),
                       ("/app/settings/secrets/afip_key/delete", {}),
                       ("/app/settings/check/afip", {})):
        assert post(admin, path, **data).status_code == 403, path
    assert _upload(admin, afip_key=(b"x", "x.key")).status_code == 403
    assert _secret_names(shop) == set()
    owner_html = signed_in(Role.OWNER).get("/app/settings").get_data(as_text=True)
    assert "Conexiones" in owner_html and 'href="/app/settings">Ajustes</a>' in owner_html
    dispatcher_nav = signed_in(Role.DISPATCHER).get("/app/").get_data(as_text=True)
    assert "/app/settings" not in dispatcher_nav


# ---- AFIP certificate and key ---------------------------------------------------------------

def test_owner_uploads_certificate_and_key_encrypted(signed_in, shop, afip_credentials):
    cert_pem, key_pem = afip_credentials
    client = signed_in(Role.OWNER)
    response = _upload(client, afip_certificate=(cert_pem, "campotech.crt"),
                       afip_key=(key_pem, "campotech.key"))
    assert response.status_code == 302 and "done=afip" in response.headers["Location"]

    vault = Vault(shop.db.settings.encryption_keys)
    with shop.db.org_session(shop.org_id) as s:
        # The same text `flask secrets set --file` stores.
        assert vault.load(s, "afip_certificate") == cert_pem.decode().strip() + "\n"
        assert vault.load(s, "afip_key") == key_pem.decode().strip() + "\n"
        rows = list(s.scalars(select(OrgSecret)))
    for row in rows:
        assert b"BEGIN" not in row.ciphertext and cert_pem[30:80] not in row.ciphertext
    html = client.get("/app/settings?done=afip").get_data(as_text=True)
    assert "Listo, guardamos el certificado y la clave de AFIP." in html
    expiry = x509.load_pem_x509_certificate(cert_pem).not_valid_after_utc
    assert "campotech-test" in html and "CUIT 20-11111111-2" in html
    assert expiry.strftime("%Y") in html and "vence el" in html
    assert "BEGIN" not in html and key_pem.decode().splitlines()[1] not in html


def test_a_key_that_is_not_the_certificates_is_refused(signed_in, shop, afip_credentials):
    cert_pem, key_pem = afip_credentials
    _other_cert, other_key = make_credentials(common_name="otro")
    client = signed_in(Role.OWNER)
    html = _upload(client, afip_certificate=(cert_pem, "c.crt"),
                   afip_key=(other_key, "c.key")).get_data(as_text=True)
    assert "La clave no corresponde a este certificado." in html
    assert _secret_names(shop) == set()

    # With the pair stored, a lone key that does not match is refused too.
    assert _upload(client, afip_certificate=(cert_pem, "c.pem"), afip_key=(key_pem, "c.pem")).status_code == 302
    html = _upload(client, afip_key=(other_key, "nueva.key")).get_data(as_text=True)
    assert "La clave no corresponde a este certificado." in html
    with shop.db.org_session(shop.org_id) as s:
        assert Vault(shop.db.settings.encryption_keys).load(s, "afip_key").strip() == key_pem.decode().strip()


def test_expired_certificate_is_refused(signed_in, shop):
    cert_pem, key_pem = _expired_credentials()
    html = _upload(signed_in(Role.OWNER), afip_certificate=(cert_pem, "viejo.crt"),
                   afip_key=(key_pem, "viejo.key")).get_data(as_text=True)
    day = (datetime.now(UTC) - timedelta(days=10)).strftime("%d/%m/%Y")
    assert f"Ese certificado venció el {day}." in html
    assert _secret_names(shop) == set()


@pytest.mark.parametrize(("field", "content", "filename", "message"), [
    ("afip_certificate", b"-----BEGIN CERTIFICATE-----\n" + b"A" * 21 * 1024, "grande.pem",
     "El certificado pesa más de 20 KB"),
    ("afip_certificate", b"-----BEGIN CERTIFICATE-----\nMII=\n", "cert.txt",
     "El certificado tiene que ser un archivo .crt o .pem."),
    ("afip_certificate", b"0\x82\x03\x00\x30\x00binary", "cert.crt", "está en formato binario (DER)"),
    ("afip_certificate", b"hola, esto no es un certificado", "cert.crt",
     "Ese archivo no es un certificado en formato PEM."),
    ("afip_key", b"-----BEGIN PRIVATE KEY-----\nnada\n-----END PRIVATE KEY-----\n", "clave.key",
     "Ese archivo no es una clave privada en formato PEM."),
    ("afip_key", b"clave", "clave.docx", "La clave tiene que ser un archivo .key o .pem."),
])
def test_wrong_files_are_refused(signed_in, shop, field, content, filename, message):
    response = _upload(signed_in(Role.OWNER), **{field: (content, filename)})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert _secret_names(shop) == set()


def test_an_empty_afip_form_asks_for_a_file(signed_in, shop):
    html = _upload(signed_in(Role.OWNER)).get_data(as_text=True)
    assert "Elegí el certificado, la clave o los dos." in html


# ---- typed secrets --------------------------------------------------------------------------

def test_secrets_are_write_only_and_can_be_deleted(signed_in, shop):
    client = signed_in(Role.OWNER)
    pages = []
    response = post(client, "/app/settings/whatsapp", wa_phone_number_id="109876543210",
                    wa_display_phone="+54 9 11 5555-0100", whatsapp_token=SECRETS["whatsapp_token"],
                    whatsapp_app_secret=SECRETS["whatsapp_app_secret"])
    assert response.status_code == 302
    response = post(client, "/app/settings/mercadopago", mercadopago_token=SECRETS["mercadopago_token"],
                    mercadopago_webhook_secret=SECRETS["mercadopago_webhook_secret"])
    assert response.status_code == 302
    pages.append(client.get("/app/settings").get_data(as_text=True))
    # A form that fails re-renders without echoing the secret typed with it.
    pages.append(post(client, "/app/settings/whatsapp", wa_phone_number_id="abc",
                      whatsapp_token="EAAG-another-new-token").get_data(as_text=True))
    pages.append(post(client, "/app/settings/mercadopago",
                      mercadopago_token="con espacios no va").get_data(as_text=True))

    assert "El identificador del número son solo números" in pages[1]
    assert "Eso no parece un token" in pages[2]
    for html in pages:
        for value in (*SECRETS.values(), "EAAG-another-new-token", "con espacios no va"):
            assert value not in html
    html = pages[0]
    assert html.count("configurado</span>") >= 4
    assert len(re.findall(r'type="password" autocomplete="off"', html)) == 4
    vault = Vault(shop.db.settings.encryption_keys)
    with shop.db.org_session(shop.org_id) as s:
        assert {name: vault.load(s, name) for name in SECRETS} == SECRETS
    org = _org(shop)
    assert (org.wa_phone_number_id, org.wa_display_phone) == ("109876543210", "+54 9 11 5555-0100")

    # Saving the number again with blank secrets keeps them.
    post(client, "/app/settings/whatsapp", wa_phone_number_id="109876543210",
         wa_display_phone="+54 9 11 5555-0100")
    assert _secret_names(shop) == set(SECRETS)

    assert post(client, "/app/settings/secrets/mercadopago_token/delete").status_code == 302
    assert _secret_names(shop) == set(SECRETS) - {"mercadopago_token"}
    html = client.get("/app/settings?done=deleted").get_data(as_text=True)
    assert "Listo, lo borramos." in html
    with shop.db.org_session(shop.org_id) as s:
        actions = list(s.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "secret")))
    assert actions.count("secret.set") == 4 and actions.count("secret.delete") == 1


def test_a_whatsapp_number_of_another_organization_is_refused(signed_in, shop):
    create_org(shop.db, "Gas Sur", "gas-sur", wa_phone_number_id="555000111222")
    client = signed_in(Role.OWNER)
    html = post(client, "/app/settings/whatsapp", wa_phone_number_id="555000111222",
                whatsapp_token=SECRETS["whatsapp_token"]).get_data(as_text=True)
    assert "Ese número de WhatsApp ya está conectado a otra cuenta de CampoTech." in html
    assert _org(shop).wa_phone_number_id is None and _secret_names(shop) == set()


# ---- "Probar conexión" with a real worker ---------------------------------------------------

@pytest.fixture
def connected(pg_db, redisdb, fake_afip, fake_mercadopago, fake_graph, monkeypatch):
    """The app pointed at the fake AFIP, Mercado Pago and Graph API, the worker's env too."""
    settings = load_settings(
        env="test", database_url=pg_db.settings.database_url, redis_url=pg_db.settings.redis_url,
        system_database_url=pg_db.settings.system_database_url,
        log_json=False, afip_base_url=fake_afip.url, afip_timeout_seconds=5.0,
        mercadopago_base_url=fake_mercadopago.url, whatsapp_graph_url=fake_graph.url)
    export_env(monkeypatch, settings)
    app = create_app(settings)
    app.testing = True
    shop = seed_shop(pg_db)
    client = app.test_client()
    assert login(client, email_of(Role.OWNER)).status_code == 302
    yield shop, client, app.extensions["campotech.redis"]
    app.extensions["campotech.db"].dispose()
    get_settings.cache_clear()


def _work(redis) -> None:
    queues = [Queue(name, connection=redis) for name in ("high", "default", "low")]
    SimpleWorker(queues, connection=redis).work(burst=True)
    assert not any(q.count for q in queues)


def _check_text(html: str, service: str) -> str:
    found = re.search(rf'<div class="check" id="check-{service}".*?</p>', html, re.DOTALL)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0))).strip()


def test_checks_run_in_a_worker_and_show_ok(connected, fake_graph, afip_credentials):
    _shop, client, redis = connected
    cert_pem, key_pem = afip_credentials
    fake_graph.add_phone_number("109876543210", "+54 9 11 5555-0100", verified_name="Plomería Ramos",
                                token=SECRETS["whatsapp_token"])
    assert post(client, "/app/settings/business", **BUSINESS).status_code == 302
    assert _upload(client, afip_certificate=(cert_pem, "c.crt"), afip_key=(key_pem, "c.key")).status_code == 302
    post(client, "/app/settings/whatsapp", wa_phone_number_id="109876543210",
         whatsapp_token=SECRETS["whatsapp_token"])
    post(client, "/app/settings/mercadopago", mercadopago_token="APP_USR-test-token")

    html = client.get("/app/settings").get_data(as_text=True)
    assert "Todavía no probaste esta conexión." in _check_text(html, "afip")
    for service in ("afip", "mercadopago", "whatsapp"):
        assert post(client, f"/app/settings/check/{service}").status_code == 302
    html = client.get("/app/settings?done=check").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="2' in html
    assert "Probando la conexión" in _check_text(html, "afip")

    _work(redis)
    html = client.get("/app/settings").get_data(as_text=True)
    assert 'http-equiv="refresh"' not in html
    assert "Anda bien. AFIP (homologación) respondió bien. Última factura B autorizada: 0003-00000000." \
        in _check_text(html, "afip")
    assert "Anda bien. Mercado Pago respondió bien: cuenta" in _check_text(html, "mercadopago")
    assert ("Anda bien. Meta reconoce el número +54 9 11 5555-0100 (Plomería Ramos). "
            "Calidad del número: alta.") in _check_text(html, "whatsapp")


def test_checks_explain_failures_in_spanish(connected, fake_graph):
    _shop, client, redis = connected
    # A certificate for another CUIT: WSAA logs in, WSFE refuses the business's CUIT.
    cert_pem, key_pem = make_credentials("20222222223", common_name="de otro")
    post(client, "/app/settings/business", **BUSINESS)
    _upload(client, afip_certificate=(cert_pem, "c.crt"), afip_key=(key_pem, "c.key"))
    post(client, "/app/settings/whatsapp", wa_phone_number_id="109876543210",
         whatsapp_token=SECRETS["whatsapp_token"])
    post(client, "/app/settings/mercadopago", mercadopago_token="APP_USR-wrong-token")
    html = client.get("/app/settings").get_data(as_text=True)
    assert "El certificado es del CUIT 20-22222222-3, pero el negocio tiene el CUIT 20-11111111-2." in html

    for service in ("afip", "mercadopago", "whatsapp"):
        post(client, f"/app/settings/check/{service}")
    _work(redis)
    html = client.get("/app/settings").get_data(as_text=True)
    assert "No anduvo. AFIP no reconoce el certificado o la clave." in _check_text(html, "afip")
    assert "No anduvo. Mercado Pago rechazó el token." in _check_text(html, "mercadopago")
    assert "No anduvo. Meta no encontró ese número con este token." in _check_text(html, "whatsapp")

    # Nothing set up at all: the check says what is missing instead of failing.
    post(client, "/app/settings/secrets/mercadopago_token/delete")
    post(client, "/app/settings/check/mercadopago")
    _work(redis)
    html = client.get("/app/settings").get_data(as_text=True)
    assert "Falta configurar. Falta el token de Mercado Pago" in _check_text(html, "mercadopago")


def test_a_check_no_worker_picks_up_stops_refreshing(connected):
    from services import connection_status

    shop, client, redis = connected
    connection_status.mark_pending(redis, shop.org_id, "afip", now=datetime.now(UTC) - timedelta(minutes=5))
    html = client.get("/app/settings").get_data(as_text=True)
    assert 'http-equiv="refresh"' not in html
    assert "La prueba está tardando más de lo normal." in html
