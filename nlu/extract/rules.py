"""Intents by keyword families (regexes over folded, expanded text): the families of
`customer_intents.py` and `staff_intents.py` scored for the intents a role may have, with the
other findings (a trade, an amount, an ETA, an address, a danger) as boosts, plus the test for a
message that is only a greeting and the keyword vocabulary the speller corrects toward. Services
and urgency live in their own modules; acknowledgements, a kept booking, business hours and
keyboard mash in `message_kinds.py`."""

from __future__ import annotations

import re

from nlu.extract.customer_intents import (
    CANCEL,
    HUMAN,
    INVOICE,
    JOB_STATUS,
    NEW_JOB,
    PAYMENT,
    RESCHEDULE,
)
from nlu.extract.keywords import Family, literal_words, score
from nlu.extract.services import vocabulary as _service_vocabulary
from nlu.extract.staff_intents import (
    OWNER_SUMMARY,
    OWNER_UNPAID,
    TECH_AGENDA,
    TECH_ARRIVED,
    TECH_CANNOT,
    TECH_DONE,
    TECH_ON_THE_WAY,
)
from nlu.extract.urgency import dangers_now
from nlu.extract.urgency import vocabulary as _urgency_vocabulary
from nlu.schema import intents_for

INTENT_FAMILIES: dict[str, Family] = {
    "human": HUMAN,
    "cancel": CANCEL,
    "reschedule": RESCHEDULE,
    "invoice_request": INVOICE,
    "payment": PAYMENT,
    "job_status": JOB_STATUS,
    "new_job": NEW_JOB,
    "tech_cannot_complete": TECH_CANNOT,
    "tech_arrived": TECH_ARRIVED,
    "tech_job_done": TECH_DONE,
    "tech_on_the_way": TECH_ON_THE_WAY,
    "tech_agenda": TECH_AGENDA,
    "owner_unpaid": OWNER_UNPAID,
    "owner_summary": OWNER_SUMMARY,
}
# tie-break order: earlier wins
PRIORITY = list(INTENT_FAMILIES)

GREETING_WORDS = re.compile(
    # Longer forms first: the alternation takes the first that matches ("buenas" before
    # "buenas tardes" would leave "tardes" behind as if it were more than a greeting).
    r"\b(?:hola|holis|holi|buenas\s+(?:tardes|noches)|buenass|buenas|buen\s+dia|buenos\s+dias|que\s+tal|"
    r"como\s+(?:estas|estan|andas|andan|va|le\s+va)|saludos|hey|ey|alo|che)\b"
)
_RESIDUE = re.compile(r"[\W_]+|\b(?:todo\s+bien|bien|gente|chicos|amigo|amiga|senor|senora|como)\b")
OTHER_HINTS = re.compile(
    r"\bgracias\b|\bperfecto\b|\bdale\b|\bok\b|\bokey\b|\bjoya\b|\bbarbaro\b|\bgenial\b|\bespera\b"
    r"|\bhttp|\bbit\.ly\b|\bwww\.|\bgana\w*\s+dinero\b|\bingresa\b"
)


def is_greeting_only(text: str) -> bool:
    """True when the text is a greeting and nothing else."""
    if not GREETING_WORDS.search(text):
        return False
    rest = GREETING_WORDS.sub(" ", text)
    return not _RESIDUE.sub("", rest).strip()


def classify_intent(
    text: str,
    role: str,
    *,
    has_service: bool = False,
    has_amount: bool = False,
    has_eta: bool = False,
    has_address: bool = False,
) -> str:
    """The intent of the text among those allowed for the role."""
    allowed = intents_for(role)
    if is_greeting_only(text):
        return "greeting"
    scores: dict[str, float] = {}
    for intent in PRIORITY:
        if intent in allowed:
            scores[intent] = score(INTENT_FAMILIES[intent], text)
    if "new_job" in scores:
        scores["new_job"] = min(scores["new_job"], 4) + (2.5 if has_service else 0)
        if dangers_now(text):
            scores["new_job"] += 2
        if has_address:
            scores["new_job"] += 1
    if "payment" in scores and has_amount and scores["payment"] > 0:
        scores["payment"] += 2
    if "tech_on_the_way" in scores and has_eta:
        scores["tech_on_the_way"] += 3
    if "tech_arrived" in scores and has_address and re.search(r"\bestoy\b", text):
        scores["tech_arrived"] += 2
    if "tech_job_done" in scores and has_amount:
        scores["tech_job_done"] += 2
    best = max(scores, key=lambda k: (scores[k], -PRIORITY.index(k))) if scores else None
    threshold = 2.5
    if best is not None and scores[best] >= threshold:
        return best
    if role == "customer" and has_service and not OTHER_HINTS.search(text):
        return "new_job"
    if GREETING_WORDS.search(text) and not OTHER_HINTS.search(text):
        rest = _RESIDUE.sub(" ", GREETING_WORDS.sub(" ", text)).split()
        if len(rest) <= 2:
            return "greeting"
    return "other"


def vocabulary() -> set[str]:
    """Keyword words (six letters or more) the speller may correct toward."""
    patterns = [rx.pattern for family in INTENT_FAMILIES.values() for rx, _ in family]
    return literal_words(patterns) | _service_vocabulary() | _urgency_vocabulary()
