"""Closing a technician's visit: done (the priced summary, then Confirmar / Cancelar: the
`TECH_DONE` flow) or could not finish (needs follow-up, and a follow-up job at their first free
hour on the day they name). The turn comes from `flows/technician.py`.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import select

from core import es_ar, jobs
from core.billing import invoicing
from core.billing.payments import OPEN_INVOICE, record_manual_payment
from core.errors import DomainError
from core.es_ar import at_hour, day_phrase, first_name, weekday_date, yes_or_no
from core.jobs.scheduling import DEFAULT_DURATION, WINDOWS, Slot, free_slots, is_slot_free
from core.jobs.work_summary import Line, WorkSummary
from core.links import invoice_link
from core.messaging import texts
from core.messaging.replies import (
    MAX_INTERACTIVE_BODY,
    Button,
    Buttons,
    Reply,
    Text,
)
from core.models import (
    ConversationRole,
    InvoiceStatus,
    Job,
    JobEvent,
    PaymentMethod,
    Urgency,
)
from core.phones import wa_id_for
from flows import prices, technician_absent
from flows.buttons import DoneTap
from flows.job_lookup import names_job
from flows.steps import Flow, Step
from flows.technician_jobs import (
    ACTIONS,
    CANCEL_TITLE,
    CONFIRM_TITLE,
    FLOW_DONE,
    IDLE,
    NO_EXTRA,
    REST_OF_LINES,
    THE_CUSTOMER,
    S,
    clear,
    own_job,
    parse_date,
    short,
    tell_customer,
    wrong_state,
)
from flows.turn import Turn
from flows.work_text import match_lines, render_work_summary
from flows.work_text import stated_amount as parse_stated_amount
from nlu.extract.eta import find_eta
from nlu.extract.message_kinds import paid_on_site
from nlu.extract.numbers import DIGIT_NUMBER, parse_digits
from nlu.extract.text import fold_aligned
from nlu.schema import Extraction


def _visit_phrase(start: datetime) -> str:
    """"jueves 26/11 a las 9" (read after "el")."""
    return f"{weekday_date(start.date())} {at_hour(start)}"


# ---- done: summary, then confirm or cancel -------------------------------------------------

def start_done(turn: Turn, job: Job, text: str, result: Extraction | None) -> list[Reply]:
    then: dict = {}
    if others := _other_jobs_named(turn, job, text):
        # "terminé lo de García, 38 lucas / y de paso lo de Pérez, el enchufe, 9 lucas": each
        # customer is billed their own work — this summary first, the other's after its OK
        own, rest = _split_by_job(text, job, others)
        if own is None:
            return [Text(texts.render("tech_done_one_at_a_time", number=job.number,
                                      other=others[0].number))]
        text, result = own, None
        then = {"then_job_id": others[0].id, "then_text": rest,
                # "…cobrale 12 lucas / y ya salgo pa lo de Paz, llego en 25": on his way there
                # once this close is answered, not a second close
                "then_on_the_way": heads_out(fold_aligned(rest)) or None}
    amount = result.amount if result is not None else None
    if amount is None:
        amount = parse_stated_amount(text)
    if amount is not None and amount <= 0:
        amount = None
    summary = match_lines(turn.session, text, amount)
    customer = job.customer.name if job.customer else None
    said = fold_aligned(text)
    if amount is None and no_charge(said):
        # "lo cambié por garantía, no le cobres nada": closed at no charge, once he confirms —
        # no invoice, no payment link, and the customer is told she owes nothing
        return TECH_DONE.start(turn, job_id=job.id, job_number=job.number, total="0", lines=[],
                               free=True, said=short(text, 300), **then,
                               body=texts.render("tech_done_free_ask", number=job.number,
                                                 customer=customer or THE_CUSTOMER,
                                                 warranty=bool(_WARRANTY.search(said))))
    if summary.total <= 0 and amount is None and _VISIT_ONLY.search(said):
        # "no le cambié nada, cobrale la visita sola": the price book's visit
        summary = _visit_summary(turn, job, None)
    if summary.total <= 0:
        clear(turn.conversation)
        return [Text(texts.render("tech_done_no_amount", number=job.number))]
    paid = paid_on_site(text)  # "me pagó en efectivo": the invoice goes out settled
    # "12 mil + iva": the total charged is what is said, never a guess at the tax; the
    # technician sees it was not added and how to say the total with it
    plus_vat = es_ar.pesos((summary.total * VAT).quantize(Decimal(1))) \
        if _PLUS_VAT.search(fold_aligned(text)) and summary.stated_amount is not None else None
    return TECH_DONE.start(turn, **_summary_slots(job, summary, text), paid_on_site=paid, **then,
                           body=_summary_body(summary, job.number, customer, paid, plus_vat))


# Work at no charge: "no le cobres nada", "va sin cargo", "fue por garantía", "esta va de onda"
_NO_CHARGE = re.compile(
    r"\b(?:no\s+(?:le\s+|les\s+)?(?:cobres|cobren|cobramos|cobro|cobre|cobra|cobrar)(?:\s+(?:nada|un\s+peso))?"
    r"|no\s+se\s+(?:le\s+)?cobra|sin\s+cargo|gratis|de\s+onda|no\s+(?:le\s+)?factures"
    r"|(?:por|x|en|de|es|era|fue|va\s+por|entra\s+en\s+la)\s+garantia)\b")
_WARRANTY = re.compile(r"\bgarantia\b")
# Today's visit as the whole charge: "cobrale la visita sola", "solo la visita", "la visita nomás"
_VISIT_ONLY = re.compile(
    r"\b(?:cobr\w*\s+(?:solo\s+|solamente\s+)?(?:la\s+)?visita|(?:solo|solamente)\s+(?:la\s+)?visita)\b")


def no_charge(said: str) -> bool:
    """Whether folded words close a visit at no charge (and say no price)."""
    return bool(_NO_CHARGE.search(said))


def _other_jobs_named(turn: Turn, job: Job, text: str) -> list[Job]:
    """The technician's other open visits, of other customers, that the words name."""
    return [other for other in turn.open_jobs
            if other.id != job.id and other.customer_id != job.customer_id
            and other.status in (S.SCHEDULED, S.EN_ROUTE, S.ON_SITE) and names_job(other, text)]


