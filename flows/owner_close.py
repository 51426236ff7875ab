"""The owner closing a visit for its technician: "Nico ya terminó lo de Rossi y se olvidó de
avisar, cerralo vos, fue una destapación, 25 lucas".

The same priced summary a technician gets (`technician_close.start_done`: the price book's
lines, the amount said, Confirmar / Cancelar), in the owner's chat; on the OK the visit is
completed and billed as if the technician had closed it, the customer hears the technician
finished (not the owner), and the technician is told who closed it and for how much. A visit
the words do not name, or name among several, is asked for, never guessed."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from core import es_ar
from core.messaging import texts
from core.messaging.replies import Reply, Text
from core.models import ConversationRole, Job, JobStatus
from flows.buttons import DoneTap
from flows.engine import FlowSpec
from flows.job_lookup import names_job
from flows.technician_close import TECH_DONE, changes_summary, done_tapped, start_done
from flows.technician_jobs import ACTIONS, FLOW_DONE
from flows.turn import Turn
from nlu.extract.text import fold_aligned

# The order to close: "cerralo vos", "cerrá lo de Rossi", "dalo por terminado", "marcalo como
# hecho", "poné que terminó"
_CLOSE = re.compile(
    r"\b(?:cerr(?:alo|ala|a|ame|amelo|amela|ale)|cerra(?:lo|la)?\s+vos|da(?:lo|la|le)\s+por\s+(?:terminad|hech|cerrad)[oa]"
    r"|marca(?:lo|la)?\s+(?:como\s+)?(?:terminad|hech|cerrad)[oa]|pone(?:lo|la)?\s+(?:como\s+)?(?:terminad|hech)[oa]"
    r"|pone\s+que\s+(?:ya\s+)?termino)\b")
MAX_NAMED = 1


def handle(turn: Turn) -> list[Reply] | None:
    """The summary of the visit the owner closes, for their OK; None when the words give no
    such order."""
    if turn.role is not ConversationRole.OWNER or turn.tap is not None or not turn.text \
            or turn.conversation.flow is not None:
        return None
    if not _CLOSE.search(es_ar.folded(turn.text)):
        return None
    open_jobs = list(turn.session.scalars(
        select(Job).options(joinedload(Job.customer))
        .where(Job.status.in_(ACTIONS["done"][0])).order_by(Job.scheduled_start, Job.id)).unique())
    named = [job for job in open_jobs if names_job(job, turn.text)]
    if len(named) > 1:
        # a customer with today's visit and tomorrow's: what was done is the one under way or due
        due = [job for job in named if job.status in (JobStatus.ON_SITE, JobStatus.EN_ROUTE)
               or (job.scheduled_start is not None and es_ar.aware(job.scheduled_start) <= turn.now)]
        named = due if len(due) == 1 else named
    if len(named) != MAX_NAMED:
        return [Text(texts.render("owner_close_which", several=len(named) > 1,
                                  jobs=[{"number": job.number, "customer": job.customer.name if job.customer else None}
                                        for job in named[:5]]))]
    return start_done(turn, named[0], work_words(turn.text), turn.result)


# What an owner's order says besides the work: the order itself, the technician forgetting, the
# greeting ("che", "nico ya terminó lo de Rossi hace rato y se olvidó de avisar", "cerralo vos")
_ASIDE = re.compile(r"\b(?:olvid\w*|avis\w*|no\s+(?:me\s+)?(?:dijo|aviso|cerro)|hace\s+rato)\b")
# "mandale la factura a la señora por 25 lucas": the bill is what a close does; its amount stays
_BILL_ORDER = re.compile(
    r"\b(?:manda|mandale|envia|enviale|pasa|pasale|hace|hacele|sacale)\s+(?:la\s+)?(?:factura|boleta|cuenta)"
    r"(?:\s+(?:a\s+la\s+(?:senora|clienta|duena)|al\s+(?:senor|cliente|dueno)|a\s+(?:ella|el)))?(?:\s+(?:por|de))?\b")
_GREETING = re.compile(r"^\W*(?:che|hola|buenas|buen\s+dia|ey|eu)\W*$")
_FINISHED_LEAD = re.compile(r"^.*?\btermin\w*\s+(?:con\s+)?(?:lo|la|el|los)\s+de\s+\S+(?:\s+hace\s+rato)?\s*",
                            re.IGNORECASE)


def work_words(text: str) -> str:
    """The words of the owner's order that tell the work and the charge ("fue una destapación",
    "cobrale 25 lucas"), without the order, the aside about the technician or a greeting."""
    kept = []
    for part in re.split(r"[\n,;]+|\.(?!\d)", text or ""):
        said = es_ar.folded(part)
        if not said.strip() or _GREETING.match(said):
            continue
        part = _FINISHED_LEAD.sub("", part) if re.search(r"\btermin", said) else part
        said = es_ar.folded(part)
        if not said.strip() or _ASIDE.search(said):
            continue
        for words in (_CLOSE, _BILL_ORDER):
            if (order := words.search(fold_aligned(part))) is not None:
                part = part[:order.start()] + " " + part[order.end():]
        if es_ar.folded(part).strip(" ,.;:!?vos"):
            kept.append(part.strip())
    return "\n".join(kept) or text


def _walk(turn: Turn) -> list[Reply]:
    if isinstance(turn.tap, DoneTap):
        return done_tapped(turn, turn.tap)
    if turn.tap is None and es_ar.yes_or_no(turn.text or "") is None and not changes_summary(turn.text):
        # "¿y mañana a qué hora va Nico?" while the summary waits: the owner's other answers
        # take it (the summary stays for its OK), not "no me quedó claro"
        return []
    return TECH_DONE.walk(turn)


# The summary's taps are the technician flow's kind (`DoneTap`); the owner's reach here by the
# conversation's state, the summary they were shown.
SPEC = FlowSpec(
    name="owner_close", roles=frozenset({ConversationRole.OWNER}), handle=_walk,
    states=frozenset({FLOW_DONE}),
)
