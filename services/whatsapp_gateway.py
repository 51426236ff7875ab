"""The organization's WhatsApp, as the services see it: a client built from the vault's token,
blue ticks, and sign-up or login codes sent from the platform's own number."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from core.db import Database
from core.models import Message, Organization
from core.settings import Settings
from core.vault import Vault
from integrations.whatsapp import WhatsAppClient, WhatsAppError, code_template_components
from services import otp

log = logging.getLogger("campotech.workers")  # the name these lines always had


def client_for(session: Session, org: Organization, settings: Settings) -> WhatsAppClient:
    """The organization's own number and token when it has them, else the deployment's."""
    token = Vault(settings.encryption_keys).load(session, "whatsapp_token")
    return WhatsAppClient.from_settings(
        settings,
        token=token or settings.whatsapp_access_token or "sandbox",
        phone_number_id=org.wa_phone_number_id or settings.whatsapp_phone_number_id,
    )


def mark_read(db: Database, settings: Settings, org_id: int, message_id: int) -> bool:
    """Blue ticks for one inbound message (best effort: False when Meta says no)."""
    with db.org_session(org_id) as session:
        message = session.get(Message, message_id)
        client = client_for(session, session.get(Organization, org_id), settings)
        wamid = message.wa_message_id if message else None
    if not wamid:
        return False
    try:
        client.mark_as_read(wamid)
    except WhatsAppError as exc:
        log.info("mark-as-read of %s failed: %s", wamid, exc)
        return False
    return True


def send_code(settings: Settings, wa_to: str, sealed_code: str, purpose: str) -> dict:
    """A sign-up or login code in the authentication template; raises WhatsAppError when Meta
    asks us to try again."""
    code = otp.open_code(settings, wa_to, sealed_code)
    client = WhatsAppClient.from_settings(settings)
    try:
        wamid = client.send_template(wa_to, settings.whatsapp_code_template,
                                     settings.whatsapp_code_template_lang,
                                     code_template_components(code))
    except WhatsAppError as exc:
        if exc.retryable:
            raise
        log.warning("%s code not sent: %s", purpose, exc)
        return {"status": "failed", "error": exc.code}
    log.info("%s code sent", purpose, extra={"wamid": wamid})
    return {"status": "sent", "wamid": wamid}