# Where a message turns to another visit: a new line or sentence, or "y de paso", "después"
_PARTS = re.compile(r"\n+|(?<=[.;!?])\s+|,?\s+(?=y\s+(?:de\s+paso|despues|tambien|aparte)\b)")


def _split_by_job(text: str, job: Job, others: list[Job]) -> tuple[str | None, str]:
    """(this visit's words, the other visits' words): a part that names another visit is the
    other's, one that names none ("los dos me pagaron en efectivo") goes to both. None for this
    visit's words when no part is its own (both named in one breath)."""
    own, rest, named = [], [], False
    for part in (p.strip() for p in _PARTS.split(text or "")):
        if not part:
            continue
        theirs, mine = any(names_job(other, part) for other in others), names_job(job, part)
        if theirs and mine:
            return None, text
        if theirs:
            rest.append(part)
            continue
        own.append(part)
        named = named or mine
        if not mine:
            rest.append(part)  # neither visit's: the other's too
    if not named and not parse_stated_amount("\n".join(own)):
        return None, text
    return "\n".join(own), "\n".join(rest)


# "12 mil + iva", "15 lucas más IVA", "iva aparte"
_PLUS_VAT = re.compile(r"(?:\+|\bmas\b)\s*(?:el\s+)?iva\b|\biva\s+aparte\b")
VAT = Decimal("1.21")


def _ask_done(turn: Turn) -> list[Reply]:
    job_id = turn.slots["job_id"]
    if Decimal(turn.slots.get("total") or "0") <= 0 and not turn.slots.get("free"):  # no price yet
        return [Text(turn.slots["body"])]
    return [Buttons(body=turn.slots["body"],
                    buttons=(Button(DoneTap("confirm", job_id).encode(), CONFIRM_TITLE),
                             Button(DoneTap("cancel", job_id).encode(), CANCEL_TITLE)))]


def _read_done(turn: Turn) -> bool:
    """Confirmar / Cancelar, tapped or typed ("dale", "no lo cierres"), or a change to the
    summary typed instead ("agregá cambio de flexible", "cobrale 30 mil"): the summary again,
    changed, for its OK."""
    tap = turn.tap
    if isinstance(tap, DoneTap) and tap.job_id == turn.slots.get("job_id"):
        decision = "yes" if tap.choice == "confirm" else "no"
    elif tap is None:
        decision = "no" if turn.said in NO_EXTRA else yes_or_no(turn.text)
        if decision is None:
            return _corrected(turn)
    else:
        decision = None
    if decision == "yes" and Decimal(turn.slots.get("total") or "0") <= 0 and not turn.slots.get("free"):
        return False  # nothing to confirm yet: the amount is what is asked
    if decision:
        turn.save(decision=decision)
    return decision is not None


# A change to the summary: work or money added ("agregá cambio de flexible", "sumale 5000 de
# materiales", "me olvidé, también cambié el cuerito"), or the total said again ("no, cobrale 30
# mil", "eran 30 lucas")
_ADDS = re.compile(r"\b(?:agreg\w*|suma\w*|sum[ae]|anad\w*|tambien|ademas|mas|faltaba|falto"
                   r"|me\s+olvide|olvide)\b")
_RETOTALS = re.compile(r"\b(?:cobr\w*|son|eran|era|total|pone|en\s+realidad|corregi\w*"
                       r"|cambia\s+el\s+(?:total|monto|precio))\b")


