"""The rating after a finished visit: 1-5 stars as a list (a tap carries its job, so it works after
the flow is gone), then an optional comment. `flows/customer_jobs.py` routes the turn here;
`ask_rating` is for the technician's side, after the invoice went out.

State kept in the conversation: flow "rating", state "stars" (slots: job_id), then "comment"
(job_id, stars). Job events written: "rating" (data {"stars": n}) and "rating_comment" (note =
the text).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import select

from core.es_ar import first_name
from core.messaging import texts
from core.messaging.replies import ListMessage, Reply, Row, Section, Text
from core.models import (
    Conversation,
    Job,
    JobEvent,
    JobStatus,
    utcnow,
)
from flows.buttons import RateTap
from flows.turn import Turn, flow_active

FLOW_RATING = "rating"
IDLE = timedelta(hours=24)  # the stars wait a day, as customer_jobs' other flows
COMMENT_IDLE = timedelta(hours=6)
FINISHED = (JobStatus.COMPLETED, JobStatus.INVOICED, JobStatus.PAID)

# User-facing words (Rioplatense Spanish).
RATING_BUTTON, RATING_SECTION = "Calificar", "Tu calificación"
STAR_WORDS = {1: "Muy mal", 2: "Mal", 3: "Más o menos", 4: "Bien", 5: "¡Excelente!"}


def ask_rating(conversation: Conversation, job: Job, now: datetime | None = None) -> list[Reply]:
    """The 1-to-5 stars list for a finished job, to send to its customer's conversation.

    The row ids carry the job, so a tap is understood even when the conversation has moved on;
    the flow state is only set when the customer is not in the middle of something else.
    """
    now = now or utcnow()
    if _free_for_rating(conversation, now):
        _set(conversation, FLOW_RATING, "stars", {"job_id": job.id}, now + IDLE)
    tech = first_name(job.technician.name if job.technician else None)
    rows = tuple(Row(RateTap(job.id, n).encode(), "⭐" * n, STAR_WORDS[n]) for n in range(1, 6))
    return [ListMessage(body=texts.render("cust_rating_ask", number=job.number, tech=tech),
                        button=RATING_BUTTON, sections=(Section(RATING_SECTION, rows),))]


def rate(turn: Turn, tap: RateTap) -> list[Reply]:
    session, conversation = turn.session, turn.conversation
    job = session.get(Job, tap.job_id)
    customer = turn.customer
    if (job is None or customer is None or job.customer_id != customer.id
            or job.status not in FINISHED):
        if conversation.flow == FLOW_RATING:
            turn.clear()
        return [Text(texts.render("cust_rating_unknown"))]
    earlier = session.scalar(
        select(JobEvent).where(JobEvent.job_id == job.id, JobEvent.kind == "rating")
        .order_by(JobEvent.id.desc()).limit(1)
    )
    if earlier is not None:  # changed their mind: one rating per job, the last one counts
        earlier.data = {**(earlier.data or {}), "stars": tap.stars}
    else:
        session.add(JobEvent(job_id=job.id, kind="rating", actor=turn.actor,
                             data={"stars": tap.stars}))
    session.flush()
    ask = _free_for_rating(conversation, turn.now)
    if ask:
        _set(conversation, FLOW_RATING, "comment", {"job_id": job.id, "stars": tap.stars},
             turn.now + COMMENT_IDLE)
    return [Text(texts.render("cust_rating_thanks", stars=tap.stars, ask=ask))]


def _free_for_rating(conversation: Conversation, now: datetime) -> bool:
    """Whether the rating may take the conversation's state (never over a booking, say)."""
    return (not conversation.flow or conversation.flow == FLOW_RATING
            or not flow_active(conversation, now, conversation.flow))


def take_comment(turn: Turn) -> list[Reply]:
    conversation = turn.conversation
    slots = conversation.slots or {}
    job = turn.session.get(Job, slots["job_id"]) if isinstance(slots.get("job_id"), int) else None
    turn.clear()
    if job is None:
        return []
    _comment(turn, job, turn.text, slots.get("stars"))
    return [Text(texts.render("cust_rating_comment"))]


def _comment(turn: Turn, job: Job, text: str, stars: int | None) -> None:
    """The customer's words on the visit kept with it; a low rating's are the office's to hear."""
    words = " ".join(text.split())[:2000]
    turn.session.add(JobEvent(job_id=job.id, kind="rating_comment", actor=turn.actor, note=words,
                              data={"stars": stars}))
    turn.session.flush()
    if isinstance(stars, int) and stars <= LOW:
        customer = job.customer.name if job.customer else "Un cliente"
        tech = first_name(job.technician.name if job.technician else None)
        turn.tell_staff(texts.render("staff_low_rating", customer=customer, number=job.number,
                                     stars=stars, tech=tech, words=words[:500]))


LOW = 2  # stars at or below which the office hears the customer's words
# stars said in words: "les pongo un 2", "le doy 3 estrellas", "un 4", "cinco estrellas"
_STAR_WORDS = {"1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "uno": 1, "una": 1, "dos": 2, "tres": 3,
               "cuatro": 4, "cinco": 5}
_STARS_SAID = re.compile(
    r"^\W*(?P<a>[1-5])\W*$"
    r"|\b(?:(?:les?|te)\s+)?(?:pongo|doy|dejo|califico\s+con|pondria|daria)\s+(?:un\s+|una\s+)?"
    r"(?P<b>[1-5]|uno|dos|tres|cuatro|cinco)\b(?!\s*(?:horas?|minutos?|mil|lucas|pesos|\$))"
    r"|\b(?:un\s+|una\s+)?(?P<c>[1-5]|uno|dos|tres|cuatro|cinco)\s+estrellas?\b")


def stars_said(said: str) -> tuple[int, int] | None:
    """(the stars, where the words saying them end) in folded words, or None."""
    m = _STARS_SAID.search(said)
    if m is None:
        return None
    return _STAR_WORDS[m.group("a") or m.group("b") or m.group("c")], m.end()


def rate_in_words(turn: Turn, job_id: int) -> list[Reply] | None:
    """"Les pongo un 2, me dejó el piso lleno de agua": the stars said, and the rest of the
    words as the comment (a low one passed to the office); None when no stars are said."""
    said = turn.said
    found = stars_said(said)
    if found is None:
        return None
    stars, end = found
    replies = rate(turn, RateTap(job_id, stars))
    rest = said[end:].strip(" ,.;:-")
    job = turn.session.get(Job, job_id)
    rated = job is not None and job.customer_id == getattr(turn.customer, "id", None)
    if not rated or len(rest.split()) < COMMENT_WORDS:
        return replies
    # the comment came with the stars: nothing more to ask for
    turn.clear()
    _comment(turn, job, turn.text, stars)
    thanks = [Text(texts.render("cust_rating_thanks", stars=stars, ask=False))]
    if stars > LOW:
        return thanks
    return [*thanks, Text(texts.render("cust_rating_comment"))]


COMMENT_WORDS = 3  # fewer words after the stars are no comment ("un 5, gracias")


def _set(conversation: Conversation, flow: str, state: str, slots: dict,
         expires_at: datetime) -> None:
    conversation.flow, conversation.state = flow, state
    conversation.slots = dict(slots)  # a new dict: the JSON column only notices replacements
    conversation.expires_at = expires_at
