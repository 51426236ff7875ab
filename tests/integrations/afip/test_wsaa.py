"""WSAA: the signed TRA, logging in against the fake, and sharing one ticket between workers."""

from __future__ import annotations

import base64
import shutil
import subprocess
import threading
from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree

from integrations.afip.errors import AfipAuthError, AlreadyAuthenticated
from integrations.afip.wsaa import (
    WSAA,
    Ticket,
    TicketCache,
    authenticate,
    build_tra,
    sign_tra,
    ticket_key,
)
from tests.fakes.afip_server import TEST_CUIT, make_credentials

KEY = ticket_key("homologation", TEST_CUIT, "wsfe")


class DictStore:
    """A durable store as the vault would be: survives a Redis flush."""

    def __init__(self):
        self.values: dict[str, str] = {}

    def load(self, key: str) -> str | None:
        return self.values.get(key)

    def save(self, key: str, value: str) -> None:
        self.values[key] = value


def login(fake_afip, cache, credentials, *, now=None):
    cert, key = credentials
    wsaa = WSAA(f"{fake_afip.url}/wsaa", timeout=3)
    return authenticate(cache, wsaa, environment="homologation", cuit=TEST_CUIT, service="wsfe",
                        cert_pem=cert, key_pem=key, now=now)


def test_tra_content():
    now = datetime(2025, 3, 10, 15, 0, tzinfo=UTC)
    root = etree.fromstring(build_tra("wsfe", now))
    assert root.tag == "loginTicketRequest" and root.get("version") == "1.0"
    assert root.findtext("service") == "wsfe"
    assert int(root.findtext("header/uniqueId")) > 0
    assert root.findtext("header/generationTime") == "2025-03-10T11:59:00-03:00"
    assert root.findtext("header/expirationTime") == "2025-03-10T12:10:00-03:00"
    with pytest.raises(ValueError):
        build_tra("wsfe", datetime(2025, 3, 10, 15, 0))


