"""One `Turn` per burst: everything a flow needs to answer it, built once by the engine.

The organization and its time zone, the sender's role decided from their phone (every burst:
an owner stays an owner whatever conversation was opened first), the staff member or customer
behind the number, their open jobs, the text with its extraction and confidence, and the typed
button they tapped. Flows read the turn and write the conversation's state through it
(`save(**slots)`); nothing is committed here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import es_ar
from core.customers import find_by_phone as find_customer
from core.jobs import OPEN_STATUSES
from core.messaging.replies import Reply, Text
from core.models import (
    Conversation,
    ConversationRole,
    Customer,
    Job,
    JobStatus,
    Organization,
    Role,
    User,
)
from core.phones import wa_id_for
from core.settings import Settings
from flows.burst import Burst
from flows.buttons import CallbackData
from nlu.intent.model import Context
from nlu.schema import Extraction

# (someone else's wa_id, a reply for them); `key=` (optional) files it under that outbox key
# instead of the burst's, so what is sent elsewhere under it too (a visit's reminder) goes once
Notify = Callable[..., None]



# (flow, step) → what the bot asked, in the corpus's words (nlu/data: context.asked).
ASKED = {
    ("booking", "service"): "service", ("booking", "slot"): "day", ("booking", "address"): "address",
    ("booking", "confirm"): "confirm", ("booking", "name"): "name",
    ("reschedule", "slot"): "day", ("reschedule", "confirm"): "confirm",
    ("cancel_job", "confirm"): "confirm", ("tech_done", "confirm"): "confirm",
    ("tech_pick", "which_job"): "which_job",
}


# Who answers the inbox, and so hears on WhatsApp what the bot cannot settle itself
INBOX_ROLES = (Role.OWNER, Role.ADMIN, Role.DISPATCHER)


def _nobody(wa_id: str, reply: Reply, key: str | None = None) -> None:
    return None


# The first word of a WhatsApp name that is no person's: a business, a family word
_NOT_A_PERSON_WORDS = """
    parrilla kiosco kiosko ferreteria consorcio inmobiliaria restaurante resto restaurant bar cafe
    cafeteria panaderia farmacia almacen hotel hostel taller estudio administracion edificio local
    negocio empresa distribuidora supermercado super verduleria carniceria peluqueria gimnasio gym
    escuela colegio jardin club iglesia parroquia clinica consultorio veterinaria lavadero tienda
    libreria pizzeria heladeria rotiseria fabrica polirrubro mercado oficina agencia constructora
    mama papa abuela abuelo tia tio casa depto cliente clientes servicio servicios
