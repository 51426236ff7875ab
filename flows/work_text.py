"""A technician's "terminé, cambié el flexible y la canilla, cobrale 15 lucas", read and priced.

`work_items` finds the pieces of work named after verbs such as cambié, instalé or destapé;
`match_lines` prices them (`core.jobs.work_summary.price_work`); `render_work_summary` writes
the confirmation for WhatsApp.

Money is never parsed here: the amount comes from the NLU extraction (`Extraction.amount`,
or `stated_amount` below, which uses the same parser).
"""

from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy.orm import Session

from core import es_ar
from core.jobs.trade_words import ACTIONS
from core.jobs.work_summary import (
    ADJUSTMENT_DESCRIPTION,
    CENT,
    Line,
    Verb,
    WorkPiece,
    WorkSummary,
    price_work,
    words,
)
from core.messaging.texts import render
from nlu.extract.money import find_amount, listed_items, materials_part
from nlu.extract.numbers import NUMBER_PHRASE
from nlu.extract.text import fold_aligned

_MAX_QUANTITY = 99

# stem regex (folded text) -> verb; first person, "we", third person and infinitive forms.
_VERBS: tuple[tuple[str, Verb], ...] = (
    (r"cambi(?:e|amos|o|ar)", Verb(("cambio",), False)),
    (r"reemplac(?:e|emos)|reemplaz(?:o|amos|ar)", Verb(("cambio", "reemplazo"), False)),
    (r"instal(?:e|amos|o|ar)", Verb(("instalacion",), False)),
    (r"coloqu(?:e|emos)|coloc(?:o|amos|ar)", Verb(("instalacion", "colocacion"), False)),
    (r"pus(?:e|imos|o)|pone?r", Verb(("instalacion", "colocacion"), False)),
    (r"agregu(?:e|emos)|agreg(?:o|amos|ar)", Verb((), False)),
    (r"conect(?:e|amos|o|ar)", Verb(("conexion", "instalacion"), False)),
    (r"hic(?:e|imos|o)|hacer", Verb((), False)),
    (r"destap(?:e|amos|o|ar)", Verb(("destapacion",), True)),
    (r"arregl(?:e|amos|o|ar)", Verb(("reparacion", "service"), True)),
    (r"repar(?:e|amos|o|ar)", Verb(("reparacion", "service"), True)),
    (r"revis(?:e|amos|o|ar)", Verb(("revision", "service"), True)),
    (r"cargu(?:e|emos)|carg(?:o|amos|ar)", Verb(("carga",), True)),
    (r"limpi(?:e|amos|o|ar)", Verb(("limpieza", "service"), True)),
    (r"ajust(?:e|amos|o|ar)", Verb(("ajuste",), True)),
    (r"sell(?:e|amos|o|ar)", Verb(("sellado",), True)),
    (r"purgu(?:e|emos)|purg(?:o|ar)", Verb(("purga",), True)),
    (r"abr(?:i|imos|io|ir)", Verb(("apertura",), True)),
    (r"detect(?:e|amos|o|ar)", Verb(("deteccion",), True)),
)
_CLITIC = r"(?:(?:le|les|se|lo|la|los|las|me|te)\s+)?"
_VERB_RE = re.compile(
    rf"\b{_CLITIC}(?P<verb>" + "|".join(f"(?P<v{i}>{stem})" for i, (stem, _) in enumerate(_VERBS))
    + r")\b"
)
_SENTENCE_BREAK = re.compile(r"[.!?;:\n]+")
_CLAUSE_BREAK = re.compile(
    r",|\s+y\s+|\s+e\s+(?=[hi])|\s+(?:tambien|ademas|despues|luego|aparte)\s+|\s+-\s+"
    # "la prueba + el trámite", "la prueba más el trámite"
    r"|\s*\+\s*|\s+mas\s+(?=(?:el|la|los|las)\s)"
)
# Where the talk turns to money, to being done, or to whose house it was: a new clause.
_CUT_BEFORE = re.compile(
    r"\b(?:(?:le|les|me|nos|te)\s+)?(?:cobr\w*|pag\w*|abon\w*|transfiri\w*)"
    r"|\b(?:me|nos)\s+(?:dio|dieron)\b|\btotal\b|\bson\s+(?=\$|\d)|\bsale\s+(?=\$|\d)"
    r"|\btermin\w*|\b(?:(?:en|de|a)\s+)?(?:lo|la\s+casa|casa)\s+de\b|\bdonde\s+(?:la|el)\b"
)
_MONEY_START = re.compile(
    r"^(?:(?:le|les|me|nos|te)\s+)?(?:cobr|pag|abon|transfiri|total|son\b|sale\b|salio|precio|"
    r"monto|dio\b|dieron\b)"
)
_CUSTOMER_REF = re.compile(
    r"^(?:(?:en|de|a)\s+)?(?:lo|la\s+casa|casa)\s+de\b|^donde\s+(?:la|el)\b"
)
_DONE = re.compile(r"^termin\w*")
_OBJECT_CLITIC = re.compile(r"(?:lo|la|los|las)\s")
_RELATIVE = re.compile(r"\s+(?:que|q)\s")
# Light stripping of amounts inside a clause ("cambié el flexible 15 lucas"); the value itself
# is read by the NLU extractor, never here.
_AMOUNT_SPAN = re.compile(
    r"\$\s*[\d.,]+(?:\s*(?:k|mil|lucas?)\b)?"
    r"|\b\d[\d.,]*\s*(?:lucas?|luquitas?|k|mil|palos?|pesos?|mangos?)\b"
    r"|\b(?:media|medio)\s+(?:luca|palo)\b|\b(?:una\s+)?luca\b"
    # in words ("quince mil"), and how it was paid ("en efectivo", "por transferencia")
    rf"|{NUMBER_PHRASE}\s+(?:lucas?|mil|pesos?|mangos?|palos?)\b(?:\s+(?:{NUMBER_PHRASE}))?"
    r"|\b(?:en\s+)?(?:efectivo|cash)\b|\bpor\s+(?:transferencia|transfe|mp|mercado\s*pago)\b"
)
_FILLERS = words(
    "hola buenas buenos buen dia dias tardes noches che listo lista bueno ya ok okey joya "
    "dale jefe jefa gracias saludos te cuento ahi va y e tambien ademas despues luego aparte "
    "todo bien esta yo solo nomas solamente"
)
# A clause led by one of these is talk, not work ("quedó andando", "anda joya").
_NOT_WORK = words(
    "quedo queda quedaron quedamos anda andando funciona funcionando esta estaba estan vuelvo "
    "vuelve paso pasa mando mandame avisame avisale manana hoy gracias saludos "
    # "no le mandes link", "ni la canilla": said against, not done; "+ iva": the tax, no work
    "no ni iva"
)
# How much of the part, after "lo/la cambié": "la cambié entera", "lo hice de nuevo"
_WHOLE = re.compile(r"\b(?:enter[oa]s?|complet[oa]s?|tod[oa]s?|nuev[oa]s?|de\s+nuevo|otra\s+vez|de\s+cero)\b")
_ARTICLES = words("el la los las un una unos unas lo al del de otro otra otros otras todo toda todos todas")
# "era el cuerito", "fue la junta", "el problema era la válvula": what was wrong is the part
# worked on (the technician fixed it; the words before it are no part of its name)
_DIAGNOSIS = re.compile(
    r"(?:(?:el\s+|la\s+)?(?:problema|falla|drama|tema|culpa)\s+(?:era|fue|es)(?:\s+de)?"
    r"|era|eran|fue|fueron|resulto|resultaron"
    # "estaba podrida la llave de paso, la cambié": the state, then the part
    r"|(?:estaba|estaban|esta|estan)\s+[a-z]+(?=\s+(?:el|la|los|las)\s))(?:\s+(?=[a-z])|\s*$)"
)
_NUMBER_WORDS = {
    "un": 1, "una": 1, "uno": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6,
    "siete": 7, "ocho": 8, "nueve": 9, "diez": 10, "doce": 12,
}
_QUANTITY_LEAD = re.compile(
    r"^(?:(?P<pair>(?:un\s+)?par\s+de)|(?:x\s*)?(?P<num>\d{1,2})(?:\s*x)?|(?P<word>"
    + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r"))\s+(?=[a-z])"
)
_QUANTITY_TAIL = re.compile(r"\s+(?:x\s*(?P<a>\d{1,2})|(?P<b>\d{1,2})\s*x)$")
# A count of more than one and the thing counted, anywhere in a phrase: "3 splits", "dos
# canillas", "un par de llaves" (group 1: the thing); and a count as it is written back
COUNTED = re.compile(
    r"\b(?:(?:un\s+)?par\s+de|\d{1,2}|"
    + "|".join(sorted((w for w, n in _NUMBER_WORDS.items() if n > 1), key=len, reverse=True))
    + r")\s+([a-z]+)")
