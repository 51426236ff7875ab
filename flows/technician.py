"""What a technician says on WhatsApp, acted on: agenda, on the way, arrived, done, follow-up.

The engine hands over a technician's turn (`flows.turn.Turn`: the burst understood, and the
typed button or list row they tapped). Which job a message is about comes from
`flows.job_lookup.candidate_jobs`, narrowed to the jobs the action fits; when more than one is
left the technician is asked with a list, never guessed for. Status changes go through
`core.jobs.transition` in the caller's session (nothing is committed here), and the customer is
told through `notify(wa_id, reply)`, which the engine queues to the customer's chat.

Buttons: `JobActionTap` (which job, from the "¿a cuál?" list) and `DoneTap` (confirm or cancel
the priced summary), both in `flows/buttons.py`. The two questions are flows on the step engine
(`flows/steps.py`): `TECH_PICK` (which job) and `TECH_DONE` (confirm the summary).

```mermaid
flowchart TD
    msg([technician burst]) --> intent{intent}
    intent -- tech_agenda --> agenda[today's jobs in order + map links]
    intent -- on_the_way / arrived / done / cannot --> which{which job?}
    which -- none --> ask_number[ask for the job number]
    which -- several --> pick[list: ¿a cuál?] -- tap job:id:action --> act
    which -- one --> act{action}
    act -- on_the_way --> en_route[en_route + ETA] --> tell[customer told, tracking link]
    act -- arrived --> on_site[on_site] --> tell
    act -- done --> summary[price-book lines + total: Confirmar / Cancelar]
    summary -- done:confirm --> completed[completed, invoice issued] --> thanks[customer thanked; the bill, then the stars]
    summary -- done:cancel --> kept[left open]
    act -- cannot --> followup[needs_followup + follow-up job] --> tell
```

State kept in the conversation (JSON-safe):
    flow "tech_pick", state "which_job": the message waiting for a job to be picked
        (slots: action, text, eta, amount, date, reason; job_id once picked).
    flow "tech_done", state "confirm": the priced summary waiting for Confirmar/Cancelar
        (slots: job_id, job_number, lines, total, stated_amount, unmatched, said, body;
        decision once answered).
On confirmation the summary lands in the completed job's status event: `data["work_summary"]`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from core import es_ar, jobs, links
from core.billing import invoicing
from core.errors import DomainError
from core.es_ar import at_hour, clock_hm, day_phrase, first_name, weekday_date, yes_or_no
from core.jobs.scheduling import DEFAULT_DURATION, Slot, free_slots, is_slot_free
from core.jobs.tracking import tracking_token, tracking_url
from core.jobs.work_summary import Line, WorkSummary
from core.messaging import texts
from core.messaging.replies import (
    MAX_INTERACTIVE_BODY,
    MAX_LIST_ROWS,
    MAX_ROW_DESCRIPTION,
    MAX_ROW_TITLE,
    Button,
    Buttons,
    ListMessage,
    Reply,
    Row,
    Section,
    Text,
)
from core.models import (
    Conversation,
    ConversationRole,
    InvoiceStatus,
    Job,
    JobEvent,
    JobStatus,
    Role,
    Service,
)
from core.phones import wa_id_for
from flows.buttons import DoneTap, JobActionTap
from flows.engine import FlowSpec
from flows.job_lookup import candidate_jobs
from flows.steps import Flow, Step
from flows.turn import Turn
from flows.work_text import match_lines, render_work_summary
from flows.work_text import stated_amount as parse_stated_amount
from nlu.schema import Extraction

DEFAULT_ETA = 30  # minutes, when the technician does not say
MAX_ETA = 600
AGENDA_LIMIT = 15

FLOW_DONE, FLOW_PICK = "tech_done", "tech_pick"
IDLE = timedelta(hours=12)

S = JobStatus
AGENDA_STATUSES = (S.SCHEDULED, S.EN_ROUTE, S.ON_SITE, S.NEEDS_FOLLOWUP)
# Which jobs each action fits, and the status that makes one the obvious pick among several
# ("llegué" while en route to García: García; "terminé" while at García's: García).
ACTIONS: dict[str, tuple[tuple[JobStatus, ...], JobStatus | None]] = {
    "on_the_way": ((S.SCHEDULED,), None),
    "arrived": ((S.SCHEDULED, S.EN_ROUTE), S.EN_ROUTE),
    "done": ((S.ON_SITE, S.EN_ROUTE, S.SCHEDULED), S.ON_SITE),
    "cannot": ((S.ON_SITE, S.EN_ROUTE, S.SCHEDULED), S.ON_SITE),
}
INTENT_ACTIONS = {
    "tech_on_the_way": "on_the_way", "tech_arrived": "arrived", "tech_job_done": "done",
    "tech_cannot_complete": "cannot",
}
INTENTS = frozenset({*INTENT_ACTIONS, "tech_agenda"})

# User-facing words (Rioplatense Spanish).
SERVICE_LABELS = {
    Service.PLUMBING: "Plomería", Service.ELECTRICAL: "Electricidad", Service.GAS: "Gas",
    Service.HVAC: "Climatización", Service.LOCKSMITH: "Cerrajería", Service.OTHER: "Otro",
}
STATE_LABELS = {  # "El #12 de García figura <...>"
    S.PENDING: "sin agendar", S.SCHEDULED: "agendado", S.EN_ROUTE: "en camino",
    S.ON_SITE: "en curso", S.COMPLETED: "terminado", S.INVOICED: "facturado", S.PAID: "cobrado",
    S.CANCELLED: "cancelado", S.NEEDS_FOLLOWUP: "pendiente de otra visita",
}
AGENDA_STATES = {S.EN_ROUTE: "en camino", S.ON_SITE: "estás ahí",
                 S.NEEDS_FOLLOWUP: "pendiente de otra visita"}
THE_CUSTOMER = "el cliente"
ROWS_BUTTON = "Ver trabajos"
CONFIRM_TITLE, CANCEL_TITLE = "Confirmar", "Cancelar"
REST_OF_LINES = "…y {n} ítems más"
NO_EXTRA = frozenset({"no lo cierres", "no cierres", "cancelo", "cancelar"})


def handle(turn: Turn) -> list[Reply]:
    """The replies to a technician's turn; [] when it is not theirs to answer (the engine does).

    Everything happens in the turn's session, uncommitted.
    """
    if turn.user is None or turn.user.role is not Role.TECHNICIAN:
        return []
    tap = turn.tap
    if isinstance(tap, DoneTap):
        return _done_tapped(turn, tap)
    if isinstance(tap, JobActionTap):
        return _picked(turn, tap)
    intent = turn.result.intent
    if intent == "tech_agenda":
        return _agenda(turn, _parse_date(turn.result.date))
    action = INTENT_ACTIONS.get(intent)
    if action is not None:
        return _act_on_text(turn, action)
    if turn.in_flow(FLOW_DONE):
        return TECH_DONE.walk(turn)
    if turn.in_flow(FLOW_PICK):
        return TECH_PICK.walk(turn)
    return []


# ---- who, where, when ----------------------------------------------------------------------

def _parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _visit_phrase(start: datetime) -> str:
    """"jueves 26/11 a las 9" (read after "el")."""
    return f"{weekday_date(start.date())} {at_hour(start)}"


def _customer_wa_id(job: Job) -> str | None:
    customer = job.customer
    if customer is None:
        return None
    if customer.phone:
        return wa_id_for(customer.phone)
    return customer.wa_id or None


def _tell_customer(turn: Turn, job: Job, template: str, **context: object) -> bool:
    """Queue a text to the job's customer; False when there is no number to write to."""
    wa_id = _customer_wa_id(job)
    if not wa_id:
        return False
    name = first_name(job.customer.name if job.customer else None)
    tech = first_name(turn.user.name) or turn.user.name
    turn.notify(wa_id, Text(texts.render(template, name=name, tech=tech, **context)))
    return True


