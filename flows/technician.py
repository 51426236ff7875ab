"""What a technician says on WhatsApp, acted on: agenda, on the way, arrived, done, follow-up.

The engine hands over a technician's turn (`flows.turn.Turn`: the burst understood, and the
typed button or list row they tapped). Which job a message is about comes from
`flows.job_lookup.candidate_jobs`, narrowed to the jobs the action fits; when more than one is
left the technician is asked with a list, never guessed for. Status changes go through
`core.jobs.transition` in the caller's session (nothing is committed here), and the customer is
told through `notify(wa_id, reply)`, which the engine queues to the customer's chat.

Buttons: `JobActionTap` (which job, from the "¿a cuál?" list) and `DoneTap` (confirm or cancel
the priced summary), both in `flows/buttons.py`. The two questions are flows on the step engine
(`flows/steps.py`): `TECH_PICK` (which job) and `TECH_DONE` (confirm the summary). Closing a
visit (done, or could not finish) is `flows/technician_close.py`; what both modules share is
`flows/technician_jobs.py`.

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

import re
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from core import es_ar, jobs, links
from core.billing.period_reports import Period, asked_ahead, week_ahead
from core.errors import DomainError
from core.es_ar import clock, clock_hm, day_phrase, first_name, folded, weekday_date
from core.identity.users import technicians
from core.jobs.tracking import tracking_token, tracking_url
from core.messaging import texts
from core.messaging.replies import (
    MAX_LIST_ROWS,
    MAX_ROW_DESCRIPTION,
    MAX_ROW_TITLE,
    ListMessage,
    Reply,
    Row,
    Section,
    Text,
)
from core.models import (
    ConversationRole,
    Job,
    JobEvent,
    Role,
    Urgency,
)
from flows import owner_prices, staff_questions, technician_absent
from flows.booking_job import move_visit, summary_address
from flows.buttons import DoneTap, JobActionTap
from flows.engine import FlowSpec
from flows.job_lookup import candidate_jobs, local_date, names_job
from flows.steps import Flow, Step
from flows.technician_close import (
    TECH_DONE,
    cannot_complete,
    changes_summary,
    done_tapped,
    queue_other_done,
    start_done,
    still_waiting,
)
from flows.technician_jobs import (
    ACTIONS,
    AGENDA_LIMIT,
    AGENDA_STATES,
    AGENDA_STATUSES,
    FLOW_DONE,
    FLOW_PICK,
    IDLE,
    INTENT_ACTIONS,
    INTENTS,
    MAX_ETA,
    ROWS_BUTTON,
    SERVICE_LABELS,
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
from nlu.extract.eta import find_eta
from nlu.extract.text import fold_aligned
from nlu.schema import Extraction

PICK_WORDS = 4  # "dale, la segunda": a short answer to "¿a cuál?"
# a visit starting this soon is the one at hand, even past midnight
ABOUT_TO_BEGIN = timedelta(hours=3)


def handle(turn: Turn) -> list[Reply]:
    """The replies to a technician's turn; [] when it is not theirs to answer (the engine does).

    Everything happens in the turn's session, uncommitted.
    """
    if turn.user is None or turn.user.role is not Role.TECHNICIAN:
        return []
    tap = turn.tap
    if isinstance(tap, DoneTap):
        return done_tapped(turn, tap)
    if isinstance(tap, JobActionTap):
        return _picked(turn, tap)
    intent = turn.result.intent
    if intent in ("tech_agenda", "other") and (details := _job_details(turn)):
        return details  # "pasame el teléfono de Nora", "¿cuál era la dirección de lo de Nora?"
    if (intent == "tech_on_the_way" or intent in ("tech_agenda", "other", "tech_arrived")
            and _ARRIVAL_AHEAD.search(folded(turn.text))
            and not (intent == "tech_arrived" and _ARRIVED_NOW.search(folded(turn.text)))) \
            and (warned := _heads_up(turn)) is not None:
        # "mañana voy a llegar tarde al primero" (read as on the way, or as a question about
        # tomorrow): nobody is on the way now
        return warned
    if intent == "tech_agenda":
        stretch = asked_stretch(turn.text, turn.today)
        if stretch is not None:  # "¿qué tengo esta semana?", "¿y la semana que viene?"
            return _agenda(turn, stretch.first, stretch.last, stretch.label)
        return _agenda(turn, parse_date(turn.result.date))
    if turn.in_flow(FLOW_DONE) and intent == "tech_job_done" \
            and (queued := queue_other_done(turn)) is not None:
        return queued  # "listo lo de Bustos, 15 lucas" while Aguirre's summary waits
    if turn.in_flow(FLOW_DONE) and (intent == "tech_job_done" or changes_summary(turn.text)) \
            and not _DONE_AGAIN.search(folded(turn.text)):
        # "no, cobrale 40 mil en total", "sumale 5.000 de materiales" while the summary waits: a
        # change to it, not a job done anew with "no" for its work, nor an arrival
        return TECH_DONE.walk(turn)
    if turn.in_flow(FLOW_PICK) and len(turn.said.split()) <= PICK_WORDS \
            and es_ar.nth_said(turn.said, len(turn.slots.get("candidates") or [])) is not None:
        return TECH_PICK.walk(turn)  # "la segunda": the list's answer, whatever it was read as
    action = INTENT_ACTIONS.get(intent)
    if action is not None:
        return _act_on_text(turn, action)
    if turn.in_flow(FLOW_DONE):
        return TECH_DONE.walk(turn)
    if turn.in_flow(FLOW_PICK):
        return TECH_PICK.walk(turn)
    return []


# Said again that a job is done ("terminé lo de Ruiz, cobrale 20"): another summary, not a change
_DONE_AGAIN = re.compile(r"\b(?:termin\w*|finalic\w*)\b")
# ...and done now, in the past: "terminé", "listo, ya está" (not "casi termino")
_DONE_NOW = re.compile(r"\b(?:termine|terminado|finalice|finalizado|listo|ya\s+esta)\b")
# A technician asking leave or a change to his day: "¿puedo arrancar más tarde mañana?", "¿me
# puedo ir antes hoy?", "¿el viernes me lo puedo tomar?"
_ASKS_LEAVE = re.compile(
    r"\b(?:puedo|podria|podre|me\s+dejan|me\s+dejas|habra\s+problema\s+si)\s+(?:\w+\s+){0,2}?"
    r"(?:arrancar|empezar|entrar|salir|irme|ir\s+me|retirarme|llegar)\s+(?:\w+\s+)?(?:mas\s+tarde|antes|tarde"
    r"|temprano|despues)\b"
    r"|\b(?:puedo|podria)\s+(?:tomarme|pedirme|faltar)\b|\bme\s+(?:lo\s+|la\s+)?puedo\s+tomar\b"
    r"|\bme\s+puedo\s+(?:ir|retirar)\s+(?:\w+\s+)?(?:antes|temprano|mas\s+temprano)\b")
# A visit to change hands, asked by a technician: "¿le podés pasar lo de Quiroga a Diego?", "yo le
# agarro lo de Benítez", "¿cambiamos con Diego?"
_ASKS_SWAP = re.compile(
    r"\b(?:le\s+|se\s+lo\s+|se\s+la\s+)?(?:podes|podrias|puede|pueden|podran)\s+pasar\s+(?:lo|el|la)\s+de\s+\w+"
    r"(?:\s+\w+)?\s+a\s+\w+|\byo\s+le\s+(?:agarro|tomo|hago|cubro)\s+(?:lo|el|la)\s+de\b"
    r"|\b(?:cambiamos|intercambiamos|le\s+cambio|me\s+cambio)\s+(?:lo|el|la|los)\s+de\b|\bque\s+lo\s+cubra\s+\w+")
# Material asked of the office: "necesito que me compren una válvula", "¿me consiguen 2 flexibles?"
_ASKS_MATERIAL = re.compile(
    r"\b(?:necesito|necesitaria|preciso|hace\s+falta|habria\s+que)\s+(?:que\s+|q\s+)?(?:me\s+)?"
    r"(?:compren|consigan|traigan|alcancen|pidan|encarguen|compres|consigas|traigas|alcances|pidas)\b"
    r"|\b(?:me\s+)?(?:compran|consiguen|traen|alcanzan|piden|encargan|compras|conseguis|traes|alcanzas)\s+"
    r"(?:un|una|unos|unas|dos|tres|\d+|el|la|los|las)\b")
# Parts and material a technician asks to be bought or brought: "traeme 2 codos de 1/2", "necesito
# 2 flexibles de 40 para mañana", "hay que comprar una bomba" (never a part missing to finish,
# told with a return: "me falta el flexible, vuelvo mañana")
_PARTS = (r"(?:flexibles?|codos?|cuplas?|teflon|sifon(?:es)?|llaves?|valvulas?|canillas?|canos?|cables?"
          r"|termicas?|disyuntor(?:es)?|cintas?|tornillos?|tarugos?|fichas?|tomas?|enchufes?|lamparas?"
          r"|bombas?|flotantes?|cueritos?|sellador|silicona|poxipol|pegamento|mangueras?|rejillas?"
          r"|niples?|reducciones?|bujes?|conectores?|precintos?|abrazaderas?|grampas?|mochilas?"
          r"|depositos?|griferias?|mezcladoras?|termotanques?|calefones?|repuestos?|materiales?|rollos?"
          r"|metros?|bolsas?|cajas?|tubos?|garrafas?)\b")
_ASKS_PARTS = re.compile(
    r"\b(?:traeme|traime|traigan(?:me)?|consigan(?:me)?|conseguime|compra(?:me)?|compren(?:me)?|pedime|pidan(?:me)?"
    r"|hay\s+que\s+(?:comprar|pedir|conseguir)|necesito|necesitaria|preciso)\s+"
    r"(?:(?:un|una|unos|unas|dos|tres|cuatro|cinco|\d+|el|la|los|las|otro|otra|mas)\s+){0,2}" + _PARTS)
_RETURN_WORDS = re.compile(r"\b(?:vuelvo|volver|regreso|no\s+(?:puedo|pude|llego|termino|termine)|sin\s+eso"
                           r"|queda\s+pendiente|ma[nñ]ana\s+sigo|otro\s+dia)\b")
# Something added to a request just passed: "y un rollo de teflón", "ah y 2 flexibles de 40",
# "tambien cinta", "sumale una cupla"
_ADDS_TO_REQUEST = re.compile(
    r"^\W*(?:(?:ah|aa+h|che|ah\s+me\s+olvidaba|me\s+olvidaba|perdon)\W+)?(?:y\s+(?:tambien\s+|tmb\s+|ademas\s+)?"
    r"|tambien\s+|tmb\s+|tb\s+|ademas\s+|sumale\s+|agregale\s+|agrega\s+|y\s+de\s+paso\s+)")
# Waiting at the door: "estoy en la puerta", "estoy abajo", "no me abren", "toco timbre y nada"
_AT_DOOR = re.compile(r"\b(?:en\s+la\s+puerta|estoy\s+abajo|toco\s+(?:el\s+)?timbre"
                      r"|no\s+me\s+(?:abren|abre|atienden|atiende)|nadie\s+(?:abre|atiende|me\s+abre))\b")
REQUEST_PASSED = "request_passed_at"  # when a technician's request last went to the office
ADD_TO_REQUEST_FOR = timedelta(minutes=20)
ADDITION_WORDS = 14
# A hand asked for on the job: "solo no lo saco, necesito una mano", "¿puede venir Juan a darme una
# mano?", "mandame a alguien que me ayude" — the office's to send, not work left unfinished
_ASKS_HELP = re.compile(
    r"\bnecesit\w*\s+(?:\w+\s+)?(?:una\s+mano|ayuda|refuerzo|ayudante|otro\s+tecnico|a\s+alguien)\b"
    r"|\b(?:mand\w*|que\s+venga)\s+(?:a\s+)?(?:alguien|otro|uno\s+mas)\s+(?:\w+\s+)?(?:que\s+me\s+)?(?:ayud|de\s+una\s+mano|a\s+ayud)\w*"
    r"|\bsolo\s+no\s+(?:lo\s+|la\s+)?(?:saco|puedo|llego|termino)\b|\bentre\s+dos\b")
# "¿puede venir Juan?": a colleague named to come (checked against the team)
_COLLEAGUE_TO_COME = re.compile(r"\b(?:puede|podra|podria|pueden|que)\s+(?:venir|venga)\s+(?:el\s+|la\s+)?(\w+)")
# "anotalo", "dejalo anotado", "agregalo al trabajo": a line for the visit's history
_NOTE_IT = re.compile(r"\b(?:anota(?:lo|la|los|las|me|le)?(?:\s+(?:al\s+trabajo|en\s+el\s+trabajo))?(?:\s+que)?"
                      r"|deja(?:lo|le)?\s+anotado(?:\s+que)?|agrega(?:lo|la|le)\s+al\s+(?:trabajo|laburo)"
                      r"|toma\s+nota(?:\s+(?:de\s+)?que)?)\b", re.IGNORECASE)
# work or material to charge, in a note: "tuve q cambiar el sifón tmb, y 2 metros de caño"
_EXTRA_WORK = re.compile(r"\b(?:cambi\w*|agregu\w*|puse|coloqu\w*|instal\w*|tuve\s+que|use|compre|"
                         r"repuesto\w*|material\w*|metros?|\d+)\b")
# Work still under way: "ya casi termino", "me falta poco", "estoy probando que no pierda"
_STILL_WORKING = re.compile(
    r"\b(?:(?:ya\s+)?casi\s+(?:termino|terminamos|estoy|estamos|esta|listo)|me\s+falta\s+(?:poco|un\s+poco"
    r"|un\s+rato|media\s+hora|una\s+hora|\w+\s+minutos)|nos\s+falta\s+poco|estoy\s+(?:en\s+eso|terminando"
    r"|probando|cerrando|limpiando|con\s+eso)|estamos\s+(?:terminando|probando|en\s+eso)|todavia\s+estoy"
    r"|sigo\s+(?:aca|con\s+(?:eso|esto|el\s+laburo|el\s+trabajo)))\b")


def _colleague_asked(turn: Turn, said: str) -> bool:
    named = {m.group(1) for m in _COLLEAGUE_TO_COME.finditer(said)}
    return bool(named) and any(folded(first_name(user.name) or "") in named
                               for user in technicians(turn.session) if user.id != turn.user.id)


def at_door(turn: Turn) -> list[Reply] | None:
    """"Estoy abajo, no me abren" (or "avisale que estoy en la puerta") after his arrival was
    marked: the customer is told to open, whatever the model read; None otherwise."""
    if turn.user is None or turn.user.role is not Role.TECHNICIAN or turn.tap is not None \
            or turn.in_flow(FLOW_DONE):
        return None
    said = folded(turn.text)
    if _AT_DOOR.search(said) and not _DONE_NOW.search(said) and not _NOTE_IT.search(said) \
            and len(door := [job for job in turn.open_jobs if _just_arrived(turn, job)]) == 1:
        return technician_absent.at_the_door(turn, door[0], turn.text or "")
    return None


def aside(turn: Turn) -> list[Reply] | None:
    """What a technician says that is none of the day's notices, whatever the model read: how
    the work goes, or leave asked of the office. None for anything else."""
    if turn.user is None or turn.user.role is not Role.TECHNICIAN or turn.tap is not None \
            or turn.in_flow(FLOW_DONE):
        return None
    said = folded(turn.text)
    if (door := technician_absent.given_up_at_the_door(turn, turn.text or "")) is not None:
        # after "nadie abre": "ya van 15 min, me voy, anotá que no estaba" gives the visit up
        return _act(turn, "cannot", door, text=turn.text or "", result=turn.result, eta=None)
    if (door := at_door(turn)) is not None:
        return door
    if _DONE_NOW.search(said) and _AMOUNT_LATER.search(said) \
            and (done := _done_without_amount(turn)) is not None:
        # "listo lo de Sosa, el monto te lo paso a la noche": done, the amount to come; nothing
        # is billed on a guess and the visit waits for it
        return done
    if _STILL_WORKING.search(said) and not _DONE_NOW.search(said) \
            and (working := [job for job in turn.open_jobs if job.status is S.ON_SITE]):
        # "ya casi termino, estoy probando q no pierda": how it goes, not a close nor a miss
        customer = first_name(working[0].customer.name if working[0].customer else None)
        return [Text(texts.render("tech_still_working", customer=customer or THE_CUSTOMER))]
    if _NOTE_IT.search(said) and not _DONE_NOW.search(said) \
            and (working := [job for job in turn.open_jobs if job.status in (S.ON_SITE, S.EN_ROUTE)]):
        # "tuve q cambiar el sifón tmb, y 2 metros de caño, anotalo": a line on the visit for
        # the office, and for the total when it is done
        job = working[0]
        note = " ".join(_NOTE_IT.sub(" ", turn.text or "").split()).strip(" ,.")
        jobs.add_note(turn.session, job.id, note or turn.text, turn.actor, data={"by": "technician"})
        customer = first_name(job.customer.name if job.customer else None) or THE_CUSTOMER
        return [Text(texts.render("tech_noted", number=job.number, customer=customer,
                                  note=es_ar.shortened(note or turn.text, 300),
                                  work=bool(_EXTRA_WORK.search(folded(note)))))]
    if any(job.status is S.ON_SITE for job in turn.open_jobs) \
            and (_ASKS_HELP.search(said) or _colleague_asked(turn, said)):
        # "es un tablero trifásico hecho un desastre, solo no lo saco, necesito una mano"
        return staff_questions.forward(turn, request=True)
    if (listed := owner_prices.price_asked(turn)) is not None:
        return listed  # "¿cuánto tenemos el cambio de sifón en la lista?": the list says
    if _ASKS_FLOOR.search(said) and (floor := _floor_asked(turn)) is not None:
        # "en q piso es? hay como 40 timbres": no floor on file is never made up; the customer is
        # asked and her answer comes back to him
        return floor
    if staff_questions.is_question(turn.text or "") \
            and (_ASKS_DETAILS.search(said) or _ASKS_URGENCY.search(said)) \
            and (details := _job_details(turn)) is not None:
        # "llegué a San Martín 2150 y es una gomería, ¿me pasás bien la dirección?": the visit's
        # address and phone, asked whatever else the words look like (never an arrival marked)
        return details
    if _adds_to_request(turn, said):
        # "y un rollo de teflón" right after "necesito q me compren una llave de 3/4": more of
        # the same request, never an arrival ("2 flexibles de 40") nor a close
        return _request_passed(turn, staff_questions.forward(turn, request=True, more=True))
    if _ASKS_SWAP.search(said) or _ASKS_MATERIAL.search(said) \
            or (_ASKS_PARTS.search(said) and not _RETURN_WORDS.search(said)):
        # "¿le podés pasar lo de Quiroga a Diego?", "necesito q me compren una válvula de 3/4",
        # "traeme 2 codos de 1/2": the office's to agree or buy; no visit changes hands or moves
        # on a technician's word
        return _request_passed(turn, staff_questions.forward(turn, request=True))
    if _ASKS_LEAVE.search(said):
        # "¿puedo arrancar más tarde mañana?": the office's to agree, never a change made on
        # its own nor the agenda read back
        return staff_questions.forward(turn)
    return None


# "es 2510 no 2150", "no es al 2150, es al 2510": the right street number of a visit, as the
# technician found it out (the customer swapped the digits)
_RIGHT_NUMBER = re.compile(
    r"\bes\s+(?:(?:al|el)\s+)?(?P<right>\d{1,5})\s*,?\s*no\s+(?:(?:al|el)\s+)?(?P<wrong>\d{1,5})\b"
    r"|\bno\s+es\s+(?:(?:al|el)\s+)?(?P<wrong2>\d{1,5})\s*,?\s*(?:es|sino)\s+(?:(?:al|el)\s+)?(?P<right2>\d{1,5})\b")


def corrected_address(turn: Turn) -> list[Reply]:
    """A visit's street number put right by its technician ("la llamé, es 2510 no 2150"): the
    visit goes to the right number and he hears it; [] when the words correct no visit of his
    (the wrong number must be one of his open visits', and only one)."""
    if turn.user is None or turn.user.role is not Role.TECHNICIAN or turn.tap is not None:
        return []
    found = _RIGHT_NUMBER.search(folded(turn.text or ""))
    if found is None:
        return []
    right = found.group("right") or found.group("right2")
    wrong = found.group("wrong") or found.group("wrong2")
    fitting = [job for job in turn.open_jobs if job.address is not None and job.customer is not None
               and job.address.number == wrong and job.status in (S.SCHEDULED, S.EN_ROUTE, S.ON_SITE)]
    if right == wrong or len(fitting) != 1:
        return []
    job = fitting[0]
    said = {"street": job.address.street, "number": right, "unit": job.address.unit,
            "locality": job.address.locality}
    if (refused := move_visit(turn, job, job.customer, said)) is not None:
        return refused
    return [Text(texts.render("tech_address_fixed", number=job.number, address=summary_address(said),
                              customer=first_name(job.customer.name) or THE_CUSTOMER))]


# the floor or door asked at a building: "¿en qué piso es?", "¿qué depto?", "¿qué timbre toco?"
_ASKS_FLOOR = re.compile(r"\b(?:que|q|en\s+que|en\s+q|cual)\s+(?:piso|depto|departamento|dpto|timbre|unidad)\b")


def _floor_asked(turn: Turn) -> list[Reply] | None:
    """The customer asked for the floor and door her address lacks (the visit at hand, or the
    one named); None when the address has them (its card answers) or no one visit fits."""
    from flows import relay  # it imports this module

    found = candidate_jobs(turn.session, turn.user.id, turn.text, turn.today)
    named = [job for job in found if names_job(job, turn.text)]
    fitting = named or [job for job in found if job.status in (S.EN_ROUTE, S.ON_SITE)] \
        or [job for job in (details_shown(turn),) if job is not None]
    if len(fitting) != 1 or fitting[0].customer is None:
        return None
    job = fitting[0]
    if job.address is not None and job.address.unit:
        return None
    return relay.ask_customer(turn, job.customer, "en qué piso y depto estás, así toca el timbre correcto")


# the amount said to come later: "el monto te lo paso a la noche", "después te digo cuánto"
_AMOUNT_LATER = re.compile(
    r"\b(?:monto|precio|total|importe|cuanto|numero|cifra)\b.{0,40}\b(?:te\s+lo|te\s+la|lo|la)\s+(?:paso|mando|digo|confirmo)"
    r"|\b(?:despues|mas\s+tarde|a\s+la\s+noche|luego|manana|en\s+un\s+rato)\s+te\s+(?:paso|mando|digo|confirmo)\s+(?:el\s+)?"
    r"(?:monto|precio|total|importe|cuanto|numero)"
    r"|\btengo\s+(?:que|q)\s+(?:ver|sacar|calcular)\s+cuanto\b")


def _done_without_amount(turn: Turn) -> list[Reply] | None:
    """The visit the technician finished but cannot price yet: a note on it, and he hears how
    to close it once he has the amount; None when no one visit fits."""
    found = candidate_jobs(turn.session, turn.user.id, turn.text, turn.today)
    named = [job for job in found if names_job(job, turn.text)]
    fitting = [job for job in (named or found) if job.status in (S.ON_SITE, S.EN_ROUTE)] \
        or [job for job in named if job.status is S.SCHEDULED]
    if len(fitting) != 1:
        return None
    job = fitting[0]
    jobs.add_note(turn.session, job.id, f"Terminado; el monto lo pasa después: {turn.text}"[:1000],
                  turn.actor, data={"by": "technician", "amount_pending": True})
    customer = (job.customer.name if job.customer else None) or THE_CUSTOMER
    return [Text(texts.render("tech_amount_later", number=job.number, customer=customer,
                              surname=customer.split()[-1]))]


def _request_passed(turn: Turn, replies: list[Reply] | None) -> list[Reply] | None:
    if replies:
        turn.save(**{REQUEST_PASSED: turn.now.isoformat()})
    return replies


def _adds_to_request(turn: Turn, said: str) -> bool:
    at = turn.slots.get(REQUEST_PASSED)
    return bool(at) and turn.now - datetime.fromisoformat(at) <= ADD_TO_REQUEST_FOR \
        and bool(_ADDS_TO_REQUEST.match(said)) and len(said.split()) <= ADDITION_WORDS \
        and not _DONE_NOW.search(said)


# ---- the agenda ----------------------------------------------------------------------------

_THIS_WEEK = re.compile(r"\b(?:esta|la|en\s+la)\s+semana\b(?!\s+pasada)|\blos\s+proximos\s+dias\b")


def asked_stretch(text: str | None, today: date) -> Period | None:
    """The days to come a technician asks about: the coming week, the rest of this one; "esta
    semana" asked on a Sunday, when only that day is left of it, is the week that starts."""
    ahead = asked_ahead(text or "", today)
    if ahead is not None:
        return ahead
    if not _THIS_WEEK.search(folded(text)):
        return None
    return week_ahead(today)


def _agenda(turn: Turn, day: date | None, last: date | None = None,
            label: str | None = None) -> list[Reply]:
    day = day or turn.today
    start = datetime.combine(day, time(), tzinfo=turn.zone)
    end = datetime.combine(last or day, time(), tzinfo=turn.zone) + timedelta(days=1)
    found = list(turn.session.scalars(
        select(Job).options(joinedload(Job.customer))
        .where(Job.technician_id == turn.user.id, Job.status.in_(AGENDA_STATUSES),
               Job.scheduled_start >= start, Job.scheduled_start < end)
        .order_by(Job.scheduled_start, Job.number)
    ).unique())
    phrase = day_phrase(day, turn.today) if last is None or last == day \
        else f"{label} ({es_ar.day_span(day, last)})"
    if not found:
        return [Text(texts.render("tech_agenda_empty", day=phrase))]
    several_days = last is not None and last != day
    # "pasame la dirección del primero": the list just shown
    # (a visit's card shown before it is no longer what "del cliente" points at)
    turn.save(**{AGENDA_SHOWN: {"ids": [job.id for job in found[:AGENDA_LIMIT]],
                                "at": turn.now.isoformat()}, DETAILS_SHOWN: None})
    rows = []
    for job in found[:AGENDA_LIMIT]:
        address = _address(job)
        description = " ".join((job.description or "").split())
        local = job.scheduled_start.astimezone(turn.zone)
        rows.append({
            "time": (f"{weekday_date(local.date()).capitalize()} " if several_days else "") + clock_hm(local),
            "customer": (job.customer.name if job.customer else None) or "Sin nombre",
            "number": job.number,
            "state": AGENDA_STATES.get(job.status),
            "address": address,
            "service": SERVICE_LABELS.get(job.service, str(job.service)),
            "description": short(description, 60) if description else None,
            "maps": _map(turn, job),
        })
    more = max(0, len(found) - AGENDA_LIMIT)
    return [Text(texts.render("tech_agenda", day=phrase, jobs=rows, more=more))]


# A technician asking for a job's contact or place: the phone, the address, how to get there
_ASKS_DETAILS = re.compile(
    r"\b(?:telefono|tel|cel|celu|celular|numero|whatsapp|wsp|direccion|dire|domicilio|ubicacion"
    r"|donde\s+(?:queda|es|era|vive|quedaba)|como\s+llego|que\s+piso|que\s+depto|(?:que|q)\s+altura|altura"
    # when, of a visit named: "¿a q hora es lo de Benítez?", "¿cuándo tengo lo de Ruiz?"
    r"|(?:a\s+(?:que|q)\s+hora|cuando)\s+(?:es|era|tengo|voy|paso|vamos|hay\s+que\s+ir))\b")
_THE_CUSTOMER = re.compile(r"\b(?:del?\s+(?:la\s+|el\s+)?(?:cliente|clienta|senora|senor|duen[oa]|casa"
                           r"|trabajo|visita))\b")
DETAILS_MAX = 3
# "¿es urgente el nuevo?", "¿lo puedo hacer cuando termine acá?": how pressing a visit is, which
# the visit itself says (the office need not be asked)
_ASKS_URGENCY = re.compile(
    r"\b(?:es\s+(?:muy\s+|tan\s+)?urgente|es\s+(?:una\s+)?(?:urgencia|emergencia)|(?:corre|hay|tiene)\s+(?:prisa|apuro)"
    r"|es\s+para\s+ya|lo\s+puedo\s+(?:hacer|dejar|pasar)\s+(?:para\s+)?(?:cuando|despues|mas\s+tarde|luego))\b")
URGENCY_WORDS = {Urgency.EMERGENCY: "sí, es una emergencia 🚨", Urgency.URGENT: "sí, es urgente ⚡",
                 Urgency.NORMAL: "no, es una visita normal"}


# A visit named by its hour ("lo de las 9", "el de las 15:30"), and what it is asked ("¿qué es?",
# "¿qué hay que hacer?", "¿tengo que llevar algo?"): its card with the work to do
_AT_HOUR = re.compile(r"\b(?:lo|el|la)\s+de\s+las?\s+(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?\b")
_ASKS_WHAT = re.compile(r"\b(?:(?:que|q)\s+(?:es|era|hay\s+que\s+hacer|tengo\s+que\s+hacer|le\s+pasa)"
                        r"|de\s+(?:que|q)\s+(?:es|se\s+trata)|(?:tengo\s+que|hay\s+que)\s+llevar|llevo\s+algo)\b")


def _at_hour(turn: Turn, said: str) -> list[Job]:
    """The visits at the hour named ("lo de las 9"), of the agenda just shown, else of today."""
    said_hour = _AT_HOUR.search(said)
    if said_hour is None:
        return []
    hour, minute = int(said_hour.group("h")), int(said_hour.group("m") or 0)
    pool = _agenda_shown(turn) or candidate_jobs(turn.session, turn.user.id, "", turn.today)

    def at(job: Job) -> bool:
        if job.scheduled_start is None:
            return False
        local = es_ar.aware(job.scheduled_start).astimezone(turn.zone)
        return (local.hour, local.minute) in ((hour, minute), (hour + 12, minute))
    return [job for job in pool if at(job)]


def _job_details(turn: Turn) -> list[Reply] | None:
    """The phone, address and map of the job the technician names (or of their only candidates,
    up to three); None when the message asks no such thing or no job of theirs fits."""
    said = es_ar.folded(turn.text or "")
    newest = _NEW_ONE.search(said)
    urgency = bool(_ASKS_URGENCY.search(said))
    details, what = bool(_ASKS_DETAILS.search(said)), bool(_ASKS_WHAT.search(said))
    by_hour = _at_hour(turn, said) if details or what else []
    if not details and not newest and not urgency and len(by_hour) != 1:
        return None
    found = candidate_jobs(turn.session, turn.user.id, turn.text, turn.today)
    named = [job for job in found if names_job(job, turn.text)] or (by_hour if len(by_hour) == 1 else [])
    if not named and newest and (latest := _latest_given(turn)) is not None:
        named = [latest]  # "me llegó que tengo uno nuevo, ¿a qué hora es?"
    if not named and (listed := _agenda_shown(turn)):
        nth = es_ar.nth_said(said, len(listed))  # "la dirección del primero", "de la última"
        named = [listed[nth]] if nth is not None else []
    # a job named, or "del cliente" with their jobs at hand; "el teléfono de la ART" is a
    # question for the office
    if not named and not re.search(r"\bdel?\b", said) and (just := details_shown(turn)) is not None:
        named = [just]  # "¿y q altura?" right after that visit's card (not "el de la ART")
    shown = named or (found if _THE_CUSTOMER.search(said) else [])
    if not shown and len(current := [job for job in found if job.status in (S.EN_ROUTE, S.ON_SITE)]) == 1:
        shown = current  # "¿me pasás bien la dirección?" on the way there: the visit at hand
    if not shown or len(shown) > DETAILS_MAX:
        return None
    cards = []
    for job in shown:
        customer = job.customer
        start = job.scheduled_start
        cards.append({
            "number": job.number,
            "customer": (customer.name if customer else None) or THE_CUSTOMER,
            "phone": es_ar.readable_phone(customer.phone if customer else None),
            "when": es_ar.visit_phrase(es_ar.aware(start).astimezone(turn.zone), None, turn.today)
            if start is not None else None,
            "address": _address(job), "maps": _map(turn, job),
            "urgency": URGENCY_WORDS.get(job.urgency, URGENCY_WORDS[Urgency.NORMAL]) if urgency else None,
            "work": _work_line(job) if what else None,
        })
    if len(shown) == 1:
        turn.save(**{DETAILS_SHOWN: {"id": shown[0].id, "at": turn.now.isoformat()}})
    return [Text(texts.render("tech_job_contact", jobs=cards))]


def _work_line(job: Job) -> str:
    """What the visit is: its trade and the customer's words ("Gas: el calefón no prende")."""
    service = SERVICE_LABELS.get(job.service, str(job.service))
    description = " ".join((job.description or "").split())
    return f"{service}: {short(description, 160)}" if description else service


DETAILS_SHOWN = "details_shown"  # the technician's slot: the visit whose card he got last
DETAILS_SHOWN_FOR = timedelta(minutes=30)


def details_shown(turn: Turn) -> Job | None:
    """The visit whose card the technician got lately ("¿a qué hora es lo de Ramírez?"): what
    "¿y qué altura?" or "preguntale a la señora…" right after it are about."""
    shown = turn.slots.get(DETAILS_SHOWN)
    if not shown or turn.now - datetime.fromisoformat(shown["at"]) > DETAILS_SHOWN_FOR:
        return None
    return own_job(turn, shown["id"])


# the visit just given to him: "tengo uno nuevo", "el trabajo nuevo que me pasaron"
_NEW_ONE = re.compile(r"\b(?:uno|una|trabajo|laburo|visita)\s+nuev[oa]\b|\bel\s+nuevo\b|\bla\s+nueva\b"
                      r"|\b(?:me\s+)?(?:pasaron|asignaron|mandaron|agregaron)\s+(?:uno|una|un\s+trabajo|otro)\b")


def _latest_given(turn: Turn) -> Job | None:
    """The open visit most lately assigned to the technician."""
    return turn.session.scalar(
        select(Job).join(JobEvent, JobEvent.job_id == Job.id)
        .where(Job.technician_id == turn.user.id, Job.status.in_(AGENDA_STATUSES),
               JobEvent.kind.in_(("assigned", "created")))
        .order_by(JobEvent.id.desc()).limit(1))


AGENDA_SHOWN = "agenda_shown"  # the technician's slot: the visits of the last agenda he got
AGENDA_SHOWN_FOR = timedelta(hours=2)


def _agenda_shown(turn: Turn) -> list[Job]:
    """The technician's visits of the agenda he was last shown, lately, in its order."""
    shown = turn.slots.get(AGENDA_SHOWN)
    if not shown or turn.now - datetime.fromisoformat(shown["at"]) > AGENDA_SHOWN_FOR:
        return []
    return [job for job_id in shown["ids"] if (job := own_job(turn, job_id)) is not None]


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


# ---- which job -----------------------------------------------------------------------------

# a close told before setting out: "terminé lo de Paz, cobrale 14 lucas / ahora salgo para lo de Molina"
_CLOSED_FIRST = re.compile(r"\b(?:termine|terminamos|listo|finalice|ya\s+esta)\b.*?\bcobr\w+")


def _act_on_text(turn: Turn, action: str) -> list[Reply]:
    text, result = turn.text, turn.result
    if action == "on_the_way" and _CLOSED_FIRST.search(fold_aligned(text or "").lower()):
        on_site = [job for job in turn.open_jobs if job.status is S.ON_SITE
                   and job.technician_id == turn.user.id]
        if len(on_site) == 1:
            # the visit he is at closes first; the one he sets out for follows its OK
            return _act(turn, "done", on_site[0], text=text, result=None, eta=None)
    fits, preferred = ACTIONS[action]
    found = candidate_jobs(turn.session, turn.user.id, text, turn.today)
    fitting = [job for job in found if job.status in fits]
    moving = [job for job in found if job.status is S.EN_ROUTE]
    said_eta, said_at = _eta(result.eta_minutes), None
    if action == "on_the_way" and said_eta is None:
        said_eta, said_at = _eta_at_clock(turn, result.time)
    if action == "on_the_way" and len(moving) == 1 and said_eta \
            and not any(names_job(job, text) for job in fitting):
        # "hay un quilombo en juan b justo, decile q llego en 40" on the way: the new arrival
        # time for the customer waiting, not "it is already on its way"
        return _later(turn, moving[0], said_eta, at=said_at)
    if not fitting:
        if action == "arrived" and len(found) == 1 and _just_arrived(turn, found[0]):
            # "avisale que ya estoy en la puerta": he waits at the door, the customer hears it
            return technician_absent.at_the_door(turn, found[0], text or "")
        if len(found) == 1:
            return [wrong_state(found[0])]
        return [Text(texts.render("tech_no_job"))]
    if action == "cannot" and (day_off := _day_not_going(turn, fitting)):
        return day_off  # "mañana no puedo ir, se me rompió la camioneta": every visit of that day
    obvious = [job for job in fitting if job.status == preferred]
    if len(fitting) > 1 and len(obvious) == 1:
        fitting = obvious
    eta = _eta(result.eta_minutes)
    if len(fitting) == 1:
        job = fitting[0]
        # "no encuentro la llave del depósito, ¿quién la tiene?" with one visit not begun and not
        # named: nothing is moved or opened on a guess. A question goes to the office; anything
        # else acts on today's visit and asks about a later one.
        unsure = action == "cannot" and job.status is S.SCHEDULED and not names_job(job, text)
        if unsure and (asked := staff_questions.forward(turn)):
            return asked
        if action == "cannot" and job.status is S.SCHEDULED and _later_day(job, turn) \
                and not technician_absent.not_getting_there(text) \
                and (asked := staff_questions.forward(turn, request=True)):
            # "para lo de Gómez de mañana me falta la válvula": a visit not begun is no work left
            # unfinished; the office hears it, nothing is moved nor the customer told
            return asked
        # "salgo para lo de Lucía" when her visit is on a later day: the customer would hear
        # "va en camino" days early; the technician confirms it with a tap first
        ahead = (action in ("on_the_way", "arrived") and job.status is S.SCHEDULED
                 and _later_day(job, turn))
        if not ahead and not (unsure and local_date(job.scheduled_start, turn.zone) != turn.today):
            return _act(turn, action, job, text=text, result=result, eta=eta)
    return TECH_PICK.start(turn, action=action, text=text, eta=eta, amount=result.amount,
                           date=result.date, time=result.time, reason=result.description,
                           candidates=[job.id for job in fitting])


def _day_not_going(turn: Turn, fitting: list[Job]) -> list[Reply] | None:
    """"Che, mañana no puedo ir, se me rompió la camioneta", naming no visit, with several that
    day not begun: every one of them goes back to the office, each customer told, in one
    answer (not "¿cuál no pudiste terminar?" and one visit moved, the others left standing).
    None when a visit is named, only one is that day, or the words are no "not going"."""
    text = turn.text or ""
    if not technician_absent.not_getting_there(text) or any(names_job(job, text) for job in fitting):
        return None
    day = parse_date(turn.result.date) or turn.today
    that_day = sorted((job for job in fitting if job.status in technician_absent.NOT_STARTED
                       and job.scheduled_start and local_date(job.scheduled_start, turn.zone) == day),
                      key=lambda job: job.scheduled_start)
    if len(that_day) < 2:
        return None
    reason = " ".join(((turn.result.description or text)).split())
    moved = []
    for job in that_day:
        with turn.session.begin_nested():
            technician_absent.move_visit(turn, job, "not_going", reason, None, None)
        moved.append({"number": job.number,
                      "customer": first_name(job.customer.name if job.customer else None) or "",
                      "at": clock(es_ar.aware(job.scheduled_start).astimezone(turn.zone))})
    return [Text(texts.render("tech_day_unscheduled", day=day_phrase(day, turn.today),
                              jobs=moved))]


# "mañana voy a llegar tarde", "el martes llego tipo 10": a heads-up about a later visit
_LATE = re.compile(r"\b(?:tarde|mas\s+tarde|demorad[oa]|atrasad[oa]|retrasad[oa]|un\s+rato\s+despues)\b")
_FIRST = re.compile(r"\b(?:al|el|del|a\s+la|la|de\s+la)\s+primer[oa]?\b")
# the day's work begins later: "arranco", "salgo", "empiezo" (not "ya salí", "voy para allá")
_STARTS = re.compile(r"\b(?:arranco|arrancamos|empiezo|salgo|saldria|sale)\b(?!\s+(?:ya|ahora)\b)")
_MOVING = re.compile(r"\b(?:voy\s+(?:para|yendo|camino)|en\s+camino|estoy\s+yendo|saliendo|ya\s+sali|sali)\b")
_LEAVES_IN = re.compile(r"\b(?:arranco|empiezo|salgo|saldria|sale)\s+(?:de\s+aca\s+)?(?:en|dentro\s+de)\b")
# "salgo en 2 horas" with several visits today: a late start, not the way to one of them
LATE_START_MINUTES = 60
# arriving is told as done: "llegué", "ya estoy", "estoy en lo de…"
_ARRIVED_NOW = re.compile(r"\b(?:llegue|llegamos|ya\s+estoy|estoy\s+en|estoy\s+abajo|estoy\s+aca)\b")
_ARRIVAL_AHEAD = re.compile(r"\b(?:llego|llegaria|llegare|voy\s+a\s+(?:llegar|ir|estar)|paso|caigo|"
                            r"arranco|estoy)\b")


def _heads_up(turn: Turn) -> list[Reply] | None:
    """"Mañana voy a llegar tarde al primero, tipo 9 y media", "hoy arranco tarde, salgo en 2
    horas": no visit begins now; the customer of that day's visit (the one named, else the
    first) is told when to expect the technician, the job's history keeps it, and the visit
    stays as it is. Today's delay is told to the office as well. None when the words name no
    later day nor a late start today, or no arrival time nor lateness."""
    result = turn.result
    said = folded(turn.text)
    day = parse_date(result.date)
    today = day in (None, turn.today) and _late_today(turn, said)
    if today:
        day = turn.today
    elif day is None or day <= turn.today or not (result.time or _LATE.search(said)):
        return None
    found = candidate_jobs(turn.session, turn.user.id, turn.text, turn.today)
    that_day = sorted((job for job in found if job.status is S.SCHEDULED and job.scheduled_start
                       and local_date(job.scheduled_start, turn.zone) == day),
                      key=lambda job: job.scheduled_start)
    named = [job for job in that_day if names_job(job, turn.text)]
    if not that_day or (len(named) != 1 and len(that_day) > 1 and not today
                        and not _FIRST.search(said)):
        return None  # which of that day's visits is not said: the list asks
    job = named[0] if len(named) == 1 else that_day[0]
    start = job.scheduled_start.astimezone(turn.zone)
    end = job.scheduled_end.astimezone(turn.zone) if job.scheduled_end else None
    context = {"day": day_phrase(day, turn.today), "arrival": _arrival(turn, day, said),
               "number": job.number,
               "window": f"de {clock(start)} a {clock(end)}" if end else f"a las {clock(start)}"}
    jobs.add_note(turn.session, job.id, f"{first_name(turn.user.name)} avisa: {context['day']} llega "
                  f"{context['arrival']} ({turn.text.strip()[:200]})", turn.actor)
    customer = first_name(job.customer.name if job.customer else None) or THE_CUSTOMER
    if turn.in_flow(FLOW_PICK):
        clear(turn.conversation)  # "¿a cuál vas?" answered by the late start itself
    told = tell_customer(turn, job, "cust_tech_late_ahead", **context)
    if not told or today:
        turn.tell_staff(texts.render("staff_tech_late_ahead", tech=turn.user.name,
                                     customer=customer, told=told, **context))
    return [Text(texts.render("tech_late_ahead", customer=customer, told=told, **context))]


def _late_today(turn: Turn, said: str) -> bool:
    """"Hoy arranco tarde", "salgo en 2 horas", "llego como una hora tarde": today's work starts
    later, with nobody on the way or at a door yet (a technician on his way who is late changes
    that visit's arrival time instead)."""
    result = turn.result
    later = bool(_LATE.search(said)) or bool(result.time) \
        or (_minutes(turn, said) or 0) >= LATE_START_MINUTES
    if not later or _MOVING.search(said):
        return False
    if not (_STARTS.search(said) or _LATE.search(said)):
        return False
    return not any(job.status in (S.EN_ROUTE, S.ON_SITE) for job in turn.open_jobs)


def _minutes(turn: Turn, said: str) -> int | None:
    """The minutes said ("salgo en 2 horas"), whatever intent the words were read as (the
    extraction gives them only with an arrival)."""
    return turn.result.eta_minutes or find_eta(said)


def _arrival(turn: Turn, day: date, said: str) -> str:
    """When the customer may expect the technician, as he said it: "tipo 11", "unas 2 horas más
    tarde" (late by), "después de las 12:30" (leaving in), or "un rato más tarde"."""
    result = turn.result
    if result.time:
        return f"tipo {clock(datetime.combine(day, time.fromisoformat(result.time)))}"
    eta = _minutes(turn, said)
    if eta and 0 < eta <= MAX_ETA:
        if _LEAVES_IN.search(said):
            leaves = es_ar.aware(turn.now).astimezone(turn.zone) + timedelta(minutes=eta)
            leaves += timedelta(minutes=-leaves.minute % 15)
            return f"después de las {clock(leaves)}"
        return f"{es_ar.duration_phrase(eta)} más tarde"
    return "un rato más tarde"


def _later_day(job: Job, turn: Turn) -> bool:
    """A visit of a later day, not one about to begin: at 23:15, a visit at 0:00 is tonight's
    work, and "voy para allá" is about it."""
    start = job.scheduled_start
    return (start is not None and local_date(start, turn.zone) > turn.today
            and es_ar.aware(start) - turn.now > ABOUT_TO_BEGIN)


def _ask_which_job(turn: Turn) -> list[Reply]:
    s = turn.slots
    found = [job for job_id in s.get("candidates") or []
             if (job := own_job(turn, job_id)) is not None]
    return [_which_job(turn, s["action"], found, s.get("eta"))]


def _read_which_job(turn: Turn) -> bool:
    """A tapped row, or the job named in words ("el de García", "el 12") among those offered."""
    s, tap = turn.slots, turn.tap
    if isinstance(tap, JobActionTap):
        if tap.action != s.get("action") or tap.job_id not in (s.get("candidates") or []):
            return False
        turn.save(job_id=tap.job_id, eta=tap.eta or s.get("eta"))
        return True
    offered = s.get("candidates") or []
    named = [job for job in candidate_jobs(turn.session, turn.user.id, turn.text, turn.today)
             if job.id in offered]
    if len(named) == 1 and len(named) < len(offered):
        turn.save(job_id=named[0].id)
        return True
    nth = es_ar.nth_said(turn.said, len(offered))  # "la primera", "el segundo", "la última"
    if nth is not None:
        turn.save(job_id=offered[nth])
        return True
    return False


def _act_on_pick(turn: Turn) -> list[Reply]:
    s = dict(turn.slots)
    clear(turn.conversation)
    job = own_job(turn, s["job_id"])
    if job is None:
        return [Text(texts.render("tech_no_job"))]
    if job.status not in ACTIONS[s["action"]][0]:
        return [wrong_state(job)]
    result = Extraction(intent="other", amount=s.get("amount"), date=s.get("date"),
                        time=s.get("time"), description=s.get("reason"))
    return _act(turn, s["action"], job, text=s.get("text") or "", result=result,
                eta=_eta(s.get("eta")))


def _forget(turn: Turn, template: str) -> list[Reply]:
    clear(turn.conversation)
    return [Text(texts.render(template))]


TECH_PICK = Flow(
    name=FLOW_PICK,
    steps=(Step("which_job", ask=_ask_which_job, read=_read_which_job,
                needed=lambda turn: not turn.slots.get("job_id")),),
    finish=_act_on_pick,
    hand_over=lambda turn: _forget(turn, "tech_no_job"),
    idle=IDLE,
)


def _eta(minutes: int | None) -> int | None:
    """The minutes the technician said, or None: "voy para allá" promises the customer no
    number of minutes the technician never gave."""
    return minutes if minutes is not None and 0 < minutes <= MAX_ETA else None


def _which_job(turn: Turn, action: str, found: list[Job], eta: int | None) -> ListMessage:
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
                        title=short(f"#{job.number} {name}", MAX_ROW_TITLE),
                        description=short(details, MAX_ROW_DESCRIPTION)))
    ahead = None
    if len(found) == 1 and _later_day(found[0], turn):
        job = found[0]
        start = job.scheduled_start
        ahead = {"number": job.number, "customer": first_name(job.customer.name if job.customer
                                                             else None) or THE_CUSTOMER,
                 "when": f"{day_phrase(local_date(start, turn.zone), turn.today)} a las "
                         f"{clock_hm(start.astimezone(turn.zone))}"}
    return ListMessage(body=texts.render("tech_which_job", action=action, ahead=ahead),
                       button=ROWS_BUTTON,
                       sections=(Section(title="Tus trabajos", rows=tuple(rows)),))


