"""Invoicing: from a completed job to an AFIP-authorized invoice (or an internal receipt).

An invoice is an idempotent state machine, safe to run again at any point:

```mermaid
flowchart LR
    done[job completed] --> pending[pending]
    done -- no AFIP certificate --> internal[internal receipt<br/>no válido como factura]
    pending -- number = last authorized + 1, committed --> sent[FECAESolicitar]
    sent -- A --> authorized[authorized: CAE]
    sent -- R / errors --> rejected[rejected: staff told]
    sent -- timeout / AFIP down --> retry[pending, retry with backoff]
    retry -- FECompConsultar finds it --> authorized
    retry -- not there --> sent
```

The number and `requested_at` are committed *before* `FECAESolicitar` goes out. A retry of an
invoice with `requested_at` set first asks AFIP (`FECompConsultar`) whether that number was
authorized, so a timeout after authorization is reconciled and never resent blindly. One
Redis lock per (organization, punto de venta, comprobante type) serializes numbering across
workers; a circuit breaker shared by all workers stops calling AFIP while it is down.

AFIP itself is reached through an `Authorizer` (see `workers/afip_gateway.py`, which adapts
`integrations/afip`): this module knows AFIP's rules, not its wire format.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol
from zoneinfo import ZoneInfo

from redis import Redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import audit, counters, deferred, jobs
from core.db import Database
from core.errors import NotFound, ValidationFailed
from core.models import (
    Customer,
    DocType,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    IvaCondition,
    Job,
    JobStatus,
    Organization,
    PriceBookItem,
    utcnow,
)
from core.settings import Settings
from core.vault import Vault

log = logging.getLogger("campotech.invoicing")

CENT = Decimal("0.01")
CBTE_TIPO = {"A": 1, "B": 6, "C": 11}
DOC_CUIT, DOC_DNI, DOC_NONE = 80, 96, 99
# AFIP's IVA rate ids (FEParamGetTiposIva).
IVA_ID = {Decimal(0): 3, Decimal("10.5"): 4, Decimal(21): 5, Decimal(27): 6,
          Decimal(5): 8, Decimal("2.5"): 9}
# RG 5616: the receiver's IVA condition (CondicionIVAReceptorId), mandatory on every invoice.
# AFIP's ids: 1 IVA Responsable Inscripto, 4 IVA Sujeto Exento, 5 Consumidor Final,
# 6 Responsable Monotributo, 7 Sujeto No Categorizado, 8 Proveedor del Exterior, 9 Cliente del
# Exterior, 10 IVA Liberado (Ley 19.640), 13 Monotributista Social, 15 IVA No Alcanzado,
# 16 Monotributo Trabajador Independiente Promovido.
RECEIVER_IVA_ID = {
    IvaCondition.RESPONSABLE_INSCRIPTO: 1,
    IvaCondition.EXENTO: 4,
    IvaCondition.CONSUMIDOR_FINAL: 5,
    IvaCondition.MONOTRIBUTO: 6,
    IvaCondition.NO_CATEGORIZADO: 7,
}
# The conditions each letter admits (WSFEv1 manual, "CondicionIvaReceptor";
# FEParamGetCondicionIvaReceptor): anything else is rejected with 10243. The one table the
# letter and the condition are chosen from.
RECEIVER_CONDITIONS: dict[str, frozenset[int]] = {
    "A": frozenset({1, 6, 13, 16}),
    "B": frozenset({4, 5, 7, 8, 9, 10, 15}),
    "C": frozenset({1, 4, 5, 6, 7, 8, 9, 10, 13, 15, 16}),
}
# A Factura B to an unidentified consumidor final must stay under this (RG 5700/2025); above
# it AFIP wants the buyer's DNI or CUIT.
CONSUMER_FINAL_ID_THRESHOLD = Decimal(10000000)
NUMBERING_ERROR = 10016
BATCH_LIMIT = 50  # comprobantes per FECAESolicitar (AFIP accepts up to 250)
DRAIN_ROUNDS = 20  # batches one worker sends for a series before leaving it to the others  # "el número no es el próximo a autorizar"
RECEIPT_COUNTER = "receipt:{pdv}"
AFIP_SECRETS = ("afip_certificate", "afip_key")


# ---- the port to AFIP ----------------------------------------------------------------------

@dataclass(frozen=True)
class IvaShare:
    rate: Decimal  # 21, 10.5...
    base: Decimal
    amount: Decimal

    @property
    def afip_id(self) -> int:
        return IVA_ID[self.rate.normalize() if self.rate != 0 else Decimal(0)]


@dataclass(frozen=True)
class AuthorizationRequest:
    """One comprobante as FECAESolicitar wants it (amounts in pesos, dates as dates)."""

    pto_vta: int
    cbte_tipo: int
    number: int
    concepto: int
    doc_tipo: int
    doc_nro: int
    cbte_fecha: date
    imp_total: Decimal
    imp_neto: Decimal
    imp_iva: Decimal
    imp_tot_conc: Decimal
    imp_op_ex: Decimal
    imp_trib: Decimal
    serv_desde: date | None
    serv_hasta: date | None
    vto_pago: date | None
    condicion_iva_receptor_id: int
    iva: tuple[IvaShare, ...] = ()


@dataclass(frozen=True)
class Authorization:
    """AFIP's answer for one comprobante: result A (approved) or R (rejected)."""

    result: str
    cae: str | None
    cae_due: date | None
    number: int
    observations: list[tuple[int, str]] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    raw: dict | None = None


