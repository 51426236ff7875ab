"""What the NLU layer answers: one structured request per burst (see ../shared/nlu/CONTRACT.md).

Both backends (offline rules and an OpenAI-compatible model) return this model, and its JSON
schema is what the model is asked to fill.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["customer", "technician", "owner"]
Intent = Literal[
    "new_job", "job_status", "reschedule", "cancel", "invoice_request", "payment", "human",
    "greeting", "other",
    "tech_on_the_way", "tech_arrived", "tech_job_done", "tech_cannot_complete", "tech_agenda",
    "owner_summary", "owner_unpaid",
]
Service = Literal[
    "plomeria", "destapaciones", "electricidad", "gas", "aire_acondicionado", "calefaccion",
    "cerrajeria", "electrodomesticos", "albanileria", "pintura",
]
Urgency = Literal["emergency", "high", "normal"]
Window = Literal["morning", "afternoon", "evening"]

CUSTOMER_INTENTS = ("new_job", "job_status", "reschedule", "cancel", "invoice_request", "payment")
TECHNICIAN_INTENTS = ("tech_on_the_way", "tech_arrived", "tech_job_done", "tech_cannot_complete", "tech_agenda")
OWNER_INTENTS = ("owner_summary", "owner_unpaid")
ANY_ROLE_INTENTS = ("human", "greeting", "other")


class Address(BaseModel):
    model_config = ConfigDict(extra="forbid")

    street: str
    number: str | None = None
    unit: str | None = None
    locality: str | None = None


class Extraction(BaseModel):
    """One burst, understood. Null where the text does not say."""

    model_config = ConfigDict(extra="forbid")

    intent: Intent = "other"
    service: Service | None = None
    urgency: Urgency | None = None
    address: Address | None = None
    date: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")  # YYYY-MM-DD
    window: Window | None = None
    time: str | None = Field(default=None, pattern=r"^\d{2}:\d{2}$")  # HH:MM, 24-hour
    amount: float | None = None  # pesos
    eta_minutes: int | None = None
    name: str | None = None
    description: str | None = None
    # How sure the intent is (0-1, the learned model's probability); None from a backend that
    # does not say. Not part of the contract's output.
    confidence: float | None = Field(default=None, ge=0, le=1)
    # The intents it could be, most likely first (for asking "¿qué necesitás?"). Not output.
    alternatives: list[str] | None = None

    def answer(self, case_id: str) -> dict:
        """The contract's output line for one case."""
        data = self.model_dump(mode="json", exclude={"confidence", "alternatives"})
        if data["amount"] is not None and float(data["amount"]).is_integer():
            data["amount"] = int(data["amount"])
        return {"id": case_id, **data}


def intents_for(role: str) -> tuple[str, ...]:
    own = {"customer": CUSTOMER_INTENTS, "technician": TECHNICIAN_INTENTS, "owner": OWNER_INTENTS}
    return own.get(role, ()) + ANY_ROLE_INTENTS


@dataclass(frozen=True)
class OrgContext:
    """What the organization knows that helps understanding: its words and its people."""

    time_zone: str = "America/Argentina/Buenos_Aires"
    streets: tuple[str, ...] = ()  # streets of its customers' addresses
    customers: tuple[str, ...] = ()  # customers' names
    technicians: tuple[str, ...] = ()
    price_book: tuple[str, ...] = ()  # item names
    # Open jobs of the writer (technicians): customer name -> job id, to match "lo de García".
    open_jobs: dict[str, int] = field(default_factory=dict)

    def vocabulary(self) -> tuple[str, ...]:
        """Words for the transcriber's prompt, most useful first."""
        return self.price_book + self.streets + self.customers + self.technicians
