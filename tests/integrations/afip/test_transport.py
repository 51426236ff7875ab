"""Endpoints, AFIP's lowered TLS level on AFIP's hosts only, and transport failures."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import pytest

from integrations.afip.errors import AfipUnavailable
from integrations.afip.transport import (
    AFIP_CIPHERS,
    ENDPOINTS,
    AfipTLSAdapter,
    afip_transport,
    endpoints,
)
from integrations.afip.wsaa import Ticket
from integrations.afip.wsfe import WSFE


def test_endpoints_per_environment_and_override():
    assert endpoints("production", None) == ENDPOINTS["production"]
    assert endpoints("homologation", None)["wsfe"] == (
        "https://wswhomo.afip.gov.ar/wsfev1/service.asmx")
    assert endpoints("production", "http://127.0.0.1:5000/") == {
        "wsaa": "http://127.0.0.1:5000/wsaa", "wsfe": "http://127.0.0.1:5000/wsfe",
        "padron": "http://127.0.0.1:5000/padron"}
    with pytest.raises(ValueError):
        endpoints("staging", None)


@pytest.mark.parametrize("url", [
    *(url for env in ENDPOINTS.values() for url in env.values()),
    "https://wsaa.afip.gob.ar/ws/services/LoginCms",
    "https://servicios1.afip.gob.ar/wsfev1/service.asmx",
])
def test_afip_hosts_get_security_level_1(url):
    transport = afip_transport(3.0)
    adapter = transport.session.get_adapter(url)
    assert isinstance(adapter, AfipTLSAdapter)
    assert adapter.ssl_context.security_level == 1
    assert adapter.ssl_context.check_hostname  # still verified, only the level is lowered
    assert AFIP_CIPHERS == "DEFAULT@SECLEVEL=1"


@pytest.mark.parametrize("url", ["https://api.mercadopago.com/v1/payments",
                                 "https://graph.facebook.com/v23.0",
                                 "https://aws.afip.gov.ar.example.com/x",
                                 "http://127.0.0.1:8000/wsfe"])
def test_other_hosts_keep_default_tls(url):
    adapter = afip_transport(3.0).session.get_adapter(url)
    assert not isinstance(adapter, AfipTLSAdapter)
    assert getattr(adapter, "ssl_context", None) is None


def test_timeouts_always_set():
    transport = afip_transport(2.5)
    assert transport.operation_timeout == 2.5
    assert transport.load_timeout == 2.5


def test_connection_refused_is_unavailable():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    now = datetime.now(UTC)
    ticket = Ticket("t", "s", now + timedelta(hours=1), now)
    wsfe = WSFE(f"http://127.0.0.1:{port}/wsfe", cuit="20111111112",
                ticket_provider=lambda: ticket, timeout=0.5)
    with pytest.raises(AfipUnavailable) as caught:
        wsfe.last_authorized(1, 6)
    assert "cannot connect" in str(caught.value)