class Authorizer(Protocol):
    def last_authorized(self, pto_vta: int, cbte_tipo: int) -> int: ...
    def request_cae_batch(self, requests: list[AuthorizationRequest]) -> list[Authorization]:
        """One FECAESolicitar for consecutive numbers of one series; an answer per request."""
    def query(self, pto_vta: int, cbte_tipo: int, number: int) -> Authorization | None: ...


class AuthorizationUnavailable(Exception):
    """AFIP could not be reached or answered with a server error: try again later."""


class AuthorizationTimeout(AuthorizationUnavailable):
    """The request went out and no answer came back: AFIP may have authorized it."""


class AuthorizationRefused(Exception):
    """AFIP answered with errors only (no comprobante result)."""

    def __init__(self, errors: list[tuple[int, str]], explained: list[str] | None = None):
        super().__init__("; ".join(f"{code}: {msg}" for code, msg in errors))
        self.errors = errors
        self.explained = explained or [f"AFIP dijo: {msg} (código {code})" for code, msg in errors]


class CredentialsRejected(Exception):
    """WSAA or WSFE refused the organization's certificate or ticket."""


# ---- creating the invoice ------------------------------------------------------------------

def afip_configured(session: Session, org: Organization, settings: Settings) -> bool:
    """Whether this organization can issue AFIP invoices: a CUIT plus certificate and key."""
    if not org.cuit:
        return False
    vault = Vault(settings.encryption_keys)
    return all(vault.load(session, name) for name in AFIP_SECRETS)


@dataclass(frozen=True)
class ReceiverTerms:
    """The letter and the receiver's CondicionIVAReceptorId, always a pair of the table."""

    letter: str
    condition_id: int

    @property
    def needs_cuit(self) -> bool:
        """AFIP takes an A only with the receiver's CUIT (DocTipo 80, error 10013)."""
        return self.letter == "A"


def receiver_terms(issuer: IvaCondition, receiver: IvaCondition) -> ReceiverTerms:
    """A, B or C and the receiver's condition, from `RECEIVER_CONDITIONS`: monotributistas and
    exentos issue C (every condition goes); a Responsable Inscripto issues A when the receiver's
    condition is one A admits (an RI, a monotributista: RG 5003) and B otherwise. An A is due
    whether or not we hold the CUIT: a B with condition 1 or 6 is what AFIP refuses (10243)."""
    condition = RECEIVER_IVA_ID.get(receiver, RECEIVER_IVA_ID[IvaCondition.CONSUMIDOR_FINAL])
    if issuer is not IvaCondition.RESPONSABLE_INSCRIPTO:
        letter = "C"
    else:
        letter = "A" if condition in RECEIVER_CONDITIONS["A"] else "B"
    if condition not in RECEIVER_CONDITIONS[letter]:
        raise ValueError(f"condition {condition} is not valid on a factura {letter}")
    return ReceiverTerms(letter, condition)


def choose_letter(issuer: IvaCondition, receiver: IvaCondition, *,
                  receiver_has_cuit: bool = True) -> str:
    """The letter `receiver_terms` chooses. `receiver_has_cuit` no longer turns a due A into a
    B (AFIP refuses that B): without the CUIT the A waits for it."""
    del receiver_has_cuit
    return receiver_terms(issuer, receiver).letter


def receiver_document(customer: Customer | None) -> tuple[int, int]:
    """(DocTipo, DocNro): the CUIT or DNI when the customer gave one, else 99/0."""
    if customer is not None and customer.doc_number and customer.doc_number.isdigit():
        if customer.doc_type is DocType.CUIT and len(customer.doc_number) == 11:
            return DOC_CUIT, int(customer.doc_number)
        if customer.doc_type is DocType.DNI:
            return DOC_DNI, int(customer.doc_number)
    return DOC_NONE, 0


def _local_today(org: Organization, now: datetime) -> date:
    try:
        return now.astimezone(ZoneInfo(org.time_zone)).date()
    except Exception:  # noqa: BLE001 - a bad zone name falls back to Buenos Aires
        return now.astimezone(ZoneInfo("America/Argentina/Buenos_Aires")).date()


def _split_gross(gross: Decimal, rate: Decimal) -> tuple[Decimal, Decimal]:
    """(net, iva) of an amount with IVA included; net + iva == gross to the cent."""
    net = (gross / (1 + rate / 100)).quantize(CENT, ROUND_HALF_UP)
    return net, gross - net


