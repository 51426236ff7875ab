"""WhatsApp conversations and every message in and out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models.base import Base, OrgScoped, Timestamped, str_enum
from core.models.enums import ConversationRole, DeliveryStatus, Direction


class Conversation(OrgScoped, Timestamped, Base):
    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("org_id", "wa_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wa_id: Mapped[str] = mapped_column(String(64))  # reply address as WhatsApp gives it
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164 when there is a number
    role: Mapped[ConversationRole] = mapped_column(
        str_enum(ConversationRole), default=ConversationRole.CUSTOMER
    )
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    flow: Mapped[str | None] = mapped_column(String(40))
    state: Mapped[str | None] = mapped_column(String(40))
    slots: Mapped[dict] = mapped_column(default=dict)
    misses: Mapped[int] = mapped_column(Integer, default=0)
    human_takeover: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_person: Mapped[bool] = mapped_column(Boolean, default=False)
    last_inbound_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]

    messages: Mapped[list[Message]] = relationship(
        back_populates="conversation", order_by="Message.id", cascade="all, delete-orphan"
    )


class Message(OrgScoped, Timestamped, Base):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    direction: Mapped[Direction] = mapped_column(str_enum(Direction, 4))
    type: Mapped[str] = mapped_column(String(24))  # text, audio, image, location, interactive, ...
    body: Mapped[str | None] = mapped_column(Text)
    media_id: Mapped[str | None] = mapped_column(String(80))
    media_mime: Mapped[str | None] = mapped_column(String(80))
    media_path: Mapped[str | None] = mapped_column(String(255))
    transcript: Mapped[str | None] = mapped_column(Text)
    # WhatsApp's own id (wamid...): unique across all organizations, the dedupe key.
    wa_message_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    status: Mapped[DeliveryStatus] = mapped_column(
        str_enum(DeliveryStatus), default=DeliveryStatus.RECEIVED
    )
    error_code: Mapped[int | None] = mapped_column(Integer)
    error_title: Mapped[str | None] = mapped_column(String(200))
    wa_timestamp: Mapped[datetime | None]
    raw: Mapped[dict | None]

    conversation: Mapped[Conversation] = relationship(back_populates="messages")