def _clear(conversation: Conversation) -> None:
    conversation.flow = conversation.state = None
    conversation.slots = {}
    conversation.expires_at = None


# ---- the agenda ----------------------------------------------------------------------------

def _agenda(turn: Turn, day: date | None) -> list[Reply]:
    day = day or turn.today
    start = datetime.combine(day, time(), tzinfo=turn.zone)
    end = start + timedelta(days=1)
    found = list(turn.session.scalars(
        select(Job).options(joinedload(Job.customer))
        .where(Job.technician_id == turn.user.id, Job.status.in_(AGENDA_STATUSES),
               Job.scheduled_start >= start, Job.scheduled_start < end)
        .order_by(Job.scheduled_start, Job.number)
    ).unique())
    phrase = day_phrase(day, turn.today)
    if not found:
        return [Text(texts.render("tech_agenda_empty", day=phrase))]
    rows = []
    for job in found[:AGENDA_LIMIT]:
        address = _address(job)
        description = " ".join((job.description or "").split())
        rows.append({
            "time": clock_hm(job.scheduled_start.astimezone(turn.zone)),
            "customer": (job.customer.name if job.customer else None) or "Sin nombre",
            "number": job.number,
            "state": AGENDA_STATES.get(job.status),
            "address": address,
            "service": SERVICE_LABELS.get(job.service, str(job.service)),
            "description": _short(description, 60) if description else None,
            "maps": _map(turn, job),
        })
    more = max(0, len(found) - AGENDA_LIMIT)
    return [Text(texts.render("tech_agenda", day=phrase, jobs=rows, more=more))]


