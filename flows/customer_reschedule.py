"""A customer moving their visit: 2-3 free slots as buttons (or "mejor el jueves a la tarde"
for a fresh offer), then "Confirmar cambio" / "Dejarlo como estaba". Declared as data
(`RESCHEDULE`, a `flows.steps.Flow`); `flows/customer_jobs.py` routes the turn here.
State kept in the conversation (JSON-safe):
    state "slot": slots offered (slots: job_id, job_number, date, window, time)
    state "confirm": slot chosen (+ slot, slot_label); then decision yes/no
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from core import es_ar, jobs
from core.errors import DomainError
from core.es_ar import visit_phrase
from core.jobs.scheduling import WINDOWS, free_slots, is_slot_free, parse_slot_id
from core.messaging import texts
from core.messaging.replies import Button, Buttons, Reply, Text
from flows import handover
from flows.buttons import RescheduleTap
from flows.customer_job_change import (
    FLOW_RESCHEDULE,
    IDLE,
    MISSES_BEFORE_PERSON,
    MOVING,
    clear,
    current_start,
    flow_job,
    hand_over,
    in_progress,
    read_decision,
    tell_technician,
    visit,
)
from flows.steps import Flow, Step
from flows.turn import Turn
from nlu.extract.text import expand, fold_aligned
from nlu.extract.when import available_from, rules_out, set_aside

OFFER_COUNT = 3
# User-facing words (Rioplatense Spanish).
RESCHED_YES_TITLE, RESCHED_NO_TITLE = "Confirmar cambio", "Dejarlo como estaba"


def start_reschedule(turn: Turn) -> list[Reply]:
    job = turn.open_job
    if job is None or turn.org is None:
        return [Text(texts.render("cust_reschedule_none"))]
    if job.status in MOVING:
        return in_progress(turn, job, FLOW_RESCHEDULE)
    day, avoid = turn.result.date, None
    # "mañana hasta las 9 no hay nadie": the day stands, from that hour on
    after = available_from(expand(fold_aligned(turn.text or "")))
    if day and after is None and _ruled_out(turn, date.fromisoformat(day)):
        # "el lunes no puedo, ¿puede ser otro día a la tarde?": Monday is the day not to offer
        day, avoid = None, day
    elif not day:
        avoid = _set_aside(turn)  # "cualquier día menos el jueves"
    if (after is not None or _SAME_DAY.search(es_ar.folded(turn.text or ""))) and not day \
            and job.scheduled_start is not None:
        # "mañana hasta las 9 no hay nadie", "¿se podrá a la tarde? el mismo día eh": that day
        day = es_ar.aware(job.scheduled_start).astimezone(turn.zone).date().isoformat()
    after_said = after.isoformat(timespec="minutes") if after else None
    shifted = _shifted(turn, job) if not (turn.result.time or turn.result.window) else None
    if shifted is not None:
        # "¿puede venir una hora más tarde?": the same day, that much later
        day, after_said = shifted.date().isoformat(), shifted.strftime("%H:%M")
    return RESCHEDULE.start(turn, job_id=job.id, job_number=job.number, date=day, avoid=avoid,
                            window=turn.result.window,
                            time=turn.result.time or after_said or _same_hour(turn, job),
                            after=after_said)


# "una hora más tarde", "media hora después", "2 horas más tarde": the visit pushed back
_LATER_BY = re.compile(
    r"\b(?P<n>una|1|dos|2|tres|3|media|una\s+hora\s+y\s+media)\s+(?:hora|horas|horita|horitas)?\s*"
    r"(?:mas\s+tarde|despues|mas)\b")
_HOURS = {"una": 60, "1": 60, "dos": 120, "2": 120, "tres": 180, "3": 180, "media": 30,
          "una hora y media": 90}


def _shifted(turn: Turn, job) -> datetime | None:
    """The visit's start moved by the hours said ("una hora más tarde"), in local time; None
    when no such shift is said or the visit has no time."""
    said = es_ar.folded(turn.text or "")
    m = _LATER_BY.search(said)
    if m is None or job.scheduled_start is None or not re.search(r"\bhora", said[m.start():m.end() + 6]):
        return None
    minutes = _HOURS.get(" ".join(m.group("n").split()), 60)
    return es_ar.aware(job.scheduled_start).astimezone(turn.zone) + timedelta(minutes=minutes)


# the visit's own day kept: "el mismo día eh, no lo quiero pasar a otro", "en el día"
_SAME_DAY = re.compile(r"\b(?:(?:el|ese)\s+mismo\s+dia|mismo\s+dia|en\s+el\s+dia|no\s+(?:lo\s+|la\s+)?quiero\s+"
                       r"(?:pasar|cambiar|mover)\s+(?:a|de|para)\s+otro\s+dia)\b")


# "¿puede ser el viernes a la misma hora?": the hour the visit has now
_SAME_HOUR = re.compile(r"\b(?:a\s+la\s+misma\s+hora|mismo\s+horario|al\s+mismo\s+horario|misma\s+hora)\b")


def _same_hour(turn: Turn, job) -> str | None:
    if turn.result.window or not _SAME_HOUR.search(es_ar.folded(turn.text or "")) \
            or job.scheduled_start is None:
        return None
    return es_ar.aware(job.scheduled_start).astimezone(turn.zone).strftime("%H:%M")


def _ruled_out(turn: Turn, day: date) -> bool:
    return rules_out(expand(fold_aligned(turn.text or "")), turn.now, day, turn.org.time_zone)


def _set_aside(turn: Turn) -> str | None:
    aside = set_aside(expand(fold_aligned(turn.text or "")), turn.now, turn.org.time_zone)
    return aside.isoformat() if aside else None


def _offer(turn: Turn, *, retry: bool = False) -> list[Reply]:
    """2-3 free slots as buttons, other than the visit's current one (the "slot" step)."""
    job, now, s = flow_job(turn), turn.now, turn.slots
    if job is None or turn.org is None:
        return hand_over(turn)
    # what was asked stands until something else is (a courtesy offers the same again)
    day = s.get("date") or s.get("wanted_date")
    window = s.get("window") or s.get("wanted_window")
    at = s.get("time") or s.get("wanted_time")
    offered = free_slots(turn.session, turn.org, now=now, count=OFFER_COUNT,
                         preferred_date=_parse_date(day), preferred_window=window,
                         preferred_time=time.fromisoformat(at) if at else None,
                         skip_start=current_start(job, now), skip_day=_parse_date(s.get("avoid")),
                         not_before=time.fromisoformat(s["after"]) if s.get("after") else None,
                         moving=job.id)
    if not offered:
        return handover.hand_to_person(turn.conversation, now, turn.settings,
                                       "cust_reschedule_no_slots")
    taken = bool(s.get("taken"))
    # what was offered, for a choice typed in words; the part of the day and the hour asked
    # stay wanted when only another day is said next ("y pasado?" after "a la tarde tipo 6")
    turn.save(taken=None, date=None, window=None, time=None, after=None,
              offered=[x.id for x in offered], wanted_date=day, wanted_window=window,
              wanted_time=at)
    body = texts.render("cust_reschedule_offer", number=job.number, taken=taken, retry=retry,
                        current=visit(job, now))
    return [Buttons(body=body, buttons=tuple(
        Button(RescheduleTap(slot_id=x.id).encode(), x.label_on(now.date())) for x in offered))]


