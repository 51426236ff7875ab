"""Meta-shaped webhook payloads for the sandbox simulator, `python -m bot chat` and the tests.

What leaves here is byte for byte what Meta posts for a customer's message, so everything after
the signature check runs the production path.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from core.db import Database
from core.models import Customer, User
from core.organizations import find_by_phone_number_id
from core.phones import wa_id_for


def new_wamid() -> str:
    return "wamid.SIM" + uuid.uuid4().hex.upper()


def envelope(phone_number_id: str, value: dict[str, Any], display_phone: str = "5491100000000") -> dict:
    return {
        "object": "whatsapp_business_account",
        "entry": [{
            "id": "WABA-SANDBOX",
            "changes": [{
                "field": "messages",
                "value": {
                    "messaging_product": "whatsapp",
                    "metadata": {"display_phone_number": display_phone, "phone_number_id": phone_number_id},
                    **value,
                },
            }],
        }],
    }


def message(
    phone_number_id: str, wa_id: str, kind: str, content: dict[str, Any], *,
    name: str | None = None, wamid: str | None = None, timestamp: float | None = None,
    context_id: str | None = None,
) -> dict:
    """One inbound message of `kind` ("text", "audio", ...) with its type-specific `content`."""
    msg: dict[str, Any] = {
        "from": wa_id,
        "id": wamid or new_wamid(),
        "timestamp": str(int(timestamp if timestamp is not None else time.time())),
        "type": kind,
        kind: content,
    }
    if context_id:
        msg["context"] = {"from": phone_number_id, "id": context_id}
    return envelope(phone_number_id, {
        "contacts": [{**({"profile": {"name": name}} if name else {}), "wa_id": wa_id}],
        "messages": [msg],
    })


def text(phone_number_id: str, wa_id: str, body: str, **kw: Any) -> dict:
    return message(phone_number_id, wa_id, "text", {"body": body}, **kw)


def voice_note(phone_number_id: str, wa_id: str, media_id: str, mime: str = "audio/ogg; codecs=opus", **kw: Any) -> dict:
    return message(phone_number_id, wa_id, "audio",
                   {"mime_type": mime, "sha256": "", "id": media_id, "voice": True}, **kw)


def image(phone_number_id: str, wa_id: str, media_id: str, caption: str = "", mime: str = "image/jpeg", **kw: Any) -> dict:
    content = {"mime_type": mime, "sha256": "", "id": media_id}
    if caption:
        content["caption"] = caption
    return message(phone_number_id, wa_id, "image", content, **kw)


def location(phone_number_id: str, wa_id: str, latitude: float, longitude: float,
             name: str = "", address: str = "", **kw: Any) -> dict:
    content: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
    if name:
        content["name"] = name
    if address:
        content["address"] = address
    return message(phone_number_id, wa_id, "location", content, **kw)


def reaction(phone_number_id: str, wa_id: str, wamid: str, emoji: str, **kw: Any) -> dict:
    """A reaction to one of our messages (`emoji` "" removes it), as Meta sends it."""
    return message(phone_number_id, wa_id, "reaction", {"message_id": wamid, "emoji": emoji}, **kw)


def sticker(phone_number_id: str, wa_id: str, media_id: str, *, animated: bool = False,
            **kw: Any) -> dict:
    return message(phone_number_id, wa_id, "sticker",
                   {"mime_type": "image/webp", "sha256": "", "id": media_id,
                    "animated": animated}, **kw)


def button_reply(phone_number_id: str, wa_id: str, button_id: str, title: str, **kw: Any) -> dict:
    return message(phone_number_id, wa_id, "interactive",
                   {"type": "button_reply", "button_reply": {"id": button_id, "title": title}}, **kw)


def list_reply(phone_number_id: str, wa_id: str, row_id: str, title: str, description: str = "", **kw: Any) -> dict:
    return message(phone_number_id, wa_id, "interactive",
                   {"type": "list_reply", "list_reply": {"id": row_id, "title": title, "description": description}}, **kw)


def status(phone_number_id: str, wamid: str, recipient: str, state: str, *,
           error_code: int | None = None, error_title: str = "", timestamp: float | None = None) -> dict:
    entry: dict[str, Any] = {
        "id": wamid, "status": state, "recipient_id": recipient,
        "timestamp": str(int(timestamp if timestamp is not None else time.time())),
    }
    if error_code is not None:
        entry["errors"] = [{"code": error_code, "title": error_title or "error",
                            "message": error_title or "error", "error_data": {"details": error_title}}]
    return envelope(phone_number_id, {"statuses": [entry]})


def encode(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def sign(secret: str, body: bytes) -> str:
    """The X-Hub-Signature-256 header Meta sends for `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# -- the simulator's phone book and inbound messages ---------------------------------------

DEMO_CUSTOMER = "5491155550000"


@dataclass(frozen=True)
class Phone:
    wa_id: str
    label: str
    role: str  # customer, technician, owner, admin, ...


def phone_book(db: Database, phone_number_id: str) -> list[Phone]:
    """Who you can be in the simulator: the organization's staff with phones, its customers,
    and a brand-new customer."""
    with db.system_session() as session:
        org = find_by_phone_number_id(session, phone_number_id)
        org_id = org.id if org else None
    phones = [Phone(DEMO_CUSTOMER, "Cliente nuevo", "customer")]
    if org_id is None:
        return phones
    with db.org_session(org_id) as session:
        for user in session.scalars(select(User).where(User.phone.is_not(None)).order_by(User.role, User.name)):
            phones.append(Phone(wa_id_for(user.phone), f"{user.name} ({ROLE_ES.get(user.role.value, user.role.value)})",
                                user.role.value))
        for customer in session.scalars(
            select(Customer).where(Customer.phone.is_not(None)).order_by(Customer.name).limit(20)
        ):
            wa_id = wa_id_for(customer.phone)
            if wa_id != DEMO_CUSTOMER:
                phones.append(Phone(wa_id, f"{customer.name or wa_id} (cliente)", "customer"))
    return phones


ROLE_ES = {"owner": "dueño", "admin": "admin", "dispatcher": "despacho", "technician": "técnico",
           "viewer": "lectura"}


class SimulatorError(ValueError):
    """A simulator request we cannot turn into a WhatsApp message (said in plain Spanish)."""


def inbound_payload(phone_number_id: str, form: dict[str, Any], media_id: str | None = None,
                    media_mime: str | None = None) -> dict:
    """The Meta payload for what the simulator's user did: typed, tapped, shared or uploaded."""
    wa_id = str(form.get("wa_id") or "").strip()
    if not wa_id.isdigit() or not 8 <= len(wa_id) <= 15:
        raise SimulatorError("Elegí un teléfono válido (solo números, con código de país).")
    kind = str(form.get("kind") or "text")
    kw: dict[str, Any] = {"name": (str(form.get("name") or "").strip() or None)}
    if kind == "text":
        body = str(form.get("text") or "").strip()
        if not body:
            raise SimulatorError("Escribí algo para mandar.")
        return text(phone_number_id, wa_id, body[:4096], **kw)
    if kind == "button":
        return button_reply(phone_number_id, wa_id, str(form.get("id") or ""), str(form.get("title") or ""), **kw)
    if kind == "list":
        return list_reply(phone_number_id, wa_id, str(form.get("id") or ""), str(form.get("title") or ""),
                          str(form.get("description") or ""), **kw)
    if kind == "location":
        try:
            lat, lng = float(form.get("latitude")), float(form.get("longitude"))
        except (TypeError, ValueError):
            raise SimulatorError("La ubicación necesita latitud y longitud.") from None
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            raise SimulatorError("Esa ubicación no existe.")
        return location(phone_number_id, wa_id, lat, lng, str(form.get("place") or ""),
                        str(form.get("address") or ""), **kw)
    if kind == "reaction":
        target = str(form.get("message_id") or "").strip()
        if not target:
            raise SimulatorError("Elegí a qué mensaje reaccionar.")
        return reaction(phone_number_id, wa_id, target[:128], str(form.get("emoji") or "")[:16], **kw)
    if kind == "sticker":
        if not media_id:
            raise SimulatorError("Falta el sticker.")
        return sticker(phone_number_id, wa_id, media_id, **kw)
    if kind in ("audio", "image", "document", "video"):
        if not media_id:
            raise SimulatorError("Falta el archivo.")
        mime = media_mime or "application/octet-stream"
        if kind == "audio":
            return voice_note(phone_number_id, wa_id, media_id, mime, **kw)
        if kind == "image":
            return image(phone_number_id, wa_id, media_id, str(form.get("text") or ""), mime, **kw)
        content: dict[str, Any] = {"mime_type": mime, "sha256": "", "id": media_id}
        if kind == "document":
            content["filename"] = str(form.get("filename") or "archivo")
        return message(phone_number_id, wa_id, kind, content, **kw)
    raise SimulatorError(f"No sé mandar mensajes de tipo {kind!r}.")


def kind_for_mime(mime: str) -> str:
    base = mime.split(";")[0].strip().lower()
    for prefix, kind in (("audio/", "audio"), ("image/", "image"), ("video/", "video")):
        if base.startswith(prefix):
            return kind
    return "document"