# the total said again, with its figure: "eran 18", "son 18 lucas", "cobrale 18", "en total 18"
_RETOTAL_FIGURE = re.compile(r"\b(?:cobr\w*|son|eran|era|fueron|total)\s+(?:de\s+)?\$?\s*\d")


# "sacá el flexible", "el cuerito no va", "borrá los materiales": a line taken off
_REMOVES = re.compile(r"\b(?:saca\w*|quita\w*|borra\w*|elimina\w*|no\s+va\w*|no\s+lo\s+cobres"
                      r"|no\s+cobres)\b")


def changes_summary(text: str | None) -> bool:
    """Whether a message reads as a change to a priced summary ("sumale 5.000 de materiales",
    "sacá el flexible"), whatever intent the model gave it: with a visit still marked on the way,
    the model reads these as arriving or setting out."""
    said = es_ar.folded(text or "")
    return bool(_ADDS.search(said) or _RETOTALS.search(said) or _REMOVES.search(said))


def _slot_lines(slots: dict) -> list[Line]:
    """The summary's lines as the conversation keeps them (`_summary_slots`)."""
    return [Line(item_id=line["item_id"], description=line["description"],
                 quantity=Decimal(line["quantity"]), unit_price=Decimal(line["unit_price"]),
                 fitted=Decimal(line["amount"])) for line in slots.get("lines") or []]


def _without_line(slots: dict, named: str) -> WorkSummary | None:
    """The summary in `slots` without the one line whose words `named` (folded) says, the total
    down by its amount; None when no line, or more than one, is meant."""
    words = {w for w in named.split() if len(w) > 3}
    lines = _slot_lines(slots)
    meant = [line for line in lines if words & set(es_ar.folded(line.description).split())]
    if len(meant) != 1 or len(lines) < 2:
        return None
    kept = [line for line in lines if line is not meant[0]]
    return WorkSummary(lines=kept, unmatched=[], total=sum((line.amount for line in kept),
                                                           Decimal("0.00")))


# The customer has not paid yet, or pays later and otherwise ("no me pagó todavía, dijo que te
# paga por Mercado Pago", "te transfiere a la noche")
_NOT_PAID_YET = re.compile(
    r"\b(?:no|todavia\s+no|aun\s+no)\s+(?:me\s+|nos\s+|te\s+)?(?:lo\s+)?(?:pago|pagaron|abono|dio|transfirio)\b"
    r"|\b(?:te|les|nos)\s+(?:paga|transfiere|deposita|abona|manda\s+la\s+plata)\b"
    r"|\bpaga\s+(?:despues|mas\s+tarde|a\s+la\s+noche|manana|con\s+el\s+link|por\s+(?:el\s+)?link"
    r"|(?:por|con|x)\s+(?:mercado\s*pago|mp|transferencia))\b|\bsin\s+cobrar\b")
# Cash for part of it: "me dio 30 en efectivo, el resto lo transfiere"
_CASH = re.compile(r"\b(?:efectivo|cash|billetes?|en\s+mano)\b")


def _payment_said(turn: Turn, said: str) -> bool:
    """While the summary waits, how the customer paid told after it ("ah, me pagó en efectivo",
    "no me pagó todavía, paga por Mercado Pago", "me dio 30 en efectivo, el resto lo
    transfiere"): the summary again with it, for the OK. False when the words tell no payment."""
    s = turn.slots
    total = Decimal(s.get("total") or "0")
    if total <= 0:
        return False
    paid, part = s.get("paid_on_site"), None
    if _CASH.search(said) and (cash := _cash_part(turn.text or "", total)) is not None and cash < total:
        paid, part = "part", cash
    elif _NOT_PAID_YET.search(said):
        paid = None
    elif (told := paid_on_site(turn.text or "")) is not None:
        paid = told
    else:
        return False
    job = turn.session.get(Job, s["job_id"])
    customer = job.customer.name if job is not None and job.customer else None
    summary = WorkSummary(lines=_slot_lines(s), unmatched=[], total=total)
    turn.save(paid_on_site=paid, paid_part=str(part) if part is not None else None,
              body=_summary_body(summary, s["job_number"], customer, paid, part=part))
    return True


def _cash_part(text: str, total: Decimal) -> Decimal | None:
    """The cash handed over, from "me dio 30 en efectivo" (30 thousand, at a total of 52
    thousand: in lunfardo the thousands go unsaid) or "me dio $30.000"."""
    value = parse_stated_amount(text)
    if value is None:
        value = next((parse_digits(found.group()) for found in DIGIT_NUMBER.finditer(text)
                      if parse_digits(found.group())), None)
    if not value or value <= 0:
        return None
    value = Decimal(str(value))
    if value < 1000 <= total:
        value *= 1000
    return value


