"""WSAA: signing a login ticket request (TRA) and keeping the ticket (TA) AFIP gives back.

AFIP issues one ticket per certificate and service, valid 12 hours, and refuses to issue
another while it lives (`coe.alreadyAuthenticated`). So a ticket is precious: it is cached in
Redis for every worker and in a durable store (the lead's encrypted vault) for when Redis is
lost, and only one worker at a time may ask WSAA for a new one.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7
from lxml import etree
from redis.exceptions import LockError
from zeep.exceptions import Fault

from integrations.afip.errors import (
    AfipAuthError,
    AfipUnavailable,
    AlreadyAuthenticated,
)
from integrations.afip.transport import soap_client, wire_errors

log = logging.getLogger("campotech.integrations.afip.wsaa")

ART = timezone(timedelta(hours=-3), "ART")  # AFIP writes its times in Argentina's offset
# AFIP's published WSDL names its binding in the host's namespace; the messages travel in
# http://wsaa.view.sua.dvadac.desein.afip.gov either way.
WSAA_BINDING = "{https://wsaahomo.afip.gov.ar/ws/services/LoginCms}LoginCmsSoapBinding"
WSFE_SERVICE = "wsfe"
PADRON_SERVICE = "ws_sr_constancia_inscripcion"
TICKET_LIFETIME = timedelta(hours=12)
DEFAULT_MARGIN = timedelta(minutes=10)
# Under the margin a ticket is due for renewal, but still good for a call while AFIP refuses
# to issue the next one.
USABLE_MARGIN = timedelta(minutes=1)
LOST_TICKET_BACKOFF = timedelta(minutes=10)
CLOCK_SKEW = timedelta(seconds=60)  # generationTime in the past: our clock may run ahead of AFIP's


# ---- the request ---------------------------------------------------------------------------

def build_tra(service: str, now: datetime, ttl: timedelta = timedelta(minutes=10)) -> bytes:
    """The loginTicketRequest XML (version 1.0) asking for a ticket to `service`."""
    now = _aware(now)
    root = etree.Element("loginTicketRequest", version="1.0")
    header = etree.SubElement(root, "header")
    etree.SubElement(header, "uniqueId").text = str(int(now.timestamp()) & 0xFFFFFFFF)
    etree.SubElement(header, "generationTime").text = _iso(now - CLOCK_SKEW)
    etree.SubElement(header, "expirationTime").text = _iso(now + ttl)
    etree.SubElement(root, "service").text = service
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def sign_tra(tra: bytes, cert_pem: bytes, key_pem: bytes) -> str:
    """The TRA as a base64 CMS SignedData (content attached, SHA-256), as loginCms wants it."""
    cert = x509.load_pem_x509_certificate(cert_pem)
    key = serialization.load_pem_private_key(key_pem, password=None)
    signed = (pkcs7.PKCS7SignatureBuilder().set_data(tra)
              .add_signer(cert, key, hashes.SHA256())
              .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary]))
    return base64.b64encode(signed).decode("ascii")


# ---- the ticket ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Ticket:
    """A WSAA access ticket (TA): the token and sign every WSFE/Padrón call carries."""

    token: str
    sign: str
    expires_at: datetime
    generated_at: datetime

    def valid(self, now: datetime, margin: timedelta = DEFAULT_MARGIN) -> bool:
        return self.expires_at - margin > _aware(now)

    def to_json(self) -> str:
        return json.dumps({"token": self.token, "sign": self.sign,
                           "expires_at": self.expires_at.isoformat(),
                           "generated_at": self.generated_at.isoformat()})

    @classmethod
    def from_json(cls, text: str | bytes) -> Ticket:
        data = json.loads(text)
        return cls(token=data["token"], sign=data["sign"],
                   expires_at=_aware(datetime.fromisoformat(data["expires_at"])),
                   generated_at=_aware(datetime.fromisoformat(data["generated_at"])))

    def __repr__(self) -> str:  # never log the token or sign
        return f"Ticket(expires_at={self.expires_at.isoformat()})"


def parse_login_response(xml: str | bytes) -> Ticket:
    """The loginTicketResponse XML that loginCms returns, as a Ticket."""
    if isinstance(xml, str):
        xml = xml.encode("utf-8")
    try:
        root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError as exc:
        raise AfipAuthError("WSAA answered an unreadable ticket", "ta.unreadable") from exc
    texts = {name: root.findtext(path) for name, path in (
        ("token", "credentials/token"), ("sign", "credentials/sign"),
        ("generated", "header/generationTime"), ("expires", "header/expirationTime"))}
    if not all(texts.values()):
        raise AfipAuthError("WSAA answered a ticket without credentials", "ta.incomplete")
    return Ticket(token=texts["token"].strip(), sign=texts["sign"].strip(),
                  expires_at=_aware(datetime.fromisoformat(texts["expires"].strip())),
                  generated_at=_aware(datetime.fromisoformat(texts["generated"].strip())))


# ---- the cache -----------------------------------------------------------------------------

class TicketStore(Protocol):
    """Somewhere that outlives Redis (the encrypted vault). An empty value means none."""

    def load(self, key: str) -> str | None: ...

    def save(self, key: str, value: str) -> None: ...


def ticket_key(environment: str, cuit: str, service: str) -> str:
    return f"afip:ta:{environment}:{cuit}:{service}"


class TicketCache:
    """Tickets shared by every worker: Redis first, the durable store behind it."""

    def __init__(self, redis, *, durable: TicketStore | None = None,
                 margin: timedelta = DEFAULT_MARGIN, lock_timeout: float = 90.0,
                 lock_wait: float = 60.0):
        self.redis = redis
        self.durable = durable
        self.margin = margin
        self.lock_timeout = lock_timeout  # longer than a WSAA call, with its timeout
        self.lock_wait = lock_wait

    def get_ticket(self, key: str, fetch: Callable[[], Ticket],
                   now: datetime | None = None) -> Ticket:
        """A valid ticket: cached, or from `fetch` (WSAA) called by one worker at a time."""
        now = _aware(now) if now else _now()
        ticket = self._without_wsaa(key, now)
        if ticket is not None:
            return ticket
        lock = self.redis.lock(f"{key}:lock", timeout=self.lock_timeout,
                               blocking_timeout=self.lock_wait)
        if not lock.acquire():
            ticket = self._cached(key, now, USABLE_MARGIN)
            if ticket is not None:
                return ticket
            raise AfipUnavailable("another worker is still logging in to WSAA", "wsaa.lock")
        try:
            # Whoever held the lock before us may have just stored a fresh ticket.
            ticket = self._without_wsaa(key, now)
            if ticket is not None:
                return ticket
            try:
                ticket = fetch()
            except AlreadyAuthenticated as exc:
                return self._after_already_authenticated(key, now, exc)
            self.store(key, ticket, now)
            log.info("new AFIP ticket for %s, valid until %s", key, ticket.expires_at.isoformat())
            return ticket
        finally:
            try:
                lock.release()
            except LockError:
                log.warning("WSAA login lock for %s expired before release", key)

    def store(self, key: str, ticket: Ticket, now: datetime | None = None) -> None:
        now = _aware(now) if now else _now()
        value = ticket.to_json()
        ttl = max(int((ticket.expires_at - now).total_seconds()), 1)
        pipe = self.redis.pipeline()
        pipe.set(key, value, ex=ttl)
        pipe.set(f"{key}:generated", ticket.generated_at.isoformat(),
                 ex=int(TICKET_LIFETIME.total_seconds()) + 3600)
        pipe.delete(f"{key}:blocked")
        pipe.execute()
        if self.durable is not None:
            self.durable.save(key, value)

    def drop(self, key: str) -> None:
        """Forget a ticket WSFE refused (codes 600/601), so the next call logs in again."""
        self.redis.delete(key)
        if self.durable is not None:
            self.durable.save(key, "")

    def blocked_until(self, key: str) -> datetime | None:
        """Until when WSAA is known to refuse a new ticket for this key (we lost ours)."""
        value = self.redis.get(f"{key}:blocked")
        return _parse_time(value)

    # -- inside ------------------------------------------------------------------------------

    def _cached(self, key: str, now: datetime, margin: timedelta) -> Ticket | None:
        ticket = _load(self.redis.get(key))
        if ticket is not None and ticket.valid(now, margin):
            return ticket
        if self.durable is None:
            return None
        ticket = _load(self.durable.load(key))
        if ticket is not None and ticket.valid(now, margin):
            ttl = max(int((ticket.expires_at - now).total_seconds()), 1)
            self.redis.set(key, ticket.to_json(), ex=ttl)  # re-prime a flushed Redis
            return ticket
        return None

    def _without_wsaa(self, key: str, now: datetime) -> Ticket | None:
        """A ticket with no call to WSAA: the cached one with the full margin, or, while WSAA
        refuses a new one, the old one still usable (see `_respect_block`); None to log in."""
        ticket = self._cached(key, now, self.margin)
        if ticket is not None:
            return ticket
        return self._respect_block(key, now)

    def _respect_block(self, key: str, now: datetime) -> Ticket | None:
        """While WSAA is known to refuse a new ticket: the old one if still usable, else raise."""
        until = self.blocked_until(key)
        if until is None or until <= now:
            return None
        ticket = self._cached(key, now, USABLE_MARGIN)
        if ticket is not None:
            return ticket
        raise AlreadyAuthenticated(_lost_message(until), retry_after=until)

    def _last_generation(self, key: str) -> datetime | None:
        times = [_parse_time(self.redis.get(f"{key}:generated"))]
        stale = _load(self.redis.get(key))
        if stale is None and self.durable is not None:
            stale = _load(self.durable.load(key))
        if stale is not None:
            times.append(stale.generated_at)
        known = [t for t in times if t is not None]
        return max(known) if known else None

    def _after_already_authenticated(self, key: str, now: datetime,
                                     exc: AlreadyAuthenticated) -> Ticket:
        ticket = self._cached(key, now, USABLE_MARGIN)
        if ticket is not None:
            # Ours is close to expiring but AFIP will not renew it before: use it till then.
            self._block(key, ticket.expires_at, now)
            return ticket
        generated = self._last_generation(key)
        if generated is not None and generated + TICKET_LIFETIME > now:
            until = generated + TICKET_LIFETIME
        else:
            until = now + LOST_TICKET_BACKOFF
        self._block(key, until, now)
        log.error("AFIP holds a ticket for %s that we lost; blocked until %s", key,
                  until.isoformat())
        raise AlreadyAuthenticated(_lost_message(until), exc.code, retry_after=until) from exc

    def _block(self, key: str, until: datetime, now: datetime) -> None:
        ttl = max(int((until - now).total_seconds()), 1)
        self.redis.set(f"{key}:blocked", until.isoformat(), ex=ttl)


# ---- the service ---------------------------------------------------------------------------

class WSAA:
    """The LoginCms web service."""

    def __init__(self, url: str, timeout: float = 15.0):
        self.url = url
        self._service = soap_client("wsaa.wsdl", timeout).create_service(WSAA_BINDING, url)

    def login(self, cms: str) -> Ticket:
        with wire_errors("wsaa"):
            try:
                answer = self._service.loginCms(in0=cms)
            except Fault as exc:
                raise _fault_error(exc) from exc
        return parse_login_response(answer)


def authenticate(cache: TicketCache, wsaa: WSAA, *, environment: str, cuit: str, service: str,
                 cert_pem: bytes, key_pem: bytes, now: datetime | None = None) -> Ticket:
    """A valid ticket for `service`, from the cache or by signing a new TRA."""

    def fetch() -> Ticket:
        return wsaa.login(sign_tra(build_tra(service, _now()), cert_pem, key_pem))

    return cache.get_ticket(ticket_key(environment, cuit, service), fetch, now=now)


def _fault_error(exc: Fault) -> Exception:
    code = (exc.code or "").rpartition(":")[2]  # "ns1:coe.alreadyAuthenticated"
    message = exc.message or code or "WSAA fault"
    if "alreadyAuthenticated" in code:
        return AlreadyAuthenticated(message, code)
    if code in ("wsaa.unavailable", "wsaa.internalError"):
        return AfipUnavailable(message, code)
    return AfipAuthError(message, code or None)


# ---- small helpers -------------------------------------------------------------------------

def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("AFIP times must be timezone-aware")
    return moment


def _iso(moment: datetime) -> str:
    return moment.astimezone(ART).replace(microsecond=0).isoformat()


def _load(value: str | bytes | None) -> Ticket | None:
    if not value:
        return None
    try:
        return Ticket.from_json(value)
    except (ValueError, KeyError, TypeError):
        log.warning("unreadable cached AFIP ticket ignored")
        return None


def _parse_time(value: str | bytes | None) -> datetime | None:
    if not value:
        return None
    if isinstance(value, bytes):
        value = value.decode()
    try:
        return _aware(datetime.fromisoformat(value))
    except ValueError:
        return None


def _lost_message(until: datetime) -> str:
    return (f"AFIP still holds a valid ticket we lost; retry after "
            f"{until.astimezone(ART):%Y-%m-%d %H:%M} (Argentina time)")