def iva_breakdown(letter: str | None, lines: Iterable[InvoiceLine]
                  ) -> tuple[dict[Decimal, tuple[Decimal, Decimal]], Decimal, Decimal, Decimal]:
    """({rate: (base, iva)}, net, iva, total) of the invoice's lines, one rule for both the
    stored totals and what AFIP receives, so they always agree:

    - A: lines are net; each rate's IVA is its base times the rate (total = net + IVA);
    - B: lines are final prices; each rate's gross splits once into base and IVA (the total is
      exactly what the customer was told);
    - C and receipts: no IVA at all.
    """
    by_rate: dict[Decimal, Decimal] = {}
    for line in lines:
        rate = Decimal(line.iva_rate).normalize() if letter in ("A", "B") else Decimal(0)
        rate = rate if rate != 0 else Decimal(0)
        by_rate[rate] = by_rate.get(rate, Decimal(0)) + Decimal(line.subtotal)
    if letter not in ("A", "B"):
        total = sum(by_rate.values(), Decimal(0)).quantize(CENT)
        return {}, total, Decimal("0.00"), total
    groups: dict[Decimal, tuple[Decimal, Decimal]] = {}
    for rate, amount in by_rate.items():
        if letter == "A":
            base = amount.quantize(CENT)
            groups[rate] = (base, (base * rate / 100).quantize(CENT, ROUND_HALF_UP))
        else:
            groups[rate] = _split_gross(amount.quantize(CENT), rate)
    net = sum((base for base, _ in groups.values()), Decimal(0))
    iva = sum((amount for _, amount in groups.values()), Decimal(0))
    return groups, net, iva, net + iva


@dataclass(frozen=True)
class DraftLine:
    description: str
    quantity: Decimal
    amount: Decimal  # what the customer pays for the line, IVA included
    item_id: int | None = None
    iva_rate: Decimal = Decimal(21)


def lines_from_summary(session: Session, summary: dict) -> list[DraftLine]:
    """The technician's confirmed work summary (flows/technician.py slots) as invoice lines."""
    lines: list[DraftLine] = []
    for raw in summary.get("lines") or []:
        item = session.get(PriceBookItem, raw["item_id"]) if raw.get("item_id") else None
        lines.append(DraftLine(
            description=str(raw.get("description") or "Servicio")[:200],
            quantity=Decimal(str(raw.get("quantity") or "1")),
            amount=Decimal(str(raw["amount"])).quantize(CENT),
            item_id=item.id if item else None,
            iva_rate=Decimal(item.iva_rate) if item is not None else Decimal(21),
        ))
    if not lines and summary.get("total"):
        lines.append(DraftLine("Servicio técnico", Decimal(1), Decimal(str(summary["total"]))))
    return lines


def create_for_job(
    session: Session, job: Job, lines: Iterable[DraftLine], *, settings: Settings,
    now: datetime | None = None, actor: str = "system",
) -> Invoice:
    """The job's invoice: pending AFIP authorization, or an internal receipt right away when the
    organization has no AFIP certificate. Idempotent: a job keeps the invoice it has."""
    now = now or utcnow()
    existing = session.scalar(
        select(Invoice).where(Invoice.job_id == job.id,
                              Invoice.status != InvoiceStatus.CANCELLED).limit(1)
    )
    if existing is not None:
        return existing
    lines = list(lines)
    if any(line.amount < 0 for line in lines):
        # Dropping a negative line would charge more than was confirmed: refuse instead.
        raise ValueError("invoice lines cannot be negative")
    lines = [line for line in lines if line.amount > 0]
    if not lines:
        raise ValueError("an invoice needs at least one line with an amount")
    org = session.get(Organization, job.org_id)
    customer = session.get(Customer, job.customer_id)
    today = _local_today(org, now)
    doc_tipo, doc_nro = receiver_document(customer)
    receiver_iva = customer.iva_condition if customer else IvaCondition.CONSUMIDOR_FINAL
    configured = afip_configured(session, org, settings)
    terms = receiver_terms(org.iva_condition, receiver_iva)
    started = job.scheduled_start or now
    invoice = Invoice(
        org_id=org.id, job_id=job.id, customer_id=job.customer_id,
        punto_de_venta=org.punto_de_venta, issue_date=today, concepto=2,
        service_from=min(_local_today(org, started), today), service_to=today,
        payment_due=today + timedelta(days=settings.payment_link_days),
        receiver_doc_tipo=doc_tipo, receiver_doc_nro=doc_nro,
        receiver_iva_id=terms.condition_id,
    )
    if configured:
        letter = terms.letter
        invoice.letter, invoice.cbte_tipo = letter, CBTE_TIPO[letter]
        invoice.status = InvoiceStatus.PENDING
    else:
        letter = None
        invoice.status = InvoiceStatus.INTERNAL
        invoice.number = counters.next_value(session, RECEIPT_COUNTER.format(pdv=org.punto_de_venta))
    discriminated = letter in ("A", "B")
    for line in lines:
        # A shows net prices (IVA apart); B, C and receipts show what the customer pays.
        shown = _split_gross(line.amount, line.iva_rate)[0] if letter == "A" else line.amount
        invoice.lines.append(InvoiceLine(
            org_id=org.id, price_book_item_id=line.item_id, description=line.description,
            quantity=line.quantity,
            unit_price=(shown / line.quantity).quantize(CENT, ROUND_HALF_UP) if line.quantity else shown,
            iva_rate=line.iva_rate if discriminated else Decimal(0), subtotal=shown,
        ))
    _, net_total, iva_total, gross_total = iva_breakdown(letter, invoice.lines)
    invoice.net, invoice.iva, invoice.total = net_total, iva_total, gross_total
    if (letter == "B" and doc_tipo == DOC_NONE and gross_total >= CONSUMER_FINAL_ID_THRESHOLD):
        invoice.status = InvoiceStatus.DRAFT
        invoice.last_error = ("Falta el DNI o CUIT del cliente: AFIP lo pide para facturas a "
                              "consumidor final desde $ 10.000.000.")
    if letter == "A" and doc_tipo != DOC_CUIT:
        invoice.status = InvoiceStatus.DRAFT
        invoice.last_error = WAITS_FOR_CUIT
    session.add(invoice)
    session.flush()
    audit.record(session, actor=actor, action="invoice.create", entity_type="invoice",
                 entity_id=str(invoice.id),
                 data={"job_id": job.id, "status": invoice.status.value, "letter": letter,
                       "total": str(gross_total)})
    return invoice