def _corrected(turn: Turn) -> bool:
    """The summary changed by a typed correction, saved for the step to ask again; False when
    the message changes nothing (it is then a miss, as before)."""
    s, text = turn.slots, turn.text or ""
    said = es_ar.folded(text)
    if _payment_said(turn, said):
        return True
    amount = turn.result.amount if turn.result is not None and turn.result.amount else None
    if amount is None:
        amount = parse_stated_amount(text)
    if amount is None and (retotal := _RETOTAL_FIGURE.search(said)) is not None:
        # "eran 31": thousands, as the trade says a total
        figure = parse_digits(DIGIT_NUMBER.match(said, retotal.end() - 1).group())
        amount = Decimal(str(figure * 1000 if figure and figure < 1000 else figure)) if figure else None
    if amount is None:
        # a figure alone ("sumale 5000 de materiales") is money at a priced summary
        amount = next((Decimal(str(value)) for found in DIGIT_NUMBER.finditer(text)
                       if (value := parse_digits(found.group())) and 100 <= value < 10_000_000),
                      None)
    stated = Decimal(s["stated_amount"]) if s.get("stated_amount") else None
    if s.get("visit_only"):
        # today's visit of unfinished work: "cobrale 8000" is its price, nothing else to add
        job = turn.session.get(Job, s["job_id"])
        summary = _visit_summary(turn, job, amount) if job is not None and amount else None
        if summary is None or summary.total <= 0:
            return False
        turn.save(**_summary_slots(job, summary, s["said"]),
                  body=_summary_body(summary, s["job_number"],
                                     job.customer.name if job.customer else None,
                                     s.get("paid_on_site"), part=_cash_part_kept(s)))
        return True
    if (removed := _REMOVES.search(said)) and not _ADDS.search(said):
        summary = _without_line(s, said[removed.end():])
        if summary is None:
            return False
        said_now = ", ".join(line.description for line in summary.lines)
    elif amount is not None and _RETOTALS.search(said) and not _ADDS.search(said):
        summary = match_lines(turn.session, s["said"], amount)  # the same work, the total said now
        said_now = s["said"]
    elif amount is not None and _RETOTAL_FIGURE.search(said):
        # "eran 18, me olvidé de sumar el sifón": the total said, with the work it forgot
        said_now = f"{s['said']}. {text}"
        summary = match_lines(turn.session, said_now, amount)
    else:
        added = match_lines(turn.session, text, amount)
        if added.total <= 0 or not (_ADDS.search(said) or amount is not None):
            return False
        said_now = f"{s['said']}. {text}"
        total = (stated + added.total) if stated is not None else None
        summary = match_lines(turn.session, said_now, total)
    if summary.total <= 0:
        return False
    job = turn.session.get(Job, s["job_id"])
    customer = job.customer.name if job is not None and job.customer else None
    turn.save(**_summary_slots(job, summary, said_now),
              body=_summary_body(summary, s["job_number"], customer, s.get("paid_on_site"),
                                 part=_cash_part_kept(s)))
    return True


def _cash_part_kept(slots: dict) -> Decimal | None:
    """The cash for a part told before (`_payment_said`), kept through a change of the lines:
    the summary shown again still says it, and what is left."""
    return Decimal(slots["paid_part"]) if slots.get("paid_on_site") == "part" and slots.get("paid_part") \
        else None


def _finish_done(turn: Turn) -> list[Reply]:
    then_id, then_text = turn.slots.get("then_job_id"), turn.slots.get("then_text")
    then_going = turn.slots.get("then_on_the_way")  # read before the close clears the slots
    if turn.slots.get("decision") == "yes":
        replies = _confirm_done(turn, turn.slots["job_id"])
    else:
        replies = _cancel_done(turn)
    if then_id and then_going and (other := own_job(turn, then_id)) is not None \
            and other.status is S.SCHEDULED:
        from flows.technician import on_the_way  # it imports this module

        replies += on_the_way(turn, other, find_eta(fold_aligned(then_text or "")))
    elif then_id and (other := own_job(turn, then_id)) is not None \
            and other.status in (S.SCHEDULED, S.EN_ROUTE, S.ON_SITE):
        # the other visit told in the same message: its own summary now
        replies += start_done(turn, other, then_text or "", None)
    return replies


# Setting out for a visit: "ya salgo pa lo de Paz", "voy para lo de Paz, llego en 25", "en camino"
_HEADS_OUT = re.compile(
    r"\b(?:salgo|saliendo|sali|voy|vamos|me\s+voy|arranco|me\s+muevo)\s+(?:\w+\s+)?(?:para|pa|a|hacia)\b"
    r"|\ben\s+camino\b|\bllego\s+en\b|\bestoy\s+yendo\b")


def heads_out(said: str) -> bool:
    """Whether folded words set out for a visit (and close none)."""
    return bool(_HEADS_OUT.search(said)) and not re.search(r"\b(?:termine|listo|cobr\w+|hice)\b", said)