COUNT_WORDS = {n: w for w, n in _NUMBER_WORDS.items() if n > 1}
# "la instalación de 3 splits": the work named first, the quantity with the thing
_WORK_OF = re.compile(rf"^(?:{'|'.join(ACTIONS)})\s+(?:de|del)\s+(?:(?:los|las)\s+)?")
_WORD = re.compile(r"[a-z0-9]+")


def _spans(folded: str) -> list[tuple[int, int, bool]]:
    """(start, end, starts_sentence) clauses of folded text."""
    cuts: set[int] = set()
    breaks: list[tuple[int, int, bool]] = []
    for m in _SENTENCE_BREAK.finditer(folded):
        breaks.append((m.start(), m.end(), True))
    for m in _CLAUSE_BREAK.finditer(folded):
        breaks.append((m.start(), m.end(), False))
    for rx in (_VERB_RE, _CUT_BEFORE):
        cuts.update(m.start() for m in rx.finditer(folded))
    bounds = sorted(breaks + [(c, c, False) for c in cuts])
    spans, start, sentence = [], 0, True
    for b_start, b_end, is_sentence in bounds:
        if b_start < start:  # overlapping separators: the first one wins
            sentence = sentence or is_sentence
            start = max(start, b_end)
            continue
        spans.append((start, b_start, sentence))
        start, sentence = b_end, is_sentence
    spans.append((start, len(folded), sentence))
    return spans


