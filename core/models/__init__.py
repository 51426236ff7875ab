"""All models, imported in one place so the metadata is complete."""

from core.models.audit import AuditEntry
from core.models.base import Base, OrgScoped, utcnow
from core.models.billing import Invoice, InvoiceLine, Payment
from core.models.enums import (
    ConversationRole,
    DeliveryStatus,
    Direction,
    DocType,
    InvoiceStatus,
    IvaCondition,
    JobStatus,
    PaymentMethod,
    PaymentStatus,
    Role,
    Service,
    Urgency,
)
from core.models.job import Job, JobEvent
from core.models.messaging import Conversation, Message
from core.models.organization import DEFAULT_BUSINESS_HOURS, Organization
from core.models.people import Customer, CustomerAddress, User
from core.models.price_book import PriceBookItem
from core.models.tenant import OrgCounter, OrgSecret

ORG_SCOPED_TABLES = sorted(
    m.class_.__tablename__ for m in Base.registry.mappers if issubclass(m.class_, OrgScoped)
)

__all__ = [
    "DEFAULT_BUSINESS_HOURS",
    "ORG_SCOPED_TABLES",
    "AuditEntry",
    "Base",
    "Conversation",
    "ConversationRole",
    "Customer",
    "CustomerAddress",
    "DeliveryStatus",
    "Direction",
    "DocType",
    "Invoice",
    "InvoiceLine",
    "InvoiceStatus",
    "IvaCondition",
    "Job",
    "JobEvent",
    "JobStatus",
    "Message",
    "OrgCounter",
    "OrgScoped",
    "OrgSecret",
    "Organization",
    "Payment",
    "PaymentMethod",
    "PaymentStatus",
    "PriceBookItem",
    "Role",
    "Service",
    "Urgency",
    "User",
    "utcnow",
]