def _map(turn: Turn, job: Job) -> str | None:
    a = job.address
    return links.map_link(a.street if a else None, a.number if a else None,
                          a.locality if a else None, address_text=job.address_text,
                          business_address=turn.org.address if turn.org else None,
                          time_zone=turn.org.time_zone if turn.org else None)


def _address(job: Job) -> str | None:
    if job.address_text:
        return job.address_text
    return job.address.one_line if job.address is not None else None


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# ---- which job -----------------------------------------------------------------------------

def _act_on_text(turn: Turn, action: str) -> list[Reply]:
    text, result = turn.text, turn.result
    fits, preferred = ACTIONS[action]
    found = candidate_jobs(turn.session, turn.user.id, text, turn.today)
    fitting = [job for job in found if job.status in fits]
    if not fitting:
        if len(found) == 1:
            return [_wrong_state(found[0])]
        return [Text(texts.render("tech_no_job"))]
    obvious = [job for job in fitting if job.status == preferred]
    if len(fitting) > 1 and len(obvious) == 1:
        fitting = obvious
    eta = _eta(result.eta_minutes)
    if len(fitting) == 1:
        return _act(turn, action, fitting[0], text=text, result=result, eta=eta)
    return TECH_PICK.start(turn, action=action, text=text, eta=eta, amount=result.amount,
                           date=result.date, reason=result.description,
                           candidates=[job.id for job in fitting])


def _ask_which_job(turn: Turn) -> list[Reply]:
    s = turn.slots
    found = [job for job_id in s.get("candidates") or []
             if (job := _own_job(turn, job_id)) is not None]
    return [_which_job(turn, s["action"], found, s.get("eta") or DEFAULT_ETA)]


def _read_which_job(turn: Turn) -> bool:
    """A tapped row, or the job named in words ("el de García", "el 12") among those offered."""
    s, tap = turn.slots, turn.tap
    if isinstance(tap, JobActionTap):
        if tap.action != s.get("action") or tap.job_id not in (s.get("candidates") or []):
            return False
        turn.save(job_id=tap.job_id, eta=tap.eta or s.get("eta"))
        return True
    named = [job for job in candidate_jobs(turn.session, turn.user.id, turn.text, turn.today)
             if job.id in (s.get("candidates") or [])]
    if len(named) == 1 and len(named) < len(s.get("candidates") or []):
        turn.save(job_id=named[0].id)
        return True
    return False


def _act_on_pick(turn: Turn) -> list[Reply]:
    s = dict(turn.slots)
    _clear(turn.conversation)
    job = _own_job(turn, s["job_id"])
    if job is None:
        return [Text(texts.render("tech_no_job"))]
    if job.status not in ACTIONS[s["action"]][0]:
        return [_wrong_state(job)]
    result = Extraction(intent="other", amount=s.get("amount"), date=s.get("date"),
                        description=s.get("reason"))
    return _act(turn, s["action"], job, text=s.get("text") or "", result=result,
                eta=_eta(s.get("eta")))


