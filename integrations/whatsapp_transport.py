"""heyoo's HTTP for the WhatsApp adapter (`integrations.whatsapp`): heyoo's own methods run with
`requests` bound to a session with our timeout, the raw response of the call in progress kept, and
one kept-alive session per process.

heyoo takes no session and no timeout, and answers errors in three different shapes (a dict, a
Response, or a JSONDecodeError); so `run` judges every call by its HTTP status and JSON body,
never by what heyoo chose to return. Apart from the client so that this bending of heyoo sits in
one place and the client reads as the Graph calls it makes.
"""

from __future__ import annotations

import contextvars
import os
import threading
import types
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import heyoo
import requests
from requests.adapters import HTTPAdapter

from integrations.whatsapp_errors import WhatsAppError, error_from

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
            raise RuntimeError("heyoo called outside whatsapp_transport.run")
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


HTTP = _SessionHTTP()


def _over_session(cls: type) -> type:
    """A subclass of heyoo's client whose methods are heyoo's own code with `requests` bound to
    `HTTP` instead of the module (heyoo takes no session and no timeout)."""
    namespace = {**vars(heyoo), "requests": HTTP}
    methods = {
        name: types.FunctionType(fn.__code__, namespace, name, fn.__defaults__, fn.__closure__)
        for name, fn in vars(cls).items() if isinstance(fn, types.FunctionType)
    }
    return type(f"Session{cls.__name__}", (cls,), methods)


SessionWhatsApp = _over_session(heyoo.WhatsApp)


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


def run(session: requests.Session, timeout: float, fn: Callable[[], Any]) -> dict:
    """Run one heyoo call on `session`; return Meta's JSON on a 2xx, else raise WhatsAppError."""
    call = _Call(session, timeout)
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
        raise error_from(response)
    try:
        body = response.json()
    except ValueError:
        raise WhatsAppError(None, "non-JSON success body", http_status=response.status_code,
                            retryable=True) from None
    if isinstance(body, dict) and "error" in body:
        raise error_from(response)
    return body
