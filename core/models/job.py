"""Jobs (visits) and their event timeline."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models.base import Base, OrgScoped, Timestamped, str_enum
from core.models.enums import JobStatus, Service, Urgency
from core.models.people import Customer, CustomerAddress, User


class Job(OrgScoped, Timestamped, Base):
    __tablename__ = "jobs"
    __table_args__ = (UniqueConstraint("org_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer)  # per organization, shown to people
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    address_id: Mapped[int | None] = mapped_column(ForeignKey("customer_addresses.id"))
    address_text: Mapped[str | None] = mapped_column(String(200))
    service: Mapped[Service] = mapped_column(str_enum(Service))
    description: Mapped[str] = mapped_column(Text, default="")
    urgency: Mapped[Urgency] = mapped_column(str_enum(Urgency), default=Urgency.NORMAL)
    status: Mapped[JobStatus] = mapped_column(str_enum(JobStatus), default=JobStatus.PENDING)
    scheduled_start: Mapped[datetime | None]
    scheduled_end: Mapped[datetime | None]
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    source_conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL")
    )
    eta_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]

    customer: Mapped[Customer] = relationship()
    address: Mapped[CustomerAddress | None] = relationship()
    technician: Mapped[User | None] = relationship()
    events: Mapped[list[JobEvent]] = relationship(
        back_populates="job", order_by="JobEvent.id", cascade="all, delete-orphan"
    )


class JobEvent(OrgScoped, Timestamped, Base):
    __tablename__ = "job_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # created, status, assigned, rescheduled, note
    from_status: Mapped[JobStatus | None] = mapped_column(str_enum(JobStatus, name="from_status"))
    to_status: Mapped[JobStatus | None] = mapped_column(str_enum(JobStatus, name="to_status"))
    actor: Mapped[str] = mapped_column(String(80))  # "user:3", "whatsapp:5491155550101", "system"
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict | None]

    job: Mapped[Job] = relationship(back_populates="events")
