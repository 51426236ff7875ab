"""The ticket a WSAA-signed AFIP service (Padrón, WSFEv1) asks for, logged in against the fake."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from integrations.afip.wsaa import WSAA, Ticket, TicketCache, authenticate
from tests.fakes.afip_server import TEST_CUIT


@pytest.fixture
def ticket_for(fake_afip, redisdb, afip_credentials) -> Callable[[str], Callable[[], Ticket]]:
    """`ticket_for(service)`: the adapter's `ticket_provider`, through the real WSAA client and
    ticket cache, for the test CUIT in homologation."""
    cert, key = afip_credentials
    cache = TicketCache(redisdb)
    wsaa = WSAA(f"{fake_afip.url}/wsaa", timeout=3)

    def provider(service: str) -> Callable[[], Ticket]:
        return lambda: authenticate(cache, wsaa, environment="homologation", cuit=TEST_CUIT,
                                    service=service, cert_pem=cert, key_pem=key)

    return provider