"""
NOT_A_PERSON = frozenset(_NOT_A_PERSON_WORDS.split())


@dataclass
class Turn:
    session: Session
    conversation: Conversation
    org: Organization
    now: datetime  # aware, in the organization's zone
    settings: Settings
    burst: Burst = field(default_factory=lambda: Burst(0, 0, ""))
    text: str = ""
    result: Extraction = field(default_factory=Extraction)
    tap: CallbackData | None = None  # the button or list row tapped, typed (the result's
    # confidence says how sure the reading of the words is)
    command: str | None = None  # a global command: menu, cancel_flow, human
    user: User | None = None  # the staff member writing (owner, admin, technician)
    notify: Notify = _nobody

    # -- who and where ---------------------------------------------------------------------------

    @property
    def role(self) -> ConversationRole:
        return self.conversation.role

    @property
    def zone(self) -> ZoneInfo:
        return es_ar.zone(self.org.time_zone if self.org else None)

    @property
    def today(self) -> date:
        return self.now.date()

    @property
    def actor(self) -> str:
        return f"whatsapp:{self.conversation.wa_id}"

    @property
    def intent(self) -> str:
        """What the person wants: a global command wins over the extraction."""
        return self.command or self.result.intent

    @property
    def pin(self) -> str | None:
        """The last location pin of the burst, as an address line."""
        pin = next(reversed(self.burst.pins), None) if self.burst.pins else None
        if pin is None:
            return None
        return pin.address or pin.name or f"Ubicación {pin.latitude:.5f},{pin.longitude:.5f}"

    @property
    def said(self) -> str:
        """The typed words folded ("¡Sí, dale!" → "si dale"); empty for a tap."""
        return "" if self.tap else es_ar.folded(self.text)

    @property
    def first_name(self) -> str | None:
        """What to call the person: their WhatsApp name's first word or, without one, the name
        the business has for them (the staff member's, or the customer's). The profile comes
        first: a customer record may carry the name of whoever a visit was booked for."""
        c = self.conversation
        if c.profile_name and es_ar.folded(es_ar.first_name(c.profile_name) or "") not in NOT_A_PERSON:
            return es_ar.first_name(c.profile_name)
        # a business's or a family word's WhatsApp name ("Parrilla Don Tito", "Mamá"): the name
        # on file, or none at all (never "¡Hola, Parrilla!")
        known = self.customer if c.role is ConversationRole.CUSTOMER else self.user
        first = es_ar.first_name(known.name) if known is not None else None
        return first if es_ar.folded(first or "") not in NOT_A_PERSON else None

    @property
    def writer(self) -> tuple[str | None, str]:
        """Who writes, as a message to staff names them: the name the business has for them (the
        staff member's, or the customer's on file), else their WhatsApp name; and their phone."""
        c = self.conversation
        known = self.customer if c.role is ConversationRole.CUSTOMER else self.user
        return ((known.name if known is not None else None) or c.profile_name,
                es_ar.readable_phone(c.phone) or c.wa_id)

    @cached_property
    def customer(self) -> Customer | None:
        c = self.conversation
        if c.role is not ConversationRole.CUSTOMER:
            return None
        if c.customer_id:
            return self.session.get(Customer, c.customer_id)
        return find_customer(self.session, c.phone) if c.phone else None

    @cached_property
    def open_jobs(self) -> list[Job]:
        """The customer's open jobs, or the technician's, newest first."""
        if self.role is ConversationRole.TECHNICIAN and self.user is not None:
            where = Job.technician_id == self.user.id
        elif self.customer is not None:
            where = Job.customer_id == self.customer.id
        else:
            return []
        return list(self.session.scalars(
            select(Job).where(where, Job.status.in_(OPEN_STATUSES)).order_by(Job.id.desc())))

    @property
    def open_job(self) -> Job | None:
        """The most relevant open job: en route or on site first, then the newest."""
        moving = [j for j in self.open_jobs if j.status in (JobStatus.ON_SITE, JobStatus.EN_ROUTE)]
        return (moving or self.open_jobs or [None])[0]

    @property
    def context(self) -> Context:
        """What the extraction should know besides the words: the writer's open job and what
        the bot last asked, if it is waiting for an answer."""
        job = self.open_job
        c = self.conversation
        asked = ASKED.get((c.flow, c.state)) if c.flow and self.in_flow(c.flow) else None
        return Context(open_job=job.status.value if job is not None else None, asked=asked)

    # -- messages to staff ------------------------------------------------------------------------

    def tell_staff(self, body: str, roles: tuple[Role, ...] = INBOX_ROLES) -> list[User]:
        """`body` to every active member of `roles` with a phone but the writer (nobody is told
        of their own message); who was told."""
        with self.session.no_autoflush:  # the conversation's pending state is written at commit
            staff = [u for u in self.session.scalars(select(User).where(
                User.active.is_(True), User.phone.is_not(None), User.role.in_(roles)))
                if u.id != self.conversation.user_id]
        for user in staff:
            self.notify(wa_id_for(user.phone), Text(body))
        return staff

    # -- the conversation's state ----------------------------------------------------------------

    @property
    def slots(self) -> dict:
        return self.conversation.slots or {}

    def lately(self, key: str, span: timedelta) -> bool:
        """Whether the slot `key` holds a moment (ISO text) within `span` before now."""
        try:
            at = datetime.fromisoformat(self.slots.get(key) or "")
        except (TypeError, ValueError):
            return False
        return timedelta(0) <= self.now - at <= span

    def save(self, **values) -> None:
        # A new dict: the JSON column only notices replaced values.
        self.conversation.slots = {**self.slots, **values}

    def clear(self) -> None:
        c = self.conversation
        c.flow = c.state = None
        c.slots = {}
        c.expires_at = None

    def in_flow(self, *names: str) -> bool:
        """Whether the conversation is in one of these flows and it has not expired."""
        return flow_active(self.conversation, self.now, *names)


def flow_active(conversation: Conversation, now: datetime, *names: str) -> bool:
    """Whether `conversation` is in one of the flows `names` and it has not expired."""
    return conversation.flow in names and (
        conversation.expires_at is None or es_ar.aware(conversation.expires_at) > now)