WAITS_FOR_CUIT = ("Falta el CUIT del cliente: es responsable inscripto o monotributista y le "
                  "corresponde Factura A, que AFIP solo acepta con CUIT. Pedíselo (o corregí su "
                  "condición de IVA en la ficha) y la factura sale sola.")


def waiting_for_cuit(invoice: Invoice) -> bool:
    """A Factura A held until the customer's CUIT is on file."""
    return (invoice.status is InvoiceStatus.DRAFT and invoice.letter == "A"
            and invoice.receiver_doc_tipo != DOC_CUIT)


def resume_waiting_for_cuit(session: Session, customer_id: int, cuit: str,
                            actor: str = "system") -> list[int]:
    """The customer gave their CUIT: the Facturas A held for it become pending (the caller
    requests their issue after committing). Returns their ids."""
    if not (cuit.isdigit() and len(cuit) == 11):
        return []
    resumed = []
    for invoice in session.scalars(
            select(Invoice).where(Invoice.customer_id == customer_id,
                                  Invoice.status == InvoiceStatus.DRAFT,
                                  Invoice.letter == "A").with_for_update()):
        if not waiting_for_cuit(invoice):
            continue
        invoice.receiver_doc_tipo, invoice.receiver_doc_nro = DOC_CUIT, int(cuit)
        invoice.status, invoice.last_error = InvoiceStatus.PENDING, None
        invoice.updated_at = utcnow()
        audit.record(session, actor=actor, action="invoice.cuit_given", entity_type="invoice",
                     entity_id=str(invoice.id), data={"status": invoice.status.value})
        resumed.append(invoice.id)
    return resumed


def authorization_request(invoice: Invoice) -> AuthorizationRequest:
    """What FECAESolicitar gets for this invoice (its number must be set)."""
    condition = invoice.receiver_iva_id or RECEIVER_IVA_ID[IvaCondition.CONSUMIDOR_FINAL]
    groups, _, _, _ = iva_breakdown(invoice.letter, invoice.lines)
    iva = tuple(IvaShare(rate, base, amount) for rate, (base, amount) in sorted(groups.items()))
    return AuthorizationRequest(
        pto_vta=invoice.punto_de_venta, cbte_tipo=invoice.cbte_tipo, number=invoice.number,
        concepto=invoice.concepto, doc_tipo=invoice.receiver_doc_tipo or DOC_NONE,
        doc_nro=invoice.receiver_doc_nro or 0, cbte_fecha=invoice.issue_date,
        imp_total=Decimal(invoice.total), imp_neto=Decimal(invoice.net),
        imp_iva=Decimal(invoice.iva), imp_tot_conc=Decimal(0), imp_op_ex=Decimal(0),
        imp_trib=Decimal(0), serv_desde=invoice.service_from, serv_hasta=invoice.service_to,
        vto_pago=invoice.payment_due, condicion_iva_receptor_id=condition,
        iva=iva,
    )


def qr_payload(invoice: Invoice, org: Organization) -> dict:
    """AFIP's QR data (https://www.afip.gob.ar/fe/qr/especificaciones.asp) for an authorized
    invoice; stored as JSON in `invoice.qr_data`."""
    payload = {
        "ver": 1, "fecha": invoice.issue_date.isoformat(), "cuit": int(org.cuit),
        "ptoVta": invoice.punto_de_venta, "tipoCmp": invoice.cbte_tipo, "nroCmp": invoice.number,
        "importe": float(invoice.total), "moneda": invoice.currency, "ctz": 1,
    }
    if invoice.receiver_doc_tipo and invoice.receiver_doc_tipo != DOC_NONE:
        payload["tipoDocRec"] = invoice.receiver_doc_tipo
        payload["nroDocRec"] = invoice.receiver_doc_nro
    payload["tipoCodAut"] = "E"
    payload["codAut"] = int(invoice.cae)
    return payload


