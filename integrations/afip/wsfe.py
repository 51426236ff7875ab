"""WSFEv1: asking AFIP for a CAE, the last authorized number, and what it authorized.

One comprobante per FECAESolicitar. A rejected comprobante (Resultado "R") is an answer, not
an exception: the caller stores AFIP's reasons. An answer with only Errors (bad ticket, number
not the next one) raises. A read timeout raises AfipTimeout: AFIP may have authorized the
comprobante, so the caller asks FECompConsultar before trying again.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from lxml import etree
from zeep.exceptions import Fault
from zeep.helpers import serialize_object

from integrations.afip.errors import AfipAuthError, AfipRejected, AfipUnavailable
from integrations.afip.transport import soap_client, wire_errors
from integrations.afip.wsaa import Ticket

log = logging.getLogger("campotech.integrations.afip.wsfe")

WSFE_BINDING = "{http://ar.gov.afip.dif.FEV1/}ServiceSoap"

CBTE_TIPO = {"A": 1, "B": 6, "C": 11}
DOC_TIPO = {"cuit": 80, "dni": 96, "consumidor_final": 99}
# FEParamGetTiposIva
IVA_ID = {Decimal(0): 3, Decimal("10.5"): 4, Decimal(21): 5, Decimal(27): 6,
          Decimal(5): 8, Decimal("2.5"): 9}
# CondicionIVAReceptorId (RG 5616) is chosen by core/billing/afip.py, with the letter, from AFIP's
# table of conditions per class; this module only carries it.
AUTH_ERRORS = frozenset({600, 601})  # ticket invalid or expired; CUIT not in the ticket
NOT_FOUND = 602  # "no existen datos en nuestros registros"
CENT = Decimal("0.01")


@dataclass(frozen=True)
class IvaLine:
    id: int  # AFIP's rate id (IVA_ID)
    base: Decimal
    amount: Decimal


@dataclass(frozen=True)
class CAERequest:
    """One comprobante for FECAESolicitar (amounts in pesos)."""

    pto_vta: int
    cbte_tipo: int
    number: int
    concepto: int  # 1 products, 2 services, 3 both
    doc_tipo: int
    doc_nro: int
    cbte_fecha: date
    imp_total: Decimal
    imp_neto: Decimal
    imp_iva: Decimal
    imp_tot_conc: Decimal = Decimal(0)
    imp_op_ex: Decimal = Decimal(0)
    imp_trib: Decimal = Decimal(0)
    serv_desde: date | None = None
    serv_hasta: date | None = None
    vto_pago: date | None = None
    mon_id: str = "PES"
    mon_cotiz: Decimal = Decimal(1)
    condicion_iva_receptor_id: int | None = None  # mandatory for AFIP since RG 5616
    iva: Sequence[IvaLine] = field(default_factory=list)


@dataclass(frozen=True)
class CAEResult:
    """AFIP's verdict on one comprobante."""

    result: str  # "A" approved, "R" rejected, "P" partial
    cae: str | None
    cae_due: date | None
    number: int
    observations: list[tuple[int, str]] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    raw: dict = field(default_factory=dict)

    @property
    def approved(self) -> bool:
        return self.result == "A" and bool(self.cae)


