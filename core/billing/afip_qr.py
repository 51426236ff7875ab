"""AFIP's QR on a printed invoice (RG 4291, https://www.afip.gob.ar/fe/qr/especificaciones.asp):
the payload, its URL, the image, and an invoice's URL from what was stored when AFIP authorized it.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import unquote, urlsplit

import qrcode
from PIL import Image

from core.billing.afip import DOC_NONE
from core.models import Invoice, Organization

AFIP_QR_BASE = "https://www.afip.gob.ar/fe/qr/?p="
CENT = Decimal("0.01")


def _number(value: Decimal) -> int | float:
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def afip_qr_payload(*, issue_date: date, cuit: str, pto_vta: int, cbte_tipo: int, number: int,
                    total: Decimal, currency: str, rate: Decimal, doc_tipo: int | None,
                    doc_nro: int | None, cae: str) -> dict:
    """The JSON of AFIP's QR, version 1; the receiver's document only when there is one."""
    payload = {
        "ver": 1, "fecha": issue_date.isoformat(), "cuit": int(cuit), "ptoVta": int(pto_vta),
        "tipoCmp": int(cbte_tipo), "nroCmp": int(number),
        "importe": float(Decimal(total).quantize(CENT, rounding=ROUND_HALF_UP)),
        "moneda": currency, "ctz": _number(rate),
    }
    if doc_tipo and doc_tipo != DOC_NONE and doc_nro:
        payload["tipoDocRec"] = int(doc_tipo)
        payload["nroDocRec"] = int(doc_nro)
    payload["tipoCodAut"] = "E"
    payload["codAut"] = int(cae)
    return payload


def afip_qr_url(payload: dict) -> str:
    """AFIP's QR URL: the compact JSON in standard base64 after `?p=`."""
    data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return AFIP_QR_BASE + base64.b64encode(data).decode("ascii")


def decode_qr_url(url: str) -> dict:
    """The payload back from a QR URL (ValueError if it is not one)."""
    query = urlsplit(url).query
    for part in query.split("&"):
        if part.startswith("p="):
            raw = unquote(part[2:])  # not unquote_plus: "+" is base64 here
            try:
                return json.loads(base64.b64decode(raw + "=" * (-len(raw) % 4), validate=True))
            except (binascii.Error, ValueError) as exc:
                raise ValueError("not an AFIP QR payload") from exc
    raise ValueError("no p= in the QR URL")


def qr_image(url: str) -> Image.Image:
    """The QR as a black-and-white image, with the quiet zone readers need."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=6, border=4)
    code.add_data(url)
    code.make(fit=True)
    return code.make_image(fill_color="black", back_color="white").get_image().convert("L")


def invoice_qr_url(invoice: Invoice, org: Organization) -> str | None:
    """The QR URL of an authorized invoice: its stored payload, else built from its fields."""
    if not invoice.cae:
        return None
    if invoice.qr_data:
        try:
            payload = json.loads(invoice.qr_data)
        except ValueError:
            payload = None
        if isinstance(payload, dict):
            return afip_qr_url(payload)
    if not (org.cuit and invoice.issue_date and invoice.number and invoice.cbte_tipo):
        return None
    return afip_qr_url(afip_qr_payload(
        issue_date=invoice.issue_date, cuit=org.cuit, pto_vta=invoice.punto_de_venta,
        cbte_tipo=invoice.cbte_tipo, number=invoice.number, total=invoice.total,
        currency=invoice.currency or "PES", rate=Decimal(1), doc_tipo=invoice.receiver_doc_tipo,
        doc_nro=invoice.receiver_doc_nro, cae=invoice.cae,
    ))
