"""The organization's AFIP, as the domain sees it: a `core.billing.afip.Authorizer` built from its
vault.

This is the glue between the domain (core/billing/afip.py, which knows AFIP's rules but not its
wire format and may not import integrations/) and the adapter (integrations/afip/): it loads
the certificate and key, shares WSAA tickets through Redis (and the vault, so a lost Redis
never locks the organization out for 12 hours), and translates the adapter's errors.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from redis import Redis

from core import customers
from core.billing import afip
from core.billing.afip import Authorization, AuthorizationRequest
from core.db import Database
from core.models import Customer, DocType, Organization
from core.settings import Settings
from core.vault import Vault
from integrations.afip import errors as afip_errors
from integrations.afip.padron import Padron, Persona
from integrations.afip.transport import endpoints
from integrations.afip.wsaa import WSAA, Ticket, TicketCache, authenticate, ticket_key
from integrations.afip.wsfe import WSFE, CAERequest, CAEResult, IvaLine, error_text_es

log = logging.getLogger("campotech.workers.afip")

SERVICES = {"wsfe": "wsfe", "padron": "ws_sr_constancia_inscripcion"}


class VaultTicketStore:
    """WSAA tickets kept sealed in the organization's vault (the durable cache layer)."""

    def __init__(self, db: Database, settings: Settings, org_id: int):
        self.db, self.vault, self.org_id = db, Vault(settings.encryption_keys), org_id

    @staticmethod
    def _name(key: str) -> str:
        return "afip_ta_padron" if key.endswith(SERVICES["padron"]) else "afip_ta_wsfe"

    def load(self, key: str) -> str | None:
        with self.db.org_session(self.org_id) as session:
            stored = self.vault.load(session, self._name(key))
        if stored is None or not stored.startswith(key + "\n"):
            return None  # another environment's or CUIT's ticket
        return stored.split("\n", 1)[1]

    def save(self, key: str, value: str) -> None:
        with self.db.org_session(self.org_id) as session:
            self.vault.store(session, self._name(key), f"{key}\n{value}", actor="afip")


@dataclass
class Credentials:
    cuit: str
    cert_pem: bytes
    key_pem: bytes


def credentials(db: Database, settings: Settings, org_id: int) -> Credentials | None:
    vault = Vault(settings.encryption_keys)
    with db.org_session(org_id) as session:
        org = session.get(Organization, org_id)
        cert = vault.load(session, "afip_certificate")
        key = vault.load(session, "afip_key")
        cuit = org.cuit if org else None
    if not (cuit and cert and key):
        return None
    return Credentials(cuit, cert.encode(), key.encode())


class _Tickets:
    """WSAA tickets for one organization and service: shared, and dropped when WSFE says the
    one we hold is no longer valid (errors 600/601), so the next call logs in again."""

    def __init__(self, db: Database, redis: Redis, settings: Settings, org_id: int,
                 creds: Credentials, service: str):
        urls = endpoints(settings.afip_environment, settings.afip_base_url)
        self.cache = TicketCache(redis, durable=VaultTicketStore(db, settings, org_id))
        self.wsaa = WSAA(urls["wsaa"], timeout=settings.afip_timeout_seconds)
        self.settings, self.creds, self.service = settings, creds, service
        self.key = ticket_key(settings.afip_environment, creds.cuit, service)

    def __call__(self) -> Ticket:
        try:
            return authenticate(self.cache, self.wsaa, environment=self.settings.afip_environment,
                                cuit=self.creds.cuit, service=self.service,
                                cert_pem=self.creds.cert_pem, key_pem=self.creds.key_pem)
        except afip_errors.AfipAuthError as exc:
            raise afip.CredentialsRejected(str(exc)) from exc
        except afip_errors.AfipUnavailable as exc:
            raise afip.AuthorizationUnavailable(str(exc)) from exc

    def drop(self) -> None:
        self.cache.drop(self.key)


def _as_authorization(result: CAEResult) -> Authorization:
    return Authorization(result=result.result, cae=result.cae, cae_due=result.cae_due,
                         number=result.number, observations=list(result.observations),
                         errors=list(result.errors), raw=result.raw)


