"""A fake AFIP on 127.0.0.1 (WSAA, WSFEv1, Padrón A5), spoken to by zeep through our WSDLs.

One Flask app answers `POST /wsaa`, `POST /wsfe` and `POST /padron` with SOAP 1.1 envelopes
shaped like AFIP's. WSAA checks the CMS with `openssl cms -verify` (signature only, the test
certificate is self-signed), issues 12-hour tickets and refuses a second one while the first
lives (`coe.alreadyAuthenticated`). WSFE checks the ticket, keeps the last number per
(CUIT, punto de venta, tipo), validates what AFIP validates most often, authorizes with a CAE
and remembers the comprobantes for FECompConsultar. Padrón answers the people tests add.

AFIP adds fields to its answers before it republishes its WSDLs, so by default some answers
carry elements no WSDL names (`EXTRA`: in FECAESolicitar's header and details,
FECompUltimoAutorizado, FECompConsultar and the padrón's persona); `extras(False)` stops them.

Behaviours: `reject_next(code, msg)`, `observe_next(code, msg)`, `down(flag)`, `delay(s)`,
`timeout_after_authorize(s)` (authorizes, then holds the answer), `expire_tickets()`,
`forget_tickets()`, `add_persona(...)`. Records: `login_calls`, `calls` [(operation, request
dict)], `authorized` [comprobantes].
"""

from __future__ import annotations

import base64
import itertools
import random
import secrets
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID
from flask import Flask, Response, request
from lxml import etree

from tests.fakes.served import Served

ART = timezone(timedelta(hours=-3))
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
WSAA_NS = "http://wsaa.view.sua.dvadac.desein.afip.gov"
FEV1_NS = "http://ar.gov.afip.dif.FEV1/"
PADRON_NS = "http://a5.soap.ws.server.puc.sr/"
AXIS_NS = "http://xml.apache.org/axis/"
TEST_CUIT = "20111111112"
LIST_TAGS = {"FECAEDetRequest", "AlicIva"}
# The receiver's IVA condition (CondicionIVAReceptorId, RG 5616) each class of comprobante
# admits, from AFIP's WSFEv1 manual ("CondicionIvaReceptor", FEParamGetCondicionIvaReceptor):
# 1 IVA Responsable Inscripto, 4 IVA Sujeto Exento, 5 Consumidor Final, 6 Responsable
# Monotributo, 7 Sujeto No Categorizado, 8 Proveedor del Exterior, 9 Cliente del Exterior,
# 10 IVA Liberado - Ley 19.640, 13 Monotributista Social, 15 IVA No Alcanzado,
# 16 Monotributo Trabajador Independiente Promovido.
RECEIVER_CONDITIONS = {1, 4, 5, 6, 7, 8, 9, 10, 13, 15, 16}
CONDITIONS_BY_CLASS = {"A": {1, 6, 13, 16}, "B": {4, 5, 7, 8, 9, 10, 15},
                       "C": RECEIVER_CONDITIONS}
CLASS_OF_TIPO = {1: "A", 2: "A", 3: "A", 6: "B", 7: "B", 8: "B", 11: "C", 12: "C", 13: "C"}
# Elements no WSDL of ours names, as AFIP's newer answers carry.
EXTRA = {"header": {"FchHsGen": "20250602120000"}, "detail": {"CodAutorizacionTipo": "CAE"},
         "last": {"FchProcesoUltimo": "20250602"}, "persona": {"tipoResponsable": "X"}}
