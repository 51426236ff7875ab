"""How we reach AFIP over HTTP: its endpoints, and a zeep Transport that copes with its TLS.

AFIP's servers negotiate Diffie-Hellman keys that OpenSSL's default security level (2) refuses
with DH_KEY_TOO_SMALL, so AFIP's hosts (and only them) get an SSL context at SECLEVEL=1. The
certificate is still verified; every other host keeps the default TLS settings.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
from lxml.etree import XMLSyntaxError
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ProtocolError
from zeep import Client, Settings, Transport
from zeep.exceptions import TransportError, XMLParseError

from integrations.afip.errors import AfipTimeout, AfipUnavailable

WSDL_DIR = Path(__file__).resolve().parent / "wsdl"
AFIP_CIPHERS = "DEFAULT@SECLEVEL=1"

ENDPOINTS: dict[str, dict[str, str]] = {
    "homologation": {
        "wsaa": "https://wsaahomo.afip.gov.ar/ws/services/LoginCms",
        "wsfe": "https://wswhomo.afip.gov.ar/wsfev1/service.asmx",
        "padron": "https://awshomo.afip.gov.ar/sr-padron/webservices/personaServiceA5",
    },
    "production": {
        "wsaa": "https://wsaa.afip.gov.ar/ws/services/LoginCms",
        "wsfe": "https://servicios1.afip.gov.ar/wsfev1/service.asmx",
        "padron": "https://aws.afip.gov.ar/sr-padron/webservices/personaServiceA5",
    },
}

_AFIP_HOSTS = ("wsaa", "wsaahomo", "servicios1", "wswhomo", "aws", "awshomo")
# requests picks the adapter by the longest matching URL prefix; the trailing "/" keeps
# "https://aws.afip.gov.ar.evil.example" out.
AFIP_PREFIXES = tuple(f"https://{host}.afip.{tld}/" for host in _AFIP_HOSTS
                      for tld in ("gov.ar", "gob.ar"))


def endpoints(environment: str, override_base: str | None = None) -> dict[str, str]:
    """The WSAA, WSFE and Padrón URLs for an environment, or all three under `override_base`."""
    if override_base:
        base = override_base.rstrip("/")
        return {"wsaa": f"{base}/wsaa", "wsfe": f"{base}/wsfe", "padron": f"{base}/padron"}
    try:
        return dict(ENDPOINTS[environment])
    except KeyError:
        raise ValueError(f"unknown AFIP environment {environment!r}") from None


def afip_ssl_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.set_ciphers(AFIP_CIPHERS)
    return context


class AfipTLSAdapter(HTTPAdapter):
    """An HTTPAdapter whose connections use AFIP's lowered security level."""

    def __init__(self, **kwargs):
        self.ssl_context = afip_ssl_context()
        super().__init__(**kwargs)

    def init_poolmanager(self, connections, maxsize, block=False, **pool_kwargs):
        pool_kwargs["ssl_context"] = self.ssl_context
        super().init_poolmanager(connections, maxsize, block=block, **pool_kwargs)

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        proxy_kwargs["ssl_context"] = self.ssl_context
        return super().proxy_manager_for(proxy, **proxy_kwargs)


def afip_session() -> requests.Session:
    session = requests.Session()
    adapter = AfipTLSAdapter()
    for prefix in AFIP_PREFIXES:
        session.mount(prefix, adapter)
    return session


class AfipTransport(Transport):
    """zeep's Transport, refusing an answer that is not XML (an HTML 503 from a proxy): the
    lenient parser would otherwise read it as nothing at all."""

    def post_xml(self, address, envelope, headers):
        response = super().post_xml(address, envelope, headers)
        if response.status_code >= 300 and not _looks_like_xml(response.content):
            raise TransportError(f"HTTP {response.status_code}", response.status_code,
                                 response.content)
        return response


def _looks_like_xml(content: bytes | None) -> bool:
    return bool(content) and content.lstrip()[:1] == b"<" and b"Envelope" in content


def afip_transport(timeout: float) -> Transport:
    """A zeep Transport with both timeouts set (zeep's operation timeout defaults to none)."""
    return AfipTransport(session=afip_session(), timeout=timeout, operation_timeout=timeout)


# AFIP adds fields to its answers before it republishes the WSDL (and orders some of them its
# own way): an unknown or reordered element must not turn an authorized CAE into "AFIP
# unavailable". What we send still follows the WSDL.
LENIENT = Settings(strict=False, xsd_ignore_sequence_order=True)


def soap_client(wsdl: str, timeout: float) -> Client:
    """A zeep client for one of AFIP's WSDLs we ship (`wsaa.wsdl`, `wsfev1.wsdl`,
    `padron_a5.wsdl`), reading answers leniently."""
    return Client(str(WSDL_DIR / wsdl), transport=afip_transport(timeout), settings=LENIENT)


@contextmanager
def wire_errors(service: str) -> Iterator[None]:
    """Turn transport failures into AfipUnavailable, or AfipTimeout once the request went out.

    A connection dropped while waiting for the answer counts as a timeout too: AFIP may have
    received and processed the request. SOAP faults pass through for each service to judge.
    """
    try:
        yield
    except requests.ConnectTimeout as exc:
        raise AfipUnavailable(f"{service}: could not connect in time") from exc
    except requests.ReadTimeout as exc:
        raise AfipTimeout(f"{service}: no answer in time, outcome unknown") from exc
    except requests.ConnectionError as exc:
        if _dropped_after_sending(exc):
            raise AfipTimeout(f"{service}: connection dropped before the answer") from exc
        raise AfipUnavailable(f"{service}: cannot connect ({exc.__class__.__name__})") from exc
    except requests.RequestException as exc:
        raise AfipUnavailable(f"{service}: HTTP failure ({exc.__class__.__name__})") from exc
    except TransportError as exc:
        raise AfipUnavailable(f"{service}: HTTP {exc.status_code}", exc.status_code) from exc
    except (XMLParseError, XMLSyntaxError) as exc:
        raise AfipUnavailable(f"{service}: unreadable answer") from exc


def _dropped_after_sending(exc: requests.ConnectionError) -> bool:
    reason = exc.args[0] if exc.args else None
    return isinstance(reason, ProtocolError)
