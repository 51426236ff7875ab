"""Invoices (AFIP or internal receipts), their lines, and payments."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models.base import Base, OrgScoped, Timestamped, str_enum
from core.models.enums import InvoiceStatus, PaymentMethod, PaymentStatus


class Invoice(OrgScoped, Timestamped, Base):
    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("org_id", "punto_de_venta", "cbte_tipo", "number"),
        Index("ix_invoices_retry", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    letter: Mapped[str | None] = mapped_column(String(1))  # A, B, C; None for internal receipts
    cbte_tipo: Mapped[int | None] = mapped_column(Integer)  # AFIP code: 1 A, 6 B, 11 C
    punto_de_venta: Mapped[int] = mapped_column(Integer)
    number: Mapped[int | None] = mapped_column(Integer)
    issue_date: Mapped[date | None]
    service_from: Mapped[date | None]
    service_to: Mapped[date | None]
    payment_due: Mapped[date | None]
    status: Mapped[InvoiceStatus] = mapped_column(
        str_enum(InvoiceStatus), default=InvoiceStatus.DRAFT
    )
    cae: Mapped[str | None] = mapped_column(String(14))
    cae_due_date: Mapped[date | None]
    qr_data: Mapped[str | None] = mapped_column(Text)
    net: Mapped[Decimal] = mapped_column(default=Decimal(0))
    iva: Mapped[Decimal] = mapped_column(default=Decimal(0))
    total: Mapped[Decimal] = mapped_column(default=Decimal(0))
    currency: Mapped[str] = mapped_column(String(3), default="PES")
    afip_messages: Mapped[dict | None]  # observations and errors as AFIP sent them
    # AFIP's receiver fields as sent (doc type 80/96/99, number, RG 5616 IVA condition id).
    concepto: Mapped[int] = mapped_column(Integer, default=2)  # 1 goods, 2 services, 3 both
    receiver_doc_tipo: Mapped[int | None] = mapped_column(Integer)
    receiver_doc_nro: Mapped[int | None] = mapped_column(BigInteger)
    receiver_iva_id: Mapped[int | None] = mapped_column(Integer)
    # The authorization state machine: when FECAESolicitar went out (a timeout after it is
    # reconciled, never resent blindly), how often we tried, and when to try again.
    requested_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # Delivery to the customer and payment.
    delivered_at: Mapped[datetime | None]
    payment_link: Mapped[str | None] = mapped_column(Text)
    mp_preference_id: Mapped[str | None] = mapped_column(String(80))
    payment_link_expires_at: Mapped[datetime | None]
    paid_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]

    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", order_by="InvoiceLine.id", cascade="all, delete-orphan"
    )


class InvoiceLine(OrgScoped, Base):
    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))
    price_book_item_id: Mapped[int | None] = mapped_column(ForeignKey("price_book_items.id"))
    description: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[Decimal] = mapped_column(Numeric(10, 3), default=Decimal(1))
    unit_price: Mapped[Decimal]
    iva_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("21.00"))
    subtotal: Mapped[Decimal]

    invoice: Mapped[Invoice] = relationship(back_populates="lines")


class Payment(OrgScoped, Timestamped, Base):
    __tablename__ = "payments"
    __table_args__ = (UniqueConstraint("org_id", "method", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    method: Mapped[PaymentMethod] = mapped_column(str_enum(PaymentMethod))
    status: Mapped[PaymentStatus] = mapped_column(
        str_enum(PaymentStatus), default=PaymentStatus.PENDING
    )
    amount: Mapped[Decimal]
    external_id: Mapped[str | None] = mapped_column(String(64))  # MercadoPago payment id
    preference_id: Mapped[str | None] = mapped_column(String(80))
    payment_link: Mapped[str | None] = mapped_column(Text)
    paid_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)
    raw: Mapped[dict | None]
    status_detail: Mapped[str | None] = mapped_column(String(60))
    refunded_amount: Mapped[Decimal] = mapped_column(default=Decimal(0))
    updated_at: Mapped[datetime | None]