def _read_slot(turn: Turn) -> bool:
    """A tapped slot (still free: chosen; taken meanwhile: a fresh offer), or "mejor el jueves
    a la tarde" (a fresh offer for then). A slot tap is read at the confirm step too."""
    tap = turn.tap
    typed = _typed_choice(turn) if tap is None else None
    if typed is not None or (isinstance(tap, RescheduleTap) and tap.slot_id):
        slot = typed or parse_slot_id(tap.slot_id, time_zone=turn.org.time_zone)
        if slot is None:
            return False
        if not is_slot_free(turn.session, turn.org, slot, now=turn.now, moving=turn.slots.get("job_id")):
            turn.save(slot=None, slot_label=None, decision=None, taken=True)
            return True
        turn.save(slot=slot.id, slot_label=visit_phrase(slot.start, slot.end, turn.now.date()),
                  decision=None)
        return True
    r = turn.result
    if tap is None and (r.date or r.window or r.time):
        day, avoid = r.date, None
        if day and _ruled_out(turn, date.fromisoformat(day)):
            day, avoid = None, day  # "el jueves no puedo": any day but that one
        elif not day:
            avoid = _set_aside(turn)  # "cualquier día menos el jueves, a la tarde"
        # "y pasado?": the part of the day and the hour asked before still stand
        keep = bool(day) and not (r.window or r.time)
        turn.save(slot=None, slot_label=None, decision=None, date=day, avoid=avoid,
                  window=r.window or (turn.slots.get("wanted_window") if keep else None),
                  time=r.time or (turn.slots.get("wanted_time") if keep else None),
                  wanted_date=None, wanted_window=None, wanted_time=None)
        return True
    return False


