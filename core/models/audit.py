"""The append-only, hash-chained audit trail."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, OrgScoped, Timestamped


class AuditEntry(OrgScoped, Timestamped, Base):
    __tablename__ = "audit_entries"
    __table_args__ = (UniqueConstraint("org_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # No cascade (migration 0007): deleting an organization must never erase its trail.
    org_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("organizations.id"), index=True, nullable=False
    )
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, 3... within the organization
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(60))  # "job.status", "customer.create", ...
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(40))
    data: Mapped[dict] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