class AfipAuthorizer:
    """`core.billing.afip.Authorizer` over WSFEv1, with the adapter's errors translated."""

    def __init__(self, wsfe: WSFE, tickets: _Tickets | None = None):
        self.wsfe, self.tickets = wsfe, tickets

    def _call(self, fn, *args):
        try:
            return fn(*args)
        except afip_errors.AfipTimeout as exc:
            raise afip.AuthorizationTimeout(str(exc)) from exc
        except afip_errors.AfipUnavailable as exc:
            raise afip.AuthorizationUnavailable(str(exc)) from exc
        except afip_errors.AfipRejected as exc:
            raise afip.AuthorizationRefused(
                exc.errors, [error_text_es(code, msg) for code, msg in exc.errors]) from exc
        except afip_errors.AfipAuthError as exc:
            if self.tickets is not None:
                self.tickets.drop()  # WSFE refused the ticket: log in again next time
            raise afip.CredentialsRejected(str(exc)) from exc

    def last_authorized(self, pto_vta: int, cbte_tipo: int) -> int:
        return self._call(self.wsfe.last_authorized, pto_vta, cbte_tipo)

    def request_cae_batch(self, requests: list[AuthorizationRequest]) -> list[Authorization]:
        batch = [CAERequest(
            pto_vta=r.pto_vta, cbte_tipo=r.cbte_tipo, number=r.number, concepto=r.concepto,
            doc_tipo=r.doc_tipo, doc_nro=r.doc_nro, cbte_fecha=r.cbte_fecha,
            imp_total=r.imp_total, imp_neto=r.imp_neto, imp_iva=r.imp_iva,
            imp_tot_conc=r.imp_tot_conc, imp_op_ex=r.imp_op_ex, imp_trib=r.imp_trib,
            serv_desde=r.serv_desde, serv_hasta=r.serv_hasta, vto_pago=r.vto_pago,
            condicion_iva_receptor_id=r.condicion_iva_receptor_id,
            iva=[IvaLine(id=share.afip_id, base=share.base, amount=share.amount)
                 for share in r.iva],
        ) for r in requests]
        return [_as_authorization(result)
                for result in self._call(self.wsfe.request_cae_batch, batch)]

    def query(self, pto_vta: int, cbte_tipo: int, number: int) -> Authorization | None:
        found = self._call(self.wsfe.query, pto_vta, cbte_tipo, number)
        return _as_authorization(found) if found is not None else None


def authorizer_for(db: Database, redis: Redis, settings: Settings, org_id: int) -> AfipAuthorizer:
    creds = credentials(db, settings, org_id)
    if creds is None:
        raise afip.CredentialsRejected("la organización no tiene CUIT, certificado y clave de AFIP")
    urls = endpoints(settings.afip_environment, settings.afip_base_url)
    tickets = _Tickets(db, redis, settings, org_id, creds, SERVICES["wsfe"])
    wsfe = WSFE(urls["wsfe"], cuit=creds.cuit, ticket_provider=tickets,
                timeout=settings.afip_timeout_seconds)
    return AfipAuthorizer(wsfe, tickets)


def lookup_cuit(db: Database, redis: Redis, settings: Settings, org_id: int, cuit: str
                ) -> Persona | None:
    """Padrón lookup (name, IVA condition, address) with the organization's own credentials."""
    creds = credentials(db, settings, org_id)
    if creds is None:
        raise afip.CredentialsRejected("la organización no tiene CUIT, certificado y clave de AFIP")
    urls = endpoints(settings.afip_environment, settings.afip_base_url)
    padron = Padron(urls["padron"], cuit_representada=creds.cuit,
                    ticket_provider=_Tickets(db, redis, settings, org_id, creds,
                                             SERVICES["padron"]),
                    timeout=settings.afip_timeout_seconds)
    return padron.get_persona(cuit)


def fill_from_padron(db: Database, redis: Redis, settings: Settings, org_id: int,
                     customer_id: int) -> dict:
    """Fill a customer's name and IVA condition from AFIP's padrón (their CUIT is on file)."""
    with db.org_session(org_id) as session:
        customer = session.get(Customer, customer_id)
        cuit = customer.doc_number if customer and customer.doc_type is DocType.CUIT else None
    if not cuit:
        return {"status": "no_cuit"}
    if credentials(db, settings, org_id) is None:
        return {"status": "no_afip"}
    try:
        persona = lookup_cuit(db, redis, settings, org_id, cuit)
    except afip.CredentialsRejected as exc:
        log.warning("padrón lookup for customer %s refused: %s", customer_id, exc)
        return {"status": "refused"}
    if persona is None:
        return {"status": "unknown"}
    with db.org_session(org_id) as session:
        changed = customers.apply_padron(session, customer_id, name=persona.name,
                                         iva_condition=persona.iva_condition,
                                         address=persona.address, actor="afip")
    return {"status": "filled", "changed": changed}


def explain(code: int, message: str) -> str:
    return error_text_es(code, message)
