"""Booking: from a customer's first burst to a scheduled job, asking only for what is missing.

```mermaid
flowchart TD
    start([new_job burst]) --> emergency{emergency?}
    emergency -- yes --> safety[safety advice; owner alerted if no address yet] --> address
    emergency -- no --> service{service known?}
    service -- no --> ask_service[list of services] --> service
    service -- yes --> address{address known?}
    address -- returning customer --> same[¿Es en Gorriti 3400, como la última vez?] --> address
    address -- no --> ask_address[calle y altura] --> address
    address -- yes, emergency --> dispatch([job created, on-call or nearest free technician assigned and told; owner alerted with phone and link])
    address -- yes --> slot{slot chosen?}
    slot -- no --> offer[2-3 free slots as buttons, on the day already said if any] --> slot
    slot -- none free --> person([a person takes over])
    slot -- yes --> name{name known?}
    name -- no --> ask_name --> name
    name -- yes --> confirm[summary + Confirmar / Cambiar día]
    confirm -- Confirmar --> create([job created: number and what happens next; technician told])
    confirm -- Cambiar día --> offer
```

State lives in the conversation (`flow="booking"`, `state` = the step asked, `slots`), so a
restart or another worker continues where the customer is. The flow is data (`BOOKING` at the
bottom): five `flows.steps.Step`s — service, address, slot, name, confirm — each with when it
is needed, how it asks and how it reads an answer, walked by `flows/steps.py`.
Creating the job at the end, and an emergency's dispatch, is `flows/booking_job.py`.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, time, timedelta
from itertools import zip_longest

from rapidfuzz import fuzz
from sqlalchemy import select

from core.es_ar import (
    clock,
    day_phrase,
    first_name,
    folded,
    nth_said,
    shortened,
    visit_phrase,
    weekday,
    yes_or_no,
)
from core.jobs.opening import describe_opening, is_closed_day, is_open, next_opening
from core.jobs.scheduling import (
    HELD_UNTIL,
    LEAD_TIME,
    at_same_time,
    contains_time,
    free_slots,
    free_technicians,
    hold,
    is_slot_free,
    parse_slot_id,
    part_of_day,
)
from core.jobs.time_ranges import day_ranges
from core.links import conversation_link
from core.messaging import texts
from core.messaging.replies import Button, Buttons, ListMessage, Reply, Row, Section, Text
from core.models import ConversationRole, Direction, Job, Message, User
from flows import (
    business_hours,
    handover,
    owner_hold,
    photos,
    prices,
    staff_questions,
    visit_addition,
)
from flows.booking_job import JOB_SERVICE, create_booked_job, emergency_advice, summary_address
from flows.buttons import AddressTap, BookingTap, ServiceTap, SlotTap
from flows.engine import INTERRUPTIONS, FlowSpec
from flows.steps import Flow, Step, prefixed, unprefixed
from flows.turn import Turn
from flows.understood import SERVICES
from nlu.extract import service_choices
from nlu.extract.address import (
    HEIGHT,
    find_address,
    find_corner,
    locality_alone,
    named_locality,
    street_alone,
)
from nlu.extract.message_kinds import (
    access_note,
    acknowledgement,
    already_shut_off,
    asks_if_we_do,
    asks_who_comes,
    someone_else_opens,
)
from nlu.extract.names import FIRST_NAMES, for_name
from nlu.extract.services import named_outright, one_visit, second_request
from nlu.extract.spoken import fold, is_spanish, spanish_words
from nlu.extract.text import expand, fold_aligned
from nlu.extract.when import either_day, hour_bounds, set_aside, week_asked
from nlu.intent.evaluate import ASK_BELOW

log = logging.getLogger("campotech.flows.booking")

FLOW = "booking"
IDLE = timedelta(hours=24)
WINDOW_WORDS = {"morning": "a la mañana", "afternoon": "a la tarde", "evening": "a la noche"}
MISSES_BEFORE_PERSON = 2
DESCRIPTION_MAX = 500
SAME_PROBLEM = 80  # rapidfuzz partial ratio at or above which a description repeats one kept


def handle(turn: Turn) -> list[Reply]:
    """Go on with the booking in progress, or start one for a new request."""
    if turn.in_flow(FLOW) and turn.intent not in INTERRUPTIONS:
        if _another_trade(turn):
            return _switch(turn)
        return step(turn)
    if turn.intent == "new_job" and turn.tap is None:
        # "el inodoro también anda tapado, ¿lo ven el mismo día?" with a visit coming: added to it
        return visit_addition.add_to_visit(turn) or start(turn)
    return []  # a button of a booking that is over: the engine's fallbacks answer


def start(turn: Turn) -> list[Reply]:
    c = turn.conversation
    if owner_hold.held(turn, turn.customer):
        return owner_hold.pass_to_owner(turn)  # the owner asked not to book them: theirs to answer
    # Photos or a contact card sent before the words ("¿de qué se trata?") join this booking.
    pending = {k: v for k, v in turn.slots.items() if k in photos.PENDING} if not c.flow else {}
    if not c.flow and (given := _given_address(turn)) is not None:
        pending["address"] = given  # "Córdoba 1650 piso 3" sent first, then the problem
    # Read before the slots are reset: "¿y destapar el inodoro?" follows a price given before.
    # A price asked only of a second job ("…y además quería que me pasen presupuesto para pintar")
    # is the office's to give with that job.
    also = second_request(fold_aligned(turn.text or ""), turn.result.service)
    r = turn.result
    # "¿cobran la visita si después no hacen el trabajo?": a question about prices that names no
    # trade nor place is answered, with the offer to book (unless a visit is booked already), not
    # followed by "¿qué tipo de trabajo necesitás?" as if a visit had been asked for
    price_only = not r.service and not r.address and r.urgency != "emergency" and not pending
    price = None if also and not prices.asks_price((turn.text or "")[:also[0]]) \
        else prices.answer(turn, offer_booking=price_only and turn.open_job is None)
    if price and price_only:
        c.misses = 0
        return price
    left = _change_left(turn)  # a day change or a cancellation left waiting for its OK
    c.flow, c.state, c.slots, c.misses = FLOW, None, pending, 0
    _merge(turn)
    if turn.slots.get("urgency") == "emergency":
        advice = emergency_advice(turn)  # the owners alerted now are told if it is called off
        replies = advice + BOOKING.start(turn, **pending, alerted=bool(turn.slots.get("alerted")))
        if also and replies and (passed := _pass_on(turn, also, urgent=True)):
            # after the emergency's own answer, never before it; a question ("¿En qué dirección
            # es?") stays last, where the customer answers it
            asks = isinstance(replies[-1], Buttons | ListMessage) or "?" in replies[-1].preview()
            replies.insert(len(replies) - 1 if asks and len(replies) > 1 else len(replies),
                           Text(passed))
        return replies
    replies = BOOKING.start(turn, **pending)
    if also and replies and (passed := _pass_on(turn, also)):
        replies[0] = prefixed(replies[0], passed)
    if price and replies:  # "¿cuánto sale destapar la pileta? estoy en Gorriti 3400": the price leads
        replies[0] = prefixed(replies[0], price[0].body)
        turn.save(priced_at=turn.now.isoformat())
    if left and replies:
        replies[0] = prefixed(replies[0], left)
    if not is_open(turn.org, turn.now) and replies and not _closed_notice_given(turn):
        # One message, not two: the notice leads the first question.
        notice = texts.render("closed_now", opening=describe_opening(turn.org, turn.now)).strip()
        replies[0] = prefixed(replies[0], notice)
    if replies and not also and not price and turn.result.service \
            and asks_if_we_do(fold_aligned(turn.text or "")):
        # "¿hacen instalación de aires?" is a question: its "sí" first, then the rest
        replies[0] = prefixed(replies[0], texts.render("cust_yes_we_do"))
    return replies


GIVEN_ADDRESS_KEPT = timedelta(hours=2)
# (the conversation's slots) an address sent before any request, and when
GIVEN_ADDRESS, GIVEN_AT = "given_address", "given_address_at"


def keep_given_address(turn: Turn, address: dict) -> None:
    """Keep an address the customer sent before saying what they need (`engine._address_alone`)
    for the booking that follows."""
    turn.save(**{GIVEN_ADDRESS: address, GIVEN_AT: turn.now.isoformat()})


def _given_address(turn: Turn) -> dict | None:
    """The address kept by `keep_given_address`, if recent and the request names none of its
    own."""
    given, at = turn.slots.get(GIVEN_ADDRESS), turn.slots.get(GIVEN_AT)
    if not given or not at or (turn.result.address is not None and turn.result.address.number):
        return None
    if turn.now - datetime.fromisoformat(at) > GIVEN_ADDRESS_KEPT:
        return None
    return given


def _change_left(turn: Turn) -> str | None:
    """When a new request comes while a change of day or a cancellation of a visit waits for
    its OK, the customer is told that change was not made and where the visit stands (it is
    dropped for the new request, never made unasked nor dropped without a word)."""
    from flows.customer_job_change import FLOW_CANCEL, FLOW_RESCHEDULE, flow_job, visit

    c = turn.conversation
    if c.flow not in (FLOW_RESCHEDULE, FLOW_CANCEL) or not turn.in_flow(c.flow):
        return None
    job = flow_job(turn)
    if job is None:
        return None
    return texts.render("cust_change_left", number=job.number, current=visit(job, turn.now),
                        cancel=c.flow == FLOW_CANCEL)


def _closed_notice_given(turn: Turn) -> bool:
    """Whether this customer was told, since the business last closed, that a person confirms
    when it opens: a second booking a minute after the first is not told again."""
    lead = texts.render("closed_now", opening="\x00").split("\x00")[0].strip()
    since = turn.now - timedelta(days=8)  # no business is closed longer than a week
    told = turn.session.scalar(
        select(Message.created_at)
        .where(Message.conversation_id == turn.conversation.id,
               Message.direction == Direction.OUTBOUND, Message.created_at >= since,
               Message.body.contains(lead, autoescape=True))
        .order_by(Message.created_at.desc()).limit(1))
    if told is None:
        return False
    opening = next_opening(turn.org, told)
    return opening is None or opening > turn.now


def _pass_on(turn: Turn, found: tuple[int, int, str], *, urgent: bool = False) -> str | None:
    """"Se me tapó el inodoro y además quería presupuesto para pintar el living": the painting
    (`found`: its span in the text and its trade) is another job, of a trade this visit does not
    cover. The office is told (the customer hears so) while the booking goes on with the first
    request; None when nobody in the office could be told."""
    r, (start, end, other) = turn.result, found
    name, phone = turn.writer
    told = turn.tell_staff(texts.render(
        "staff_booking_also", name=name, phone=phone, service=SERVICES.get(r.service, "un servicio"),
        text=shortened((turn.text or "")[start:end].strip(" ,.;:"), 300),
        link=conversation_link(turn.settings, turn.conversation.id)))
    if not told:
        return None
    log.info("a booking burst also asked for another trade (%s, then %s)", r.service, other)
    return texts.render("cust_booking_also", of_other=_of_the(SERVICES.get(other, "eso")),
                        service=_the(SERVICES.get(r.service, "lo primero")), urgent=urgent)


def _the(service: str) -> str:
    """"la destapación", "el aire acondicionado", "los electrodomésticos": with its article."""
    if service.endswith("os"):
        return f"los {service}"
    return f"{'la' if service.endswith(('ción', 'ía', 'dad', 'pintura')) else 'el'} {service}"


def _of_the(service: str) -> str:
    """"del gas", "de la pintura", "de los electrodomésticos"."""
    the = _the(service)
    return "del " + the[3:] if the.startswith("el ") else "de " + the


# What a booking keeps when the customer turns to another request: where and who, not what
KEPT_ON_SWITCH = frozenset({"address", "known_address", "name", "contact", "media"})
# the trade put right, not a new request: "ah no, perdón", "me equivoqué", "en realidad es a gas",
# "sería un gasista entonces"
_CORRECTS_TRADE = re.compile(
    r"^\W*(?:ah+\s+)?no\b|\b(?:perdon|perdona|me\s+equivoque|en\s+realidad|mejor\s+dicho|pensandolo\s+bien)\b"
    r"|\b(?:seria|entonces\s+es|es\s+mas\s+bien)\s+(?:un|una|de|a)\s+\w+\s*(?:no|entonces)?\s*$")


def _another_trade(turn: Turn) -> bool:
    """A new request of another trade in the middle of a booking not yet made ("necesito
    presupuesto para pintar 3 ambientes" while asked for the address of an electrical job): it
    is no answer to the step, and counting it as a miss hands the customer to a person."""
    r, booked = turn.result, turn.slots.get("service")
    said = fold_aligned(turn.text or "").lower()
    return (turn.tap is None and r.intent == "new_job" and bool(r.service) and bool(booked)
            and not one_visit(r.service, booked) and not r.address
            and (r.confidence is None or r.confidence >= ASK_BELOW)
            # the new trade named by its own thing, not a word of it in passing ("ya cerré la
            # llave, estamos afuera" after a gas leak; "el portero eléctrico no anda": an access
            # note); an emergency under way gives way only to another emergency
            and named_outright(r.service, expand(said)) and not access_note(said)
            and (turn.slots.get("urgency") != "emergency" or r.urgency == "emergency")
            and not asks_of_who_comes(turn.text)  # "¿el plomero va a poder entrar…?": asked
            and not prices.asks(turn))  # "¿y destapar el inodoro?" after a price: answered


# A question about the visit that names who comes ("¿el plomero va a poder entrar al depto del
# vecino?", "¿el electricista trae la escalera?"): no new request of that trade, nor the problem
_ASKS_OF_WHO_COMES = re.compile(
    r"\b(?:el|la|los|las)\s+(?:plomer|gasist|electricist|cerrajer|tecnic|pintor|albanil|muchach)\w*\s+"
    r"(?:\w+\s+)?(?:va|van|puede|pueden|podra|podria|tiene|tienen|trae|traen|sabe|saben|entra|entran"
    r"|necesita|necesitan|viene|vienen|cobra|cobran|acepta|aceptan|tarda|tardan|llega|llegan)\b")


def asks_of_who_comes(text: str) -> bool:
    """Whether a customer's message is a question about the visit naming who comes."""
    return "?" in (text or "") and bool(_ASKS_OF_WHO_COMES.search(folded(text or "")))


def _switch(turn: Turn) -> list[Reply]:
    """The unfinished booking turns to the new request; the address and name already given stay."""
    kept = {k: v for k, v in turn.slots.items() if k in KEPT_ON_SWITCH}
    if _CORRECTS_TRADE.search(folded(turn.text or "")) and turn.slots.get("description"):
        # "ah no, perdón, el termotanque es a gas, sería un gasista": the same problem, its trade
        # put right — what was told of it stays for the technician
        kept["description"] = turn.slots["description"]
    log.info("booking switched to another trade (%s -> %s)", turn.slots.get("service"),
             turn.result.service)
    lead = texts.render("booking_switched", service=SERVICES.get(turn.result.service, "eso"))
    replies = BOOKING.start(turn, **kept)
    if turn.slots.get("urgency") == "emergency":
        return emergency_advice(turn) + replies
    return [prefixed(replies[0], lead), *replies[1:]] if replies else [Text(lead)]


def step(turn: Turn) -> list[Reply]:
    """Read this turn's answer into the slots, then ask for the first thing still missing. A
    request that turns into an emergency on the way ("¡ahora sale agua por todos lados!", a
    leak that is of gas) gets the safety advice first, and the owners hear of it at once."""
    calm, service = turn.slots.get("urgency") != "emergency", turn.slots.get("service")
    replies = BOOKING.walk(turn)
    if turn.tap is None and someone_else_opens(folded(turn.text or "")) \
            and (rest := unprefixed(replies, texts.render(BOOKING.noted_template))):
        # "¿tengo que estar yo o lo recibe mi hermana?" at the summary: answered, and kept as a
        # word for the technician (not only "¡Anotado!")
        replies = [prefixed(rest[0], texts.render("booking_someone_else_opens")), *rest[1:]]
    if not calm:
        return replies
    if turn.result.urgency == "emergency":
        # no "¡Anotado! 👍" between the safety advice and the dispatch
        replies = unprefixed(replies, texts.render(BOOKING.noted_template))
    if turn.conversation.flow == FLOW and turn.slots.get("urgency") == "emergency":
        return emergency_advice(turn) + replies
    if turn.conversation.flow != FLOW and turn.result.urgency == "emergency" and replies:
        # the answer that made it one also finished the booking: dispatched, owners told
        return emergency_advice(turn, service=service, alert=False) + replies
    return replies


def on_attachments(turn: Turn) -> list[Reply]:
    """Photos, videos, files or a contact card sent without words during the booking: kept with
    it (the job gets them when it is created) and the booking goes on where it was, no miss. A
    card's name answers "¿a nombre de quién?"."""
    c = turn.conversation
    c.expires_at = turn.now + IDLE
    _merge(turn)
    media = photos.media_of(turn.burst.items)
    cards = [card for i in turn.burst.items for card in i.contacts]
    replies: list[Reply] = []
    if media:
        replies.append(Text(texts.render("booking_media_saved", what=photos.named(media))))
    if cards:
        name, phone = cards[-1]
        replies.append(Text(texts.render("booking_contact_saved", name=name, phone=phone)))
        if c.state == "name" and name and not turn.slots.get("name"):
            turn.save(name=name)
    return replies + BOOKING.next(turn)


# -- reading answers -------------------------------------------------------------------------

def _merge(turn: Turn) -> None:
    """Whatever the NLU found fills empty slots (a later burst may add the address or the day)."""
    r, s = turn.result, turn.slots
    found = {}
    if r.service and not s.get("service"):
        found["service"] = r.service
    elif r.service and s.get("priced_at") and r.intent == "new_job" and turn.tap is None \
            and JOB_SERVICE.get(r.service) != JOB_SERVICE.get(s.get("service")) \
            and not prices.asks(turn):
        # the booking began with a price ("¿cuánto sale el service del termotanque?"); the problem
        # told now ("se me tapó la pileta, estoy en Gorriti 3400") is what the visit is for
        found.update(service=r.service, priced_at=None)
        s = {**s, "description": None}
    if r.urgency and (not s.get("urgency") or r.urgency == "emergency"):
        found["urgency"] = r.urgency
    at_summary = turn.conversation.state == "confirm"
    if r.address and r.address.number and at_summary and s.get("address") \
            and (r.address.street, r.address.number) != (s["address"].get("street"), s["address"].get("number")):
        # "pará, la dirección está mal, es Juramento 2180" while the summary waits: corrected
        found["address"] = r.address.model_dump()
    elif r.address and r.address.number and not s.get("address"):
        found["address"] = r.address.model_dump()
    elif r.address and r.address.number and s.get("address") and not s["address"].get("number") \
            and turn.tap is None:
        # "Corrientes y Pueyrredón", then "Av. Corrientes 2580 piso 6 C": the height beats a corner
        found["address"] = r.address.model_dump()
    elif not s.get("address") and (corner := find_corner(
            turn.text, answering=turn.conversation.state == "address")):
        found["address"] = corner.model_dump()  # "Corrientes y Pueyrredón": a corner, no number
    elif parts := _address_in_parts(turn):
        found["address"] = parts
    elif not s.get("address") and _SAME_PLACE.search(folded(turn.text or "")) \
            and (customer := turn.customer) is not None and len(customer.addresses) == 1:
        # "misma dirección de siempre", "donde vinieron la otra vez": the one place on file
        found["address"] = _as_slot(customer.addresses[0])
    elif turn.conversation.state == "address" and not s.get("address") and not r.address \
            and yes_or_no(turn.text) is None and (street := _street_said(turn.text)):
        found["street"] = street  # "Gorriti": kept, and its height asked for
    if found.get("address") and not found["address"].get("locality") and s.get("locality"):
        found["address"]["locality"] = s["locality"]  # "estoy en Villa Devoto", then the street
    if not s.get("address") and not found.get("address") and not r.address \
            and (place := named_locality(turn.text)) and place != s.get("locality"):
        found["locality"] = place  # the barrio without a street: kept, and the street asked
    elif s.get("address") and not s["address"].get("locality") and not r.address \
            and (place := locality_alone(turn.text)):
        # "Gorriti", "3400", then "Palermo": the barrio of the address just given
        found["address"] = {**s["address"], "locality": place}
    if at_summary and s.get("slot") and turn.tap is None and (r.date or r.window or r.time) \
            and not found.get("address") and yes_or_no(turn.text) != "yes":
        # "mejor el martes" while the summary waits: the day changes, fresh times for it
        s = {**s, "slot": None}
        found.update(slot=None, slot_label=None, slot_when=None, **{HELD_UNTIL: None})
    # what the words say of days and hours, read once on the normalized text
    written = expand(fold_aligned(turn.text)) if turn.text and turn.tap is None else None
    zone = turn.org.time_zone if turn.org is not None else None
    # "cualquier día menos el jueves": a day set aside is never offered, nor the day asked
    aside = set_aside(written, turn.now, zone) if written else None
    if aside and not s.get("slot"):
        found["avoid"] = aside.isoformat()
    # "jueves o viernes a la tarde": times on either day, until one day is said
    either = either_day(written, turn.now, zone) if written else []
    if (either or r.date) and not s.get("slot"):
        found["days"] = [d.isoformat() for d in either] or None
        found["week"] = None
    if r.date and not s.get("slot") and r.date != aside:
        found["date"] = in_week_asked(turn.text, turn.today, r.date,
                                      s.get("date") or (s.get("days") or [None])[0])
    # "la semana que viene" with no day: times on several of its days, not only its Monday
    week = week_asked(written, turn.now, zone) if written and not either else []
    if week and not s.get("slot"):
        found.update(days=[d.isoformat() for d in week if d != aside], date=None,
                     week="next" if week[0] > turn.today else "this")
    if r.window and not s.get("slot"):
        found["window"] = r.window
    if (r.time or r.window) and not s.get("slot"):
        found["time"] = r.time  # "tipo 6" beats a window; a later "a la mañana" drops it
    # "de 2 a 6", "después de las 11", "hasta las 10 no hay nadie": the hours they can, kept
    # until another hour or part of the day is said
    after, until = hour_bounds(written) if written else (None, None)
    if (after or until or r.time or r.window) and not s.get("slot"):
        found["after"] = after.isoformat(timespec="minutes") if after else None
        found["until"] = until.isoformat(timespec="minutes") if until else None
        if r.time and time.fromisoformat(r.time) in (after, until):
            # "antes de las 19 hs, que abrimos": a bound, not the hour wanted
            found["time"] = s.get("time") if s.get("time") != r.time else None
    # While the summary waits, a name is who the visit is for, and a later one corrects it
    # ("Julia Fernández", then "perdón, a nombre de Julia Ferreyra"); before it, the first stays.
    if (said := for_name(turn.text)) and said != s.get("name"):
        found["name"] = said  # "a nombre de Julia Ferreyra", whenever it is said
    elif r.name and (at_summary or not s.get("name")):
        found["name"] = r.name
    elif at_summary and (name := _offered_name(turn, correcting=bool(s.get("name")))) \
            and name != s.get("name"):
        found["name"] = name
    if r.intent == "new_job" and r.description and (r.service or not s.get("description")) \
            and not (s.get("description") and asks_of_who_comes(turn.text)):
        described = _described(s.get("description"), prices.without_question(r.description))
        if described != s.get("description"):
            found["description"] = described  # the problem, not the whole burst
    if turn.text and not s.get("said"):
        found["said"] = " ".join(turn.text.split())[:500]
    elif turn.text and turn.tap is None and access_note(folded(turn.text)) \
            and not asks_who_comes(folded(turn.text)):
        # "avisale que el timbre es el de abajo a la izquierda" after the first message: a word
        # for the technician, kept with the job (the first message is the description already)
        note = " ".join(turn.text.split())
        kept = s.get("note")
        if not kept or folded(note) not in folded(kept):
            found["note"] = shortened(f"{kept} · {note}" if kept else note,
                                      visit_addition.NOTE_MAX)
    if turn.pin and not s.get("address"):
        found["address"] = {"street": turn.pin, "number": None, "unit": None, "locality": None}
    media = [i.message_id for i in photos.media_of(turn.burst.items)]
    if media:
        found["media"] = list(dict.fromkeys([*(s.get("media") or []), *media]))
    cards = [card for i in turn.burst.items for card in i.contacts]
    if cards:
        found["contact"] = {"name": cards[-1][0], "phone": cards[-1][1]}
    if found:
        turn.save(**found)


def _street_said(text: str) -> str | None:
    """A street sent without its height: the whole message, or a line of the burst, or what
    comes before the barrio ("calle Ramón Falcón, en Flores" / "la altura no me acuerdo")."""
    for line in [text, *text.splitlines()]:
        line = line.strip()
        if not line:
            continue
        if street := street_alone(line):
            return street
        head, _, tail = line.partition(",")
        if tail and named_locality(tail) and (street := street_alone(head)):
            return street
    return None


def _described(kept: str | None, new: str) -> str:
    """The booking's problem with this turn's: another problem the customer describes (a blocked
    toilet after the price of a flexible) joins the first for the technician; a repeat does not."""
    new = new.strip()
    if not kept or not new:
        return (kept or new)[:DESCRIPTION_MAX]
    if fuzz.partial_ratio(folded(new), folded(kept)) >= SAME_PROBLEM:
        return kept
    joined = f"{kept} · {new}"
    return joined if len(joined) <= DESCRIPTION_MAX else kept


def _read_service(turn: Turn) -> bool:
    tap = turn.tap
    if tap == ServiceTap(ANY_SERVICE):  # "Otra cosa": every trade, asked again with no miss
        turn.save(service_choices=ANY_SERVICE)
        return True
    service = tap.service if isinstance(tap, ServiceTap) else (tap is None and turn.result.service)
    if service in SERVICES:
        turn.save(service=service)
        offered = turn.slots.get("service_choices") or {}
        if service == "gas" and offered.get("kind") in ("leak", "smell"):
            turn.save(urgency="emergency")  # a gas leak, a smell of gas: a danger now
    return bool(turn.slots.get("service"))


def _address_in_parts(turn: Turn) -> dict | None:
    """An address sent in parts while it is asked for: over the lines of one burst ("Gorriti",
    "3400", "Palermo"), or the height after a street sent alone ("Gorriti", then "al 3400")."""
    s = turn.slots
    if turn.conversation.state != "address" or s.get("address") or not turn.text:
        return None
    said = " ".join(turn.text.split())
    tries = [said] if "\n" in turn.text.strip() else []
    if s.get("street") and HEIGHT.match(said):
        tries.append(f"{s['street']} {said}")
    for text in tries:
        found = find_address(text, answering=True)
        if found is not None and found.number:
            return found.model_dump()
    return None


def _read_address(turn: Turn) -> bool:
    tap, s = turn.tap, turn.slots
    if tap == AddressTap("same") and s.get("known_address"):
        turn.save(address=s["known_address"])
    elif tap == AddressTap("second") and s.get("second_address"):
        turn.save(address=s["second_address"])
    elif tap is None and (named := _known_address_named(turn)) is not None:
        turn.save(address=named)  # "el de Obispo Trejo, el local": one of theirs, by its street
    elif tap == AddressTap("other"):
        turn.save(known_address=None)
        return True  # asked again, now for the new one
    return bool(turn.slots.get("address")) or bool(turn.result.address or turn.pin) \
        or find_corner(turn.text, answering=True) is not None \
        or _address_in_parts(turn) is not None  # merged right after


def short_title(text: str) -> str:
    """A button's title holds 20 characters."""
    return text if len(text) <= BUTTON_TITLE else text[:BUTTON_TITLE - 1].rstrip() + "…"


BUTTON_TITLE = 20


def _read_slot(turn: Turn) -> bool:
    tap = turn.tap
    slot = parse_slot_id(tap.slot_id, time_zone=turn.org.time_zone) if isinstance(tap, SlotTap) \
        else _accepted_slot(turn)
    if slot is not None:
        picked = _pick(turn, slot, now=turn.now)
        if picked is not None:
            # held for this customer while they give their name and confirm
            turn.save(**hold(picked, turn.now), slot_label=picked.label_on(turn.now.date()),
                      slot_when=visit_phrase(picked.start.astimezone(turn.zone),
                                             picked.end.astimezone(turn.zone), turn.today))
            return True
        turn.save(slot_taken=True)
        return True  # offer again, with fresh slots
    return bool(turn.result.date or turn.result.window or turn.result.time)  # "mejor el jueves"


def _accepted_slot(turn: Turn):
    """The time offered a customer who answers in words means ("dale, perfecto" after asking for
    "el viernes tipo 4": the one at 16; "sí, esa" when one was offered; "la primera"), or None
    when the words choose none of them (asked again with no miss: `_side_answer`)."""
    s = turn.slots
    if turn.tap is not None or not s.get("offered"):
        return None
    said = fold_aligned(turn.text or "").lower()
    offered = [x for x in (parse_slot_id(i, time_zone=turn.org.time_zone) for i in s["offered"]) if x]
    nth = nth_said(said, len(offered))
    if nth is not None and not turn.result.time and not turn.result.window \
            and (turn.result.date in (None, offered[nth].start.astimezone(turn.zone).date().isoformat())
                 or not _DAY_NAMED.search(said)):
        # "el primero que tengan hoy", with today's times on offer; "el primero" alone is the
        # first time offered, never the 1st of the month (the model reads a day in it)
        return offered[nth]
    if turn.result.date or turn.result.window or turn.result.time:
        return None
    if nth is not None:
        return offered[nth]
    if _ANY_SLOT.search(said) and offered:
        return min(offered, key=lambda x: x.start)  # "cualquiera, el que sea más pronto"
    if not _accepts(turn):
        return None
    at = _said_time(s)
    fitting = [x for x in offered if at is not None and x.start.astimezone(turn.zone).time() == at]
    if len(fitting) == 1:
        return fitting[0]
    return offered[0] if len(offered) == 1 else None


# any of the times offered, the soonest: "cualquiera, el q sea más pronto", "el que tengan
# antes", "me da igual", "lo antes posible"
_ANY_SLOT = re.compile(
    r"^\W*cualquier[ao]?\b|\bcualquier[ao]?\s+(?:me\s+(?:viene|sirve|va)|esta\s+bien|de\s+es[oa]s)\b"
    r"|\b(?:el|la|lo)\s+(?:que|q)\s+(?:sea|este|tengan|haya)\s+(?:mas\s+)?(?:pronto|antes|temprano|rapido|cerca)\b"
    r"|\b(?:el|la|lo)\s+mas\s+(?:pronto|temprano|rapido|cercano|cerca)\b|\blo\s+antes\s+posible\b"
    r"|\bme\s+da\s+(?:igual|lo\s+mismo)\b|\b(?:el|la)\s+(?:que|q)\s+(?:quieras|quieran|sea|te\s+quede)\b")


# a day said in so many words: a number, a month, a weekday, "hoy", "mañana"
_DAY_NAMED = re.compile(
    r"\d|\b(?:enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre"
    r"|diciembre|lunes|martes|miercoles|jueves|viernes|sabado|domingo|hoy|manana|pasado|semana|mes)\b")


def _accepts(turn: Turn) -> bool:
    """"sí", "dale", "perfecto", "esa": a yes to the times offered, with no choice among them."""
    r = turn.result
    return yes_or_no(turn.text) == "yes" or acknowledgement(turn.text) is not None or (
        bool(_YES_FIRST.match(folded(turn.text or ""))) and not (r.date or r.window or r.time))


# "dale, ese día está bien. gracias x la paciencia!": a yes said first, then more words
_YES_FIRST = re.compile(r"^\W*(?:dale|si|ok|oka|okey|perfecto|joya|genial|bueno|listo|barbaro|de\s+una)\b")


def _read_name(turn: Turn) -> bool:
    if turn.tap is not None:
        return False  # a button's title ("Confirmar", tapped on an older message) is no name
    name = turn.result.name or _plain_name(turn.text)
    if name:
        turn.save(name=name)
    return bool(name)


def _read_confirm(turn: Turn) -> bool:
    answer = yes_or_no(turn.text) if turn.tap is None else None
    if turn.tap == BookingTap("confirm") or answer == "yes":
        slot = parse_slot_id(turn.slots["slot"], time_zone=turn.org.time_zone) \
            if turn.slots.get("slot") else None
        booked = _still_free(turn, slot) if slot is not None else None
        if slot is not None and booked is None:
            # taken by another customer since it was offered, and nobody else free then: fresh
            # times, never two visits in one technician's hour
            turn.save(slot=None, slot_label=None, slot_when=None, slot_taken=True,
                      **{HELD_UNTIL: None})
            return True
        if booked is not None and booked != slot:
            turn.save(slot=booked.id)  # the same hours, with another technician
        turn.save(confirmed=True)
        return True
    if turn.tap == BookingTap("change"):
        turn.save(slot=None, slot_label=None, slot_when=None, date=None, window=None, time=None,
                  after=None, until=None, avoid=None, days=None, **{HELD_UNTIL: None})
        return True
    return False


def _still_free(turn: Turn, slot):
    """The chosen slot if it can still be booked, or the same hours with another technician
    free then; None when nobody is. The customer's own hold on it does not count; another's,
    taken after theirs ran out, does."""
    if slot.start <= turn.now:
        return None  # its time has come while the customer looked at the summary
    # the lead time counted when it was offered, not now: a minute's thought is no reason to
    # lose the first visit of the day (holds are still read at the real time)
    return _pick(turn, slot, now=min(turn.now, slot.start - LEAD_TIME), holds_at=turn.now)


def _pick(turn: Turn, slot, *, now: datetime, holds_at: datetime | None = None):
    """The tapped hours for this customer: with the technician offered, or, when another
    customer took that technician's hours meanwhile, with another technician free then (a
    customer picks a time, not a person); None when nobody is free then.

    Each technician's row is locked before their hours are read, until this turn commits, so
    two customers picking or confirming one technician's hours at once are told apart
    (PostgreSQL; SQLite runs one at a time). The offered technician's lock is waited for;
    another's is only taken if free (one held elsewhere is another pick or booking under way,
    and waiting on a second lock could deadlock with it)."""
    mine = turn.conversation.id
    _lock_technician(turn, slot)
    others = at_same_time(turn.session, slot)
    # Whoever is free then, read once for all: the offered technician's answer holds (their row
    # is locked); another's is read again once their row is (a booking may have committed since).
    free = free_technicians(turn.session, turn.org, [slot, *others], now=now, holder=mine,
                            holds_at=holds_at)
    if slot.technician_id in free:
        return slot
    for candidate in others:
        if (candidate.technician_id in free and _lock_technician(turn, candidate, wait=False)
                and is_slot_free(turn.session, turn.org, candidate, now=now, holder=mine,
                                 holds_at=holds_at)):
            return candidate
    return None


def _lock_technician(turn: Turn, slot, *, wait: bool = True) -> bool:
    """The slot's technician's row locked until this turn commits; False when `wait` is off
    and another transaction holds it."""
    lock = True if wait else {"skip_locked": True}
    return turn.session.get(User, slot.technician_id, with_for_update=lock,
                            populate_existing=True) is not None


def _offered_name(turn: Turn, *, correcting: bool = False) -> str | None:
    """A bare name sent while the booking waits for its confirmation ("Julia Fernández"): the
    customer saying who the visit is for. Only what can be nothing else: two to four
    capitalized words of letters, no yes or no, nothing else found in it, and either a common
    first name first ("Rosa Blanco", "Ana María López": words of the language too) or at least
    one word that is not Spanish (so "Muchas Gracias" or "Buen Día" are not names)."""
    r = turn.result
    words = turn.text.strip().rstrip(".!").split()
    if not 2 <= len(words) <= 4:
        return None
    if r.service or r.date or r.window or r.time or r.amount or r.address or r.eta_minutes:
        return None
    if yes_or_no(turn.text) is not None:
        return None
    if not all(w[:1].isupper() and w.replace("'", "").isalpha() for w in words):
        return None
    if fold(words[0]) in FIRST_NAMES:
        return " ".join(words)
    if correcting:
        return None  # replacing a name takes a first name or "a nombre de": not "Tengo Un Perro"
    if not spanish_words() or all(is_spanish(fold(w)) for w in words):
        return None  # without the word list nothing can be told apart: not a name
    return " ".join(words)


def _plain_name(text: str) -> str | None:
    words = [w for w in text.replace(",", " ").split() if w.isalpha()]
    return " ".join(w.capitalize() for w in words[:4]) if 1 <= len(words) <= 4 else None


# -- asking ----------------------------------------------------------------------------------

def _emergency_now(turn: Turn) -> bool:
    return turn.slots.get("urgency") == "emergency"  # no slot hunting: someone goes ASAP


def _needs_name(turn: Turn) -> bool:
    if _emergency_now(turn) or turn.slots.get("name") or turn.conversation.profile_name:
        return False
    customer = turn.customer
    return not (customer and customer.name)


ANY_SERVICE = "any"  # the "Otra cosa" of the likeliest trades: the whole list instead
_CHOICE_TITLES = {("leak", "plomeria"): "💧 De agua", ("leak", "gas"): "🔥 De gas",
                  ("smell", "gas"): "🔥 A gas", ("smell", "destapaciones"): "🚽 A cloaca"}


def _ask_service(turn: Turn) -> list[Reply]:
    """The likeliest trades as buttons when the request shows some ("tengo una pérdida en el
    baño": water or gas?), else the list of every trade."""
    offered = turn.slots.get("service_choices")
    if offered is None:
        found = service_choices(turn.text)
        offered = {"kind": found.kind, "services": list(found.services)} if found else ANY_SERVICE
        turn.save(service_choices=offered)
    if offered != ANY_SERVICE:
        kind = offered["kind"]
        buttons = tuple(Button(ServiceTap(k).encode(), _CHOICE_TITLES.get((kind, k), SERVICES[k].capitalize()))
                        for k in offered["services"])
        return [Buttons(body=texts.render("ask_service_choices", kind=kind),
                        buttons=(*buttons, Button(ServiceTap(ANY_SERVICE).encode(), "Otra cosa")))]
    rows = tuple(Row(ServiceTap(k).encode(), v.capitalize()) for k, v in SERVICES.items())
    return [ListMessage(body=texts.render("ask_service"), button="Elegir",
                        sections=(Section("Servicios", rows),))]


# The address on file named as such: "misma dirección de siempre", "la dirección de la otra vez",
# "donde vinieron la vez pasada", "ya tienen mi dirección"
_SAME_PLACE = re.compile(
    r"\b(?:(?:la\s+)?misma\s+(?:direccion|casa|dire|dir)|(?:la\s+)?direccion\s+de\s+siempre"
    r"|(?:la\s+)?(?:direccion|casa)\s+de\s+(?:la\s+(?:otra|ultima)\s+vez|la\s+vez\s+pasada)"
    r"|donde\s+(?:vinieron|fueron|vino|fue)\s+(?:la\s+(?:otra|ultima)\s+vez|la\s+vez\s+pasada|el\s+ano\s+pasado)"
    r"|ya\s+(?:tienen|tenes)\s+(?:mi|la)\s+direccion|en\s+casa\s+como\s+siempre)\b")


def _as_slot(known) -> dict:
    return {"street": known.street, "number": known.number, "unit": known.unit,
            "locality": known.locality}


def _known_address_named(turn: Turn) -> dict | None:
    """The customer's address on file whose street the words name, when just one does."""
    customer = turn.customer
    if customer is None or len(customer.addresses) < 2 or not turn.text:
        return None
    said = set(folded(turn.text).split())
    named = [known for known in customer.addresses if known.street and said & {
        w for w in folded(known.street).split() if len(w) > 3 and w not in ("calle", "avenida")}]
    return _as_slot(named[0]) if len(named) == 1 else None


def _ask_address(turn: Turn) -> list[Reply]:
    customer = turn.customer
    known = customer.addresses[0] if customer and customer.addresses else None
    if known and turn.slots.get("known_address", True) is not None:
        turn.save(known_address=_as_slot(known))
        where = " ".join(p for p in (known.street, known.number) if p)
        if len(customer.addresses) > 1:
            # two places on file ("la casa", "el local"): which one, never the first by default
            second = customer.addresses[1]
            turn.save(second_address=_as_slot(second))
            other = " ".join(p for p in (second.street, second.number) if p)
            return [Buttons(body=texts.render("ask_which_address", first=where, second=other),
                            buttons=(Button(AddressTap("same").encode(), short_title(where)),
                                     Button(AddressTap("second").encode(), short_title(other)),
                                     Button(AddressTap("other").encode(), "Otra dirección")))]
        # "como la última vez" only when a visit went there: a customer the owner loaded has none
        visited = turn.session.scalar(select(Job.id).where(Job.customer_id == customer.id).limit(1))
        return [Buttons(body=texts.render("ask_same_address", address=where, visited=visited is not None),
                        buttons=(Button(AddressTap("same").encode(), "Sí, es ahí"),
                                 Button(AddressTap("other").encode(), "Otra dirección")))]
    return [Text(texts.render("ask_address", locality=turn.slots.get("locality"),
                              street=turn.slots.get("street")))]


# a weekday said alone ("el martes"), with no "este" or day of the month
_WEEKDAY_ALONE = re.compile(r"\b(?:el\s+)?(?:lunes|martes|miercoles|jueves|viernes|sabado)\b(?!\s+\d)")
_THIS_WEEK = re.compile(r"\b(?:este|esta)\s+(?:semana|lunes|martes|miercoles|jueves|viernes|sabado)\b|\bhoy\b"
                        r"|\bpasado\b|(?<!\bla\s)\bmanana\b|\bproxim[oa]\b|\bque\s+viene\b")


def in_week_asked(text: str | None, today: date, said_day: str, asked: str | None) -> str:
    """The day a weekday said alone means, after a later week was asked ("la semana que viene"
    then "dale, el martes"): that weekday of the week asked, not of this one (ISO dates)."""
    if not asked:
        return said_day
    day, before = date.fromisoformat(str(said_day)), date.fromisoformat(asked)
    said = folded(text or "")
    if day >= before or (before - today).days < 6 or not _WEEKDAY_ALONE.search(said) \
            or _THIS_WEEK.search(said):
        return said_day
    moved = before - timedelta(days=before.weekday()) + timedelta(days=day.weekday())
    return moved.isoformat() if moved > today else said_day


def _ask_slot(turn: Turn) -> list[Reply]:
    s = turn.slots
    days = [None] if s.get("date") or not s.get("days") else [date.fromisoformat(d) for d in s["days"]]
    # one search per day offered as a choice ("jueves o viernes"), their times taken in turns
    found = [_free_on(turn, day) for day in days]
    slots = [slot for group in zip_longest(*found) for slot in group if slot is not None]
    slots = list({slot.start: slot for slot in slots}.values())[:3]
    if not slots:
        return _hand_over(turn, "no_slots")
    taken = s.get("slot_taken")
    turn.save(slot_taken=None, offered=[x.id for x in slots])
    asked = _asked_for(turn, slots)
    return [Buttons(body=texts.render("offer_slots", taken=bool(taken), **asked),
                    buttons=tuple(Button(SlotTap(x.id).encode(), x.label_on(turn.now.date()))
                                  for x in slots))]


def _free_on(turn: Turn, day: date | None) -> list:
    """Up to three free times for the booking: on `day` first when given, else on the day asked."""
    s = turn.slots
    return free_slots(
        turn.session, turn.org, now=turn.now, count=3,
        preferred_date=day or (datetime.fromisoformat(s["date"]).date() if s.get("date") else None),
        preferred_window=s.get("window"),
        preferred_time=_said_time(s),
        skip_day=date.fromisoformat(s["avoid"]) if s.get("avoid") else None,
        not_before=time.fromisoformat(s["after"]) if s.get("after") else None,
        not_after=time.fromisoformat(s["until"]) if s.get("until") else None,
        # "Urgente" means the earliest times, unless they said when ("hoy a la tarde").
        urgency="high" if s.get("urgency") == "high"
        and not (s.get("date") or s.get("window") or s.get("time"))
        else "normal",
        holder=turn.conversation.id,
    )


def _asked_for(turn: Turn, offered) -> dict:
    """What the customer already said about the day ("el jueves", "a la tarde"), and whether
    the offer honours it, so the bot offers times instead of asking "¿qué día?" again."""
    s = turn.slots
    day = datetime.fromisoformat(s["date"]).date() if s.get("date") else None
    at = _said_time(s)
    after = time.fromisoformat(s["after"]) if s.get("after") and not at else None
    until = time.fromisoformat(s["until"]) if s.get("until") and not at else None
    window = None if at or after or until else s.get("window")
    either = [date.fromisoformat(d) for d in s.get("days") or []] if day is None else []
    week = {"next": "la semana que viene", "this": "esta semana"}.get(s.get("week") or "")
    phrase = " ".join(p for p in (
        day_phrase(day, turn.today) if day else None,
        week or (" o ".join(day_phrase(d, turn.today) for d in either) if either else None),
        f"a eso de las {clock(datetime.combine(turn.today, at))}" if at else None,
        _bounds_phrase(turn, after, until),
        WINDOW_WORDS.get(window or "")) if p)
    if not phrase:
        return {"asked": None, "honoured": False, "closed": None, "on_day": False}
    honoured = any((day is None or x.start.astimezone(turn.zone).date() == day)
                   and (not either or x.start.astimezone(turn.zone).date() in either)
                   and (window is None or part_of_day(x.start.astimezone(turn.zone)) == window)
                   and (at is None or contains_time(x, at))
                   and (after is None or x.start.astimezone(turn.zone).time() >= after)
                   and (until is None or x.end.astimezone(turn.zone).time() <= until)
                   for x in offered)
    return {"asked": phrase, "honoured": honoured, "closed": _closed_on(turn, day),
            "on_day": day is not None or bool(either)}


def _bounds_phrase(turn: Turn, after: time | None, until: time | None) -> str | None:
    """"entre las 14 y las 18", "después de las 11", "antes de las 12": the hours asked for."""
    def said(at: time) -> str:
        return clock(datetime.combine(turn.today, at))
    if after and until:
        return f"entre las {said(after)} y las {said(until)}"
    if after:
        return f"después de las {said(after)}"
    return f"antes de las {said(until)}" if until else None


def _closed_on(turn: Turn, day) -> str | None:
    """"los domingos" when the business never opens on `day`'s weekday (its hours say so), or
    "el lunes 8/12" when the owner closed that day (a holiday): the reason there is no time that
    day, rather than "no me queda lugar"."""
    hours = turn.org.business_hours
    if day is not None and is_closed_day(turn.org, day):
        return day_phrase(day, turn.today)
    if day is None or not any((hours or {}).values()) or day_ranges(hours, day, turn.zone):
        return None
    name = weekday(day)
    return f"los {name}s" if name.endswith("o") else f"los {name}"


def _said_time(slots: dict) -> time | None:
    """The hour the customer said ("el martes tipo 6": 18:00), kept as "HH:MM"."""
    value = slots.get("time")
    return time.fromisoformat(value) if value else None


def _ask_name(turn: Turn) -> list[Reply]:
    return [Text(texts.render("ask_name"))]


def _ask_confirm(turn: Turn) -> list[Reply]:
    return [Buttons(body=texts.render("confirm_booking", **_summary(turn)),
                    buttons=(Button(BookingTap("confirm").encode(), "Confirmar"),
                             Button(BookingTap("change").encode(), "Cambiar día")))]


def _summary(turn: Turn) -> dict:
    s = turn.slots
    address = s.get("address") or {}
    return {
        "service": SERVICES.get(s.get("service") or "", "servicio"),
        "address": summary_address(address),
        "when": s.get("slot_label") or "lo antes posible",
        "name": s.get("name"),
        "note": s.get("note"),
    }


def _side_answer(turn: Turn) -> list[Reply] | None:
    """A question asked mid-booking is answered there, and the booking goes on: invoices ("¿hacen
    factura A?"), prices ("¿cuánto sale?"), the business's hours (the words are plain enough to
    read without the model, which a booking's context leans on); a thanks gets a "¡De nada!"."""
    from flows.customer_billing import asks_factura_a, invoice_replies

    if turn.intent == "invoice_request" or asks_factura_a(turn.text):
        return invoice_replies(turn)
    emergency = turn.slots.get("urgency") == "emergency"
    said = folded(turn.text or "")
    shut = already_shut_off(said)
    if emergency and turn.slots.get("service") in ("gas", "plomeria", "destapaciones") \
            and (shut or _OUT_OF_THE_HOUSE.search(said)):
        # "ya cerré la llave y abrí todo, estamos afuera": done right, and the question again
        return [Text(texts.render("booking_emergency_safe", service=turn.slots.get("service"),
                                  shut=bool(shut)))]
    if turn.conversation.state == "slot" and turn.slots.get("offered") and _accepts(turn):
        # "dale, perfecto" to three times: which one, asked again with no miss
        return [Text(texts.render("slot_which", name=turn.first_name))]
    if turn.tap is None and turn.slots.get("said") \
            and folded(" ".join((turn.text or "").split())[:500]) == folded(turn.slots["said"]):
        # the first message sent again, word for word (no answer came fast enough): no miss
        return [Text(texts.render("booking_same_again", name=turn.first_name))]
    if asks_who_comes(said) and (who := _who_comes(turn)) is not None:
        # "¿el muchacho cómo se llama? así le abro tranquila": the technician of the time chosen
        return [Text(texts.render("booking_who_comes", technician=who))]
    if acknowledgement(turn.text) == "thanks":  # "gracias!!" before confirming: no miss
        return [Text(texts.render("flow_thanks", name=turn.first_name))]
    answered = prices.answer(turn) or business_hours.answer(turn)
    if answered:
        return answered
    if not emergency:
        # "¿el que va trae los repuestos o compro algo yo?" mid-booking: the office answers it,
        # and the booking's question stands (no miss, nothing lost)
        return staff_questions.forward(turn) if _nothing_asked_for(turn) else None
    # Someone goes as soon as the address is clear: nothing said meanwhile is a miss, nor hands
    # them to a person ("no encuentro la llave de paso!!", "¿vienen?"); the owners know already
    return [Text(texts.render("booking_emergency_waiting"))]


def _who_comes(turn: Turn) -> str | None:
    """The first name of the technician of the time chosen, if one is."""
    slot = parse_slot_id(turn.slots["slot"], time_zone=turn.org.time_zone) if turn.slots.get("slot") else None
    user = turn.session.get(User, slot.technician_id) if slot is not None else None
    return (first_name(user.name) or user.name) if user is not None and user.name else None


def _nothing_asked_for(turn: Turn) -> bool:
    """Whether the words carry nothing the booking asks (a day, an hour, an address) nor ask
    about its times ("¿no tienen nada más temprano?")."""
    r = turn.result
    return not (r.date or r.window or r.time or r.address or turn.tap is not None
                or _ABOUT_TIMES.search(folded(turn.text or "")))


_ABOUT_TIMES = re.compile(
    r"\b(?:mas\s+(?:temprano|tarde)|otro\s+dia|otra\s+hora|otro\s+horario|horarios?|turnos?|disponib\w*"
    r"|a\s+que\s+hora|que\s+dia|no\s+(?:hay|tienen)\s+(?:nada|lugar|otro)|direccion|confirm\w*|cancel\w*)\b")


# Everyone out of the house, as an emergency's customer says it ("estamos afuera", "salimos a
# la vereda"): with the valve shut, what keeps them safe
_OUT_OF_THE_HOUSE = re.compile(r"\b(?:estamos|estoy|salimos|sali|nos\s+fuimos|me\s+fui)\s+(?:\w+\s+)?"
                               r"(?:afuera|a\s+la\s+calle|a\s+la\s+vereda|del?\s+(?:la\s+)?(?:casa|depto|departamento))\b")


def _hand_over(turn: Turn, why: str = "misses") -> list[Reply]:
    log.info("booking handed to a person (%s)", why)
    return handover.hand_to_person(turn.conversation, turn.now, turn.settings,
                                   "booking_no_slots" if why == "no_slots" else "human_handoff")


BOOKING = Flow(
    name=FLOW,
    steps=(
        Step("service", ask=_ask_service, read=_read_service,
             needed=lambda turn: not turn.slots.get("service")),
        Step("address", ask=_ask_address, read=_read_address,
             needed=lambda turn: not turn.slots.get("address")),
        Step("slot", ask=_ask_slot, read=_read_slot,
             needed=lambda turn: not _emergency_now(turn) and not turn.slots.get("slot")),
        Step("name", ask=_ask_name, read=_read_name, needed=_needs_name),
        Step("confirm", ask=_ask_confirm, read=_read_confirm,
             needed=lambda turn: not _emergency_now(turn) and not turn.slots.get("confirmed")),
    ),
    finish=lambda turn: create_booked_job(turn),
    hand_over=lambda turn: _hand_over(turn),
    merge=lambda turn: _merge(turn),
    retry_template="booking_retry",
    useful_slots=("service", "urgency", "date", "window", "time", "name", "media", "contact",
                  "note", "locality", "street", "address", "slot"),
    side_answer=lambda turn: _side_answer(turn),
    idle=IDLE,
    misses_before_person=MISSES_BEFORE_PERSON,
    # "lo pienso y te aviso": the booking waits as it stands, no pressure; never an emergency
    let_go=lambda turn: [] if _emergency_now(turn) else [
        Text(texts.render("booking_put_off", name=turn.first_name))],
)


SPEC = FlowSpec(
    name=FLOW, roles=frozenset({ConversationRole.CUSTOMER}), handle=handle,
    intents=frozenset({"new_job"}), taps=(ServiceTap, AddressTap, SlotTap, BookingTap),
    states=frozenset({FLOW}),
)
