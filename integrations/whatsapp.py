"""The WhatsApp Cloud API adapter: sends through heyoo, downloads media with our own few lines.

heyoo hard-codes Graph v14/v15 URLs, has no timeouts and answers errors in three different
shapes (a dict, a Response, or a JSONDecodeError). So this adapter:

- points heyoo's URL attributes at the configured Graph root and version (Meta or the sandbox);
- runs heyoo's methods with `requests` bound to a session (heyoo's module is left as it is),
  which adds our timeout and remembers the raw response of the call in progress, so we judge
  every call by its HTTP status and JSON body, never by what heyoo chose to return
  (`integrations.whatsapp_transport`);
- shares one kept-alive session per process (`whatsapp_transport.shared_session`) among every
  client it builds from settings: `requests.post`, what heyoo calls, opens a new TCP (and TLS)
  connection per message, and a send job builds a client per message;
- turns Meta's error object into a `WhatsAppError` that says whether retrying makes sense
  (`integrations.whatsapp_errors`).

This module is the client and the payloads it sends. It takes plain values (texts, ids, pairs
for buttons and list rows) and knows nothing of the bot's reply types: `services.send_reply`
turns a reply into one of the `send_*` calls.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import heyoo
import requests

from core.settings import Settings
from integrations.whatsapp_errors import MediaRejected, WhatsAppError, error_from
from integrations.whatsapp_transport import HTTP, SessionWhatsApp, run, shared_session

# What the `send_*` calls take for interactive messages, as plain values.
ButtonSpec = tuple[str, str]  # a reply button: (id, title)
RowSpec = tuple[str, str, str]  # a list row: (id, title, description, "" for none)
SectionSpec = tuple[str, Sequence[RowSpec]]  # a list section: (title, rows)


@dataclass(frozen=True)
class PhoneNumber:
    """A WhatsApp Business phone number as the Graph API describes it."""

    id: str
    display_phone_number: str
    verified_name: str
    quality_rating: str  # GREEN, YELLOW, RED or UNKNOWN


@dataclass
class WhatsAppClient:
    """One phone number of one WhatsApp Business account."""

    token: str
    phone_number_id: str
    graph_url: str = "https://graph.facebook.com"
    version: str = "v23.0"
    timeout: float = 10.0
    session: requests.Session | None = field(default=None, repr=False)  # None: one of its own
    _api: heyoo.WhatsApp = field(init=False, repr=False)
    _session: requests.Session = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._session = self.session if self.session is not None else requests.Session()
        self._api = SessionWhatsApp(token=self.token, phone_number_id=self.phone_number_id)
        base = f"{self.graph_url.rstrip('/')}/{self.version}"
        self._api.base_url = base
        self._api.v15_base_url = base
        self._api.url = f"{base}/{self.phone_number_id}/messages"

    def __repr__(self) -> str:  # never print the token
        return f"WhatsAppClient(phone_number_id={self.phone_number_id!r}, graph={self.base_url!r})"

    @classmethod
    def from_settings(cls, settings: Settings, *, token: str | None = None,
                      phone_number_id: str | None = None) -> WhatsAppClient:
        return cls(
            token=token or settings.whatsapp_access_token or "sandbox",
            phone_number_id=phone_number_id or settings.whatsapp_phone_number_id,
            graph_url=settings.graph_base_url,
            version=settings.whatsapp_graph_version,
            timeout=settings.whatsapp_timeout_seconds,
            session=shared_session(settings.whatsapp_send_threads),
        )

    @property
    def base_url(self) -> str:
        return self._api.base_url

    # -- calls -----------------------------------------------------------------------------

    def _run(self, fn: Callable[[], Any]) -> dict:
        """Run one heyoo call; return Meta's JSON on a 2xx, else raise WhatsAppError."""
        return run(self._session, self.timeout, fn)

    def send_text(self, to: str, body: str, *, preview_url: bool = False) -> str:
        """Send a text; returns the WhatsApp message id (wamid), as every `send_*` does."""
        return _wamid(self._run(lambda: self._api.send_message(body, to, preview_url=preview_url)))

    def send_buttons(self, to: str, body: str, buttons: Sequence[ButtonSpec], *,
                     header: str = "", footer: str = "") -> str:
        interactive = _interactive(body, header, footer, "button", {
            "buttons": [{"type": "reply", "reply": {"id": button_id, "title": title}}
                        for button_id, title in buttons],
        })
        return _wamid(self._run(lambda: self._api.send_reply_button(interactive, to)))

    def send_list(self, to: str, body: str, button: str, sections: Sequence[SectionSpec], *,
                  header: str = "", footer: str = "") -> str:
        action = {"button": button, "sections": [
            {"title": title, "rows": [
                {"id": row_id, "title": row_title, **({"description": description} if description else {})}
                for row_id, row_title, description in rows]}
            for title, rows in sections]}
        # heyoo's send_button builds a *list* interactive from this dict.
        spec = {"action": action, "body": body, "header": header, "footer": footer}
        return _wamid(self._run(lambda: self._api.send_button(spec, to)))

    def send_document(self, to: str, filename: str, *, link: str = "", media_id: str = "",
                      caption: str = "") -> str:
        """A file by public link, or by an uploaded media id when there is no link."""
        document: dict[str, Any] = {"filename": filename}
        document["link" if link else "id"] = link or media_id
        if caption:
            document["caption"] = caption
        payload = {"messaging_product": "whatsapp", "recipient_type": "individual",
                   "type": "document", "document": document}
        return _wamid(self._run(lambda: self._api.send_custom_json(payload, to)))

    def send_location(self, to: str, latitude: float, longitude: float, name: str = "",
                      address: str = "") -> str:
        return _wamid(self._run(lambda: self._api.send_location(latitude, longitude, name, address, to)))

    def send_template(self, to: str, name: str, language: str, components: list[dict]) -> str:
        """Send an approved template with its components as given (see `body_parameters`)."""
        return _wamid(self._run(lambda: self._api.send_template(name, to, components, lang=language)))

    def mark_as_read(self, wa_message_id: str) -> None:
        self._run(lambda: self._api.mark_as_read(wa_message_id))

    def media_info(self, media_id: str) -> dict:
        """`GET /{media-id}`: a download URL that lives about five minutes, the MIME type, size."""
        return self._run(lambda: HTTP.get(
            f"{self.base_url}/{media_id}", headers=self._auth()))

    def download_media(self, media_id: str, *, max_bytes: int,
                       allowed_mime: Collection[str]) -> tuple[bytes, str]:
        """The media's bytes and MIME type, fetched right now; MediaRejected if we do not take it."""
        info = self.media_info(media_id)
        mime = str(info.get("mime_type") or "")
        base = mime.split(";")[0].strip().lower()
        if base not in allowed_mime:
            raise MediaRejected(f"mime type {mime!r} not accepted")
        size = info.get("file_size")
        if isinstance(size, int | str) and str(size).isdigit() and int(size) > max_bytes:
            raise MediaRejected(f"size {size} bytes over the {max_bytes} byte cap")
        url = info.get("url")
        if not url:
            raise WhatsAppError(None, "media info without a url", retryable=True)
        try:
            with self._session.get(url, headers=self._auth(), timeout=self.timeout,
                                   stream=True) as response:
                if response.status_code != 200:
                    raise error_from(response)
                chunks, total = [], 0
                for chunk in response.iter_content(64 * 1024):
                    total += len(chunk)
                    if total > max_bytes:
                        raise MediaRejected(f"size over the {max_bytes} byte cap")
                    chunks.append(chunk)
        except requests.RequestException as exc:
            raise WhatsAppError(None, f"media download: {exc}", retryable=True) from exc
        return b"".join(chunks), base

    def phone_number(self) -> PhoneNumber:
        """`GET /{phone-number-id}`: whether this token reaches this number, and how Meta sees it."""
        body = self._run(lambda: HTTP.get(
            f"{self.base_url}/{self.phone_number_id}", headers=self._auth(),
            params={"fields": "display_phone_number,verified_name,quality_rating"}))
        if not isinstance(body, dict):
            raise WhatsAppError(None, "unexpected phone number body", retryable=False)
        return PhoneNumber(id=str(body.get("id") or self.phone_number_id),
                           display_phone_number=str(body.get("display_phone_number") or ""),
                           verified_name=str(body.get("verified_name") or ""),
                           quality_rating=str(body.get("quality_rating") or ""))

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def _wamid(body: dict) -> str:
    """The message id Meta answers a send with."""
    try:
        return str(body["messages"][0]["id"])
    except (KeyError, IndexError, TypeError):
        raise WhatsAppError(None, f"no message id in {str(body)[:200]}", retryable=False) from None


def body_parameters(parameters: Sequence[str]) -> list[dict]:
    """A template's components for body parameters in order ({{1}}, {{2}}, ...); none for none."""
    if not parameters:
        return []
    return [{"type": "body", "parameters": [{"type": "text", "text": p} for p in parameters]}]


def code_template_components(code: str) -> list[dict]:
    """An authentication template's parameters: the code in the body, and again for the
    copy-code button (created as type OTP, Meta sends it as a URL button at index 0)."""
    if not code or len(code) > 15:
        raise ValueError("an authentication code has 1 to 15 characters")
    return [
        {"type": "body", "parameters": [{"type": "text", "text": code}]},
        {"type": "button", "sub_type": "url", "index": "0",
         "parameters": [{"type": "text", "text": code}]},
    ]


def _interactive(body: str, header: str, footer: str, kind: str, action: dict) -> dict:
    interactive: dict[str, Any] = {"type": kind, "body": {"text": body}, "action": action}
    if header:
        interactive["header"] = {"type": "text", "text": header}
    if footer:
        interactive["footer"] = {"text": footer}
    return interactive
