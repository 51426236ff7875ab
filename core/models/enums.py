"""Domain vocabularies stored as strings."""

from __future__ import annotations

import enum


class IvaCondition(enum.StrEnum):
    RESPONSABLE_INSCRIPTO = "responsable_inscripto"
    MONOTRIBUTO = "monotributo"
    EXENTO = "exento"
    CONSUMIDOR_FINAL = "consumidor_final"
    NO_CATEGORIZADO = "no_categorizado"


class Role(enum.StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    DISPATCHER = "dispatcher"
    TECHNICIAN = "technician"
    VIEWER = "viewer"


class DocType(enum.StrEnum):
    CUIT = "cuit"
    DNI = "dni"


class Service(enum.StrEnum):
    PLUMBING = "plumbing"
    ELECTRICAL = "electrical"
    GAS = "gas"
    HVAC = "hvac"
    LOCKSMITH = "locksmith"
    OTHER = "other"


class Urgency(enum.StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"
    EMERGENCY = "emergency"


class JobStatus(enum.StrEnum):
    PENDING = "pending"
    SCHEDULED = "scheduled"
    EN_ROUTE = "en_route"
    ON_SITE = "on_site"
    COMPLETED = "completed"
    INVOICED = "invoiced"
    PAID = "paid"
    CANCELLED = "cancelled"
    NEEDS_FOLLOWUP = "needs_followup"


class InvoiceStatus(enum.StrEnum):
    DRAFT = "draft"
    PENDING = "pending"  # waiting for AFIP (or a retry after AFIP was down)
    AUTHORIZED = "authorized"  # CAE granted
    REJECTED = "rejected"
    INTERNAL = "internal"  # receipt without CAE: "no válido como factura"
    CANCELLED = "cancelled"


class PaymentMethod(enum.StrEnum):
    MERCADOPAGO = "mercadopago"
    CASH = "cash"
    TRANSFER = "transfer"


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"
    IN_PROCESS = "in_process"  # Mercado Pago is reviewing it
    APPROVED = "approved"
    IN_MEDIATION = "in_mediation"  # the buyer opened a dispute; the money is held
    REJECTED = "rejected"
    REFUNDED = "refunded"
    CHARGED_BACK = "charged_back"
    CANCELLED = "cancelled"


class ConversationRole(enum.StrEnum):
    CUSTOMER = "customer"
    TECHNICIAN = "technician"
    OWNER = "owner"


class Direction(enum.StrEnum):
    INBOUND = "in"
    OUTBOUND = "out"


class DeliveryStatus(enum.StrEnum):
    RECEIVED = "received"  # inbound
    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    PLAYED = "played"
    FAILED = "failed"
