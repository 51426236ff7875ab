"""An owner closing a day the business would open, or opening it again, in words.

"mañana no trabajamos, es feriado", "el lunes no abrimos", "el 8 cerramos": the day is closed
(`Organization.closed_days`): no times are offered on it, a customer who asks for it is told the
business does not work that day, and a message that day is answered as out of hours. The owner
hears which visits are already booked for it, with a button to tell those customers: each gets
new times to pick from (`flows.customer_reschedule`'s offer, the flow waiting for their tap),
or, in the middle of something else with the bot, a word to choose another day. "al final el
lunes sí trabajamos" opens the day again with the weekly hours. One day's hours change the same
way ("mañana cerramos a las 13", "el sábado abrimos recién a las 10", "el 24 trabajamos de 8 a
12": `Organization.day_hours`): the visits booked outside them are listed, with the same button.
A weekly rule ("no trabajamos los domingos") is the business hours' (the back office's), and a
message naming no day is none of this.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from core import es_ar
from core.billing.reports import SERVICE_LABELS, day_bounds
from core.jobs.opening import business_ranges, is_closed_day
from core.jobs.scheduling import free_slots
from core.jobs.time_ranges import day_ranges
from core.links import back_office_link
from core.messaging import texts
from core.messaging.conversations import conversation_with
from core.messaging.replies import Button, Buttons, Reply, Text
from core.models import ConversationRole, Job, JobStatus
from core.organizations import set_day_hours, set_days_closed, set_summary_hour
from flows.buttons import ClosedDayTap, RescheduleTap, decode
from flows.customer_job_change import visit
from flows.customer_reschedule import RESCHEDULE
from flows.engine import FlowSpec
from flows.owner import named_day
from flows.technician_jobs import customer_wa_id
from flows.turn import Turn, flow_active
from nlu.extract.dates import find_dates, find_day_span
from nlu.extract.message_kinds import closes_day, day_hours_said, opens_day

# "los domingos", "todos los sábados": every week, not one day
_WEEKLY = re.compile(r"\b(?:los|todos\s+los|cada)\s+(?:lunes|martes|miercoles|jueves|viernes|"
                     r"sabados?|domingos?|feriados|findes?|fines\s+de\s+semana)\b")
VISITS_SHOWN = 10
OFFER_COUNT = 3
TELL_TITLE = "Avisarles 📲"
_BOOKED = (JobStatus.SCHEDULED, JobStatus.PENDING)


def handle(turn: Turn) -> list[Reply]:
    """The owner's tap on "Avisarles" (`SPEC`): the customers booked on the closed day told."""
    if isinstance(turn.tap, ClosedDayTap):
        first = date.fromisoformat(turn.tap.day)
        return _tell_customers(turn, first, date.fromisoformat(turn.tap.last or turn.tap.day))
    return []


def closing_or_opening(turn: Turn) -> list[Reply] | None:
    """The reply when an owner's message closes or opens days (whatever intent it was read
    as: "mañana no trabajamos" is no summary asked); None for anything else."""
    if turn.tap is not None or "?" in (turn.text or ""):
        return None  # "¿mañana no trabajamos?" asks, it does not close
    said = es_ar.folded(turn.text or "")
    closing = closes_day(said)
    hours = None if closing or opens_day(said) else day_hours_said(said)
    if not (closing or opens_day(said) or hours) or _WEEKLY.search(said):
        return None
    days = _named_days(turn, said)
    if not days:
        return None  # "no trabajamos más con ese corralón": no day, no closing
    if days[-1] < turn.today:
        return [Text(texts.render("owner_day_past", day=_days_phrase(days, turn.today),
                                  many=len(days) > 1))]
    days = [d for d in days if d >= turn.today]
    if hours is not None:
        return _own_hours(turn, days, *hours)
    phrase = _days_phrase(days, turn.today)
    changed = set_days_closed(turn.session, turn.org.id, days, closing, today=turn.today,
                              actor=turn.actor)
    if closing:
        return _with_visits(turn, days, "owner_day_closed", already=not changed)
    hours = day_ranges(turn.org.business_hours, days[0], turn.zone) if len(days) == 1 else []
    return [Text(texts.render(
        "owner_day_opened", day=phrase, already=not changed, many=len(days) > 1,
        hours=_hours_phrase(hours), link=back_office_link(turn.settings, "settings")))]


