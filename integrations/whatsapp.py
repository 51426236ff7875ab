"""The WhatsApp Cloud API adapter: sends through heyoo, downloads media with our own few lines.

heyoo hard-codes Graph v14/v15 URLs, has no timeouts and answers errors in three different
shapes (a dict, a Response, or a JSONDecodeError). So this adapter:

- points heyoo's URL attributes at the configured Graph root and version (Meta or the sandbox);
- runs heyoo's methods with `requests` bound to a session (heyoo's module is left as it is),
  which adds our timeout and remembers the raw response of the call in progress, so we judge
  every call by its HTTP status and JSON body, never by what heyoo chose to return;
- shares one kept-alive session per process (`shared_session`) among every client it builds
  from settings: `requests.post`, what heyoo calls, opens a new TCP (and TLS) connection per
  message, and a send job builds a client per message;
- turns Meta's error object into a `WhatsAppError` that says whether retrying makes sense.

It takes plain values (texts, ids, pairs for buttons and list rows) and knows nothing of the
bot's reply types: `services.send_reply` turns a reply into one of the `send_*` calls.
"""

from __future__ import annotations

import contextvars
import logging
import os
import threading
import types
import urllib.request
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import heyoo
import requests
from requests.adapters import HTTPAdapter

from core.settings import Settings

log = logging.getLogger("campotech.integrations.whatsapp")

# Meta error codes (https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes)
THROUGHPUT = 130429  # the number's throughput (messages per second) reached
PAIR_RATE = 131056  # too many messages to one customer in a short time
OUTSIDE_WINDOW = 131047  # more than 24 hours since the customer last wrote
RATE_LIMITED = frozenset({4, 80007, THROUGHPUT, PAIR_RATE})
# Transient on Meta's side, per its error-codes table: worth trying again later.
#   2       API Service: "temporary due to downtime or due to being overloaded"
#   131000  Something went wrong: "failed to send due to an unknown error; try again"
#   131016  Service unavailable: "a service is temporarily unavailable"
#   133004  Server temporarily unavailable
# Not here, although they once were: 1 (API Unknown: "invalid request or possible server
# error", answered 400; a server error shows as HTTP 5xx, retried on that alone) and 130472
# (the user's number is part of a marketing experiment: the same message fails again).
TRANSIENT = frozenset({2, 131000, 131016, 133004})
RETRYABLE = RATE_LIMITED | TRANSIENT

# What the `send_*` calls take for interactive messages, as plain values.
ButtonSpec = tuple[str, str]  # a reply button: (id, title)
RowSpec = tuple[str, str, str]  # a list row: (id, title, description, "" for none)
SectionSpec = tuple[str, Sequence[RowSpec]]  # a list section: (title, rows)


def retryable_code(code: int | None) -> bool:
    """Whether a failure with this Meta error code may succeed if sent again later."""
    return code in RETRYABLE


class WhatsAppError(Exception):
    """A Graph API call that did not succeed."""

    def __init__(self, code: int | None, title: str, *, http_status: int | None = None,
                 retryable: bool | None = None, details: str = ""):
        super().__init__(f"{code}: {title}" + (f" ({details})" if details else ""))
        self.code, self.title, self.http_status, self.details = code, title, http_status, details
        if retryable is None:
            retryable = retryable_code(code) or (http_status is not None and http_status >= 500)
        self.retryable = retryable

    @property
    def outside_window(self) -> bool:
        return self.code == OUTSIDE_WINDOW


class MediaRejected(Exception):
    """Media we will not keep: too big, or a type we do not take."""


# -- heyoo's HTTP, with a timeout and the response kept for us -----------------------------

_call: contextvars.ContextVar[_Call | None] = contextvars.ContextVar("whatsapp_call", default=None)


@dataclass
class _Call:
    session: requests.Session
    timeout: float
    response: requests.Response | None = None
    error: requests.RequestException | None = None


