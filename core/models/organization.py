"""The tenant: one business and its settings."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, JSONType, Timestamped, str_enum
from core.models.enums import IvaCondition, Service

# {"mon": [["08:00", "18:00"]], ..., "sun": []}: several ranges a day allowed (split shifts).
DEFAULT_BUSINESS_HOURS = {
    "mon": [["08:00", "18:00"]],
    "tue": [["08:00", "18:00"]],
    "wed": [["08:00", "18:00"]],
    "thu": [["08:00", "18:00"]],
    "fri": [["08:00", "18:00"]],
    "sat": [["09:00", "13:00"]],
    "sun": [],
}


class Organization(Timestamped, Base):
    __tablename__ = "organizations"
    __table_args__ = (
        CheckConstraint("summary_hour >= 0 AND summary_hour <= 23", name="summary_hour_range"),
        CheckConstraint("punto_de_venta >= 1 AND punto_de_venta <= 99998", name="pdv_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    cuit: Mapped[str | None] = mapped_column(String(11))
    iva_condition: Mapped[IvaCondition] = mapped_column(
        str_enum(IvaCondition), default=IvaCondition.MONOTRIBUTO
    )
    iibb: Mapped[str | None] = mapped_column(String(20))
    activity_start: Mapped[date | None]
    punto_de_venta: Mapped[int] = mapped_column(Integer, default=1)
    address: Mapped[str | None] = mapped_column(String(200))
    wa_phone_number_id: Mapped[str | None] = mapped_column(String(40), unique=True)
    wa_display_phone: Mapped[str | None] = mapped_column(String(20))
    time_zone: Mapped[str] = mapped_column(String(64), default="America/Argentina/Buenos_Aires")
    business_hours: Mapped[dict] = mapped_column(default=lambda: dict(DEFAULT_BUSINESS_HOURS))
    summary_hour: Mapped[int] = mapped_column(Integer, default=20)
    # Local dates ("2026-12-08") the business does not open, beyond its weekly hours: a holiday,
    # a day off (migration 0010; `core.jobs.opening.business_ranges` reads them).
    closed_days: Mapped[list] = mapped_column(JSONType, default=list, server_default="[]")
    # Local dates whose hours differ from the weekly ones, with that day's ranges as the weekly
    # hours store them ({"2026-12-08": [["08:00", "13:00"]]}): closing early, opening late
    # (migration 0011; read by `business_ranges` too).
    day_hours: Mapped[dict] = mapped_column(JSONType, default=dict, server_default="{}")
    # Per-organization burst timing; None means the deployment default from settings.
    burst_quiet_seconds: Mapped[float | None]
    burst_cap_seconds: Mapped[float | None]
    # Transfer details shown to customers who don't pay through Mercado Pago.
    transfer_alias: Mapped[str | None] = mapped_column(String(40))
    transfer_cbu: Mapped[str | None] = mapped_column(String(22))
    transfer_holder: Mapped[str | None] = mapped_column(String(120))
    # Sign-up and onboarding (migration 0005).
    trade: Mapped[Service | None] = mapped_column(str_enum(Service))  # what the business does
    hours_confirmed_at: Mapped[datetime | None]  # the owner said the business hours are right
    login_code_required: Mapped[bool] = mapped_column(Boolean, default=False)  # WhatsApp code at login
    updated_at: Mapped[datetime | None]