def _picked(turn: Turn, tap: JobActionTap) -> list[Reply]:
    """A row of a "¿a cuál?" list: inside the question, its answer; later, still acted on."""
    if turn.in_flow(FLOW_PICK) and tap.action == turn.slots.get("action"):
        return TECH_PICK.walk(turn)
    job = own_job(turn, tap.job_id)
    if job is None:
        return [Text(texts.render("tech_no_job"))]
    if job.status not in ACTIONS[tap.action][0]:
        return [wrong_state(job)]
    return _act(turn, tap.action, job, text="", result=None, eta=_eta(tap.eta))


def _act(turn: Turn, action: str, job: Job, *, text: str, result: Extraction | None,
         eta: int | None) -> list[Reply]:
    try:
        with turn.session.begin_nested():  # a refusal half-way leaves nothing behind
            if action == "on_the_way":
                at = None
                if eta is None and result is not None:
                    eta, at = _eta_at_clock(turn, result.time)  # "llego tipo 17"
                return _on_the_way(turn, job, eta, at) + still_waiting(turn, job)
            if action == "arrived":
                return _arrived(turn, job) + still_waiting(turn, job)
            if action == "done":
                return start_done(turn, job, text, result)
            return cannot_complete(turn, job, text, result)
    except DomainError as exc:
        return [Text(texts.render("tech_error", reason=str(exc).rstrip(".")))]


