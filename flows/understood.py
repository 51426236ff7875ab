"""One short line in Spanish saying what the NLU understood from a burst (until the flows land)."""

from __future__ import annotations

from datetime import date

from core import es_ar
from nlu.schema import Extraction

SERVICES = {
    "plomeria": "plomería", "destapaciones": "destapación", "electricidad": "electricidad",
    "gas": "gas", "aire_acondicionado": "aire acondicionado", "calefaccion": "calefacción",
    "cerrajeria": "cerrajería", "electrodomesticos": "electrodomésticos",
    "albanileria": "albañilería", "pintura": "pintura",
}
INTENTS = {
    "new_job": "un pedido de servicio", "job_status": "que querés saber cómo va tu trabajo",
    "reschedule": "que querés cambiar el día", "cancel": "que querés cancelar",
    "invoice_request": "que necesitás la factura", "payment": "que querés pagar",
    "human": "que querés hablar con una persona",
    "tech_on_the_way": "que vas en camino", "tech_arrived": "que llegaste",
    "tech_job_done": "que terminaste el trabajo", "tech_cannot_complete": "que no lo pudiste terminar",
    "tech_agenda": "que querés tu agenda", "owner_summary": "que querés el resumen",
    "owner_unpaid": "que querés saber quién debe",
}
WINDOWS = {"morning": "a la mañana", "afternoon": "a la tarde", "evening": "a la noche"}


def understood(result: Extraction) -> str | None:
    parts: list[str] = []
    if result.intent in INTENTS:
        parts.append(INTENTS[result.intent])
    if result.service:
        parts.append(SERVICES[result.service])
    if result.urgency == "emergency":
        parts.append("es una emergencia")
    elif result.urgency == "high":
        parts.append("es urgente")
    if result.address:
        parts.append(" ".join(p for p in (result.address.street, result.address.number) if p)
                     + (f", {result.address.locality}" if result.address.locality else ""))
    when = []
    if result.date:
        day = date.fromisoformat(result.date)
        when.append(f"el {es_ar.weekday_date(day)}")
    if result.window:
        when.append(WINDOWS[result.window])
    if result.time:
        when.append(f"a las {result.time}")
    if when:
        parts.append(" ".join(when))
    if result.eta_minutes is not None:
        parts.append(f"llegás en {result.eta_minutes} min")
    if result.amount is not None:
        parts.append(es_ar.pesos(result.amount))
    return "; ".join(parts) if parts else None
