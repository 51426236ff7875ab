"""Extraction of one structured request from a burst of Rioplatense Spanish text.

`extract` uses the offline rules (this package) unless settings ask for the OpenAI backend, in
which case the rules are the fallback when the model fails.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from rapidfuzz import fuzz

from nlu.extract import rules
from nlu.extract.address import find_address
from nlu.extract.dates import find_eta, local_today, resolve
from nlu.extract.description import problem_summary, update_summary
from nlu.extract.money import find_amount
from nlu.extract.names import find_name
from nlu.extract.text import Speller, expand, fold_aligned
from nlu.schema import Extraction, OrgContext

logger = logging.getLogger("campotech.nlu")

__all__ = ["extract", "extract_rules"]

_SPELLER = Speller(
    rules.vocabulary()
    | {
        "plomero",
        "electricista",
        "gasista",
        "cerrajero",
        "albanil",
        "calefaccion",
        "destapacion",
        "cerradura",
        "lavarropas",
        "heladera",
        "microondas",
        "lavavajillas",
        "termotanque",
        "caldera",
        "radiador",
        "inodoro",
        "canilla",
        "perdida",
        "enchufe",
        "termica",
        "presupuesto",
        "factura",
        "transferencia",
        "transferi",
        "cancelar",
        "cancelo",
        "reprogramar",
        "urgente",
        "inundando",
        "electricidad",
        "destapar",
        "pintura",
        "pintar",
        "revoque",
        "ceramicos",
        "acondicionado",
        "frigorias",
        "calefon",
        "disyuntor",
        "cortocircuito",
        "humedad",
        "manana",
        "necesito",
        "podrian",
        "pueden",
        "llegue",
        "termine",
        "terminado",
        "resumen",
        "gracias",
        "persona",
    }
)


def _normalize(text: str) -> str:
    return _SPELLER.correct(expand(fold_aligned(text)))


def _description(text: str, role: str, intent: str, name: str | None) -> str | None:
    if role == "customer" and intent == "new_job":
        return problem_summary(text, name)
    return update_summary(text, lambda part: rules.is_greeting_only(_normalize(part)))


def _org_service_hints(norm: str, org: OrgContext | None) -> dict[str, float]:
    """Service evidence from price-book items named in the text."""
    if not org or not org.price_book:
        return {}
    hints: dict[str, float] = {}
    for item in org.price_book:
        item_norm = _normalize(item)
        if len(item_norm) < 4 or fuzz.partial_ratio(item_norm, norm) < 90:
            continue
        service = rules.classify_service(item_norm)
        if service:
            hints[service] = hints.get(service, 0.0) + 2.0
    return hints


def extract_rules(
    text: str, role: str, now: datetime, org_context: OrgContext | None = None
) -> Extraction:
    """The offline rules: keyword families, number/date/money grammars and patterns."""
    text = text or ""
    tz = org_context.time_zone if org_context else None
    folded = fold_aligned(text)
    norm = _normalize(text)
    expanded = expand(folded)

    service = rules.classify_service(norm, _org_service_hints(norm, org_context))
    amount = find_amount(folded)
    eta = find_eta(expanded) if role == "technician" else None
    address = find_address(text, org_context.streets if org_context else ())
    when = resolve(expanded, now, tz)
    intent = rules.classify_intent(
        norm,
        role,
        has_service=service is not None,
        has_amount=amount is not None,
        has_eta=eta is not None,
        has_address=address is not None,
    )
    if intent != "tech_on_the_way":
        eta = None
    today = local_today(now, tz)
    urgency = rules.classify_urgency(norm, intent, when.date == today)
    if intent in ("greeting", "human") or (intent == "other" and service is None):
        service = None
    name = find_name(text)
    return Extraction(
        intent=intent,
        service=service,
        urgency=urgency,
        address=address,
        date=when.date.isoformat() if when.date else None,
        window=when.window,
        time=when.time,
        amount=amount,
        eta_minutes=eta,
        name=name,
        description=_description(text, role, intent, name),
    )


def extract(
    text: str, role: str, now: datetime, org_context: OrgContext | None = None, settings: Any = None
) -> Extraction:
    """One burst, understood: the OpenAI backend when configured (rules as fallback), else rules."""
    if settings is not None and getattr(settings, "nlu_extract_backend", "rules") == "openai":
        try:
            from nlu.openai_backend import OpenAIBackendError  # noqa: F401
            from nlu.openai_backend import extract as llm_extract

            return llm_extract(text, role, now, org_context, settings)
        except Exception as exc:  # noqa: BLE001 - any model failure falls back to the rules
            logger.warning(
                "nlu: openai backend failed (%s: %s); using the rules", type(exc).__name__, exc
            )
    return extract_rules(text, role, now, org_context)