def _forget(turn: Turn, template: str) -> list[Reply]:
    _clear(turn.conversation)
    return [Text(texts.render(template))]


TECH_PICK = Flow(
    name=FLOW_PICK,
    steps=(Step("which_job", ask=_ask_which_job, read=_read_which_job,
                needed=lambda turn: not turn.slots.get("job_id")),),
    finish=_act_on_pick,
    hand_over=lambda turn: _forget(turn, "tech_no_job"),
    idle=IDLE,
)


def _eta(minutes: int | None) -> int:
    return minutes if minutes is not None and 0 < minutes <= MAX_ETA else DEFAULT_ETA


def _which_job(turn: Turn, action: str, found: list[Job], eta: int) -> ListMessage:
    rows = []
    for job in found[:MAX_LIST_ROWS]:
        name = (job.customer.name if job.customer else None) or "Sin nombre"
        when = ""
        if job.scheduled_start is not None:
            start = job.scheduled_start.astimezone(turn.zone)
            when = clock_hm(start)
            if start.date() != turn.today:
                when = f"{start.day}/{start.month} {when}"
        details = " · ".join(p for p in (when, _address(job) or "") if p)
        tap = JobActionTap(job.id, action, eta if action == "on_the_way" else None)
        rows.append(Row(id=tap.encode(),
                        title=_short(f"#{job.number} {name}", MAX_ROW_TITLE),
                        description=_short(details, MAX_ROW_DESCRIPTION)))
    return ListMessage(body=texts.render("tech_which_job", action=action), button=ROWS_BUTTON,
                       sections=(Section(title="Tus trabajos", rows=tuple(rows)),))


def _wrong_state(job: Job) -> Reply:
    customer = (job.customer.name if job.customer else None) or THE_CUSTOMER
    return Text(texts.render("tech_wrong_state", number=job.number, customer=customer,
                             state=STATE_LABELS[job.status]))


def _own_job(turn: Turn, job_id: int) -> Job | None:
    return turn.session.scalar(
        select(Job).options(joinedload(Job.customer))
        .where(Job.id == job_id, Job.technician_id == turn.user.id)
    )


def _picked(turn: Turn, tap: JobActionTap) -> list[Reply]:
    """A row of a "¿a cuál?" list: inside the question, its answer; later, still acted on."""
    if turn.in_flow(FLOW_PICK) and tap.action == turn.slots.get("action"):
        return TECH_PICK.walk(turn)
    job = _own_job(turn, tap.job_id)
    if job is None:
        return [Text(texts.render("tech_no_job"))]
    if job.status not in ACTIONS[tap.action][0]:
        return [_wrong_state(job)]
    return _act(turn, tap.action, job, text="", result=None, eta=_eta(tap.eta))


def _act(turn: Turn, action: str, job: Job, *, text: str, result: Extraction | None,
         eta: int) -> list[Reply]:
    try:
        with turn.session.begin_nested():  # a refusal half-way leaves nothing behind
            if action == "on_the_way":
                return _on_the_way(turn, job, eta)
            if action == "arrived":
                return _arrived(turn, job)
            if action == "done":
                return _start_done(turn, job, text, result)
            return _cannot_complete(turn, job, text, result)
    except DomainError as exc:
        return [Text(texts.render("tech_error", reason=str(exc).rstrip(".")))]


# ---- on the way, arrived -------------------------------------------------------------------

def _on_the_way(turn: Turn, job: Job, eta: int) -> list[Reply]:
    jobs.transition(turn.session, job.id, S.EN_ROUTE, turn.actor, eta_minutes=eta)
    url = tracking_url(turn.settings,
                       tracking_token(turn.settings, job.org_id, job.id, now=turn.now))
    notified = _tell_customer(turn, job, "customer_tech_on_the_way", eta=eta, url=url)
    customer = first_name(job.customer.name if job.customer else None) or THE_CUSTOMER
    return [Text(texts.render("tech_on_the_way", customer=customer, eta=eta, number=job.number,
                              notified=notified))]


def _arrived(turn: Turn, job: Job) -> list[Reply]:
    jobs.transition(turn.session, job.id, S.ON_SITE, turn.actor)
    _tell_customer(turn, job, "customer_tech_arrived")
    customer = (job.customer.name if job.customer else None) or THE_CUSTOMER
    return [Text(texts.render("tech_arrived", customer=customer, number=job.number))]


