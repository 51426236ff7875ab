"""How a customer can pay: a Mercado Pago link and/or the business's transfer details.

Today nothing is configured (no Mercado Pago account, no alias or CBU stored), so
`payment_options` answers None and the WhatsApp flow says the payment is arranged with the
technician. The invoicing work fills this in: a pending `Payment.payment_link` for the
customer's unpaid invoice and the organization's alias/CBU.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from core.models import Customer


@dataclass(frozen=True)
class PaymentOptions:
    """Ways to pay, any of them optional; `amount` is what is owed, when known."""

    link: str | None = None  # Mercado Pago checkout link
    alias: str | None = None  # transfer alias ("plomeria.ramos")
    cbu: str | None = None  # 22 digits (CBU or CVU)
    holder: str | None = None  # the account's holder, shown so the customer can check it
    amount: Decimal | None = None
    invoice_id: int | None = None

    @property
    def any(self) -> bool:
        """Whether there is something to pay with."""
        return bool(self.link or self.alias or self.cbu)


def payment_options(session: Session, customer: Customer) -> PaymentOptions | None:
    """How `customer` can pay right now, or None when the business has nothing set up yet."""
    return None