def _strip_words(folded: str, start: int, end: int, words: frozenset[str]) -> int:
    """Advance `start` past leading words from `words` (and spaces/punctuation)."""
    while start < end:
        m = _WORD.search(folded, start, end)
        if m is None:
            return end
        if m.group(0) not in words:
            return m.start()
        start = m.end()
    return start


def _trim(folded: str, start: int, end: int) -> tuple[int, int]:
    while start < end and not folded[start].isalnum():
        start += 1
    while end > start and not folded[end - 1].isalnum():
        end -= 1
    return start, end


def _quantity(folded: str) -> tuple[Decimal, str]:
    if (work := _WORK_OF.match(folded)) and (counted := _quantity(folded[work.end():]))[0] != 1:
        return counted[0], folded[:work.end()] + counted[1]
    m = _QUANTITY_LEAD.match(folded)
    if m:
        if m.group("pair"):
            value = 2
        elif m.group("num"):
            value = int(m.group("num"))
        else:
            value = _NUMBER_WORDS[m.group("word")]
        if 0 < value <= _MAX_QUANTITY:
            return Decimal(value), folded[m.end():]
    m = _QUANTITY_TAIL.search(folded)
    if m:
        value = int(m.group("a") or m.group("b"))
        if 0 < value <= _MAX_QUANTITY:
            return Decimal(value), folded[:m.start()]
    return Decimal(1), folded


