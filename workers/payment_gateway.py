"""The organization's Mercado Pago, as the services see it: built from the vault's token.

core/payments.py holds the rules (balances, idempotent recording) and takes a client; this
glue builds that client from the organization's sealed access token, since core may not
import integrations/.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from core import payments
from core.models import Invoice, utcnow
from core.settings import Settings
from core.vault import Vault
from integrations.mercadopago import MercadoPago


def client_for(session: Session, settings: Settings) -> MercadoPago | None:
    """The current organization's Mercado Pago client, or None without a token."""
    token = Vault(settings.encryption_keys).load(session, "mercadopago_token")
    if not token:
        return None
    return MercadoPago(token, base_url=settings.mercadopago_url_for(token),
                       timeout=settings.mercadopago_timeout_seconds)


def link_maker(settings: Settings):
    """(session, invoice) -> a checkout link for its balance, or None without a token."""

    def make(session: Session, invoice: Invoice) -> str | None:
        client = client_for(session, settings)
        if client is None:
            return None
        return payments.create_payment_link(session, invoice, client, settings=settings,
                                            now=utcnow())

    return make
