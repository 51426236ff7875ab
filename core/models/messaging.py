"""WhatsApp conversations and every message in and out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models.base import Base, OrgScoped, Timestamped, str_enum
from core.models.enums import ConversationRole, DeliveryStatus, Direction


class Conversation(OrgScoped, Timestamped, Base):
    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("org_id", "wa_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Reply address as WhatsApp gives it ("549..."); "user:<id>" for username-only senders,
    # who cannot be answered until they share a number.
    wa_id: Mapped[str] = mapped_column(String(64))
    wa_user_id: Mapped[str | None] = mapped_column(String(64))
    profile_name: Mapped[str | None] = mapped_column(String(120))
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
    # The Click-to-WhatsApp ad the customer came from (Meta's `referral`), migration 0008.
    referral: Mapped[dict | None]
    # The last message staff passed on to this customer through the bot, and the customer's
    # answer (flows/relay.py), migration 0012.
    relay: Mapped[dict | None]
    needs_person: Mapped[bool] = mapped_column(Boolean, default=False)
    last_inbound_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]

    messages: Mapped[list[Message]] = relationship(
        back_populates="conversation", order_by="Message.id", cascade="all, delete-orphan"
    )

    @property
    def reply_address(self) -> str | None:
        return None if self.wa_id.startswith("user:") else self.wa_id


class Message(OrgScoped, Timestamped, Base):
    __tablename__ = "messages"
    __table_args__ = (
        # One row per burst reply: a crashed-and-retried burst job cannot queue a reply twice.
        Index("uq_messages_idempotency_key", "idempotency_key", unique=True),
        # A burst's look for its stored replies is a prefix (`LIKE 'burst:{id}:%'`), which a
        # b-tree under the database's collation cannot answer (migration 0009).
        Index("ix_messages_idempotency_prefix", "idempotency_key",
              postgresql_ops={"idempotency_key": "text_pattern_ops"}),
        # The sweeper's question: inbound messages no burst has answered yet.
        Index("ix_messages_unprocessed", "direction", "processed_at"),
    )

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
    status_at: Mapped[datetime | None]  # when `status` last changed (Meta's time for statuses)
    # Inbound: what Meta sent, for audit and debugging only; the typed fields below are what the
    # bot reads, so it is loaded only when asked for.
    raw: Mapped[dict | None] = mapped_column(deferred=True)
    # Inbound, parsed at the webhook: the tapped button's or list row's id (or a template
    # button's payload), the shared pin, and the wamid a reaction points at.
    reply_id: Mapped[str | None] = mapped_column(String(256))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    place_name: Mapped[str | None] = mapped_column(String(256))
    place_address: Mapped[str | None] = mapped_column(String(512))
    reacted_to: Mapped[str | None] = mapped_column(String(128))
    # Inbound: the burst that answered it; None until then (the sweeper looks for these).
    burst_id: Mapped[str | None] = mapped_column(String(40))
    processed_at: Mapped[datetime | None]
    # Voice notes: pending -> done, or why not: too_long | silent | corrupt | rejected | failed.
    transcript_status: Mapped[str | None] = mapped_column(String(16))
    # Outbound: the reply as data (core.messaging.replies), its idempotency key and send attempts.
    payload: Mapped[dict | None]
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Migration 0008: the customer edited or deleted this message in WhatsApp (`body` holds the
    # latest text, `original_body` the first); on the row recording an edit or deletion,
    # `revises` is the wamid it points at; `sent_from` is "business_app" for what a person typed
    # on the business's own WhatsApp Business app (an echo).
    edited_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    original_body: Mapped[str | None] = mapped_column(Text)
    revises: Mapped[str | None] = mapped_column(String(128), index=True)
    sent_from: Mapped[str | None] = mapped_column(String(16))

    conversation: Mapped[Conversation] = relationship(back_populates="messages")