# ---- done: summary, then confirm or cancel -------------------------------------------------

def _start_done(turn: Turn, job: Job, text: str, result: Extraction | None) -> list[Reply]:
    amount = result.amount if result is not None else None
    if amount is None:
        amount = parse_stated_amount(text)
    if amount is not None and amount <= 0:
        amount = None
    summary = match_lines(turn.session, text, amount)
    if summary.total <= 0:
        _clear(turn.conversation)
        return [Text(texts.render("tech_done_no_amount", number=job.number))]
    customer = job.customer.name if job.customer else None
    return TECH_DONE.start(turn, **_summary_slots(job, summary, text),
                           body=_summary_body(summary, job.number, customer))


def _ask_done(turn: Turn) -> list[Reply]:
    job_id = turn.slots["job_id"]
    return [Buttons(body=turn.slots["body"],
                    buttons=(Button(DoneTap("confirm", job_id).encode(), CONFIRM_TITLE),
                             Button(DoneTap("cancel", job_id).encode(), CANCEL_TITLE)))]


def _read_done(turn: Turn) -> bool:
    """Confirmar / Cancelar, tapped or typed ("dale", "no lo cierres")."""
    tap = turn.tap
    if isinstance(tap, DoneTap) and tap.job_id == turn.slots.get("job_id"):
        decision = "yes" if tap.choice == "confirm" else "no"
    elif tap is None:
        decision = "no" if turn.said in NO_EXTRA else yes_or_no(turn.text)
    else:
        decision = None
    if decision:
        turn.save(decision=decision)
    return decision is not None


def _finish_done(turn: Turn) -> list[Reply]:
    if turn.slots.get("decision") == "yes":
        return _confirm_done(turn, turn.slots["job_id"])
    return _cancel_done(turn)


def _done_tapped(turn: Turn, tap: DoneTap) -> list[Reply]:
    """A tap on a summary's buttons: its answer, or "no longer valid" for an old summary."""
    if not turn.in_flow(FLOW_DONE) or turn.slots.get("job_id") != tap.job_id:
        return [Text(texts.render("tech_done_stale"))]
    return TECH_DONE.walk(turn)