def queue_other_done(turn: Turn) -> list[Reply] | None:
    """"Listo lo de Bustos, 15 lucas" while Aguirre's summary waits for its OK: Bustos's work is
    kept for a summary of its own right after Aguirre's is answered (never a change to Aguirre's
    lines or payment), and Aguirre's is asked again. None when the words name no other visit of
    the technician's, or name the waiting one too."""
    waiting = own_job(turn, turn.slots.get("job_id")) if turn.slots.get("job_id") else None
    if waiting is None or turn.slots.get("then_job_id") or names_job(waiting, turn.text or ""):
        return None
    others = _other_jobs_named(turn, waiting, turn.text or "")
    if len(others) != 1:
        return None
    other = others[0]
    turn.save(then_job_id=other.id, then_text=turn.text or "")
    return [Text(texts.render(
        "tech_done_queued", other=first_name(other.customer.name if other.customer else None)
        or THE_CUSTOMER, waiting=first_name(waiting.customer.name if waiting.customer else None)
        or THE_CUSTOMER, number=waiting.number)), *_ask_done(turn)]


def still_waiting(turn: Turn, job: Job) -> list[Reply]:
    """A reminder, after acting on another visit, that a summary still waits for its OK."""
    if not turn.in_flow(FLOW_DONE) or turn.slots.get("job_id") in (None, job.id):
        return []
    return [Text(texts.render("tech_done_still_waiting", number=turn.slots.get("job_number")))]


def done_tapped(turn: Turn, tap: DoneTap) -> list[Reply]:
    """A tap on a summary's buttons: its answer, or "no longer valid" for an old summary."""
    if not turn.in_flow(FLOW_DONE) or turn.slots.get("job_id") != tap.job_id:
        return [Text(texts.render("tech_done_stale"))]
    return TECH_DONE.walk(turn)


# "¿cuánto le digo? ¿15 + iva?", "¿cuánto le cobro?": what to collect, asked while the summary waits
_HOW_MUCH = re.compile(r"\bcuanto\s+(?:le\s+|les\s+)?(?:digo|cobro|pido|paso|cobramos)\b|\b(?:mas|\+)\s*iva\b.*\?")


def _done_side_answer(turn: Turn) -> list[Reply] | None:
    """What to collect, asked while the summary waits: its total, and whether IVA goes on top
    (never, for a monotributista's invoice C); the summary's question stands, with no miss."""
    if not _HOW_MUCH.search(es_ar.folded(turn.text or "")) or Decimal(turn.slots.get("total") or "0") <= 0:
        return None
    condition = turn.org.iva_condition if turn.org else None
    return [Text(texts.render("tech_done_how_much", total=es_ar.pesos(Decimal(turn.slots["total"])),
                              iva=getattr(condition, "value", None)))]


TECH_DONE = Flow(
    name=FLOW_DONE,
    steps=(Step("confirm", ask=_ask_done, read=_read_done,
                needed=lambda turn: not turn.slots.get("decision"),
                reask=lambda turn: [Text(texts.render("tech_done_retry")), *_ask_done(turn)]),),
    finish=_finish_done,
    hand_over=lambda turn: _cancel_done(turn),
    idle=IDLE,
    side_answer=_done_side_answer,
)


def _summary_slots(job: Job, summary: WorkSummary, text: str) -> dict:
    return {
        "job_id": job.id,
        "job_number": job.number,
        "lines": [{"item_id": line.item_id, "description": line.description,
                   "quantity": str(line.quantity), "unit_price": str(line.unit_price),
                   "amount": str(line.amount)} for line in summary.all_lines],
        "total": str(summary.total),
        "stated_amount": None if summary.stated_amount is None else str(summary.stated_amount),
        "unmatched": list(summary.unmatched),
        "said": text,
    }


def _summary_body(summary: WorkSummary, number: int, customer: str | None,
                  paid: str | None = None, plus_vat: str | None = None,
                  part: Decimal | None = None) -> str:
    """The confirmation, within WhatsApp's 1024 characters: the last lines fold into one."""
    lines = summary.lines
    body = render_work_summary(summary, number, customer, paid, plus_vat, part)
    for keep in range(len(lines) - 1, -1, -1):
        if len(body) <= MAX_INTERACTIVE_BODY:
            return body
        rest = lines[keep:]
        folded = Line(item_id=None, description=REST_OF_LINES.format(n=len(rest)),
                      quantity=Decimal(1),
                      unit_price=sum((line.amount for line in rest), Decimal("0.00")),
                      confidence=min(line.confidence for line in rest))
        unmatched = [short(u, 40) for u in summary.unmatched[:3]]
        body = render_work_summary(replace(summary, lines=[*lines[:keep], folded],
                                           unmatched=unmatched), number, customer, paid, plus_vat,
                                   part)
    return body if len(body) <= MAX_INTERACTIVE_BODY else body[: MAX_INTERACTIVE_BODY - 1] + "…"