class WSFE:
    """The WSFEv1 service for one CUIT; `ticket_provider` gives a valid WSAA ticket for "wsfe"."""

    def __init__(self, url: str, *, cuit: str, ticket_provider: Callable[[], Ticket],
                 timeout: float = 10.0):
        self.url = url
        self.cuit = cuit
        self._ticket_provider = ticket_provider
        self._service = soap_client("wsfev1.wsdl", timeout).create_service(WSFE_BINDING, url)

    def dummy(self) -> dict:
        """AFIP's own health check (no ticket needed); AfipUnavailable unless all three are OK."""
        answer = self._call("FEDummy")
        status = {name: getattr(answer, name, None) for name in ("AppServer", "DbServer",
                                                                  "AuthServer")}
        if any(value != "OK" for value in status.values()):
            raise AfipUnavailable(f"WSFE reports {status}", "FEDummy")
        return status

    def last_authorized(self, pto_vta: int, cbte_tipo: int) -> int:
        answer = self._call("FECompUltimoAutorizado", Auth=self._auth(), PtoVta=pto_vta,
                            CbteTipo=cbte_tipo)
        errors = _pairs(answer.Errors, "Err")
        if errors:
            raise _errors_exception(errors)
        return int(answer.CbteNro or 0)

    def request_cae(self, req: CAERequest) -> CAEResult:
        return self.request_cae_batch([req])[0]

    def request_cae_batch(self, reqs: list[CAERequest]) -> list[CAEResult]:
        """One FECAESolicitar for consecutive numbers of one series (AFIP takes up to 250):
        a result per request, in order. An answer with only Errors raises."""
        if not reqs:
            return []
        first = reqs[0]
        if any((r.pto_vta, r.cbte_tipo) != (first.pto_vta, first.cbte_tipo) for r in reqs):
            raise ValueError("a batch must be one punto de venta and comprobante type")
        answer = self._call("FECAESolicitar", Auth=self._auth(), FeCAEReq={
            "FeCabReq": {"CantReg": len(reqs), "PtoVta": first.pto_vta,
                         "CbteTipo": first.cbte_tipo},
            "FeDetReq": {"FECAEDetRequest": [_detail(req) for req in reqs]},
        })
        errors = _pairs(answer.Errors, "Err")
        details = answer.FeDetResp.FECAEDetResponse if answer.FeDetResp is not None else []
        if not details:
            raise _errors_exception(errors or [(0, "WSFE answered without a result")])
        header = answer.FeCabResp
        raw = _raw(answer)
        by_number = {int(d.CbteDesde): d for d in details if d.CbteDesde is not None}
        results = []
        for n, req in enumerate(reqs):
            detail = by_number.get(req.number) or (details[n] if n < len(details) else None)
            if detail is None:
                results.append(CAEResult(result="R", cae=None, cae_due=None, number=req.number,
                                         observations=[], errors=errors, raw=raw))
                continue
            result = CAEResult(
                result=detail.Resultado or (header.Resultado if header is not None else "R"),
                cae=(detail.CAE or "").strip() or None,
                cae_due=_date(detail.CAEFchVto),
                number=int(detail.CbteDesde or req.number),
                observations=_pairs(detail.Observaciones, "Obs"),
                errors=errors,
                raw=raw,
            )
            if result.result != "A":
                log.warning("WSFE %s for %s-%s-%s: %s %s", result.result, req.cbte_tipo,
                            req.pto_vta, req.number, result.errors, result.observations)
            results.append(result)
        return results

    def query(self, pto_vta: int, cbte_tipo: int, number: int) -> CAEResult | None:
        """What AFIP holds for this comprobante (FECompConsultar), None if nothing."""
        answer = self._call("FECompConsultar", Auth=self._auth(), FeCompConsReq={
            "CbteTipo": cbte_tipo, "CbteNro": number, "PtoVta": pto_vta})
        errors = _pairs(answer.Errors, "Err")
        found = answer.ResultGet
        if found is None:
            if not errors or any(code == NOT_FOUND for code, _ in errors):
                return None
            raise _errors_exception(errors)
        return CAEResult(
            result=found.Resultado or "",
            cae=(found.CodAutorizacion or "").strip() or None,
            cae_due=_date(found.FchVto),
            number=int(found.CbteDesde or number),
            observations=_pairs(found.Observaciones, "Obs"),
            errors=errors,
            raw=_raw(answer),
        )

    # -- inside ------------------------------------------------------------------------------

    def _auth(self) -> dict:
        ticket = self._ticket_provider()
        return {"Token": ticket.token, "Sign": ticket.sign, "Cuit": int(self.cuit)}

    def _call(self, operation: str, **kwargs: Any) -> Any:
        with wire_errors("wsfe"):
            try:
                return getattr(self._service, operation)(**kwargs)
            except Fault as exc:
                # WSFE answers business errors in Errors; a fault is a server-side failure.
                raise AfipUnavailable(f"WSFE fault: {exc.message}", exc.code) from exc


def _detail(req: CAERequest) -> dict:
    detail: dict[str, Any] = {
        "Concepto": req.concepto,
        "DocTipo": req.doc_tipo,
        "DocNro": int(req.doc_nro),
        "CbteDesde": req.number,
        "CbteHasta": req.number,
        "CbteFch": _yyyymmdd(req.cbte_fecha),
        "ImpTotal": _amount(req.imp_total),
        "ImpTotConc": _amount(req.imp_tot_conc),
        "ImpNeto": _amount(req.imp_neto),
        "ImpOpEx": _amount(req.imp_op_ex),
        "ImpTrib": _amount(req.imp_trib),
        "ImpIVA": _amount(req.imp_iva),
        "FchServDesde": _yyyymmdd(req.serv_desde),
        "FchServHasta": _yyyymmdd(req.serv_hasta),
        "FchVtoPago": _yyyymmdd(req.vto_pago),
        "MonId": req.mon_id,
        "MonCotiz": req.mon_cotiz,
        "CondicionIVAReceptorId": req.condicion_iva_receptor_id,
    }
    if req.iva:
        detail["Iva"] = {"AlicIva": [{"Id": line.id, "BaseImp": _amount(line.base),
                                      "Importe": _amount(line.amount)} for line in req.iva]}
    return detail