def _own_hours(turn: Turn, days: list[date], opens: time | None, closes: time | None) -> list[Reply]:
    """`days` get hours of their own: the weekly ones cut at `closes` or from `opens` ("mañana
    cerramos a las 13"), or both as said ("el 24 trabajamos de 8 a 12"). The owner hears the
    day's hours and the visits booked outside them, with the button to tell those customers."""
    shown = [_cut_hours(turn, day, opens, closes) for day in days]
    for day, ranges in zip(days, shown, strict=True):
        if not ranges:  # "el domingo abrimos a las 10" on a day the week has no hours: none saved
            return [Text(texts.render("owner_day_hours_none", day=_days_phrase([day], turn.today),
                                      link=back_office_link(turn.settings, "settings")))]
    changed = [moved for day, ranges in zip(days, shown, strict=True)
               for moved in set_day_hours(turn.session, turn.org.id, [day],
                                          [(lo.strftime("%H:%M"), hi.strftime("%H:%M")) for lo, hi in ranges],
                                          today=turn.today, actor=turn.actor)]
    return _with_visits(turn, days, "owner_day_hours", already=not changed,
                        hours=_hours_phrase(shown[0]), same=all(r == shown[0] for r in shown))


def _cut_hours(turn: Turn, day: date, opens: time | None, closes: time | None) -> list[tuple[time, time]]:
    """`day`'s hours as said: both ends, or the weekly ones cut at `closes` or from `opens`."""
    if opens is not None and closes is not None:
        return [(opens, closes)]
    cut = [(max(lo.time(), opens) if opens else lo.time(), min(hi.time(), closes) if closes else hi.time())
           for lo, hi in day_ranges(turn.org.business_hours, day, turn.zone)]
    return [(lo, hi) for lo, hi in cut if lo < hi]


def _with_visits(turn: Turn, days: list[date], template: str, **words) -> list[Reply]:
    """The owner's answer to days closed or given their own hours: `template` with the visits
    booked outside those days' hours now, and the button to tell their customers."""
    phrase = _days_phrase(days, turn.today)
    outside = [job for day in days for job in _outside_hours(turn, day)]
    body = texts.render(
        template, day=phrase, many=len(days) > 1,
        # "mañana (martes 8/12)": a relative day with its date; "el martes 8/12" has it
        date=None if any(c.isdigit() for c in phrase) else es_ar.weekday_date(days[0]),
        visits=[_visit_line(turn, job, many=len(days) > 1) for job in outside[:VISITS_SHOWN]],
        more=max(0, len(outside) - VISITS_SHOWN), link=back_office_link(turn.settings, "jobs"), **words)
    if not outside:
        return [Text(body)]
    tap = ClosedDayTap(days[0].isoformat(), days[-1].isoformat() if len(days) > 1 else None)
    if _TELL_THEM.search(es_ar.folded(turn.text or "")):
        # "mañana cerramos, avisale a los clientes": told at once, not asked again
        return [Text(texts.render(template, day=phrase, many=len(days) > 1, date=None if any(
            c.isdigit() for c in phrase) else es_ar.weekday_date(days[0]), visits=[], more=0, **words)),
            *_tell_customers(turn, days[0], days[-1])]
    turn.save(**{TELL_PENDING: {"tap": tap.encode(), "at": turn.now.isoformat()}})
    return [Buttons(body=body, buttons=(Button(tap.encode(), TELL_TITLE),))]


# the owner asking the customers of those days be told: "avisales", "avisale a los clientes"
_TELL_THEM = re.compile(r"\b(?:avisa(?:les|le\s+a\s+(?:los|todos|todas|las))|deci(?:les|le\s+a\s+(?:los|todos|todas))"
                        r"|escribi(?:les|le\s+a\s+(?:los|todos))|manda(?:les|le\s+a\s+(?:los|todos)))\b")
TELL_PENDING = "closed_tell"  # the owner's slot: the "Avisarles" just offered
TELL_PENDING_FOR = timedelta(minutes=30)


# the daily summary asked at an hour: "mandame esto todos los días a las 8 de la noche", "el
# resumen mandámelo a las 21", "cambiá la hora del resumen a las 19"
_SUMMARY_HOUR = re.compile(
    r"\b(?:manda(?:me|melo|mela)|pasa(?:me|melo)|envia(?:me|melo)|quiero|cambia|pone(?:me|lo)?)\b"
    r".{0,40}?\b(?:todos\s+los\s+dias|cada\s+dia|por\s+dia|diario|resumen)\b"
    r"|\bresumen\b.{0,30}?\b(?:manda(?:me|melo)|pasa(?:me|melo)|a\s+las)\b")