def _confirm_done(turn: Turn, job_id: int) -> list[Reply]:
    conversation = turn.conversation
    slots = dict(conversation.slots or {})
    job = own_job(turn, job_id)
    if job is None:
        clear(conversation)
        return [Text(texts.render("tech_done_stale"))]
    if slots.get("free"):
        return _close_free(turn, job, slots)
    visit_only = bool(slots.get("visit_only"))  # today's visit of a job left pending
    if job.status not in ((S.NEEDS_FOLLOWUP,) if visit_only else ACTIONS["done"][0]):
        clear(conversation)
        return [wrong_state(job)]
    summary = {key: slots.get(key) for key in
               ("lines", "total", "stated_amount", "unmatched", "said", "paid_on_site", "paid_part")}
    try:
        with turn.session.begin_nested():
            if visit_only:
                jobs.add_note(turn.session, job.id, f"Visita cobrada: {_done_note(summary)}",
                              turn.actor, data={"visit_charged": summary})
            else:
                _complete(turn, job, _done_note(summary), {"work_summary": summary})
            # Handed to invoicing: authorized with AFIP (or an internal receipt) right after
            # this commits, then sent to the customer with the payment link.
            invoice = invoicing.create_for_job(
                turn.session, job, invoicing.lines_from_summary(turn.session, summary),
                settings=turn.settings, now=turn.now, actor=turn.actor,
            )
            if invoice.total != Decimal(summary["total"]):
                # Never charge other than what the technician confirmed.
                raise ChargeMismatch(f"la factura daría {es_ar.pesos(invoice.total)} y "
                                     f"confirmaste {es_ar.pesos(Decimal(summary['total']))}")
            collected = _collected_on_site(turn, invoice, summary.get("paid_on_site"),
                                           summary.get("paid_part"))
            if invoice.status in (InvoiceStatus.PENDING, InvoiceStatus.INTERNAL):
                invoicing.request_issue(turn.session, invoice.id)
            waits_for_id = invoice.status is InvoiceStatus.DRAFT
            waits_for_cuit = invoicing.waiting_for_cuit(invoice)
    except DomainError as exc:
        return [Text(texts.render("tech_error", reason=str(exc).rstrip(".")))]
    clear(conversation)
    # The stars are asked once the invoice or receipt has reached the customer
    # (services/invoice_delivery.py), so the rating never comes before the bill; a visit
    # charged on unfinished work is no job done to thank for
    by_owner = turn.role is ConversationRole.OWNER
    technician = job.technician if by_owner else None
    tech_name = (first_name(technician.name) or technician.name) if technician is not None else None
    if not visit_only:
        # closed by the owner for the technician: the customer hears who did the work
        tell_customer(turn, job, "customer_thanks", number=job.number,
                      **({"tech": tech_name or "El técnico"} if by_owner else {}))
    customer = (job.customer.name if job.customer else None) or THE_CUSTOMER
    if by_owner and technician is not None and technician.phone and technician.id != turn.conversation.user_id:
        turn.notify(wa_id_for(technician.phone), Text(texts.render(
            "tech_closed_by_owner", owner=first_name(turn.user.name) if turn.user else None,
            number=job.number, customer=customer, total=es_ar.pesos(invoice.total))))
    if summary.get("paid_on_site") in ("cash", "transfer") and not collected:
        # a transfer the office must see arrive, or cash on an invoice that waits for the
        # customer's ID: the inbox staff hear it, with where to record it
        turn.tell_staff(texts.render(
            "staff_paid_on_site", technician=turn.user.name if turn.user else None,
            customer=customer, number=job.number, total=es_ar.pesos(invoice.total),
            transfer=summary["paid_on_site"] == "transfer",
            link=invoice_link(turn.settings, invoice.id)))
    return [Text(texts.render("tech_done", number=job.number, customer=customer,
                              needs_id=waits_for_id and not waits_for_cuit,
                              needs_cuit=waits_for_cuit, collected=collected,
                              visit_only=visit_only))]


def _close_free(turn: Turn, job: Job, slots: dict) -> list[Reply]:
    """The visit closed at no charge: completed, on the record as free, and nothing billed."""
    if job.status not in ACTIONS["done"][0]:
        clear(turn.conversation)
        return [wrong_state(job)]
    try:
        with turn.session.begin_nested():
            _complete(turn, job, f"Sin cargo: {slots.get('said') or ''}".strip(), {NO_CHARGE: True})
    except DomainError as exc:
        return [Text(texts.render("tech_error", reason=str(exc).rstrip(".")))]
    clear(turn.conversation)
    technician = job.technician if turn.role is ConversationRole.OWNER else None
    tell_customer(turn, job, "customer_thanks_free", number=job.number,
                  **({"tech": first_name(technician.name)} if technician is not None else {}))
    customer = (job.customer.name if job.customer else None) or THE_CUSTOMER
    return [Text(texts.render("tech_done_free", number=job.number, customer=customer))]