def test_signed_tra_verifies_with_openssl(afip_credentials):
    cert, key = afip_credentials
    tra = build_tra("ws_sr_constancia_inscripcion", datetime.now(UTC))
    cms = base64.b64decode(sign_tra(tra, cert, key))
    done = subprocess.run([shutil.which("openssl"), "cms", "-verify", "-inform", "DER",
                           "-noverify"], input=cms, capture_output=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == tra


def test_ticket_json_roundtrip_and_validity():
    now = datetime.now(UTC)
    ticket = Ticket("tok", "sig", now + timedelta(hours=12), now)
    assert Ticket.from_json(ticket.to_json()) == ticket
    assert ticket.valid(now)
    assert not ticket.valid(now + timedelta(hours=11, minutes=55))  # inside the 10 min margin
    assert ticket.valid(now + timedelta(hours=11, minutes=55), margin=timedelta(0))
    assert "tok" not in repr(ticket)


def test_login_returns_a_ticket(fake_afip, redisdb, afip_credentials):
    ticket = login(fake_afip, TicketCache(redisdb), afip_credentials)
    issued = fake_afip.tickets[ticket.token]
    assert ticket.sign == issued.sign
    assert issued.service == "wsfe" and issued.cuit == TEST_CUIT
    assert abs(ticket.expires_at - issued.expires_at) < timedelta(seconds=1)
    assert timedelta(hours=11) < ticket.expires_at - datetime.now(UTC) <= timedelta(hours=12)


def test_two_caches_sharing_redis_log_in_once(fake_afip, redisdb, afip_credentials):
    first = login(fake_afip, TicketCache(redisdb), afip_credentials)
    second = login(fake_afip, TicketCache(redisdb), afip_credentials)
    assert first == second
    assert fake_afip.login_calls == 1
    assert 0 < redisdb.ttl(KEY) <= 12 * 3600


def test_racing_workers_log_in_once(fake_afip, redisdb, afip_credentials):
    fake_afip.delay(0.3)  # both are waiting while the first login is in flight
    tickets: list[Ticket] = []
    failures: list[BaseException] = []
    start = threading.Barrier(3)

    def worker():
        start.wait()
        try:
            tickets.append(login(fake_afip, TicketCache(redisdb), afip_credentials))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert not failures
    assert len(tickets) == 3 and len({t.token for t in tickets}) == 1
    assert fake_afip.login_calls == 1


def test_flushed_redis_is_primed_again_from_durable(fake_afip, redisdb, afip_credentials):
    store = DictStore()
    ticket = login(fake_afip, TicketCache(redisdb, durable=store), afip_credentials)
    redisdb.flushall()
    assert login(fake_afip, TicketCache(redisdb, durable=store), afip_credentials) == ticket
    assert fake_afip.login_calls == 1
    assert Ticket.from_json(redisdb.get(KEY)) == ticket


def test_already_authenticated_recovered_from_durable(fake_afip, redisdb, afip_credentials):
    store = DictStore()
    ticket = login(fake_afip, TicketCache(redisdb, durable=store), afip_credentials)
    redisdb.flushall()
    # Five minutes before expiry ours is due for renewal, but AFIP refuses a new one.
    late = ticket.expires_at - timedelta(minutes=5)
    again = login(fake_afip, TicketCache(redisdb, durable=store), afip_credentials, now=late)
    assert again == ticket
    assert fake_afip.login_calls == 2
    cache = TicketCache(redisdb, durable=store)
    assert cache.blocked_until(KEY) == ticket.expires_at
    # Until then nobody asks WSAA again.
    assert login(fake_afip, cache, afip_credentials, now=late) == ticket
    assert fake_afip.login_calls == 2


def test_already_authenticated_with_the_ticket_lost(fake_afip, redisdb, afip_credentials):
    login(fake_afip, TicketCache(redisdb), afip_credentials)
    redisdb.flushall()  # no durable store: the ticket is gone, AFIP still holds it
    cache = TicketCache(redisdb)
    before = datetime.now(UTC)
    with pytest.raises(AlreadyAuthenticated) as caught:
        login(fake_afip, cache, afip_credentials)
    assert "AFIP still holds a valid ticket we lost; retry after" in str(caught.value)
    blocked = cache.blocked_until(KEY)
    assert blocked == caught.value.retry_after
    assert before + timedelta(minutes=9) < blocked <= datetime.now(UTC) + timedelta(minutes=10)
    with pytest.raises(AlreadyAuthenticated):
        login(fake_afip, cache, afip_credentials)
    assert fake_afip.login_calls == 2  # the hint kept the second call away from WSAA


def test_dropped_ticket_blocks_until_twelve_hours_after_it_was_issued(
        fake_afip, redisdb, afip_credentials):
    cache = TicketCache(redisdb, durable=DictStore())
    ticket = login(fake_afip, cache, afip_credentials)
    cache.drop(KEY)  # WSFE refused it (600): we forget it, AFIP still counts it as valid
    with pytest.raises(AlreadyAuthenticated) as caught:
        login(fake_afip, cache, afip_credentials)
    assert caught.value.retry_after == ticket.generated_at + timedelta(hours=12)
    assert cache.blocked_until(KEY) == ticket.generated_at + timedelta(hours=12)
    fake_afip.forget_tickets()
    # A new ticket arriving some other way (another process) lifts the block.
    cache.store(KEY, Ticket("t2", "s2", ticket.expires_at, datetime.now(UTC)))
    assert cache.blocked_until(KEY) is None


def test_expired_ticket_gets_renewed(fake_afip, redisdb, afip_credentials):
    cache = TicketCache(redisdb)
    first = login(fake_afip, cache, afip_credentials)
    fake_afip.expire_tickets()
    later = first.expires_at - timedelta(minutes=5)
    second = login(fake_afip, cache, afip_credentials, now=later)
    assert second.token != first.token
    assert fake_afip.login_calls == 2


def test_bad_cms_is_an_auth_error(fake_afip):
    wsaa = WSAA(f"{fake_afip.url}/wsaa", timeout=3)
    with pytest.raises(AfipAuthError) as caught:
        wsaa.login(base64.b64encode(b"not a cms").decode())
    assert not isinstance(caught.value, AlreadyAuthenticated)
    assert caught.value.code == "cms.bad"


def test_other_certificate_gets_its_own_ticket(fake_afip, redisdb, afip_credentials):
    cert, key = make_credentials("30712345671", "otra-empresa")
    wsaa = WSAA(f"{fake_afip.url}/wsaa", timeout=3)
    login(fake_afip, TicketCache(redisdb), afip_credentials)
    other = authenticate(TicketCache(redisdb), wsaa, environment="homologation",
                         cuit="30712345671", service="wsfe", cert_pem=cert, key_pem=key)
    assert fake_afip.tickets[other.token].cuit == "30712345671"
    assert fake_afip.login_calls == 2