ALREADY = "El CEE ya posee un TA valido para el acceso al WSN solicitado"
MESSAGES = {
    600: "ValidacionDeToken: No validaron las firmas digitales",
    601: "CUIT representada no incluida en Token",
    602: "No existen datos en nuestros registros para los parametros ingresados.",
    10013: "Para comprobantes clase A y M el campo DocTipo debe ser igual a 80 (CUIT).",
    10015: "El campo DocNro es invalido.",
    10016: ("El numero o fecha del comprobante no se corresponde con el proximo a autorizar. "
            "Consultar metodo FECompUltimoAutorizado."),
    10035: ("Si el concepto es igual a 2 o 3 los campos FchServDesde y FchServHasta son "
            "obligatorios."),
    10036: "Si el concepto es igual a 2 o 3 el campo FchVtoPago es obligatorio.",
    10048: ("El campo 'Importe Total' ImpTotal, debe ser igual a la suma de ImpTotConc + ImpNeto "
            "+ ImpOpEx + ImpTrib + ImpIVA."),
    10070: "Si ImpNeto es mayor a 0 el objeto IVA es obligatorio.",
    10071: "Para comprobantes tipo C el objeto IVA no debe informarse.",
    10242: ("El campo Condicion Frente al IVA del receptor es obligatorio conforme lo reglamentado "
            "por la Resolución General N° 5616."),
    10243: ("El campo Condicion Frente al IVA del receptor no es valido para la clase de "
            "comprobante."),
}


@dataclass
class IssuedTicket:
    token: str
    sign: str
    signer: tuple[str, int]  # certificate subject, serial number
    cuit: str
    service: str
    expires_at: datetime


@dataclass
class FakePersona:
    cuit: str
    name: str
    iva_condition: str
    address: str | None
    active: bool