# ---- on the way, arrived -------------------------------------------------------------------

def _eta_at_clock(turn: Turn, said: str | None) -> tuple[int | None, str | None]:
    """An arrival said as the hour ("llego tipo 17", "a las 5 estoy"): the minutes until then
    today and the hour as said ("17", "17:30"), or (None, None). An hour already past in the
    morning's numbers is the afternoon's ("tipo 5" at 14:00 is 17:00)."""
    if not said:
        return None, None
    now = turn.now.astimezone(turn.zone)
    target = datetime.combine(turn.today, time.fromisoformat(said), tzinfo=turn.zone)
    if target <= now and target.hour < 12:
        target += timedelta(hours=12)
    minutes = round((target - now).total_seconds() / 60)
    if not 0 < minutes <= MAX_ETA:
        return None, None
    return minutes, clock(target)


def on_the_way(turn: Turn, job: Job, eta: int | None) -> list[Reply]:
    """`job` on its way with `eta` minutes (None when not said), its customer told."""
    try:
        with turn.session.begin_nested():
            return _on_the_way(turn, job, _eta(eta))
    except DomainError as exc:
        return [Text(texts.render("tech_error", reason=str(exc).rstrip(".")))]


def _on_the_way(turn: Turn, job: Job, eta: int | None, at: str | None = None) -> list[Reply]:
    # One visit on the way at a time: "no, me confundí, voy a lo de Molina primero" puts the
    # other back on the day's list, and its customer hears he comes later (not left waiting on a
    # "va en camino" that is not true)
    put_off = [other for other in turn.open_jobs if other.id != job.id and other.status is S.EN_ROUTE
               and other.technician_id == job.technician_id]
    for other in put_off:
        jobs.transition(turn.session, other.id, S.SCHEDULED, turn.actor,
                        note="el técnico fue primero a otra visita")
        tell_customer(turn, other, "customer_tech_detour", number=other.number)
    jobs.transition(turn.session, job.id, S.EN_ROUTE, turn.actor, eta_minutes=eta)
    url = _tracking_link(turn, job)
    notified = tell_customer(turn, job, "customer_tech_on_the_way", eta=eta, at=at, url=url)
    customer = first_name(job.customer.name if job.customer else None) or THE_CUSTOMER
    later = [first_name(o.customer.name if o.customer else None) or THE_CUSTOMER for o in put_off]
    return [Text(texts.render("tech_on_the_way", customer=customer, eta=eta, at=at,
                              number=job.number, notified=notified, later=later))]


