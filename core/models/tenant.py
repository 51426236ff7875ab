"""Per-organization counters and encrypted secrets."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, OrgScoped, Timestamped


class OrgCounter(OrgScoped, Base):
    """Gapless numbering (job numbers, audit sequence); the row lock serializes writers."""

    __tablename__ = "org_counters"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    value: Mapped[int] = mapped_column(Integer, default=0)


class OrgSecret(OrgScoped, Timestamped, Base):
    """AES-256-GCM ciphertext; key_id names the key that sealed it, for rotation."""

    __tablename__ = "org_secrets"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    key_id: Mapped[str] = mapped_column(String(40))
    nonce: Mapped[bytes] = mapped_column(LargeBinary)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime | None]