class FakeAfip(Served):
    def __init__(self):
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.tickets: dict[str, IssuedTicket] = {}
        self.login_calls = 0
        self.calls: list[tuple[str, dict]] = []
        self.authorized: list[dict] = []
        self.last_numbers: dict[tuple[str, int, int], int] = {}
        self.comprobantes: dict[tuple[str, int, int, int], dict] = {}
        self.personas: dict[str, FakePersona] = {}
        self._reject: tuple[int, str] | None = None
        self._observe: tuple[int, str] | None = None
        self._down = False
        self._delay = 0.0
        self._hold_after_authorize = 0.0
        self._extras = True
        app = Flask("fake_afip")
        app.add_url_rule("/wsaa", view_func=self._wsaa, methods=["POST"])
        app.add_url_rule("/wsfe", view_func=self._wsfe, methods=["POST"])
        app.add_url_rule("/padron", view_func=self._padron, methods=["POST"])
        self.url = self._serve(app)

    # -- what the tests set -----------------------------------------------------------------

    def reject_next(self, code: int, msg: str) -> None:
        """The next FECAESolicitar is rejected (Resultado R) with this error."""
        with self._lock:
            self._reject = (code, msg)

    def observe_next(self, code: int, msg: str) -> None:
        """The next approved FECAESolicitar carries this observation."""
        with self._lock:
            self._observe = (code, msg)

    def down(self, flag: bool = True) -> None:
        with self._lock:
            self._down = flag

    def extras(self, flag: bool = True) -> None:
        """Whether answers carry elements our WSDLs do not name (on by default)."""
        with self._lock:
            self._extras = flag

    def _extra(self, where: str) -> dict:
        with self._lock:
            return dict(EXTRA[where]) if self._extras else {}

    def delay(self, seconds: float) -> None:
        with self._lock:
            self._delay = seconds

    def timeout_after_authorize(self, seconds: float) -> None:
        """The next FECAESolicitar authorizes and stores, then holds its answer `seconds`."""
        with self._lock:
            self._hold_after_authorize = seconds

    def expire_tickets(self) -> None:
        with self._lock:
            for ticket in self.tickets.values():
                ticket.expires_at = datetime.now(UTC) - timedelta(seconds=1)

    def forget_tickets(self) -> None:
        with self._lock:
            self.tickets.clear()

    def add_persona(self, cuit: str, name: str, iva_condition: str = "consumidor_final",
                    address: str | None = None, *, active: bool = True) -> None:
        with self._lock:
            self.personas[cuit] = FakePersona(cuit, name, iva_condition, address, active)

    def set_last_number(self, pto_vta: int, cbte_tipo: int, number: int,
                        cuit: str = TEST_CUIT) -> None:
        with self._lock:
            self.last_numbers[(cuit, pto_vta, cbte_tipo)] = number

    def operations(self) -> list[str]:
        return [operation for operation, _ in self.calls]

    # -- WSAA -------------------------------------------------------------------------------

    def _wsaa(self):
        self._hold()
        operation, data = _parse_request()
        with self._lock:
            self.login_calls += 1
        if operation != "loginCms":
            return _fault("soapenv:Client", f"No such operation '{operation}'")
        try:
            der = base64.b64decode(data.get("in0") or "", validate=True)
        except ValueError:
            return _axis_fault("cms.bad", "CMS no es valido")
        tra = _openssl_verify(der)
        if tra is None:
            return _axis_fault("cms.bad", "Firma inválida o algoritmo no soportado")
        cert = pkcs7.load_der_pkcs7_certificates(der)[0]
        if cert.not_valid_after_utc < datetime.now(UTC):
            return _axis_fault("cms.cert.expired", "Certificado expirado")
        try:
            root = etree.fromstring(tra)
            service = root.findtext("service")
            expiration = datetime.fromisoformat(root.findtext("header/expirationTime"))
        except (etree.XMLSyntaxError, TypeError, ValueError):
            return _axis_fault("xml.bad", "No se pudo interpretar el XML del TRA")
        now = datetime.now(UTC)
        if expiration < now:
            return _axis_fault("xml.expirationTime.invalid", "expirationTime expirado")
        if service not in ("wsfe", "ws_sr_constancia_inscripcion"):
            return _axis_fault("xml.service.invalid", f"servicio {service} inexistente")
        signer = (cert.subject.rfc4514_string(), cert.serial_number)
        with self._lock:
            if any(t.signer == signer and t.service == service and t.expires_at > now
                   for t in self.tickets.values()):
                return _axis_fault("coe.alreadyAuthenticated", ALREADY)
            ticket = IssuedTicket(
                token=base64.b64encode(secrets.token_bytes(96)).decode(),
                sign=base64.b64encode(secrets.token_bytes(48)).decode(),
                signer=signer, cuit=_cert_cuit(cert), service=service,
                expires_at=now + timedelta(hours=12))
            self.tickets[ticket.token] = ticket
        response = etree.Element("loginTicketResponse", version="1.0")
        header = etree.SubElement(response, "header")
        _fill(header, {"source": "CN=wsaahomo, O=AFIP, C=AR, SERIALNUMBER=CUIT 33693450239",
                       "destination": cert.subject.rfc4514_string(),
                       "uniqueId": str(random.randint(1, 2**31)),
                       "generationTime": _iso(now), "expirationTime": _iso(ticket.expires_at)})
        _fill(etree.SubElement(response, "credentials"),
              {"token": ticket.token, "sign": ticket.sign})
        ta = etree.tostring(response, xml_declaration=True, encoding="UTF-8",
                            standalone=True).decode()
        return _envelope(WSAA_NS, "loginCmsResponse", {"loginCmsReturn": ta})

    # -- WSFE -------------------------------------------------------------------------------

    def _wsfe(self):
        self._hold()
        operation, data = _parse_request()
        with self._lock:
            self.calls.append((operation, data))
            down = self._down
        if operation == "FEDummy":
            state = "ERROR" if down else "OK"
            return _envelope(FEV1_NS, "FEDummyResponse", {"FEDummyResult": {
                "AppServer": "OK", "DbServer": state, "AuthServer": state}})
        if down:
            return Response("Service Unavailable", status=503, mimetype="text/html")
        handler = {"FECompUltimoAutorizado": self._last_authorized,
                   "FECAESolicitar": self._solicitar,
                   "FECompConsultar": self._consultar}.get(operation)
        if handler is None:
            return _fault("soap:Client", f"Server did not recognize the operation {operation}")
        auth_error = self._check_auth(data.get("Auth") or {}, "wsfe")
        return handler(data, auth_error)

    def _check_auth(self, auth: dict, service: str) -> int | None:
        with self._lock:
            ticket = self.tickets.get(auth.get("Token") or "")
        if (ticket is None or ticket.sign != auth.get("Sign") or ticket.service != service
                or ticket.expires_at <= datetime.now(UTC)):
            return 600
        if service == "wsfe" and str(auth.get("Cuit")) != ticket.cuit:
            return 601
        return None

    def _last_authorized(self, data: dict, auth_error: int | None):
        pto, tipo = int(data["PtoVta"]), int(data["CbteTipo"])
        result: dict[str, Any] = {"PtoVta": pto, "CbteTipo": tipo, "CbteNro": 0}
        if auth_error:
            result["Errors"] = _errors(auth_error)
        else:
            with self._lock:
                result["CbteNro"] = self.last_numbers.get((str(data["Auth"]["Cuit"]), pto, tipo), 0)
            result.update(self._extra("last"))
        return _envelope(FEV1_NS, "FECompUltimoAutorizadoResponse",
                         {"FECompUltimoAutorizadoResult": result})

    def _solicitar(self, data: dict, auth_error: int | None):
        def answer(result: dict):
            return _envelope(FEV1_NS, "FECAESolicitarResponse", {"FECAESolicitarResult": result})

        if auth_error:
            return answer({"Errors": _errors(auth_error)})
        cuit = str(data["Auth"]["Cuit"])
        cab = data["FeCAEReq"]["FeCabReq"]
        dets = data["FeCAEReq"]["FeDetReq"]["FECAEDetRequest"]
        dets = dets if isinstance(dets, list) else [dets]
        pto, tipo = int(cab["PtoVta"]), int(cab["CbteTipo"])
        now = datetime.now(ART)
        header = {"Cuit": cuit, "PtoVta": pto, "CbteTipo": tipo,
                  "FchProceso": now.strftime("%Y%m%d%H%M%S"), "CantReg": len(dets),
                  "Resultado": "R", "Reproceso": "N", **self._extra("header")}
        with self._lock:
            reject, self._reject = self._reject, None
            observe = self._observe
            last = self.last_numbers.get((cuit, pto, tipo), 0)
        if (int(cab.get("CantReg") or 0) != len(dets)
                or int(dets[0]["CbteDesde"]) != last + 1
                or any(d.get("CbteHasta") != d.get("CbteDesde") for d in dets)):
            return answer({"FeCabResp": header, "Errors": _errors(10016)})
        responses, approved_any, rejected_any, hold = [], False, False, 0.0
        errors = None
        for n, det in enumerate(dets):
            number = int(det["CbteDesde"])
            detail = {name: det.get(name) for name in ("Concepto", "DocTipo", "DocNro",
                                                       "CbteDesde", "CbteHasta", "CbteFch")}
            with self._lock:
                expected = self.last_numbers.get((cuit, pto, tipo), 0) + 1
            if n == 0 and reject is not None:
                responses.append({**detail, "Resultado": "R", "CAE": "", "CAEFchVto": ""})
                errors = {"Err": [{"Code": reject[0], "Msg": reject[1]}]}
                rejected_any = True
                continue
            problems = [10016] if number != expected else _validate(tipo, det)
            if problems:
                responses.append({**detail, "Resultado": "R",
                                  "Observaciones": {"Obs": [{"Code": c, "Msg": MESSAGES[c]}
                                                            for c in problems]},
                                  "CAE": "", "CAEFchVto": ""})
                rejected_any = True
                continue
            cae = str(random.randint(10**13, 10**14 - 1))
            due = (datetime.strptime(det["CbteFch"], "%Y%m%d").date() + timedelta(days=10))
            stored = {**det, "PtoVta": pto, "CbteTipo": tipo, "Cuit": cuit, "CAE": cae,
                      "CAEFchVto": due.strftime("%Y%m%d"), "FchProceso": header["FchProceso"]}
            with self._lock:
                self.last_numbers[(cuit, pto, tipo)] = number
                self.comprobantes[(cuit, pto, tipo, number)] = stored
                self.authorized.append(stored)
            approved = {**detail, "Resultado": "A"}
            if observe is not None:  # the schema's order: Observaciones before CAE
                approved["Observaciones"] = {"Obs": [{"Code": observe[0], "Msg": observe[1]}]}
            approved.update({"CAE": cae, "CAEFchVto": stored["CAEFchVto"], **self._extra("detail")})
            responses.append(approved)
            approved_any = True
        with self._lock:
            if approved_any:
                self._observe = None
                hold, self._hold_after_authorize = self._hold_after_authorize, 0.0
        if hold:
            self._stopping.wait(hold)  # the dangerous case: authorized, answer never arrives
        outcome = "P" if approved_any and rejected_any else "A" if approved_any else "R"
        result = {"FeCabResp": {**header, "Resultado": outcome},
                  "FeDetResp": {"FECAEDetResponse": responses}}
        if errors:
            result["Errors"] = errors
        return answer(result)

    def _consultar(self, data: dict, auth_error: int | None):
        def answer(result: dict):
            return _envelope(FEV1_NS, "FECompConsultarResponse", {"FECompConsultarResult": result})

        if auth_error:
            return answer({"Errors": _errors(auth_error)})
        req = data["FeCompConsReq"]
        key = (str(data["Auth"]["Cuit"]), int(req["PtoVta"]), int(req["CbteTipo"]),
               int(req["CbteNro"]))
        with self._lock:
            found = self.comprobantes.get(key)
        if found is None:
            return answer({"Errors": _errors(602)})
        fields = ("Concepto", "DocTipo", "DocNro", "CbteDesde", "CbteHasta", "CbteFch", "ImpTotal",
                  "ImpTotConc", "ImpNeto", "ImpOpEx", "ImpTrib", "ImpIVA", "FchServDesde",
                  "FchServHasta", "FchVtoPago", "MonId", "MonCotiz", "CondicionIVAReceptorId",
                  "Iva")
        result = {name: found.get(name) for name in fields}
        result.update({"Resultado": "A", "CodAutorizacion": found["CAE"], "EmisionTipo": "CAE",
                       "FchVto": found["CAEFchVto"], "FchProceso": found["FchProceso"],
                       "PtoVta": found["PtoVta"], "CbteTipo": found["CbteTipo"],
                       **self._extra("detail")})
        return answer({"ResultGet": result})

    # -- Padrón -----------------------------------------------------------------------------

    def _padron(self):
        self._hold()
        operation, data = _parse_request()
        with self._lock:
            self.calls.append((operation, data))
        if operation == "dummy":
            return _envelope(PADRON_NS, "dummyResponse", {"return": {
                "appserver": "OK", "authserver": "OK", "dbserver": "OK"}}, qualified=False)
        if operation != "getPersona_v2":
            return _fault("soap:Client", f"Cannot find dispatch method for {operation}")
        if self._check_auth({"Token": data.get("token"), "Sign": data.get("sign")},
                            "ws_sr_constancia_inscripcion"):
            return _fault("soap:Server", "token o firma invalidos o vencidos")
        with self._lock:
            persona = self.personas.get(str(data.get("idPersona")))
        if persona is None:
            return _fault("soap:Server", "No existe persona con ese Id")
        answer = _persona_return(persona)
        answer["datosGenerales"].update(self._extra("persona"))
        return _envelope(PADRON_NS, "getPersona_v2Response", {"personaReturn": answer},
                         qualified=False)

    def _hold(self) -> None:
        with self._lock:
            delay = self._delay
        if delay:
            self._stopping.wait(delay)