def _pieces(text: str) -> list[WorkPiece]:
    original = text or ""
    folded = whole = fold_aligned(original)  # same length as the original: slices line up
    amounts = [(m.start(), m.end()) for m in _AMOUNT_SPAN.finditer(folded)]
    folded = _AMOUNT_SPAN.sub(lambda m: " " * len(m.group(0)), folded)
    has_verbs = _VERB_RE.search(folded) is not None
    # a message with money in it: a bare figure right after a part is that part's price
    charged = bool(amounts) or find_amount(whole) is not None
    thousands = bool(re.search(r"\b(?:lucas?|mil|k)\b", whole))
    pieces: list[WorkPiece] = []
    verb: Verb | None = None
    # "era el flexible de la cocina, lo cambié": a clause with no verb of its own, which a
    # clitic ("lo", "la", "los", "las") right before the next verb may point back to
    before: tuple[int, int] | None = None
    for start, end, new_sentence in _spans(folded):
        if new_sentence:
            verb = None
        start, end = _trim(folded, start, end)
        start = _strip_words(folded, start, end, _FILLERS)
        clause = folded[start:end]
        if not clause:
            continue
        if _MONEY_START.match(clause) or _DONE.match(clause):
            verb = before = None  # "cobrale 15 lucas y la canilla": nothing after money is work
            continue
        if _CUSTOMER_REF.match(clause):
            continue
        m = _VERB_RE.match(folded, start, end)
        if m is None and any(a < end and b > start for a, b in amounts):
            # a clause naming an amount without a work verb is the charge, however the word
            # before it came out ("corrale 15 mil pesos" from a voice note): nothing after is work
            verb = None
            continue
        if m:
            verb = _VERBS[next(i for i in range(len(_VERBS)) if m.group(f"v{i}"))][1]
            start = m.end()
        elif has_verbs and verb is None:
            before = (start, end)
            continue  # "lo de García, cambié...": only what follows a work verb is work
        pointed = None
        if m and before and _OBJECT_CLITIC.match(m.group(0)) \
                and not _WHOLE.sub("", folded[start:end]).strip():
            pointed, (start, end) = before, before  # "…, lo cambié": the clause before is its object
        before = None
        if (m is None or pointed) and (said := _DIAGNOSIS.match(folded, start, end)):
            start = said.end()
        if pointed and (relative := _RELATIVE.search(folded, start, end)):
            end = relative.start()  # "el flexible que perdía": the part, not what it did
        if pointed and (state := re.search(r"\s(?:estaba|estaban|esta|estan)\b", folded[start:end])):
            end = start + state.start()  # "la canilla estaba rota, la cambié": the part
        if pointed and (bought := _BOUGHT.search(folded, start, end)):
            end = bought.start()  # "la monocomando la compró ella, yo solo la coloqué": the part
        start = _strip_words(folded, start, end, _ARTICLES)
        start, end = _trim(folded, start, end)
        if start >= end:
            continue
        first = _WORD.match(folded, start)
        if first and first.group(0) in _NOT_WORK:
            continue
        if all(w in _FILLERS for w in folded[start:end].split()):
            continue  # "el sifón que cambié también": no work in "también"
        # "destapé la pileta" keeps its verb (it is the work); "cambié el flexible" does not.
        keep_from = m.start("verb") if m and verb and verb.service and not pointed else start
        if charged and (price := _PRICE_LAST.search(folded, start, end)) and price.start() > start \
                and _is_price(price.group(), thousands):
            end = price.start()  # "la canilla 14, total 39 mil": the part, its price apart
        body = folded[start:end]
        if find_amount(body) is not None and not re.search(r"[a-z]{3,}", body):
            continue  # a bare amount that slipped through
        quantity, rest = _quantity(body)
        shown = " ".join(original[keep_from:end].split())
        if pointed and verb and verb.service:  # "la pileta la destapé" reads "destapé la pileta"
            shown = f"{original[m.start('verb'):m.end('verb')]} {original[pointed[0]:end].strip()}"
        pieces.append(WorkPiece(text=shown, folded=rest.strip(), quantity=quantity, verb=verb,
                             carried=m is None and verb is not None))
    return pieces


# who bought the part, told after it: "la compró ella", "lo trajo el cliente", "las consiguió él"
_BOUGHT = re.compile(r"\s(?:la|lo|las|los)\s+(?:compr|traj|consigui)\w*\b")

# a bare figure closing a clause after a part, not a size ("de 20", "x 3"): its price
_PRICE_LAST = re.compile(r"(?<![a-z]\sde)(?<![a-z]\sdel)(?<!\sx)\s+\$?\d[\d.,]*\s*$")


ANGLES = frozenset({45, 90, 180})  # "un codo 90": a fitting's angle, not its price


