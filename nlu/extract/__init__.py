"""Extraction of one structured request from a burst of Rioplatense Spanish text.

`extract` uses the offline rules (this package) unless settings ask for the OpenAI backend, in
which case the rules are the fallback when the model fails.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rapidfuzz import fuzz

from nlu.extract import message_kinds, rules
from nlu.extract.address import address_put_right, find_address
from nlu.extract.dates import NEXT_WEEK, local_today, next_week_day
from nlu.extract.description import problem_summary, update_summary
from nlu.extract.eta import find_eta
from nlu.extract.money import find_amount
from nlu.extract.names import find_name
from nlu.extract.services import Choices, answered_service, choices, classify_service
from nlu.extract.text import Speller, expand, fold_aligned
from nlu.extract.urgency import classify_urgency, dangers_now
from nlu.extract.when import resolve
from nlu.intent.model import Context, default_model
from nlu.schema import Address, Extraction, OrgContext

logger = logging.getLogger("campotech.nlu")

__all__ = ["Context", "Signals", "extract", "extract_rules", "service_choices", "signals"]

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


def says_danger(text: str) -> bool:
    """Whether the text tells of a danger now (gas, fire, water, a lockout...), read as the
    extraction reads it."""
    return bool(dangers_now(_normalize(text or "")))


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
        service = classify_service(item_norm)
        if service:
            hints[service] = hints.get(service, 0.0) + 2.0
    return hints


@dataclass(frozen=True)
class Signals:
    """What the precise rules find in a text, before any intent is decided."""

    normalized: str
    folded: str
    service: str | None
    amount: float | None
    eta: int | None
    address: Address | None
    when: object  # nlu.extract.when.When
    rule_intent: str
    flags: dict[str, bool]
    name: str | None = None


def signals(text: str, role: str, org_context: OrgContext | None = None,
            now: datetime | None = None) -> Signals:
    """The rules' findings: trade, amount, ETA, address, day and time, danger, a bare greeting,
    and the keyword rules' own guess of the intent (a feature for the learned model)."""
    text = text or ""
    tz = org_context.time_zone if org_context else None
    folded = fold_aligned(text)
    norm = _normalize(text)
    expanded = expand(folded)
    name = find_name(text)
    # a person's name is no evidence of a trade: "soy Juan Paredes", "habla Marta Herrero"
    service = classify_service(_without_name(norm, name), _org_service_hints(norm, org_context))
    amount = find_amount(folded)
    eta = find_eta(expanded) if role == "technician" else None
    address, taken_back = address_put_right(text, org_context.streets if org_context else ()) or (None, None)
    if taken_back is not None and amount in (float(address.number), float(taken_back)):
        amount = None  # a street number put right ("perdón, es 2435, no 2345"), not money
    when = resolve(expanded, now or datetime.now().astimezone(), tz)
    rule_intent = rules.classify_intent(
        norm, role, has_service=service is not None, has_amount=amount is not None,
        has_eta=eta is not None, has_address=address is not None,
    )
    flags = {
        "service": service is not None, "amount": amount is not None, "eta": eta is not None,
        "address": address is not None, "date": when.date is not None,
        "window": when.window is not None, "hour": when.time is not None,
        "greeting": rules.is_greeting_only(norm), "danger": bool(dangers_now(norm)),
        "short": len(norm.split()) <= 3,
    }
    # The message-kind rules the extraction applies after the model, as features too: the model
    # learns how far to trust each (a booked visit kept, a request withdrawn, a question about
    # the business's hours; an owner's complaint about a figure, a question about the team)
    if role == "customer":
        flags.update(keeps=message_kinds.keeps_booking(folded),
                     withdraws=message_kinds.withdraws_request(folded),
                     hours=message_kinds.asks_business_hours(norm))
    elif role == "owner":
        flags.update(figures=message_kinds.disputes_figures(folded),
                     team=message_kinds.asks_about_team(folded))
    return Signals(norm, folded, service, amount, eta, address, when, rule_intent, flags, name)


def service_choices(text: str) -> Choices | None:
    """The trades to offer first for a request that names none ("tengo una pérdida en el
    baño": water or gas); None when the text names one or shows no evidence of any."""
    norm = _without_name(_normalize(text or ""), find_name(text or ""))
    return None if classify_service(norm) else choices(norm)


def _without_name(norm: str, name: str | None) -> str:
    if not name:
        return norm
    words = [re.escape(w) for w in fold_aligned(name).lower().split() if len(w) > 2]
    return re.sub(rf"\b(?:{'|'.join(words)})\b", " ", norm) if words else norm


# Words that do ask to cancel or move, whatever else the message keeps
_UNDOES = re.compile(r"\bcancel|\banul|\bsuspend|\bda(?:me|nos)\s+de\s+baja|\bmejor\s+(?:otro|el|la)\b")
# whose name an invoice goes in: "la factura a mi nombre eh, no al de ella", "que la factura
# salga a nombre de la empresa"
_INVOICE_NAME = re.compile(r"\b(?:factura|fc|recibo)\b.{0,40}\ba\s+(?:mi\s+nombre|nombre\s+(?:mio|mia|de))\b"
                           r"|\ba\s+(?:mi\s+nombre|nombre\s+(?:mio|mia|de))\b.{0,30}\b(?:factura|fc|recibo)\b")