def summary_hour_said(turn: Turn) -> list[Reply] | None:
    """The owner setting the hour of the daily summary in words; None otherwise."""
    said = es_ar.folded(turn.text or "")
    if turn.tap is None and _HOUR_ASKED.search(said) and turn.org is not None:
        # "¿a qué hora me quedó el resumen al final?": the hour it goes out
        turn.save(**{SUMMARY_TALK: turn.now.isoformat()})
        return [Text(texts.render("owner_summary_hour", hour=turn.org.summary_hour, changed=False,
                                  link=back_office_link(turn.settings, "settings")))]
    if turn.tap is not None or "?" in (turn.text or ""):
        return None
    # "mejor a las 21 que a las 20, todavía estoy manejando" right after the hour was set or told
    again = _SUMMARY_AGAIN.match(said) and turn.lately(SUMMARY_TALK, SUMMARY_TALK_FOR)
    if not (_SUMMARY_HOUR.search(said) or again):
        return None
    at = _hour_wanted(said) or (time.fromisoformat(turn.result.time) if turn.result.time else None)
    if at is None:
        return None
    turn.save(**{SUMMARY_TALK: turn.now.isoformat()})
    if at.minute:
        return [Text(texts.render("owner_summary_hour", hour=None, link=back_office_link(turn.settings, "settings")))]
    changed = set_summary_hour(turn.session, turn.org.id, at.hour, turn.actor)
    return [Text(texts.render("owner_summary_hour", hour=at.hour, changed=changed,
                              link=back_office_link(turn.settings, "settings")))]


SUMMARY_TALK = "summary_talk"  # the owner's slot: when the summary's hour was last set or told
SUMMARY_TALK_FOR = timedelta(minutes=30)
# another hour for it, said short: "mejor a las 21", "no, a las 9", "ponelo a las 22", "a las 8 mejor"
_SUMMARY_AGAIN = re.compile(
    r"^\W*(?:(?:no|mejor|mejor\s+dicho|pensandolo\s+bien|cambialo|ponelo|pasalo|dejalo)\W+)*"
    r"(?:a\s+)?las\s+\d{1,2}(?::\d{2})?\b")


# "¿a qué hora me quedó el resumen?", "¿a qué hora me llega el resumen?"
_HOUR_ASKED = re.compile(r"\b(?:a\s+(?:que|q)\s+hora|cuando)\s+(?:me\s+)?(?:quedo|queda|llega|sale|mandas|manda"
                         r"|me\s+lo\s+mandas|viene|esta)\s+(?:\w+\s+){0,2}?(?:el\s+)?resumen\b")


# "a las 9", not "no a las 7" nor "a las 7 estoy manejando" (a reason): the hour asked for
_AT_HOUR = re.compile(r"\ba\s+las\s+(?P<h>\d{1,2})(?::(?P<m>\d{2}))?(?:\s*(?:hs|h)\b)?")
_REASON_AFTER = re.compile(r"^\s*(?:estoy|tengo|voy|ando|salgo|entro|manejo|trabajo|duermo|ceno|como)\b")


def _hour_wanted(said: str) -> time | None:
    """The hour the owner wants the summary at, as said (folded): the first one not ruled out
    ("no a las 7") nor told as a reason ("a las 7 estoy manejando"); an hour under 12 said with
    the evening or the night is the evening's ("el resumen de la noche, a las 9": 21)."""
    for found in _AT_HOUR.finditer(said):
        if re.search(r"\bno\s*$", said[max(0, found.start() - 4):found.start()]) \
                or _REASON_AFTER.match(said[found.end():]):
            continue
        hour, minute = int(found.group("h")), int(found.group("m") or 0)
        if not 0 <= hour <= 23 or not 0 <= minute <= 59:
            continue
        if hour < 12 and re.search(r"\b(?:noche|tarde|nochecita)\b", said) \
                and not re.search(r"\b(?:manana|madrugada|temprano)\b", said):
            hour += 12
        return time(hour, minute)
    return None


def typed_tell(turn: Turn) -> list[Reply] | None:
    """"Sí, avisales" typed to the "Avisarles" just offered: that tap; None otherwise."""
    pending = turn.slots.get(TELL_PENDING)
    if not pending or turn.tap is not None \
            or turn.now - datetime.fromisoformat(pending["at"]) > TELL_PENDING_FOR:
        return None
    said = es_ar.folded(turn.text or "")
    if not (_TELL_THEM.search(said) or es_ar.yes_or_no(said) == "yes"):
        return None
    turn.save(**{TELL_PENDING: None})
    tap = decode(pending["tap"])
    if not isinstance(tap, ClosedDayTap):
        return None
    return _tell_customers(turn, date.fromisoformat(tap.day), date.fromisoformat(tap.last or tap.day))


def _hours_phrase(ranges) -> str:
    """"de 8 a 13", "de 8 a 12 y de 14 a 16"."""
    return " y ".join(f"de {es_ar.clock(lo)} a {es_ar.clock(hi)}" for lo, hi in ranges)


def _visit_line(turn: Turn, job: Job, *, many: bool) -> dict:
    """A visit as the closed day's list shows it: day (over several days), hour, customer, job."""
    start = es_ar.aware(job.scheduled_start).astimezone(turn.zone)
    customer = job.customer
    technician = job.technician
    return {"day": es_ar.weekday_date(start.date()).capitalize() if many else None,
            "time": es_ar.clock_hm(start), "number": job.number,
            # the name in full: an owner knows customers by their surname ("lo de Paz")
            "customer": (customer.name or customer.phone) if customer else "cliente",
            "service": SERVICE_LABELS.get(job.service, "trabajo"),
            "technician": es_ar.first_name(technician.name) if technician else None}