# ---- building and reading SOAP ---------------------------------------------------------------

def _parse_request() -> tuple[str, dict]:
    root = etree.fromstring(request.get_data(), parser=etree.XMLParser(resolve_entities=False))
    body = root.find(f"{{{SOAP_ENV}}}Body")
    operation = body[0]
    return etree.QName(operation).localname, _to_dict(operation)


def _to_dict(element) -> Any:
    children = [child for child in element if isinstance(child.tag, str)]
    if not children:
        return element.text
    data: dict[str, Any] = {}
    for child in children:
        name = etree.QName(child).localname
        value = _to_dict(child)
        if name in LIST_TAGS:
            data.setdefault(name, []).append(value)
        else:
            data[name] = value
    return data


def _fill(parent, data: dict, ns: str | None = None) -> None:
    for name, value in data.items():
        if value is None:
            continue
        for item in value if isinstance(value, list) else [value]:
            child = etree.SubElement(parent, f"{{{ns}}}{name}" if ns else name)
            if isinstance(item, dict):
                _fill(child, item, ns)
            else:
                child.text = str(item)


def _envelope(ns: str, element: str, content: dict, *, qualified: bool = True) -> Response:
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV})
    body = etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body")
    wrapper = etree.SubElement(body, f"{{{ns}}}{element}", nsmap={None if qualified else "ns2": ns})
    _fill(wrapper, content, ns if qualified else None)
    return Response(etree.tostring(envelope, xml_declaration=True, encoding="utf-8"),
                    mimetype="text/xml", content_type="text/xml; charset=utf-8")