def label(invoice: Invoice) -> str:
    """"factura B 0001-00000012", "recibo 0001-00000003", or "factura B (pendiente)"."""
    kind = f"factura {invoice.letter}" if invoice.letter else "recibo"
    if invoice.number is None or invoice.status in (InvoiceStatus.PENDING, InvoiceStatus.DRAFT,
                                                     InvoiceStatus.REJECTED):
        return kind
    return f"{kind} {invoice.punto_de_venta:04d}-{invoice.number:08d}"


def request_issue(session: Session, invoice_id: int) -> None:
    """Ask for the invoice to be authorized right after this transaction commits (the
    database's after-commit hook enqueues it); the retry sweeper covers a crash in between."""
    deferred.defer(session, "issue_invoice", invoice_id)


# ---- authorizing it ------------------------------------------------------------------------

@dataclass(frozen=True)
class IssueOutcome:
    """What one `issue` run did: authorized, internal, rejected, pending (will retry), unchanged
    (already final), waiting (not due yet, or AFIP's breaker is open)."""

    kind: str
    invoice_id: int
    reason: str | None = None
    first_failure: bool = False  # the first failed attempt: the owner is told once
    messages: list[str] = field(default_factory=list)  # staff-facing, in Spanish
    others: list[IssueOutcome] = field(default_factory=list)  # the rest of its AFIP batch


class Breaker:
    """A circuit breaker around AFIP shared by every worker (per AFIP environment)."""

    def __init__(self, redis: Redis, settings: Settings):
        self.redis = redis
        self.threshold = settings.afip_breaker_failures
        self.cooldown = settings.afip_breaker_cooldown_seconds
        prefix = f"campotech:afip:breaker:{settings.afip_environment}"
        self.fails_key, self.open_key = f"{prefix}:fails", f"{prefix}:open_until"

    def open_until(self, now: datetime) -> datetime | None:
        value = self.redis.get(self.open_key)
        if value is None:
            return None
        until = datetime.fromtimestamp(float(value), tz=now.tzinfo)
        return until if until > now else None

    def failure(self, now: datetime) -> None:
        fails = self.redis.incr(self.fails_key)
        self.redis.expire(self.fails_key, int(self.cooldown * 10))
        if fails >= self.threshold:
            until = now.timestamp() + self.cooldown
            self.redis.set(self.open_key, str(until), ex=int(self.cooldown) + 1)
            self.redis.delete(self.fails_key)
            log.warning("AFIP circuit breaker open for %.0f s", self.cooldown)

    def success(self) -> None:
        self.redis.delete(self.fails_key, self.open_key)


def backoff(settings: Settings, attempts: int) -> timedelta:
    seconds = settings.invoice_retry_first_seconds * 2 ** max(0, attempts - 1)
    return timedelta(seconds=min(seconds, settings.invoice_retry_max_seconds))


def issue(
    db: Database, redis: Redis, settings: Settings, org_id: int, invoice_id: int,
    authorizer: Authorizer | Callable[[], Authorizer], *, now: datetime | None = None,
    force: bool = False, explain: Callable[[int, str], str] | None = None,
) -> IssueOutcome:
    """Authorize one pending invoice with AFIP, exactly once, whatever happened before.

    `authorizer` may be a factory, called only when AFIP is really needed. `force` ignores the
    backoff (staff pressed "reintentar"). `explain` turns AFIP codes into Spanish for staff.
    """
    now = now or utcnow()
    with db.org_session(org_id) as session:
        invoice = session.get(Invoice, invoice_id)
        if invoice is None:
            return IssueOutcome("unchanged", invoice_id, "not_found")
        if invoice.status is not InvoiceStatus.PENDING:
            return IssueOutcome("unchanged", invoice_id, invoice.status.value)
        if not force and invoice.next_attempt_at is not None and invoice.next_attempt_at > now:
            return IssueOutcome("waiting", invoice_id, "backoff")
        pdv, tipo = invoice.punto_de_venta, invoice.cbte_tipo
    breaker = Breaker(redis, settings)
    until = breaker.open_until(now)
    if until is not None:
        _postpone(db, org_id, invoice_id, until, "AFIP no responde (esperando para reintentar).")
        return IssueOutcome("waiting", invoice_id, "breaker_open")
    explain = explain or _plain_explain
    clients: list[Authorizer] = []

    def attempt(one: int) -> IssueOutcome:
        try:
            if not clients:
                clients.append(authorizer() if callable(authorizer)
                               and not hasattr(authorizer, "request_cae_batch") else authorizer)
            return _issue_locked(db, settings, breaker, org_id, one, clients[0], now, explain)
        except CredentialsRejected as exc:
            return _pending(db, settings, org_id, one, now, "credentials",
                            f"AFIP rechazó el certificado o el acceso: {exc}")
        except AuthorizationTimeout:
            breaker.failure(now)
            return _pending(db, settings, org_id, one, now, "timeout",
                            "AFIP no contestó a tiempo; lo consulto antes de reintentar.")
        except AuthorizationUnavailable as exc:
            breaker.failure(now)
            return _pending(db, settings, org_id, one, now, "unavailable",
                            f"AFIP no está disponible ({exc}).")

    # One worker at a time numbers a series. Whoever finds it busy raises `again` and leaves:
    # the holder looks at `again` after releasing and goes around, so no invoice is stranded
    # and no worker sits blocked on the lock while AFIP answers someone else.
    series = f"campotech:afip:seq:{org_id}:{pdv}:{tipo}"
    again = f"{series}:again"
    outcome: IssueOutcome | None = None
    others: list[IssueOutcome] = []
    for _ in range(DRAIN_ROUNDS):
        redis.set(again, 1, ex=600)
        lock = redis.lock(series, timeout=settings.afip_timeout_seconds * 6 + 30)
        if not lock.acquire(blocking=False):
            break
        try:
            redis.delete(again)
            if outcome is None:
                outcome = attempt(invoice_id)
            for _ in range(DRAIN_ROUNDS):  # the series' other due invoices nobody sent yet
                if outcome.kind in ("pending", "waiting") or breaker.open_until(now):
                    break  # AFIP is in trouble: the retries will come back for them
                following = _next_unsent(db, org_id, pdv, tipo, now)
                if following is None:
                    break
                drained = attempt(following)
                others += [drained, *drained.others]
                if drained.kind in ("pending", "waiting"):
                    break
        finally:
            try:
                lock.release()
            except Exception:  # noqa: BLE001 - expired: the committed requested_at protects us
                log.warning("AFIP numbering lock for invoice %s expired before release", invoice_id)
        if not redis.exists(again):
            break
    if outcome is None:
        return IssueOutcome("waiting", invoice_id, "busy")
    return replace(outcome, others=[*outcome.others, *others])