def _typed_choice(turn: Turn):
    """The time offered that words choose: "la primera", "la última"; or the day (and part of
    the day, or hour) said when just one time offered is on it ("dale, pasado entonces" with one
    offered that day); or None."""
    s, r = turn.slots, turn.result
    offered = [x for x in (parse_slot_id(i, time_zone=turn.org.time_zone)
                           for i in s.get("offered") or []) if x is not None]
    if not offered:
        return None
    nth = es_ar.nth_said(turn.said, len(offered))
    if nth is not None and not (r.date or r.window or r.time):
        return offered[nth]
    if not (r.date or r.time) or not _TAKES.search(turn.said):
        return None  # "el viernes" alone asks for that day's times; "dale, el viernes" takes one
    # a day alone: the hour, or else the part of the day, asked before still stands
    at = r.time or (s.get("wanted_time") if not r.window else None)
    window = r.window or (s.get("wanted_window") if not r.time else None)
    fitting = [x for x in offered
               if not r.date or x.start.astimezone(turn.zone).date().isoformat() == r.date]
    if at:
        fitting = [x for x in fitting if x.start.astimezone(turn.zone).strftime("%H:%M") == at]
    elif window:
        fitting = [x for x in fitting if _in_window(x.start.astimezone(turn.zone).hour, window)]
    return fitting[0] if len(fitting) == 1 else None


# words that take what was offered rather than ask for more: "dale, pasado entonces"
_TAKES = re.compile(r"\b(?:dale|si|ok|okey|bueno|perfecto|listo|joya|entonces|esa|ese|de\s+una)\b")


def _in_window(hour: int, window: str) -> bool:
    first, last = WINDOWS.get(window, (0, 24))
    return first <= hour < last


def _read_reschedule_confirm(turn: Turn) -> bool:
    return _read_slot(turn) or read_decision(turn)


def _reschedule_ask(turn: Turn, *, retry: bool = False) -> list[Reply]:
    slots = turn.slots
    body = texts.render("cust_reschedule_confirm", number=slots.get("job_number"),
                        when=slots.get("slot_label") or "", retry=retry)
    return [Buttons(body=body, buttons=(
        Button(RescheduleTap(choice="yes").encode(), RESCHED_YES_TITLE),
        Button(RescheduleTap(choice="no").encode(), RESCHED_NO_TITLE)))]


def _reschedule_done(turn: Turn) -> list[Reply]:
    job = flow_job(turn)
    if turn.slots.get("decision") == "no":
        clear(turn.conversation)
        return [Text(texts.render("cust_reschedule_kept", current=visit(job, turn.now)))]
    chosen = turn.slots.get("slot")
    slot = parse_slot_id(chosen, time_zone=turn.org.time_zone) if chosen else None
    if slot is None or not is_slot_free(turn.session, turn.org, slot, now=turn.now,
                                        moving=turn.slots.get("job_id")):
        turn.save(slot=None, slot_label=None, decision=None, taken=slot is not None)
        return RESCHEDULE.next(turn)  # taken meanwhile: offer again
    previous = job.technician
    try:
        with turn.session.begin_nested():  # a refusal half-way leaves nothing behind
            if slot.technician_id != job.technician_id:
                jobs.assign_technician(turn.session, job.id, slot.technician_id, turn.actor)
            jobs.schedule(turn.session, job.id, slot.start, slot.end, turn.actor)
    except DomainError:
        return hand_over(turn, "cust_job_error")
    turn.session.refresh(job)
    if previous is not None and previous.id != job.technician_id:
        tell_technician(turn, job, "unassigned", previous)
        tell_technician(turn, job, "assigned")
    else:
        tell_technician(turn, job, "rescheduled")
    clear(turn.conversation)
    return [Text(texts.render("cust_rescheduled", number=job.number,
                              when=visit_phrase(slot.start, slot.end, turn.now.date())))]


RESCHEDULE = Flow(
    name=FLOW_RESCHEDULE,
    steps=(
        Step("slot", ask=_offer, read=_read_slot,
             needed=lambda turn: not turn.slots.get("slot"),
             reask=lambda turn: _offer(turn, retry=True)),
        Step("confirm", ask=_reschedule_ask, read=_read_reschedule_confirm,
             needed=lambda turn: not turn.slots.get("decision"),
             reask=lambda turn: _reschedule_ask(turn, retry=True)),
    ),
    finish=_reschedule_done,
    hand_over=lambda turn: hand_over(turn),
    idle=IDLE,
    misses_before_person=MISSES_BEFORE_PERSON,
    # "lo hablo con mi marido y te aviso": the visit stays as it was
    let_go=lambda turn: [Text(texts.render("cust_reschedule_kept",
                                           current=visit(job, turn.now)))]
    if (job := flow_job(turn)) is not None else [],
)


def _parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None