def _is_price(figure: str, thousands: bool) -> bool:
    """Whether a bare figure after a part is its price: pesos (1.000 or more), or a figure in
    thousands in a message that counts in lucas or mil ("la canilla 14")."""
    digits = re.sub(r"\D", "", figure.split(",")[0])
    value = int(digits) if digits else 0
    return value >= 1000 or (thousands and 1 <= value < 1000 and value not in ANGLES)


def work_items(text: str) -> list[str]:
    """The pieces of work named in a technician's message, as written.

    "Terminé, cambié el flexible y la canilla, y destapé la pileta. Cobrale 15 lucas" →
    ["flexible", "canilla", "destapé la pileta"]: verbs that only say how a part got there
    (cambié, puse, instalé) are dropped, verbs that are the work itself (destapé, arreglé,
    revisé, cargué) are kept; articles, greetings, "terminé", the customer ("lo de García")
    and the money part are left out. Quantities stay ("2 flexibles").
    """
    return [p.text for p in _pieces(text)]


def stated_amount(text: str) -> Decimal | None:
    """The amount the technician named ("cobrale 15 lucas" → 15000), read by the NLU parser."""
    value = find_amount(fold_aligned(text or ""))
    return None if value is None else Decimal(str(value)).quantize(CENT)


def match_lines(session: Session, text: str, amount: Decimal | float | None, *,
                quote: bool = False) -> WorkSummary:
    """Price the work named in `text` with the active price book and reconcile with `amount`
    (see `core.jobs.work_summary.price_work`; `quote` for a price a customer asks)."""
    folded = fold_aligned(text or "")
    if amount is not None and (listed := listed_items(folded)) \
            and sum(Decimal(str(value)) for _, _, value in listed) == Decimal(str(amount)):
        return _as_listed(text, listed)
    materials = materials_part(folded) if amount is not None else None
    return price_work(session, _pieces(text), amount, materials, quote=quote)


def _as_listed(text: str, listed: list[tuple[int, int, float]]) -> WorkSummary:
    """"flexible 3000, canilla 15000, mano de obra 20000": a line for each item at its figure,
    described in the technician's words ("Flexible", "Mano de obra"), adding up to the total."""
    lines = []
    for start, end, value in listed:
        said = " ".join(text[start:end].split())
        price = Decimal(str(value)).quantize(CENT)
        lines.append(Line(item_id=None, description=said[:1].upper() + said[1:], quantity=Decimal(1),
                          unit_price=price, said=said))
    total = sum((line.amount for line in lines), Decimal("0.00"))
    return WorkSummary(lines=lines, unmatched=[], total=total, stated_amount=total,
                       items=[line.said for line in lines])


# ---- the confirmation ----------------------------------------------------------------------

def _quantity_text(quantity: Decimal) -> str | None:
    if quantity == 1:
        return None
    text = format(quantity.normalize(), "f")
    return text.replace(".", ",")


def render_work_summary(summary: WorkSummary, job_number: int, customer_name: str | None,
                        paid: str | None = None, plus_vat: str | None = None,
                        part: Decimal | None = None) -> str:
    """The message that asks the technician to confirm the lines before invoicing (`plus_vat`:
    the total with IVA, when "+ iva" was said and not added)."""
    lines = [{"description": line.description, "quantity": _quantity_text(line.quantity),
              "amount": es_ar.pesos(line.amount), "doubtful": line.doubtful}
             for line in summary.lines]
    adjustment = summary.labor_adjustment
    return render(
        "tech_work_summary",
        job_number=job_number,
        customer_name=(customer_name or "").strip() or None,
        lines=lines,
        adjustment=es_ar.pesos(adjustment.amount) if adjustment else None,
        adjustment_label=adjustment.description if adjustment else ADJUSTMENT_DESCRIPTION,
        materials=es_ar.pesos(summary.materials.amount) if summary.materials else None,
        total=es_ar.pesos(summary.total),
        stated=summary.stated_amount is not None,
        fitted=summary.fitted,
        unmatched=summary.unmatched,
        unsure=summary.unsure,
        doubtful=any(line.doubtful for line in summary.lines),
        paid=paid,
        part=es_ar.pesos(part) if part is not None else None,
        rest=es_ar.pesos(summary.total - part) if part is not None else None,
        plus_vat=plus_vat,
    )