def _next_unsent(db: Database, org_id: int, pdv: int, tipo: int, now: datetime) -> int | None:
    with db.org_session(org_id) as session:
        return session.scalar(
            select(Invoice.id).where(
                Invoice.status == InvoiceStatus.PENDING, Invoice.punto_de_venta == pdv,
                Invoice.cbte_tipo == tipo, Invoice.requested_at.is_(None),
                (Invoice.next_attempt_at.is_(None)) | (Invoice.next_attempt_at <= now),
            ).order_by(Invoice.id).limit(1)
        )


def _plain_explain(code: int, message: str) -> str:
    return f"AFIP dijo: {message} (código {code})"


def _issue_locked(
    db: Database, settings: Settings, breaker: Breaker, org_id: int, invoice_id: int,
    afip: Authorizer, now: datetime, explain: Callable[[int, str], str],
) -> IssueOutcome:
    with db.org_session(org_id) as session:
        invoice = session.get(Invoice, invoice_id)
        if invoice is None or invoice.status is not InvoiceStatus.PENDING:
            return IssueOutcome("unchanged", invoice_id, "raced")
        pdv, tipo, number = invoice.punto_de_venta, invoice.cbte_tipo, invoice.number
        sent_before = invoice.requested_at is not None and number is not None

    if sent_before:
        # A previous attempt sent FECAESolicitar and never heard back: ask before resending.
        found = afip.query(pdv, tipo, number)
        if found is not None and found.result == "A" and found.cae:
            breaker.success()
            return _authorized(db, org_id, invoice_id, found, explain, reconciled=True)
    ask_afip = sent_before  # after an unknown outcome, AFIP's word on the last number
    solo = False
    for _ in range(3):  # again only when AFIP says the numbering is off, or the batch failed
        last = None if ask_afip else _last_known(db, org_id, pdv, tipo)
        if last is None:
            last = afip.last_authorized(pdv, tipo)
        ask_afip = True
        batch, requests = _number_batch(db, org_id, invoice_id, pdv, tipo, last, now, solo=solo)
        # Committed: from here on a crash or timeout is reconciled by FECompConsultar.
        try:
            answers = afip.request_cae_batch(requests)
        except AuthorizationRefused as exc:
            breaker.success()
            _release(db, org_id, batch)  # nothing of it was authorized
            if any(code == NUMBERING_ERROR for code, _ in exc.errors):
                continue
            if len(batch) > 1:
                solo = True  # one bad comprobante must not sink the others: alone, then
                continue
            return _rejected(db, org_id, invoice_id, exc.errors, explain)
        except AuthorizationUnavailable as exc:
            breaker.failure(now)
            timed_out = isinstance(exc, AuthorizationTimeout)
            reason, message = (("timeout", "AFIP no contestó a tiempo; lo consulto antes de reintentar.")
                               if timed_out else ("unavailable", f"AFIP no está disponible ({exc})."))
            outcomes = [_pending(db, settings, org_id, one, now, reason, message) for one in batch]
            return replace(outcomes[0], others=outcomes[1:])
        breaker.success()
        by_number = {answer.number: answer for answer in answers}
        outcomes: dict[int, IssueOutcome] = {}
        renumber = False
        for one, request in zip(batch, requests, strict=True):
            answer = by_number.get(request.number)
            if answer is not None and answer.result == "A" and answer.cae:
                outcomes[one] = _authorized(db, org_id, one, answer, explain, reconciled=False)
            elif answer is None or _numbering(answer):
                # Not processed, or its number stopped being the next one after a rejection
                # earlier in the batch: back to pending, numbered again on its next turn.
                _release(db, org_id, [one])
                renumber |= one == invoice_id
            else:
                outcomes[one] = _rejected(db, org_id, one, answer.errors or answer.observations,
                                          explain, observations=answer.observations)
        others = [outcome for one, outcome in outcomes.items() if one != invoice_id]
        if renumber:
            if others:  # the others are settled; ours goes around again
                log.info("invoice %s renumbered after a rejection earlier in its batch", invoice_id)
            continue
        return replace(outcomes[invoice_id], others=others)
    return _pending(db, settings, org_id, invoice_id, now, "numbering",
                    "AFIP no aceptó la numeración dos veces seguidas; reintento más tarde.")