class _SessionHTTP:
    """What heyoo's methods see as `requests` (they call requests.post/get/delete): the session
    and timeout of the call in progress, keeping its response."""

    def __getattr__(self, name: str) -> Any:
        return getattr(requests, name)

    def _do(self, method: str, url: str, **kw: Any) -> requests.Response:
        call = _call.get()
        if call is None:
            raise RuntimeError("heyoo called outside WhatsAppClient._run")
        kw.setdefault("timeout", call.timeout)
        try:
            response = call.session.request(method, url, **kw)
        except requests.RequestException as exc:
            call.error = exc
            raise
        call.response = response
        return response

    def post(self, url: str, **kw: Any) -> requests.Response:
        return self._do("POST", url, **kw)

    def get(self, url: str, **kw: Any) -> requests.Response:
        return self._do("GET", url, **kw)

    def delete(self, url: str, **kw: Any) -> requests.Response:
        return self._do("DELETE", url, **kw)


_HTTP = _SessionHTTP()


def _over_session(cls: type) -> type:
    """A subclass of heyoo's client whose methods are heyoo's own code with `requests` bound to
    `_HTTP` instead of the module (heyoo takes no session and no timeout)."""
    namespace = {**vars(heyoo), "requests": _HTTP}
    methods = {
        name: types.FunctionType(fn.__code__, namespace, name, fn.__defaults__, fn.__closure__)
        for name, fn in vars(cls).items() if isinstance(fn, types.FunctionType)
    }
    return type(f"Session{cls.__name__}", (cls,), methods)


_SessionWhatsApp = _over_session(heyoo.WhatsApp)


_sessions: dict[tuple[int, int], requests.Session] = {}
_sessions_lock = threading.Lock()


def shared_session(pool_size: int) -> requests.Session:
    """This process's session to the Graph API, its connections kept alive between sends.

    One per process id (a forked child must not share its parent's sockets) and pool size: the
    pool holds `pool_size` connections per host, as many as the sends a process keeps in flight
    (its send threads); past it urllib3 opens a connection for the call and then drops it. No
    retries here: a failed send is the job's to retry, where the rate limit and the idempotence
    checks run again.
    """
    pid = os.getpid()
    key = (pid, pool_size)
    session = _sessions.get(key)
    if session is None:
        with _sessions_lock:
            session = _sessions.get(key)
            if session is None:
                session = requests.Session()
                # requests reads the proxy variables, the CA bundle variables and ~/.netrc on
                # every call, about a millisecond of CPU per send. With no proxy set (whose
                # NO_PROXY exceptions only a per-call look honours), read the bundle once.
                if not urllib.request.getproxies():
                    session.verify = (os.environ.get("REQUESTS_CA_BUNDLE")
                                      or os.environ.get("CURL_CA_BUNDLE") or True)
                    session.trust_env = False
                adapter = HTTPAdapter(pool_connections=4, pool_maxsize=max(1, pool_size), max_retries=0)
                session.mount("https://", adapter)
                session.mount("http://", adapter)
                for inherited in [k for k in _sessions if k[0] != pid]:
                    del _sessions[inherited]  # a parent's, through a fork
                _sessions[key] = session
    return session


def _error_from(response: requests.Response) -> WhatsAppError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return WhatsAppError(None, f"HTTP {response.status_code}", http_status=response.status_code)
    data = error.get("error_data") or {}
    details = data.get("details", "") if isinstance(data, dict) else ""
    code = error.get("code")
    return WhatsAppError(
        code if isinstance(code, int) else None,
        str(error.get("message") or error.get("type") or f"HTTP {response.status_code}"),
        http_status=response.status_code,
        details=str(details),
    )


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
        self._api = _SessionWhatsApp(token=self.token, phone_number_id=self.phone_number_id)
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
        call = _Call(self._session, self.timeout)
        token = _call.set(call)
        try:
            try:
                fn()
            except requests.Timeout as exc:
                raise WhatsAppError(None, f"timeout: {exc}", retryable=True) from exc
            except requests.RequestException as exc:
                raise WhatsAppError(None, f"connection: {exc}", retryable=True) from exc
            except ValueError:
                pass  # heyoo's r.json() on a non-JSON body: judged by the response below
        finally:
            _call.reset(token)
        response = call.response
        if response is None:
            raise WhatsAppError(None, "no response", retryable=True)
        if not 200 <= response.status_code < 300:
            raise _error_from(response)
        try:
            body = response.json()
        except ValueError:
            raise WhatsAppError(None, "non-JSON success body", http_status=response.status_code,
                                retryable=True) from None
        if isinstance(body, dict) and "error" in body:
            raise _error_from(response)
        return body

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
        return self._run(lambda: _HTTP.get(
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
                    raise _error_from(response)
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
        body = self._run(lambda: _HTTP.get(
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