# "mi CUIT es 20-12345678-3", "cuit 30712345671": the word and eleven digits; or, without the
# word, a number that can only be one: a CUIT's prefix (people 20, 23, 24, 27; companies 30, 33,
# 34) and eleven digits ("uy perdón, es 30-71234567-1" after the bot asked for it again)
_GIVES_CUIT = re.compile(
    r"\bcuit\b.{0,20}?(?<!\d)\d{2}[-\s.]?\d{8}[-\s.]?\d(?!\d)"
    r"|(?<![\d.,$])(?:2[0347]|3[034])(?:-\d{8}-|\.\d{8}\.|\d{8})\d(?![\d.,])")


def extract_rules(
    text: str, role: str, now: datetime, org_context: OrgContext | None = None,
    context: Context | None = None,
) -> Extraction:
    """The offline extraction: the learned intent model (with the rules' findings and the
    conversation's context as features) and the rules' grammars for every field."""
    text = text or ""
    tz = org_context.time_zone if org_context else None
    found = signals(text, role, org_context, now)
    intent, confidence, alternatives = found.rule_intent, None, None
    model = default_model()
    if model is not None:
        guess = model.guess(text, role, context, found=found)
        intent, confidence = guess.intent, round(guess.confidence, 4)
        alternatives = [label for label, _ in guess.ranked[:4]]
    if message_kinds.is_noise(found.folded) or not _VISIBLE.search(text):
        # keyboard mash asks for nothing, whoever types it (the model, given no words it knows,
        # falls back on what the role usually asks: an owner's "asdf" read as "who owes me")
        intent, confidence = "other", 0.99
    # the message-kind rules' findings, read once in `signals` (they are the model's features too)
    kinds = found.flags
    names_a_time = bool(found.when.date or found.when.window or found.when.time)
    if role == "customer" and kinds["hours"] \
            and intent in ("other", "job_status", "reschedule", "new_job", "greeting", "human") \
            and not found.service:
        # a question about the business, answered from its hours: not about a visit
        intent = "other"
    if role == "customer" and intent in ("cancel", "reschedule") and kinds["keeps"] \
            and not _UNDOES.search(message_kinds.NEGATED_UNDO.sub(" ", found.folded)):
        # "no lo muevas, el horario me queda perfecto", "no cancelen nada, fue mi nene con el
        # cel": the visit stays, nothing to change
        intent = "other"
    if role == "customer" and intent in ("cancel", "reschedule") and not names_a_time \
            and message_kinds.someone_else_receives(found.folded) \
            and not _UNDOES.search(message_kinds.NEGATED_UNDO.sub(" ", found.folded)):
        # "ese día va a estar mi hija, no hay problema?": someone else there for the visit,
        # which stands (a day named with it, "el jueves va a estar mi marido", may be a move)
        intent = "other"
    if role == "customer" and intent in ("cancel", "reschedule") and not names_a_time \
            and message_kinds.asks_price(found.folded) \
            and not _UNDOES.search(message_kinds.NEGATED_UNDO.sub(" ", found.folded)):
        # "¿cuánto sale la instalación?" with a visit booked asks what it will cost, nothing to
        # call off or move (the model, which saw few price questions with a visit booked, reads
        # "instalación" near "cancelación"): about that visit when there is one, else a question
        intent = "job_status" if context is not None and context.open_job else "other"
    if role == "customer" and intent == "cancel" and names_a_time \
            and message_kinds.moves_to_another_time(found.folded):
        # "no hace falta que vengan hoy, mejor el jueves": one time called off and another named
        # as the one wanted is a move (a cancel would drop the visit they still want)
        intent = "reschedule"
    if role == "customer" and intent in ("reschedule", "cancel", "new_job") and context is not None \
            and context.open_job and not names_a_time \
            and message_kinds.someone_else_opens(found.folded):
        # "¿hay que estar yo o puede abrir el encargado?" with a visit booked: who lets the
        # technician in, a word for him (the model reads "estar" and "puede" as a move)
        intent = "other"
    if role == "customer" and intent in ("other", "new_job") and context is not None \
            and (context.open_job or context.asked) and kinds["withdraws"] \
            and not kinds["keeps"] and not found.address and not names_a_time:
        # "falsa alarma, era la hornalla", "ya no pierde más, no hace falta que venga nadie", said
        # with a visit booked or a booking under way: not needed any more, so a cancel (the model
        # reads the problem's words, "olor", "pierde", as a new job)
        intent = "cancel"
    if role == "customer" and intent in ("other", "new_job") and not kinds["keeps"] \
            and message_kinds.cancels_outright(found.folded) \
            and not (names_a_time and message_kinds.moves_to_another_time(found.folded)):
        # "cancelamos el service de la heladera, compramos una nueva", "tengo q cancelar lo de la
        # caldera, se me rompió el auto": a visit called off in so many words, whatever problem
        # words come with it (the model, which saw most cancels beside an open job, reads them)
        intent = "cancel"
    if role == "owner" and intent in message_kinds.TEAM_MISREAD and message_kinds.asks_about_team(
            found.folded, first_names(org_context)):
        # "¿quién está de guardia?", "¿dónde anda Diego?": the team, not the money (the model
        # reads a "quién" as "quién me debe"); the flows answer it as `other`
        intent, confidence = "other", max(confidence or 0.0, 0.9)
    if role == "owner" and intent in message_kinds.TEAM_MISREAD and kinds["figures"]:
        # "el resumen de ayer está mal, dice 8 y fueron 10": a complaint about a figure, not a
        # request for it (the flows answer it as `other`, with where to correct the figures)
        intent, confidence = "other", max(confidence or 0.0, 0.9)
    if role == "owner" and intent in ("owner_unpaid", "owner_summary") \
            and message_kinds.setup_change(found.folded):
        # "¿cómo hago para que me lleguen los pagos de Mercado Pago?": the business's setup, which
        # the back office changes (the flows answer it as `other`), not the money owed
        intent, confidence = "other", max(confidence or 0.0, 0.9)
    if role == "owner" and intent == "greeting" and not kinds["greeting"] \
            and message_kinds.asks_how_a_stretch_goes(found.folded):
        # "buenas, ¿cómo viene la semana?": the greeting leads a question about the agenda or
        # the figures (the model weighs the "buenas, cómo va" it opens with)
        intent, confidence = "owner_summary", max(confidence or 0.0, 0.9)
    if kinds["greeting"] and intent != "greeting":
        # a greeting and nothing else ("hola?", "buen día") is one whatever the bot last asked:
        # the model, which saw few greetings with a context, reads "hola?" after "¿qué día te
        # queda bien?" as a new job (every greeting-only line of the corpus is labelled greeting)
        intent, confidence = "greeting", max(confidence or 0.0, 0.95)
    if role == "customer" and intent in ("other", "new_job", "payment", "greeting") \
            and message_kinds.asks_booking_details(found.folded):
        # "¿me pasás el nro de orden así lo anoto?", "¿qué dirección tienen cargada?": what the
        # visit booked says, not a new request nor a word for the technician
        intent, confidence = "job_status", max(confidence or 0.0, 0.9)
    if role == "customer" and intent in ("other", "new_job", "job_status") \
            and _INVOICE_NAME.search(found.folded):
        # "la factura igual a mi nombre eh, no al de ella": whose name it goes in, not a word
        # for the technician nor a request
        intent, confidence = "invoice_request", max(confidence or 0.0, 0.9)
    if role == "customer" and _GIVES_CUIT.search(found.folded):
        # a customer giving their CUIT gives it for an invoice, however short the message
        intent, confidence = "invoice_request", max(confidence or 0.0, 0.95)
    eta = found.eta if intent == "tech_on_the_way" else None
    today = local_today(now, tz)
    when = found.when
    day = when.date
    if day is None and role == "customer" and intent in ("new_job", "reschedule", "other") \
            and NEXT_WEEK.search(found.normalized):
        # "no hay apuro, la semana que viene": from its Monday (read after the model: an
        # owner's "la semana que viene" is a stretch, which the owner's flows read themselves)
        day = next_week_day(today)
    urgency = classify_urgency(found.normalized, intent, when.date == today,
                               message_kinds.already_shut_off(found.folded))
    service = found.service
    if service is None and context is not None and context.asked == "service" \
            and intent not in ("greeting", "human"):
        # the bot's question is the cue: "es de agua", "de luz", "a cloaca" name a trade there
        service = answered_service(_without_name(found.normalized, found.name))
    if intent in ("greeting", "human") or (intent == "other" and service is None):
        service = None
    name = found.name
    address = found.address
    if address is None and context is not None and context.asked == "address":
        # the bot's question is the cue: "juan de garay 345" answers "¿en qué dirección?"
        address = find_address(text, org_context.streets if org_context else (), answering=True)
    return Extraction(
        intent=intent,
        service=service,
        urgency=urgency,
        address=address,
        date=day.isoformat() if day else None,
        window=when.window,
        time=when.time,
        amount=found.amount,
        eta_minutes=eta,
        name=name,
        description=_description(text, role, intent, name),
        confidence=confidence,
        alternatives=alternatives,
    )


def first_names(org: OrgContext | None) -> tuple[str, ...]:
    """The organization's technicians' first names, folded ("carlos", "diego")."""
    names = (org.technicians if org else ()) or ()
    return tuple(fold_aligned(n).split()[0] for n in names if fold_aligned(n).split())


# Anything a person could read: a message of only spaces, control or zero-width characters says
# nothing (the model, given no words, would fall back on what the role usually asks)
_VISIBLE = re.compile(r"[^\s\x00-\x1f\x7f\u200b-\u200f\u2028-\u202f\u2060\ufeff]")


def extract(
    text: str, role: str, now: datetime, org_context: OrgContext | None = None, settings: Any = None,
    context: Context | None = None,
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
    return extract_rules(text, role, now, org_context, context)