TECH_DONE = Flow(
    name=FLOW_DONE,
    steps=(Step("confirm", ask=_ask_done, read=_read_done,
                needed=lambda turn: not turn.slots.get("decision"),
                reask=lambda turn: [Text(texts.render("tech_done_retry")), *_ask_done(turn)]),),
    finish=_finish_done,
    hand_over=lambda turn: _cancel_done(turn),
    idle=IDLE,
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


def _summary_body(summary: WorkSummary, number: int, customer: str | None) -> str:
    """The confirmation, within WhatsApp's 1024 characters: the last lines fold into one."""
    lines = summary.lines
    body = render_work_summary(summary, number, customer)
    for keep in range(len(lines) - 1, -1, -1):
        if len(body) <= MAX_INTERACTIVE_BODY:
            return body
        rest = lines[keep:]
        folded = Line(item_id=None, description=REST_OF_LINES.format(n=len(rest)),
                      quantity=Decimal(1),
                      unit_price=sum((line.amount for line in rest), Decimal("0.00")),
                      confidence=min(line.confidence for line in rest))
        unmatched = [_short(u, 40) for u in summary.unmatched[:3]]
        body = render_work_summary(replace(summary, lines=[*lines[:keep], folded],
                                           unmatched=unmatched), number, customer)
    return body if len(body) <= MAX_INTERACTIVE_BODY else body[: MAX_INTERACTIVE_BODY - 1] + "…"


def _confirm_done(turn: Turn, job_id: int) -> list[Reply]:
    conversation = turn.conversation
    slots = dict(conversation.slots or {})
    job = _own_job(turn, job_id)
    if job is None:
        _clear(conversation)
        return [Text(texts.render("tech_done_stale"))]
    if job.status not in ACTIONS["done"][0]:
        _clear(conversation)
        return [_wrong_state(job)]
    summary = {key: slots.get(key) for key in
               ("lines", "total", "stated_amount", "unmatched", "said")}
    try:
        with turn.session.begin_nested():
            if job.status != S.ON_SITE:  # "terminé" without a "llegué" first
                jobs.transition(turn.session, job.id, S.ON_SITE, turn.actor)
            jobs.transition(turn.session, job.id, S.COMPLETED, turn.actor,
                            note=_done_note(summary))
            event = turn.session.scalar(
                select(JobEvent).where(JobEvent.job_id == job.id,
                                       JobEvent.to_status == S.COMPLETED)
                .order_by(JobEvent.id.desc()).limit(1)
            )
            if event is not None:
                event.data = {**(event.data or {}), "work_summary": summary}
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
            if invoice.status in (InvoiceStatus.PENDING, InvoiceStatus.INTERNAL):
                invoicing.request_issue(turn.session, invoice.id)
            waits_for_id = invoice.status is InvoiceStatus.DRAFT
            waits_for_cuit = invoicing.waiting_for_cuit(invoice)
    except DomainError as exc:
        return [Text(texts.render("tech_error", reason=str(exc).rstrip(".")))]
    _clear(conversation)
    # The stars are asked once the invoice or receipt has reached the customer
    # (services/invoice_delivery.py), so the rating never comes before the bill.
    _tell_customer(turn, job, "customer_thanks", number=job.number)
    customer = (job.customer.name if job.customer else None) or THE_CUSTOMER
    return [Text(texts.render("tech_done", number=job.number, customer=customer,
                              needs_id=waits_for_id and not waits_for_cuit,
                              needs_cuit=waits_for_cuit))]


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
    _clear(turn.conversation)
    return [Text(texts.render("tech_done_cancelled"))]


# ---- could not finish: follow-up -----------------------------------------------------------

def _cannot_complete(turn: Turn, job: Job, text: str, result: Extraction | None) -> list[Reply]:
    reason = " ".join(((result.description if result else None) or text or "").split())
    jobs.transition(turn.session, job.id, S.NEEDS_FOLLOWUP, turn.actor, note=reason or None)
    asked = _parse_date(result.date if result else None)
    start = _first_free_hour(turn, asked) if asked else None
    description = f"Seguimiento de #{job.number}" + (f": {reason}" if reason else "")
    follow_up = jobs.create_job(turn.session, {
        "customer_id": job.customer_id,
        "service": job.service,
        "description": _short(description, 4000),
        "urgency": job.urgency,
        "address_id": job.address_id,
        "address_text": job.address_text,
        "technician_id": turn.user.id,
        "scheduled_start": start,
    }, actor=turn.actor)
    when = _visit_phrase(start) if start else None
    full = day_phrase(asked, turn.today) if asked and not start else None
    notified = _tell_customer(turn, job, "customer_followup", when=when)
    customer = first_name(job.customer.name if job.customer else None) or THE_CUSTOMER
    return [Text(texts.render(
        "tech_followup", number=job.number, new_number=follow_up.number, when=when,
        asked=full[0].upper() + full[1:] if full else None,
        customer=customer, notified=notified,
    ))]


def _first_free_hour(turn: Turn, day: date) -> datetime | None:
    """The technician's first free whole hour on `day`, or None (past, closed or full).

    `free_slots` hands each hour to the least busy technician, so this technician's own hours
    are also checked one by one with `is_slot_free`; the earliest of both wins.
    """
    org = turn.org
    if org is None or day < turn.today:
        return None
    found = [slot.start for slot in free_slots(turn.session, org, now=turn.now, count=24,
                                               preferred_date=day)
             if slot.technician_id == turn.user.id and slot.start.date() == day]
    for hour in range(24):
        start = datetime.combine(day, time(hour), tzinfo=turn.zone)
        if found and start >= min(found):
            break
        slot = Slot(start=start, end=start + DEFAULT_DURATION, technician_id=turn.user.id)
        if is_slot_free(turn.session, org, slot, now=turn.now):
            found.append(start)
            break
    return min(found).astimezone(turn.zone) if found else None


SPEC = FlowSpec(
    name="technician", roles=frozenset({ConversationRole.TECHNICIAN}), handle=handle,
    intents=INTENTS, taps=(JobActionTap, DoneTap), states=frozenset({FLOW_DONE, FLOW_PICK}),
)
