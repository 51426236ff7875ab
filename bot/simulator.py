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
from typing import Any


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
