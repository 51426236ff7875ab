"""The onboarding checklist: each step flips to done as its data appears, on both databases."""

from __future__ import annotations

from core.billing import price_book
from core.identity.users import create_user
from core.models import Organization, User, utcnow
from core.organizations import onboarding
from core.settings import load_settings
from core.vault import Vault


def _state(db, org_id: int, settings) -> dict[str, bool]:
    with db.org_session(org_id) as s:
        items = onboarding.checklist(s, s.get(Organization, org_id), settings)
    return {item.key: item.done for item in items}


def test_a_new_business_has_six_steps_to_go_with_links(db, make_org):
    org_id = make_org("Plomería Nueva")
    with db.org_session(org_id) as s:
        items = onboarding.checklist(s, s.get(Organization, org_id), db.settings)
    assert [i.key for i in items] == ["whatsapp", "afip", "payments", "price_book", "technicians", "hours"]
    assert not any(i.done for i in items)
    assert {i.url for i in items} == {"/app/settings", "/app/price-book", "/app/team"}
    assert all(i.title_es and i.hint_es for i in items)


def test_each_step_flips_to_done_as_its_data_appears(db, make_org):
    org_id = make_org("Plomería Nueva")
    settings = db.settings
    vault = Vault(settings.encryption_keys)

    # WhatsApp needs both the number and the organization's own token.
    with db.org_session(org_id) as s:
        s.get(Organization, org_id).wa_phone_number_id = "123456789012"
    assert not _state(db, org_id, settings)["whatsapp"]
    with db.org_session(org_id) as s:
        vault.store(s, "whatsapp_token", "EAAG-token")
    assert _state(db, org_id, settings)["whatsapp"]

    # AFIP: CUIT, certificate and key, all three.
    with db.org_session(org_id) as s:
        s.get(Organization, org_id).cuit = "20111111112"
        vault.store(s, "afip_certificate", "-----BEGIN CERTIFICATE-----")
    assert not _state(db, org_id, settings)["afip"]
    with db.org_session(org_id) as s:
        vault.store(s, "afip_key", "-----BEGIN PRIVATE KEY-----")
    assert _state(db, org_id, settings)["afip"]

    # Payments: a transfer alias is enough.
    with db.org_session(org_id) as s:
        s.get(Organization, org_id).transfer_alias = "plomeria.nueva.mp"
    assert _state(db, org_id, settings)["payments"]

    # Price book: one active item; an archived one does not count.
    with db.org_session(org_id) as s:
        item = price_book.create_item(s, {"name": "Cambio de flexible", "price": "15000"})
        item.archived = True
    assert not _state(db, org_id, settings)["price_book"]
    with db.org_session(org_id) as s:
        s.get(type(item), item.id).archived = False
    assert _state(db, org_id, settings)["price_book"]

    # Technicians: active, with a phone (an admin does not count).
    with db.org_session(org_id) as s:
        create_user(s, {"name": "Ana Admin", "role": "admin", "phone": "+5491155550001"})
        tech = create_user(s, {"name": "Carlos Técnico", "role": "technician"})
    assert not _state(db, org_id, settings)["technicians"]
    with db.org_session(org_id) as s:
        s.get(User, tech.id).phone = "+5491155550002"
    assert _state(db, org_id, settings)["technicians"]
    with db.org_session(org_id) as s:
        s.get(User, tech.id).active = False
    assert not _state(db, org_id, settings)["technicians"]


def test_mercado_pago_alone_settles_payments(db, make_org):
    org_id = make_org()
    with db.org_session(org_id) as s:
        Vault(db.settings.encryption_keys).store(s, "mercadopago_token", "APP_USR-1")
    assert _state(db, org_id, db.settings)["payments"]


def test_hours_are_done_when_confirmed_or_changed(db, make_org):
    confirmed, changed = make_org("Confirma"), make_org("Cambia")
    with db.org_session(confirmed) as s:
        onboarding.confirm_hours(s, s.get(Organization, confirmed), utcnow(), "user:1")
    with db.org_session(changed) as s:
        org = s.get(Organization, changed)
        org.business_hours = {**org.business_hours, "sat": []}
    assert _state(db, confirmed, db.settings)["hours"]
    assert _state(db, changed, db.settings)["hours"]
    assert not _state(db, make_org("Nada"), db.settings)["hours"]


def test_a_token_sealed_under_a_lost_key_does_not_count(db, make_org):
    org_id = make_org()
    with db.org_session(org_id) as s:
        s.get(Organization, org_id).wa_phone_number_id = "123456789012"
        Vault(db.settings.encryption_keys).store(s, "whatsapp_token", "EAAG-token")
    other_key = load_settings(env="test", encryption_key="other:" + "A" * 43 + "=")
    assert _state(db, org_id, db.settings)["whatsapp"]
    assert not _state(db, org_id, other_key)["whatsapp"]