def _numbering(answer: Authorization) -> bool:
    return any(code == NUMBERING_ERROR for code, _ in [*answer.errors, *answer.observations])


def _number_batch(db: Database, org_id: int, invoice_id: int, pdv: int, tipo: int, last: int,
                  now: datetime, *, solo: bool) -> tuple[list[int], list[AuthorizationRequest]]:
    """Number this invoice, and the series' other pending ones that are due, consecutively from
    `last`, and commit that they are being requested: one FECAESolicitar carries them all, so
    ten technicians finishing at once wait for one AFIP round trip, not ten."""
    with db.org_session(org_id) as session:
        ids = [invoice_id]
        if not solo:
            ids += list(session.scalars(
                select(Invoice.id).where(
                    Invoice.status == InvoiceStatus.PENDING, Invoice.id != invoice_id,
                    Invoice.punto_de_venta == pdv, Invoice.cbte_tipo == tipo,
                    Invoice.requested_at.is_(None),
                    (Invoice.next_attempt_at.is_(None)) | (Invoice.next_attempt_at <= now),
                ).order_by(Invoice.id).limit(BATCH_LIMIT - 1).with_for_update(skip_locked=True)
            ))
        today = _local_today(session.get(Organization, org_id), now)
        requests = []
        for n, one in enumerate(ids):
            invoice = session.get(Invoice, one)
            invoice.number = last + 1 + n
            invoice.requested_at = now
            invoice.attempts = (invoice.attempts or 0) + 1
            # A retry days later is dated the day it is authorized; payment is due after it.
            invoice.issue_date = max(invoice.issue_date or today, today)
            if invoice.payment_due is not None and invoice.payment_due < invoice.issue_date:
                invoice.payment_due = invoice.issue_date
            requests.append(authorization_request(invoice))
    return ids, requests


def _release(db: Database, org_id: int, ids: list[int]) -> None:
    """AFIP did not take these: no number, nothing to reconcile, due again now."""
    with db.org_session(org_id) as session:
        for one in ids:
            invoice = session.get(Invoice, one)
            if invoice is not None and invoice.status is InvoiceStatus.PENDING:
                invoice.number, invoice.requested_at, invoice.next_attempt_at = None, None, None


def _last_known(db: Database, org_id: int, pdv: int, tipo: int) -> int | None:
    """The highest number we hold as authorized for this series, or None when we hold none.
    Saves FECompUltimoAutorizado's round trip; if someone else numbered in between (AFIP's web
    form on the same punto de venta), AFIP answers 10016 and we ask it on the second pass."""
    with db.org_session(org_id) as session:
        return session.scalar(
            select(func.max(Invoice.number)).where(
                Invoice.punto_de_venta == pdv, Invoice.cbte_tipo == tipo,
                Invoice.status == InvoiceStatus.AUTHORIZED)
        )


def _authorized(db: Database, org_id: int, invoice_id: int, answer: Authorization,
                explain: Callable[[int, str], str], *, reconciled: bool) -> IssueOutcome:
    with db.org_session(org_id) as session:
        invoice = session.get(Invoice, invoice_id)
        org = session.get(Organization, org_id)
        invoice.status = InvoiceStatus.AUTHORIZED
        invoice.number = answer.number or invoice.number
        invoice.cae, invoice.cae_due_date = answer.cae, answer.cae_due
        invoice.qr_data = json.dumps(qr_payload(invoice, org), separators=(",", ":"))
        notes = [explain(code, msg) for code, msg in answer.observations]
        invoice.afip_messages = {"observations": [list(o) for o in answer.observations],
                                 "explained": notes, "reconciled": reconciled}
        invoice.last_error = None
        invoice.next_attempt_at = None
        invoice.updated_at = utcnow()
        audit.record(session, actor="afip", action="invoice.authorize", entity_type="invoice",
                     entity_id=str(invoice_id),
                     data={"cae": answer.cae, "number": invoice.number, "reconciled": reconciled})
    log.info("invoice %s authorized (CAE %s%s)", invoice_id, answer.cae,
             ", reconciled after a timeout" if reconciled else "")
    return IssueOutcome("authorized", invoice_id, "reconciled" if reconciled else None,
                        messages=notes)