NO_CHARGE = "no_charge"  # on a completed event: the work was done at no charge


def _complete(turn: Turn, job: Job, note: str, data: dict) -> None:
    """The visit completed (on site first, for a "terminé" without a "llegué"), `data` kept on
    its completed event."""
    if job.status != S.ON_SITE:
        jobs.transition(turn.session, job.id, S.ON_SITE, turn.actor)
    jobs.transition(turn.session, job.id, S.COMPLETED, turn.actor, note=note)
    event = turn.session.scalar(
        select(JobEvent).where(JobEvent.job_id == job.id, JobEvent.to_status == S.COMPLETED)
        .order_by(JobEvent.id.desc()).limit(1))
    if event is not None:
        event.data = {**(event.data or {}), **data}


def _collected_on_site(turn: Turn, invoice, paid: str | None, part: str | None = None) -> bool:
    """Cash the technician says they took in full is recorded on the invoice (it then reaches
    the customer settled, never with the ways to pay); a transfer is the office's to confirm.
    Cash for a part of it is recorded too, and the customer is asked for the rest; False then,
    since the invoice is not settled."""
    if paid not in ("cash", "part") or invoice.status not in OPEN_INVOICE or invoice.total <= 0:
        return False
    amount = invoice.total if paid == "cash" else Decimal(part or "0")
    if amount <= 0 or amount > invoice.total:
        return False
    who = first_name(turn.user.name) if turn.user else None
    record_manual_payment(turn.session, invoice, method=PaymentMethod.CASH, amount=amount,
                          actor=turn.actor, now=turn.now,
                          note=f"Cobrado en efectivo por {who} en el lugar" if who else
                          "Cobrado en efectivo en el lugar")
    return paid == "cash"


def _done_note(summary: dict) -> str:
    """The event note, for people reading the timeline: the lines and the total."""
    parts = []
    for line in summary.get("lines") or []:
        quantity = Decimal(line["quantity"])
        shown = "" if quantity == 1 else f"{format(quantity.normalize(), 'f')} × "
        parts.append(f"{shown}{line['description']}: {es_ar.pesos(Decimal(line['amount']))}")
    total = es_ar.pesos(Decimal(summary.get("total") or "0"))
    return "; ".join([*parts, f"Total: {total}"])


class ChargeMismatch(DomainError):
    """The invoice would not charge what the technician confirmed."""


def _cancel_done(turn: Turn) -> list[Reply]:
    clear(turn.conversation)
    return [Text(texts.render("tech_done_cancelled"))]


# ---- could not finish: follow-up -----------------------------------------------------------

def cannot_complete(turn: Turn, job: Job, text: str, result: Extraction | None) -> list[Reply]:
    reason = " ".join(((result.description if result else None) or text or "").split())
    asked = parse_date(result.date if result else None)
    if why := technician_absent.never_got_there(job, text):  # nothing begun: the visit moves
        if why == "nobody_home" and technician_absent.first_knock(turn, job, text, asked):
            return technician_absent.at_the_door(turn, job, text)  # first, the customer opens
        asked = technician_absent.day_to_move_to(job, text, asked, turn.zone)
        start = _first_free_hour(turn, asked) if asked else None
        return technician_absent.move_visit(turn, job, why, reason, asked, start)
    start = _first_free_hour(turn, asked, result.window if result else None,
                             result.time if result else None) if asked else None
    jobs.transition(turn.session, job.id, S.NEEDS_FOLLOWUP, turn.actor, note=reason or None)
    description = f"Seguimiento de #{job.number}" + (f": {reason}" if reason else "")
    follow_up = jobs.create_job(turn.session, {
        "customer_id": job.customer_id,
        "service": job.service,
        "description": short(description, 4000),
        # a return visit is booked work: the emergency, if any, was met by the first visit
        "urgency": Urgency.URGENT if job.urgency is Urgency.EMERGENCY else job.urgency,
        "address_id": job.address_id,
        "address_text": job.address_text,
        "technician_id": turn.user.id,
        "scheduled_start": start,
    }, actor=turn.actor)
    when = _visit_phrase(start) if start else None
    full = day_phrase(asked, turn.today) if asked and not start else None
    # "no quiso cambiarlo, lo piensa": the customer decides, nobody has to come back; the office
    # keeps the pending visit to follow up, and the customer is told nothing of a return
    declined = bool(_DECLINED.search(es_ar.folded(text or ""))) and start is None
    notified = not declined and tell_customer(turn, job, "customer_followup", when=when)
    customer = first_name(job.customer.name if job.customer else None) or THE_CUSTOMER
    told = Text(texts.render(
        "tech_followup", number=job.number, new_number=follow_up.number, when=when,
        asked=full[0].upper() + full[1:] if full else None,
        customer=customer, notified=notified, declined=declined,
    ))
    if (charge := charged_today(text)) is None:
        return [told]
    # "hoy cobrale la visita nomás": today's visit billed as said (the price book's visit, or
    # the amount), for the technician's OK like any close; the job stays pending
    amount = parse_stated_amount(charge)
    summary = _visit_summary(turn, job, amount if amount and amount > 0 else None)
    full_name = job.customer.name if job.customer else None
    return [told, *TECH_DONE.start(
        turn, **_summary_slots(job, summary, charge), paid_on_site=paid_on_site(text),
        visit_only=True, body=_summary_body(summary, job.number, full_name) if summary.total > 0
        else texts.render("tech_visit_charge_ask", number=job.number))]