def _fault(code: str, message: str, *, axis: bool = False) -> Response:
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soapenv": SOAP_ENV})
    fault = etree.SubElement(etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body"),
                             f"{{{SOAP_ENV}}}Fault")
    faultcode = etree.SubElement(fault, "faultcode", nsmap={"ns1": AXIS_NS} if axis else None)
    faultcode.text = code
    etree.SubElement(fault, "faultstring").text = message
    if axis:
        detail = etree.SubElement(fault, "detail")
        etree.SubElement(detail, f"{{{AXIS_NS}}}exceptionName").text = (
            "gov.afip.desein.dvadac.sua.view.wsaa.LoginFault")
        etree.SubElement(detail, f"{{{AXIS_NS}}}hostname").text = "wsaaext0.homo.afip.gov.ar"
    return Response(etree.tostring(envelope, xml_declaration=True, encoding="utf-8"),
                    status=500, content_type="text/xml; charset=utf-8")


def _axis_fault(code: str, message: str) -> Response:
    return _fault(f"ns1:{code}", message, axis=True)


def _errors(*codes: int) -> dict:
    return {"Err": [{"Code": code, "Msg": MESSAGES[code]} for code in codes]}


def _iso(moment: datetime) -> str:
    return moment.astimezone(ART).isoformat(timespec="milliseconds")


