"""The public invoice PDF: `GET /i/<token>.pdf` returns one invoice as a PDF.

No login: the signed, expiring token is the key, since Meta's servers fetch this URL to attach
the document to the WhatsApp message. The invoice is read in the token's organization scope,
so a token can only ever show that organization's invoice. Bad or unknown tokens get a small
404 page, expired ones a 410, never an error.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app

from core.billing import invoice_links
from core.billing.invoice_pdf import load_invoice_pdf
from services import app_parts as parts
from web.token_pages import private

bp = Blueprint("invoice_pdf", __name__)
bp.after_request(private)

_PAGE = """<!doctype html>
<html lang="es-AR"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>Factura</title>
<style>body{{font-family:system-ui,sans-serif;max-width:28rem;margin:0 auto;padding:1.2rem 1rem;
color:#1d2a33;line-height:1.4}}.status{{font-size:1.5rem;font-weight:700}}</style></head>
<body><p class="status">{title}</p><p>{body}</p></body></html>
"""
_MISSING = _PAGE.format(
    title="No encontramos esta factura",
    body="Revisá que el enlace esté completo, o escribinos por WhatsApp y te la mandamos.")
_EXPIRED = _PAGE.format(
    title="Este enlace venció",
    body="Pedinos la factura de nuevo por WhatsApp y te la mandamos al toque.")


def _page(html: str, status: int) -> Response:
    return Response(html, status=status, mimetype="text/html")


@bp.get("/i/", defaults={"name": ""})
@bp.get("/i/<path:name>")  # any shape, even with slashes, gets the friendly page
def show(name: str):
    if not name.endswith(".pdf"):
        return _page(_MISSING, 404)
    settings = parts.settings(current_app)
    try:
        org_id, invoice_id = invoice_links.read_token(settings, name.removesuffix(".pdf"))
    except invoice_links.TokenExpired:
        return _page(_EXPIRED, 410)
    except invoice_links.TokenInvalid:
        return _page(_MISSING, 404)
    with parts.db(current_app).org_session(org_id) as session:
        found = load_invoice_pdf(session, invoice_id)
    if found is None:
        return _page(_MISSING, 404)
    pdf, filename = found
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
