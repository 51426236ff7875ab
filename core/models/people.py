"""Staff users and customers with their addresses."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models.base import Base, OrgScoped, Timestamped, str_enum
from core.models.enums import DocType, IvaCondition, Role


class User(OrgScoped, Timestamped, Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("org_id", "phone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    # Logins are global: one email signs in to one organization.
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164, see core.phones
    role: Mapped[Role] = mapped_column(str_enum(Role))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    on_call: Mapped[bool] = mapped_column(Boolean, default=False)
    working_hours: Mapped[dict | None]
    phone_verified_at: Mapped[datetime | None]  # a code sent to `phone` came back (migration 0005)
    # Bumped by logout, password change and role change: older sessions stop working (0007).
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Customer(OrgScoped, Timestamped, Base):
    __tablename__ = "customers"
    __table_args__ = (UniqueConstraint("org_id", "phone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164
    wa_id: Mapped[str | None] = mapped_column(String(32))  # as WhatsApp sends it, for replies
    email: Mapped[str | None] = mapped_column(String(254))
    doc_type: Mapped[DocType | None] = mapped_column(str_enum(DocType, 8))
    doc_number: Mapped[str | None] = mapped_column(String(11))
    iva_condition: Mapped[IvaCondition] = mapped_column(
        str_enum(IvaCondition), default=IvaCondition.CONSUMIDOR_FINAL
    )
    notes: Mapped[str | None] = mapped_column(Text)
    # The customer asked for no marketing messages (migration 0008).
    marketing_opt_out: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    marketing_opt_out_at: Mapped[datetime | None]
    # The owner asked not to book this customer (until they pay, or for good): their requests
    # go to the owner (flows/owner_hold.py, migration 0013).
    booking_hold: Mapped[dict | None]

    addresses: Mapped[list[CustomerAddress]] = relationship(
        back_populates="customer", order_by="CustomerAddress.id", cascade="all, delete-orphan"
    )


class CustomerAddress(OrgScoped, Timestamped, Base):
    __tablename__ = "customer_addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    street: Mapped[str] = mapped_column(String(120))
    number: Mapped[str | None] = mapped_column(String(12))
    unit: Mapped[str | None] = mapped_column(String(30))  # "3° B", "PB", "casa 4"
    locality: Mapped[str | None] = mapped_column(String(80))
    province: Mapped[str | None] = mapped_column(String(60))
    notes: Mapped[str | None] = mapped_column(String(200))
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))

    customer: Mapped[Customer] = relationship(back_populates="addresses")

    @property
    def one_line(self) -> str:
        return address_line(self.street, self.number, self.unit, self.locality)


def address_line(street: str | None, number: str | None, unit: str | None = None,
                 locality: str | None = None) -> str:
    """"Av. Avellaneda 2100, 7° B, Flores": how an address is written in one line everywhere
    (a customer's address, a booking's summary, a technician's notice)."""
    return ", ".join(p for p in (f"{street or ''} {number or ''}".strip(), unit, locality) if p)