# ---- AFIP's rules ------------------------------------------------------------------------------

def _validate(tipo: int, det: dict) -> list[int]:
    problems = []
    condition = det.get("CondicionIVAReceptorId")
    doc_tipo, doc_nro = int(det["DocTipo"]), str(det["DocNro"])
    if condition is None or int(condition) not in RECEIVER_CONDITIONS:
        problems.append(10242)
    elif int(condition) not in CONDITIONS_BY_CLASS[CLASS_OF_TIPO.get(tipo, "C")]:
        problems.append(10243)
    if tipo == 1 and doc_tipo != 80:
        problems.append(10013)
    if doc_tipo == 80 and not _cuit_ok(doc_nro):
        problems.append(10015)
    amounts = {name: Decimal(det.get(name) or "0") for name in (
        "ImpTotal", "ImpNeto", "ImpIVA", "ImpTotConc", "ImpOpEx", "ImpTrib")}
    if amounts["ImpTotal"] != sum(v for k, v in amounts.items() if k != "ImpTotal"):
        problems.append(10048)
    if tipo == 11 and (det.get("Iva") or amounts["ImpIVA"] != 0):
        problems.append(10071)
    if tipo in (1, 6) and amounts["ImpNeto"] > 0 and not det.get("Iva"):
        problems.append(10070)
    if int(det["Concepto"]) in (2, 3):
        if not det.get("FchServDesde") or not det.get("FchServHasta"):
            problems.append(10035)
        if not det.get("FchVtoPago"):
            problems.append(10036)
    return problems


