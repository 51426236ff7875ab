"""What a business charges: parts and labour with ARS prices."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Boolean, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, OrgScoped, Timestamped, str_enum
from core.models.enums import Service


class PriceBookItem(OrgScoped, Timestamped, Base):
    __tablename__ = "price_book_items"
    __table_args__ = (UniqueConstraint("org_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str | None] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(160))
    description: Mapped[str | None] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(String(20), default="unidad")
    price: Mapped[Decimal]
    iva_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("21.00"))
    service: Mapped[Service | None] = mapped_column(str_enum(Service))
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
