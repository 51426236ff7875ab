"""AFIP's rules for an invoice, and the port AFIP is reached through.

The letter and the receiver's IVA condition (one table), the receiver's document, IVA
groups, what FECAESolicitar gets and the QR payload; `Authorizer` is what
`services/afip_gateway.py` implements over `integrations/afip`: this package knows AFIP's rules,
not its wire format.
"""


from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from core.models import (
    Customer,
    DocType,
    Invoice,
    InvoiceLine,
    IvaCondition,
    Organization,
)

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



def split_gross(gross: Decimal, rate: Decimal) -> tuple[Decimal, Decimal]:
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
            groups[rate] = split_gross(amount.quantize(CENT), rate)
    net = sum((base for base, _ in groups.values()), Decimal(0))
    iva = sum((amount for _, amount in groups.values()), Decimal(0))
    return groups, net, iva, net + iva


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


