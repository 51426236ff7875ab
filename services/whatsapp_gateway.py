"""The organization's WhatsApp, as the services see it: a client built from the vault's token,
blue ticks, and sign-up or login codes sent from the platform's own number."""

from __future__ import annotations

import logging
import os
import threading
import time

from sqlalchemy.orm import Session

from core.db import Database
from core.models import Message, Organization
from core.settings import Settings
from core.vault import Vault
from integrations.whatsapp import WhatsAppClient, code_template_components
from integrations.whatsapp_errors import WhatsAppError
from services import otp

log = logging.getLogger("campotech.workers")  # the name these lines always had

# How long a process reuses an organization's client (its number, its token from the vault)
# between sends: a send job reads the organization and decrypts the token otherwise, for every
# message. A changed number or token reaches the sends within this many seconds.
CLIENT_TTL = 10.0
_clients: dict[tuple[int, int, int], tuple[float, Settings, WhatsAppClient]] = {}
_clients_lock = threading.Lock()


def client_for(session: Session, org: Organization, settings: Settings) -> WhatsAppClient:
    """The organization's own number and token when it has them, else the deployment's."""
    token = Vault(settings.encryption_keys).load(session, "whatsapp_token")
    return WhatsAppClient.from_settings(
        settings,
        token=token or settings.whatsapp_access_token or "sandbox",
        phone_number_id=org.wa_phone_number_id or settings.whatsapp_phone_number_id,
    )


def cached_client_for(session: Session, org_id: int, settings: Settings,
                      clock=time.monotonic) -> WhatsAppClient:
    """`client_for`, reused for CLIENT_TTL seconds within this process, for these settings
    (the same object: an entry holds it, so its id cannot name another one meanwhile)."""
    key = (os.getpid(), org_id, id(settings))
    now = clock()
    held = _clients.get(key)
    if held is not None and now - held[0] < CLIENT_TTL:
        return held[2]
    client = client_for(session, session.get(Organization, org_id), settings)
    with _clients_lock:
        for stale in [k for k, (at, _s, _c) in _clients.items() if now - at >= CLIENT_TTL]:
            del _clients[stale]
        _clients[key] = (now, settings, client)
    return client


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
