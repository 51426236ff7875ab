"""Padrón A5 (constancia de inscripción): who a CUIT is, where, and how it stands with IVA."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from zeep.exceptions import Fault

from integrations.afip.errors import AfipAuthError, AfipRejected, AfipUnavailable
from integrations.afip.transport import soap_client, wire_errors
from integrations.afip.wsaa import Ticket

PADRON_BINDING = "{http://a5.soap.ws.server.puc.sr/}PersonaServiceA5SoapBinding"
IVA_TAX = 30  # impuesto 30: IVA (responsable inscripto)
IVA_EXEMPT_TAX = 32  # impuesto 32: IVA exento
# Impuesto 33 (IVA responsable no inscripto) and 34 (IVA no alcanzado): registered with AFIP
# and outside IVA, which is not a consumidor final. Our customers' vocabulary has no such
# condition, so they read as "no_categorizado" (a B, like AFIP's 7 and 15) and `iva_detail`
# keeps which one it was.
IVA_OUTSIDE_TAXES = {33: "responsable_no_inscripto", 34: "iva_no_alcanzado"}
CUIT_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
_NOT_FOUND = "no existe persona"
_AUTH_WORDS = ("token", "firma", "sign", "autoriz")


def valid_cuit(cuit: str) -> bool:
    """AFIP's mod-11 check digit. A remainder giving 10 is never a valid CUIT: AFIP changes the
    prefix (20 -> 23, 27 -> 23) instead, so such numbers are rejected."""
    if not re.fullmatch(r"\d{11}", cuit or ""):
        return False
    total = sum(int(digit) * weight for digit, weight in zip(cuit[:10], CUIT_WEIGHTS,
                                                            strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(cuit[10])


@dataclass(frozen=True)
class Persona:
    cuit: str
    name: str
    iva_condition: str  # responsable_inscripto | monotributo | exento | no_categorizado | consumidor_final
    address: str | None
    active: bool
    iva_detail: str | None = None  # "iva_no_alcanzado" (34), "responsable_no_inscripto" (33)


class Padron:
    """getPersona_v2 for one represented CUIT; `ticket_provider` gives a ticket for
    "ws_sr_constancia_inscripcion"."""

    def __init__(self, url: str, *, cuit_representada: str,
                 ticket_provider: Callable[[], Ticket], timeout: float = 10.0):
        self.url = url
        self.cuit_representada = cuit_representada
        self._ticket_provider = ticket_provider
        self._service = soap_client("padron_a5.wsdl", timeout).create_service(PADRON_BINDING, url)

    def get_persona(self, cuit: str) -> Persona | None:
        """The person registered under `cuit`, or None when AFIP has no such person."""
        if not valid_cuit(cuit):
            return None
        ticket = self._ticket_provider()
        with wire_errors("padron"):
            try:
                answer = self._service.getPersona_v2(
                    token=ticket.token, sign=ticket.sign,
                    cuitRepresentada=int(self.cuit_representada), idPersona=int(cuit))
            except Fault as exc:
                message = exc.message or ""
                lowered = message.lower()
                if _NOT_FOUND in lowered:
                    return None
                if any(word in lowered for word in _AUTH_WORDS):
                    raise AfipAuthError(f"Padrón refused the ticket: {message}", exc.code) from exc
                if "server" in (exc.code or "").lower():
                    raise AfipUnavailable(f"Padrón fault: {message}", exc.code) from exc
                raise AfipRejected([(0, message)]) from exc
        if answer is None:
            return None
        return _persona(cuit, answer)


def _persona(cuit: str, answer: Any) -> Persona:
    general = answer.datosGenerales
    if general is None:
        # AFIP knows the CUIT but will not issue a constancia (errorConstancia says why).
        error = answer.errorConstancia
        name = _join(getattr(error, "nombre", None), getattr(error, "apellido", None))
        return Persona(cuit=cuit, name=name or cuit, iva_condition="consumidor_final",
                       address=None, active=False)
    name = (general.razonSocial or "").strip() or _join(general.nombre, general.apellido)
    condition, detail = _iva_condition(answer)
    return Persona(cuit=cuit, name=name or cuit, iva_condition=condition,
                   address=_address(general.domicilioFiscal),
                   active=(general.estadoClave or "").upper() == "ACTIVO", iva_detail=detail)


def _iva_condition(answer: Any) -> tuple[str, str | None]:
    if answer.datosMonotributo is not None:
        return "monotributo", None
    regime = answer.datosRegimenGeneral
    taxes = {int(tax.idImpuesto) for tax in (getattr(regime, "impuesto", None) or [])
             if tax is not None and tax.idImpuesto is not None}
    if IVA_TAX in taxes:
        return "responsable_inscripto", None
    if IVA_EXEMPT_TAX in taxes:
        return "exento", None
    for tax, detail in IVA_OUTSIDE_TAXES.items():
        if tax in taxes:
            return "no_categorizado", detail
    return "consumidor_final", None


def _address(domicilio: Any) -> str | None:
    if domicilio is None:
        return None
    parts = [domicilio.direccion, domicilio.localidad, domicilio.descripcionProvincia]
    text = ", ".join(part.strip() for part in parts if part and part.strip())
    return text or None


def _join(*parts: str | None) -> str:
    return " ".join(part.strip() for part in parts if part and part.strip())