def _cuit_ok(cuit: str) -> bool:
    if len(cuit) != 11 or not cuit.isdigit():
        return False
    check = 11 - sum(int(d) * w for d, w in zip(cuit[:10], (5, 4, 3, 2, 7, 6, 5, 4, 3, 2),
                                                strict=True)) % 11
    return {11: 0}.get(check, check) == int(cuit[10])


def _persona_return(persona: FakePersona) -> dict:
    company = persona.cuit[:2] in ("30", "33", "34")
    first, _, last = persona.name.rpartition(" ")
    address = (persona.address or "").split(", ")
    domicilio = None
    if persona.address:
        domicilio = {"codPostal": "1000", "descripcionProvincia": address[2] if len(address) > 2
                     else None, "direccion": address[0], "idProvincia": 0,
                     "localidad": address[1] if len(address) > 1 else None,
                     "tipoDomicilio": "FISCAL"}
    general = {"apellido": None if company else last or persona.name,
               "domicilioFiscal": domicilio, "esSucesion": "NO",
               "estadoClave": "ACTIVO" if persona.active else "INACTIVO",
               "idPersona": persona.cuit, "mesCierre": 12,
               "nombre": None if company else first or None,
               "razonSocial": persona.name if company else None, "tipoClave": "CUIT",
               "tipoPersona": "JURIDICA" if company else "FISICA"}
    taxes = {"responsable_inscripto": [(30, "IVA"), (10, "GANANCIAS SOCIEDADES")],
             "exento": [(32, "IVA EXENTO")],
             "responsable_no_inscripto": [(33, "IVA RESPONSABLE NO INSCRIPTO")],
             "iva_no_alcanzado": [(34, "IVA NO ALCANZADO"), (11, "GANANCIAS PERSONAS FISICAS")],
             "consumidor_final": [(11, "GANANCIAS PERSONAS FISICAS")]}
    result: dict[str, Any] = {"datosGenerales": general}
    if persona.iva_condition == "monotributo":
        result["datosMonotributo"] = {
            "categoriaMonotributo": {"descripcionCategoria": "B LOCACIONES DE SERVICIO",
                                     "idCategoria": 21, "idImpuesto": 20, "periodo": 202401},
            "impuesto": [{"descripcionImpuesto": "MONOTRIBUTO", "idImpuesto": 20,
                          "periodo": 202401}]}
    else:
        result["datosRegimenGeneral"] = {"impuesto": [
            {"descripcionImpuesto": text, "idImpuesto": tax, "periodo": 202001}
            for tax, text in taxes[persona.iva_condition]]}
    result["metadata"] = {"fechaHora": _iso(datetime.now(UTC)), "servidor": "setiwsh2"}
    return result


# ---- the CMS ---------------------------------------------------------------------------------

def _openssl_verify(der: bytes) -> bytes | None:
    """The signed TRA if the CMS signature verifies (the chain is not checked), else None."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail("openssl not found: install it (apt-get install openssl)")
    done = subprocess.run([openssl, "cms", "-verify", "-inform", "DER", "-noverify"],
                          input=der, capture_output=True, timeout=10, check=False)
    return done.stdout if done.returncode == 0 and done.stdout else None


def _cert_cuit(cert: x509.Certificate) -> str:
    for attribute in cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER):
        return str(attribute.value).removeprefix("CUIT ").strip()
    return ""


_serials = itertools.count(1000)


def make_credentials(cuit: str = TEST_CUIT, common_name: str = "campotech-test",
                     *, days: int = 730) -> tuple[bytes, bytes]:
    """A self-signed RSA 2048 certificate and key, with a subject like AFIP's: (cert, key) PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                         x509.NameAttribute(NameOID.SERIAL_NUMBER, f"CUIT {cuit}")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(next(_serials))
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=days))
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


@pytest.fixture(scope="session")
def afip_credentials() -> tuple[bytes, bytes]:
    """(cert_pem, key_pem) for CUIT 20111111112, made once per session."""
    return make_credentials()


@pytest.fixture
def fake_afip() -> Iterator[FakeAfip]:
    server = FakeAfip().start()
    try:
        yield server
    finally:
        server.stop()

