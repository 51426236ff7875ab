"""Public links to an invoice's PDF: an unguessable, expiring token per (organization, invoice).

Tokens from `core.signed_tokens` with their own salt, so a tracking token is never a valid
invoice token nor the other way round.

The link goes to customers by WhatsApp, and Meta's servers fetch it to attach the document,
so it works without a login; 90 days by default, long enough to find the invoice again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from core.models import Invoice
from core.settings import Settings, get_settings
from core.signed_tokens import SignedTokens, TokenExpired, TokenInvalid

__all__ = ["DEFAULT_TTL", "TokenExpired", "TokenInvalid", "make_token", "pdf_filename",
           "pdf_link", "read_token"]

DEFAULT_TTL = timedelta(days=90)
_TOKENS = SignedTokens(b"campotech.invoice-pdf.v1")


def make_token(settings: Settings, org_id: int, invoice_id: int, ttl: timedelta = DEFAULT_TTL,
               *, now: datetime | None = None) -> str:
    """A compact URL-safe token for one invoice of one organization, valid for `ttl`."""
    return _TOKENS.make(settings, org_id, invoice_id, ttl, now=now)


def read_token(settings: Settings, token: str, *, now: datetime | None = None) -> tuple[int, int]:
    """(org_id, invoice_id); TokenInvalid unless genuine, TokenExpired once past its expiry."""
    return _TOKENS.read(settings, token, now=now)


def pdf_link(invoice: Invoice, settings: Settings | None = None, *,
             ttl: timedelta = DEFAULT_TTL, now: datetime | None = None) -> str:
    """`{public_base_url}/i/{token}.pdf` for a saved invoice (its id must be set)."""
    if invoice.id is None or invoice.org_id is None:
        raise ValueError("the invoice must be saved (flushed) before it has a link")
    settings = settings or get_settings()
    token = make_token(settings, invoice.org_id, invoice.id, ttl, now=now)
    return f"{settings.public_base_url.rstrip('/')}/i/{token}.pdf"


def pdf_filename(invoice: Invoice) -> str:
    """"factura-B-0001-00000012.pdf", "recibo-0001-00000003.pdf" (no number yet: "-pendiente")."""
    kind = f"factura-{invoice.letter}" if invoice.letter else "recibo"
    number = f"{invoice.number:08d}" if invoice.number is not None else "pendiente"
    return f"{kind}-{invoice.punto_de_venta:04d}-{number}.pdf"