def _tracking_link(turn: Turn, job: Job) -> str:
    """The page where the customer follows the visit on its way."""
    return tracking_url(turn.settings, tracking_token(turn.settings, job.org_id, job.id, now=turn.now))


def _later(turn: Turn, job: Job, eta: int, at: str | None = None) -> list[Reply]:
    """A new arrival time for a visit already on its way, told to the customer."""
    before = job.eta_at
    try:
        jobs.update_eta(turn.session, job.id, eta, turn.actor)
    except DomainError as exc:
        return [Text(texts.render("tech_error", reason=str(exc).rstrip(".")))]
    url = _tracking_link(turn, job)
    later = before is None or es_ar.aware(job.eta_at) > es_ar.aware(before)
    notified = tell_customer(turn, job, "customer_tech_eta_changed", eta=eta, at=at, url=url,
                             later=later)
    customer = first_name(job.customer.name if job.customer else None) or THE_CUSTOMER
    return [Text(texts.render("tech_eta_changed", customer=customer, eta=eta, at=at,
                              number=job.number,
                              notified=notified))]


AT_THE_DOOR_FOR = timedelta(minutes=45)  # after an arrival marked, "estoy en la puerta" is the door


def _just_arrived(turn: Turn, job: Job) -> bool:
    """Whether the technician's arrival at `job` was marked lately (he may still be waiting at
    the door: "no me atiende el portero")."""
    if job.status is not S.ON_SITE:
        return False
    marked = turn.session.scalar(
        select(JobEvent.created_at).where(JobEvent.job_id == job.id, JobEvent.to_status == S.ON_SITE)
        .order_by(JobEvent.id.desc()).limit(1))
    return marked is not None and turn.now - es_ar.aware(marked) <= AT_THE_DOOR_FOR


def _arrived(turn: Turn, job: Job) -> list[Reply]:
    jobs.transition(turn.session, job.id, S.ON_SITE, turn.actor)
    tell_customer(turn, job, "customer_tech_arrived")
    customer = (job.customer.name if job.customer else None) or THE_CUSTOMER
    return [Text(texts.render("tech_arrived", customer=customer, number=job.number))]


SPEC = FlowSpec(
    name="technician", roles=frozenset({ConversationRole.TECHNICIAN}), handle=handle,
    intents=INTENTS, taps=(JobActionTap, DoneTap), states=frozenset({FLOW_DONE, FLOW_PICK}),
)