def _outside_hours(turn: Turn, day: date) -> list[Job]:
    """The visits booked on `day` that its hours no longer hold (all of them on a closed day)."""
    ranges = business_ranges(turn.org, day, turn.zone)
    return [job for job in _booked_on(turn, day)
            if not any(lo <= es_ar.aware(job.scheduled_start)
                       and es_ar.aware(job.scheduled_end or job.scheduled_start) <= hi for lo, hi in ranges)]


def _named_days(turn: Turn, said: str) -> list[date]:
    """The days the message names, in order: a stretch ("del 2 al 15 de enero"), several ("el
    24 y el 25", "el lunes y el martes"), or the one the extraction read."""
    span = find_day_span(said, turn.today)
    if span is not None:
        first, last = span
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]
    found = sorted({day for _start, _end, day in find_dates(said, turn.today)})
    if found:
        return found
    day = named_day(turn)
    return [day] if day is not None else []


def _days_phrase(days: list[date], today: date) -> str:
    """"mañana", "el martes 8/12", "el jueves 24/12 y el viernes 25/12", "del sábado 2/1 al
    viernes 15/1"."""
    if len(days) == 1:
        return es_ar.day_phrase(days[0], today)
    if len(days) > 2 and (days[-1] - days[0]).days == len(days) - 1:
        return f"del {es_ar.weekday_date(days[0])} al {es_ar.weekday_date(days[-1])}"
    said = [es_ar.day_phrase(day, today) for day in days]
    return ", ".join(said[:-1]) + " y " + said[-1]


def _tell_customers(turn: Turn, first: date, last: date) -> list[Reply]:
    """Every customer booked on a day from `first` to `last` still closed is asked to pick
    another day; the owner hears whom the bot wrote to and whom it could not."""
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    changed = [day for day in days if is_closed_day(turn.org, day)
               or day.isoformat() in (turn.org.day_hours or {})]
    phrase = _days_phrase(changed or [first], turn.today)
    if not changed:
        return [Text(texts.render("owner_day_not_closed", day=phrase))]
    told, unreachable = [], []
    for job in (job for day in changed for job in _outside_hours(turn, day)):
        name = es_ar.first_name(job.customer.name if job.customer else None)
        who = f"{name or 'el cliente'} (#{job.number})"
        own_day = es_ar.aware(job.scheduled_start).astimezone(turn.zone).date()
        if _ask_for_another_day(turn, job, es_ar.day_phrase(own_day, turn.today), own_day):
            told.append(who)
        else:
            unreachable.append(who)
    return [Text(texts.render("owner_day_told", day=phrase, told=told, unreachable=unreachable,
                              link=back_office_link(turn.settings, "jobs")))]


def _booked_on(turn: Turn, day: date) -> list[Job]:
    first, last = day_bounds(day, turn.zone)
    return list(turn.session.scalars(
        select(Job).where(Job.scheduled_start >= first, Job.scheduled_start < last,
                          Job.status.in_(_BOOKED)).order_by(Job.scheduled_start, Job.number)))


def _ask_for_another_day(turn: Turn, job: Job, phrase: str, day: date) -> bool:
    """The job's customer gets new times for the visit, the reschedule flow waiting for their
    tap (or, busy with the bot on something else, a word to choose another day); False when
    there is no number to write to."""
    wa_id = customer_wa_id(job)
    if not wa_id:
        return False
    conversation = conversation_with(turn.session, wa_id)
    name = es_ar.first_name(job.customer.name if job.customer else None)
    busy = conversation.flow is not None and flow_active(conversation, turn.now, conversation.flow)
    offered = [] if busy else free_slots(turn.session, turn.org, now=turn.now, count=OFFER_COUNT)
    ranges = business_ranges(turn.org, day, turn.zone)
    body = texts.render("customer_day_closed", name=name, business=turn.org.name, day=phrase,
                        number=job.number, current=visit(job, turn.now), offered=bool(offered),
                        hours=_hours_phrase(ranges) if ranges else None)
    if not offered:
        turn.notify(wa_id, Text(body))
        return True
    RESCHEDULE.enter(conversation, turn.now, "slot", job_id=job.id, job_number=job.number)
    turn.notify(wa_id, Buttons(body=body, buttons=tuple(
        Button(RescheduleTap(slot_id=x.id).encode(), x.label_on(turn.today)) for x in offered)))
    return True


SPEC = FlowSpec(name="owner_days", roles=frozenset({ConversationRole.OWNER}), handle=handle,
                taps=(ClosedDayTap,))