def _errors_exception(errors: list[tuple[int, str]]) -> Exception:
    if any(code in AUTH_ERRORS for code, _ in errors):
        code, message = next((c, m) for c, m in errors if c in AUTH_ERRORS)
        return AfipAuthError(f"WSFE refused the ticket: {message}", code)
    return AfipRejected(errors)


def _pairs(array: Any, item: str) -> list[tuple[int, str]]:
    """[(Code, Msg)] from an ArrayOfErr / ArrayOfObs / ArrayOfEvt (None when absent)."""
    if array is None:
        return []
    return [(int(entry.Code), entry.Msg or "") for entry in getattr(array, item, None) or []]


def _amount(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT)


def _yyyymmdd(value: date | None) -> str | None:
    return value.strftime("%Y%m%d") if value is not None else None


def _date(value: str | None) -> date | None:
    if not value or not value.strip():
        return None
    return datetime.strptime(value.strip(), "%Y%m%d").date()


def _raw(answer: Any) -> dict:
    """AFIP's whole answer as plain JSON-safe data, for the invoice's record."""
    return json.loads(json.dumps(serialize_object(answer, dict), default=_json_default))


def _element_text(element: Any) -> Any:
    children = [child for child in element if isinstance(child.tag, str)]
    if not children:
        return element.text
    return {etree.QName(child).localname: _element_text(child) for child in children}


def _json_default(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, deque):  # elements the WSDL does not name, kept by lenient parsing
        return {etree.QName(element).localname: _element_text(element) for element in value
                if isinstance(getattr(element, "tag", None), str)}
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


# ---- AFIP's codes, explained to staff --------------------------------------------------------

_SERVICE_DATES = ("Para facturas de servicios AFIP pide las fechas del servicio (desde y hasta) "
                  "y el vencimiento del pago, coherentes con la fecha de la factura. Revisá las "
                  "fechas del trabajo.")
ERROR_TEXTS_ES: dict[int, str] = {
    600: ("AFIP no aceptó el permiso de acceso (vencido o inválido). Pedimos uno nuevo con el "
          "certificado y reintentamos; si sigue, revisá el certificado de AFIP cargado."),
    601: ("El CUIT de la factura no está autorizado en el certificado cargado. Revisá que el "
          "certificado de AFIP sea del mismo CUIT de la empresa y que tenga el servicio de "
          "facturación electrónica asociado."),
    602: "AFIP no tiene registrado ese comprobante.",
    10013: ("Para una Factura A el cliente tiene que estar identificado con CUIT. Cargale el "
            "CUIT al cliente o emití una Factura B."),
    10015: ("AFIP no reconoce el documento del cliente (DNI o CUIT). Revisá el número cargado "
            "en la ficha del cliente."),
    10016: ("El número de factura no es el siguiente que espera AFIP para ese punto de venta (o "
            "la fecha es anterior a la de la última). La renumeramos y reintentamos."),
    10035: _SERVICE_DATES,
    10036: _SERVICE_DATES,
    10048: ("El total no coincide con la suma de neto, IVA, no gravado, exento y otros "
            "tributos. Revisá los importes de la factura."),
    10070: ("Falta el detalle de IVA: si la factura tiene importe neto gravado, AFIP pide las "
            "alícuotas. Revisá el IVA de los ítems."),
    10071: ("En una Factura C no se discrimina IVA (la emite un monotributista). Emitila sin "
            "IVA o revisá el tipo de factura."),
    10242: ("Falta o no es válida la condición frente al IVA del cliente (RG 5616). Completá en "
            "la ficha del cliente si es consumidor final, monotributista, responsable "
            "inscripto o exento."),
    10243: ("La condición frente al IVA del cliente no corresponde a este tipo de factura (por "
            "ejemplo, un consumidor final en una Factura A). Revisá la condición del cliente o "
            "el tipo de factura."),
}


def error_text_es(code: int, msg: str) -> str:
    """A plain explanation, for staff, of an AFIP error or observation."""
    return ERROR_TEXTS_ES.get(int(code), f"AFIP dijo: {msg} (código {code})")