def _rejected(db: Database, org_id: int, invoice_id: int, errors: list[tuple[int, str]],
              explain: Callable[[int, str], str], *, observations=()) -> IssueOutcome:
    explained = [explain(code, msg) for code, msg in errors]
    with db.org_session(org_id) as session:
        invoice = session.get(Invoice, invoice_id)
        invoice.status = InvoiceStatus.REJECTED
        # A rejected comprobante does not use up its number.
        invoice.number, invoice.requested_at, invoice.next_attempt_at = None, None, None
        invoice.afip_messages = {"errors": [list(e) for e in errors],
                                 "observations": [list(o) for o in observations],
                                 "explained": explained}
        invoice.last_error = " ".join(explained) or "AFIP rechazó la factura."
        invoice.updated_at = utcnow()
        audit.record(session, actor="afip", action="invoice.reject", entity_type="invoice",
                     entity_id=str(invoice_id), data={"errors": [list(e) for e in errors]})
    log.warning("invoice %s rejected by AFIP: %s", invoice_id, errors)
    return IssueOutcome("rejected", invoice_id, messages=explained)


def _pending(db: Database, settings: Settings, org_id: int, invoice_id: int, now: datetime,
             reason: str, message: str) -> IssueOutcome:
    with db.org_session(org_id) as session:
        invoice = session.get(Invoice, invoice_id)
        if invoice is None or invoice.status is not InvoiceStatus.PENDING:
            return IssueOutcome("unchanged", invoice_id, reason)
        attempts = max(invoice.attempts or 0, 1)
        invoice.attempts = attempts
        invoice.next_attempt_at = now + backoff(settings, attempts)
        first = invoice.last_error is None
        invoice.last_error = message
        invoice.updated_at = utcnow()
    log.warning("invoice %s stays pending (%s): %s", invoice_id, reason, message)
    return IssueOutcome("pending", invoice_id, reason, first_failure=first, messages=[message])


def _postpone(db: Database, org_id: int, invoice_id: int, until: datetime, message: str) -> None:
    with db.org_session(org_id) as session:
        invoice = session.get(Invoice, invoice_id)
        if invoice is not None and invoice.status is InvoiceStatus.PENDING:
            invoice.next_attempt_at = until
            invoice.last_error = invoice.last_error or message


def due_for_retry(session: Session, now: datetime, limit: int = 100) -> list[int]:
    """Pending invoices whose next attempt is due (or never scheduled: a lost hand-off)."""
    return list(session.scalars(
        select(Invoice.id).where(
            Invoice.status == InvoiceStatus.PENDING,
            (Invoice.next_attempt_at.is_(None)) | (Invoice.next_attempt_at <= now),
        ).order_by(Invoice.id).limit(limit)
    ))


def undelivered(session: Session, now: datetime, grace: timedelta = timedelta(minutes=2),
                limit: int = 100) -> list[int]:
    """Issued invoices that never reached the customer, past a grace period for the worker
    that is delivering them right now."""
    return list(session.scalars(
        select(Invoice.id).where(
            Invoice.status.in_((InvoiceStatus.AUTHORIZED, InvoiceStatus.INTERNAL)),
            Invoice.delivered_at.is_(None),
            Invoice.created_at <= now - grace,
        ).order_by(Invoice.id).limit(limit)
    ))


RETRYABLE = (InvoiceStatus.PENDING, InvoiceStatus.REJECTED)


def reopen_for_retry(session: Session, invoice_id: int, actor: str) -> Invoice:
    """Staff pressed "reintentar" (after fixing the customer's data): a rejected invoice goes
    back to pending, unnumbered. A pending one is left as it is: if it was already sent, the
    worker must reconcile its number with AFIP rather than resend it."""
    invoice = session.get(Invoice, invoice_id, with_for_update=True)
    if invoice is None:
        raise NotFound(f"No existe la factura {invoice_id}.")
    if invoice.status not in RETRYABLE:
        raise ValidationFailed(
            "Solo se pueden reintentar facturas que esperan a AFIP o que AFIP rechazó.",
            {"retry": "not retryable"})
    before = invoice.status
    if before is InvoiceStatus.REJECTED:
        invoice.status = InvoiceStatus.PENDING
        invoice.number = invoice.requested_at = invoice.next_attempt_at = None
        invoice.updated_at = utcnow()
    audit.record(session, actor=actor, action="invoice.retry", entity_type="invoice",
                 entity_id=str(invoice.id), data={"from": before.value, "to": invoice.status.value})
    return invoice


def mark_invoiced(session: Session, invoice: Invoice, actor: str = "system") -> None:
    """Move the invoice's job to invoiced once the invoice reached the customer."""
    if invoice.job_id is None:
        return
    job = session.get(Job, invoice.job_id)
    if job is not None and job.status is JobStatus.COMPLETED:
        jobs.transition(session, job.id, JobStatus.INVOICED, actor,
                        note=f"{label(invoice).capitalize()} enviada")