# the customer turning the work down for now: "no quiso cambiarlo", "lo va a pensar", "no aceptó el
# presupuesto", "le pareció caro"
_DECLINED = re.compile(
    r"\bno\s+(?:quiso|quiere|acepto|acepta|le\s+interesa)\b|\blo\s+(?:va\s+a\s+)?piensa\b|\blo\s+va\s+a\s+pensar\b"
    r"|\b(?:le\s+)?parecio\s+caro\b|\bva\s+a\s+pedir\s+otro\s+presupuesto\b|\bprefiere\s+esperar\b")


# "hoy cobrale la visita nomás", "cobrale 8 lucas por hoy", "la visita sí se la cobrás": a charge
# for today's visit in a message that says the work is not finished (not "no le cobres nada")
_CHARGE_TODAY = re.compile(
    r"(?<!\bno\s)(?<!\bno\sle\s)(?<!\bno\sse\s)\b(?:cobr(?:ale|arle|ales|a|asela|aselo|amos)|se\s+la\s+cobr\w+|"
    r"que\s+(?:pague|abone))\b[^.!?\n]*")


def _visit_summary(turn: Turn, job: Job, amount: Decimal | None) -> WorkSummary:
    """Today's visit as the one line to charge: at the amount said, else at the price book's
    visit (the urgent one for an emergency); no line (total 0) when there is neither."""
    item = prices.visit_item(turn, urgent=job.urgency is Urgency.EMERGENCY)
    price = Decimal(str(amount)) if amount is not None else (item.price if item is not None else None)
    if price is None or price <= 0:
        return WorkSummary(lines=[], unmatched=[], total=Decimal("0.00"))
    line = Line(item_id=item.id if item is not None else None,
                description=item.name if item is not None else VISIT, quantity=Decimal(1),
                unit_price=price)
    return WorkSummary(lines=[line], unmatched=[], total=line.amount,
                       stated_amount=Decimal(str(amount)) if amount is not None else None)


VISIT = "Visita"  # the line's words when the price book lists no visit


def charged_today(text: str) -> str | None:
    """The words charging today's visit in a could-not-finish message ("cobrale la visita
    nomás"), or None."""
    said = fold_aligned(text or "")
    found = _CHARGE_TODAY.search(said)
    if found is None or re.search(r"\b(?:nada|gratis|sin\s+cargo)\b", found.group()):
        return None
    return (text or "")[found.start():found.end()]


def _first_free_hour(turn: Turn, day: date, window: str | None = None,
                     at: str | None = None) -> datetime | None:
    """The technician's first free whole hour on `day` (within the part of the day named, or
    the hour named when it is free), or None (past, closed or full).

    `free_slots` hands each hour to the least busy technician, so this technician's own hours
    are also checked one by one with `is_slot_free`; the earliest of both wins.
    """
    org = turn.org
    if org is None or day < turn.today:
        return None
    first, last = WINDOWS.get(window or "", (8, 20))  # no part named: a working day
    if at:
        named = int(at.split(":")[0])
        start = datetime.combine(day, time(named), tzinfo=turn.zone)
        slot = Slot(start=start, end=start + DEFAULT_DURATION, technician_id=turn.user.id)
        if start > turn.now and is_slot_free(turn.session, org, slot, now=turn.now):
            return start
    found = [slot.start for slot in free_slots(turn.session, org, now=turn.now, count=24,
                                               preferred_date=day)
             if slot.technician_id == turn.user.id and slot.start.date() == day
             and first <= slot.start.astimezone(turn.zone).hour < last]
    for hour in range(first, last):
        start = datetime.combine(day, time(hour), tzinfo=turn.zone)
        if found and start >= min(found):
            break
        slot = Slot(start=start, end=start + DEFAULT_DURATION, technician_id=turn.user.id)
        if is_slot_free(turn.session, org, slot, now=turn.now):
            found.append(start)
            break
    return min(found).astimezone(turn.zone) if found else None
