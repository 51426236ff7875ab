"""A short summary of what a burst is about: for a customer's new job, the problem in their words.

The problem summary drops what is not the problem: greetings and sign-offs, fillers, the
writer introducing themself, the address, and the request for a day or a time. It works on
clauses (split at punctuation and line breaks) of the customer's text: a clause made only of
such words goes; a clause that holds the problem keeps its words, minus a leading greeting or
filler and a trailing request ("... pueden venir el jueves?").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from itertools import pairwise

from nlu.extract.address import locate_address
from nlu.extract.dates import MONTHS, WEEKDAYS
from nlu.extract.names import find_name
from nlu.extract.text import expand, fold_aligned
from nlu.extract.text import words as _words

MAX_CHARS = 200

# Words that say nothing about the problem. A clause made only of these goes.
_FUNCTION = _words("""
a al ante con de del desde el la las lo los le les me mi mis nos se te tu su sus un una unos
unas y e o u que cual cuales como donde si no ni es son ser sea esta estan este esto eso ese
para por en sin ya muy mas tambien yo vos usted ustedes ahi aca aqui alla ok
""")
# asking for a visit, a day or a time, pleading, greeting or signing off
_REQUEST = (
    _words("""
hola holis holi buenas buenos buen dia dias tardes noches feliz felices navidad fiestas ano
anticipado gracias saludos saludo cordiales atentamente atte besos beso abrazo abrazos
bendiciones aguardo aguardamos respuesta respuestas
favor porfa pls plis
venir vengan venga vienen vengas vendrian vendria pasar pasen pase pasarian pasaria vuelta
vueltita mandar manden visita visitar acercarse acercar cotizar presupuesto presupuestar
cotizacion turno turnos lugar lugares disponibilidad horario horarios hora horas hs hrs am pm
semana semanas proxima proximo finde hoy manana tarde noche temprano mediodia agenda agendar
coordinar coordinamos queda quedaria
urgente urgencia urgentemente emergencia apuro prisa rapido inmediato asap ayuda ayudenme
ayudarme auxilio socorro
""")
    | set(WEEKDAYS)
    | set(MONTHS)
)
_EMPTY = (
    _FUNCTION
    | _REQUEST
    | _words("""
buena tal andan andas estas estes esten encuentren bien todo todos gente chicos
chicas amigo amiga amigos senor senora senores disculpen disculpe disculpa perdon molestia
molestar hey che muchas mil antemano cordial espero esperamos quedo espera atento atenta
jornada tengan tenga tengas lindo linda
eh ehh em emm mm mmm bueno bue mira mire miren sea digamos viste tipo nada dale okey listo
puede pueden podrian podria podes podran podras podrias puedan pueda puedas podremos podemos
posible seria sera necesito necesitamos quiero queria quisiera quisieramos gustaria tienen
tenes tendrian tendran hay habria habra saber das dan consultar consulta pedir pido pasan pasas
darse dar daria alguien viene fin pasado primera cuando antes despues entre partir ver
mismo ahora cuanto hago hacer sirve conviene mejor
trabajo trabajamos laburo laburamos salgo salimos vuelvo volvemos
soy llamo nombre habla escribe escribo estoy estamos vivo vivimos direccion domicilio calle
piso depto dpto departamento timbre esquina barrio zona
plomero plomera plomeros electricista electricistas gasista gasistas cerrajero cerrajeros
tecnico tecnica tecnicos matriculado matriculada profesional profesionales instalador
instaladores
""")
)
# (the tradesperson sought: "quería consultar por un electricista" says who, not what happened;
# the trade is the job's service already)

_FILLER_TOKENS = re.compile(
    r"(?<![^\W\d_])(?:e+h+|e+m+|m{2,}|e+hm+)(?![^\W\d_])[.,…]*", re.IGNORECASE
)
_EMOJI_RUN = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\ufe0f\u200d\u20e3]+")
# clauses end at punctuation, except the point or comma inside a number ("18.500", "1,5")
_CLAUSE_END = re.compile(r"[\n!?¡¿;…]|(?<!\d)[.,:]|[.,:](?!\d)")
_SENTENCE_BREAK = re.compile(r"[\n!?¡¿;…]|(?<!\d)[.:]|[.:](?!\d)")
_TOKEN = re.compile(r"[a-zñ0-9]+(?:[/:.][0-9]+)*")
_GREETING = (
    r"hola+s?|holis|holi|buen[oa]s+(?:\s+(?:dias?|tardes?|noches?))?|buen\s+dia|que\s+tal"
    r"|como\s+(?:andan|andas|estan|estas|va|le\s+va|les\s+va)(?:\s+todo\s+bien)?|todo\s+bien"
    r"|espero\s+que\s+(?:esten|estes|se\s+encuentren)(?:\s+muy)?\s+bien"
    r"|disculp\w+(?:\s+la\s+(?:hora|molestia))?|perdon(?:\s+la\s+(?:hora|molestia))?"
    # the apology's reason: not greeting first, the hour, writing late or so much
    r"|(?:por|x)\s+(?:la\s+hora|(?:escribir|molestar)(?:\s+(?:tan\s+)?(?:tarde|temprano|a\s+esta\s+hora))?)"
    r"|(?:que\s+|q\s+)?no\s+(?:(?:les?|te)\s+)?(?:salude|me\s+presente)(?=\s*(?:[,.…;!]|$)|\s+(?:pero|y)\b)"
)
_FILLER = (
    r"che|bueno|bue|mira|mire|miren|o\s+sea|digamos|(?:nada|tipo)(?=\s*[,.…]|\s+que\b)"
    r"|gente|chic[oa]s|amig[oa]s?|senor(?:a|es)?"
    r"|este(?=\s*(?:[,.…]|$)|\s+(?:bueno|se|me|nos|tengo|tenemos|hay|el|la|los|las|mi|un|una|que|no)\b)"
)
_PREAMBLE = (
    r"(?:les?|te)\s+(?:escribo|escribia|cuento|comento)(?:\s+(?:porque|por\s+que|xq|pq|que))?"
    r"|(?:les?|te)\s+queria\s+(?:contar|comentar)\s+que|queria\s+(?:contarles?|comentarles?)\s+que"
    # "perdón que insista, es que…", "disculpen la molestia, es que…"
    r"|(?:perdon|perdona|perdone|disculpa|disculpe|disculpen)\s+(?:(?:que|q)\s+(?:insista|moleste|jorobe|escriba)"
    r"|la\s+molestia|las\s+molestias)(?:\W+(?:es\s+(?:que|q)|pero))?"
    r"|(?:insista|insisto|moleste|molesto|jorobe)(?:\W+(?:es\s+(?:que|q)|pero))?"
)
_CONNECTOR = r"y|e|pero|asi\s+que|entonces|es\s+que|es\s+q|que|q|porque|xq|pq|ademas|tambien"
_INTRO = (
    r"soy|me\s+llamo|mi\s+nombre\s+es|(?:les?\s+|te\s+)?habla|(?:les?\s+|te\s+)?escribe|de\s+parte\s+de"
    r"|nombre\s*:|(?:es\s+|ponelo\s+|ponela\s+|va\s+)?a\s+nombre\s+de"
)
_LEAD_SEP = r"[\s,.;:!?¡¿…-]*"
# a self-introduction without a recognized name: a few words up to a connector or the end
_INTRO_WORDS = re.compile(
    rf"^(?:{_INTRO})\s+(?:\S+\s+){{0,5}}?\S+(?=\s+(?:y|e|porque|xq|pero)\b|\s*$)"
)
# a clause of a few capitalized words only: a signature or a locality ("Laura Fernández", "Caballito")
_PROPER_ONLY = re.compile(r"^[A-ZÁÉÍÓÚÑ][a-záéíóúñü]+\.?(?:\s+[A-ZÁÉÍÓÚÑ][a-záéíóúñü]+\.?){0,3}$")
# where the writer is, with the street gone: "estoy en Quilmes"
_WHERE = re.compile(r"^(?:estoy|estamos|vivo|vivimos|queda|es)\s+en\s+(?:\S+\s+){0,3}?\S+$")
_ADDRESS_CUE = re.compile(
    r"(?:\b(?:estoy|estamos|vivo|vivimos|queda|es|direccion|domicilio|dir|"
    r"(?:(?:mi|mis)\s+\S+\s+)?viven?)\s*(?:es\s*)?:?\s*)?"
    r"(?:\ben\s+)?(?:\b(?:la\s+)?calle\s+)?$"
)
_CROSS_STREETS = re.compile(r"\s*,?\s*(?:entre|esq\.?|esquina|casi)\s+[^\n.,;!?]*", re.IGNORECASE)
_DANGLING = _words("""
y e o u pero que q porque xq pq de del en con a al para por el la los las un una unos unas mi su sin
como cuando si desde hasta entre
""")
_EDGE_JUNK = " \t\n.,;:!?¡¿…-–—*~\"'()/"


def _strip_symbols(text: str) -> str:
    """Emojis become line breaks (they end a thought); other symbols go."""
    text = _EMOJI_RUN.sub("\n", text)
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("So", "Cs", "Co"))


def _blank_addresses(text: str) -> str:
    """The text with each street address (its cue, unit, locality and cross streets) cut out."""
    for _ in range(3):
        found = locate_address(text)
        if found is None:
            break
        addr, start, end = found
        folded = fold_aligned(text)
        for part in (addr.unit, addr.locality):
            if part:
                # in any case and accents: "san cristobal" comes back "San Cristóbal"
                at = re.compile(re.escape(fold_aligned(part)), re.IGNORECASE).search(
                    folded, end, end + len(part) + 8)
                if at:
                    end = at.end()
        cross = _CROSS_STREETS.match(text, end)
        end = cross.end() if cross else end
        cue = _ADDRESS_CUE.search(fold_aligned(text[max(0, start - 40) : start]))
        start -= len(cue.group(0)) if cue else 0
        text = text[:start] + "\n" + text[end:]
    return text


def _clauses(text: str) -> list[tuple[int, int]]:
    """(start, end) of each clause of text."""
    spans, start = [], 0
    for m in _CLAUSE_END.finditer(text):
        if m.start() > start:
            spans.append((start, m.start()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def _is_empty(words: list[str]) -> bool:
    """True when none of the words is about the problem."""
    return all(w in _EMPTY or w[:1].isdigit() for w in words)


@lru_cache(maxsize=256)
def _lead(name: str | None) -> re.Pattern[str]:
    """Greetings, fillers, preambles, connectors and the writer introducing themself by name."""
    name_rx = rf"|(?:{_INTRO})\s+{re.escape(fold_aligned(name))}" if name else ""
    return re.compile(
        rf"^(?:{_LEAD_SEP}(?:{_GREETING}|{_FILLER}|{_PREAMBLE}|{_CONNECTOR}{name_rx})\b{_LEAD_SEP})+"
    )


def _trim(clause: str, name: str | None) -> str:
    """The clause without a leading greeting, filler or introduction, and without a request for
    a visit or a day at either end."""
    clause = clause.strip()
    lead = _lead(name)
    while True:
        folded = fold_aligned(clause)
        m = lead.match(folded)
        if m and m.end() > 0:
            clause = clause[m.end() :]
            continue
        m = _INTRO_WORDS.match(folded)
        if m:
            clause = clause[m.end() :]
            continue
        break
    if _WHERE.match(fold_aligned(clause).strip(_EDGE_JUNK)):
        return ""
    return _cut_request_tail(_cut_request_head(clause))


def _tokens(clause: str) -> list[tuple[int, int, list[str]]]:
    return [
        (m.start(), m.end(), expand(m.group(0)).split())
        for m in _TOKEN.finditer(fold_aligned(clause))
    ]


def _cut_request_head(clause: str) -> str:
    """Cut the longest head that only asks for a visit or a day ("el jueves podrían venir a")."""
    tokens = _tokens(clause)
    for i in range(len(tokens) - 1, 0, -1):
        head = [w for _, _, ws in tokens[:i] for w in ws]
        rest = [w for _, _, ws in tokens[i:] for w in ws]
        if head[-1] in _REQUEST and _is_empty(head) and not _is_empty(rest):
            rest = clause[tokens[i][0] :]
            return re.sub(r"^(?:a|al|de|para|que|y|e)\s+", "", rest, flags=re.IGNORECASE)
    return clause


def _cut_request_tail(clause: str) -> str:
    """Cut the longest tail that only asks for a visit, a day, or signs off."""
    tokens = _tokens(clause)
    for i, (start, _, _) in enumerate(tokens):
        tail = [w for _, _, ws in tokens[i:] for w in ws]
        head = [w for _, _, ws in tokens[:i] for w in ws]
        if not head or head[-1] in _DANGLING - {"y", "e", "o", "u", "pero", "que", "porque"}:
            continue
        if _is_empty(tail) and any(w in _REQUEST for w in tail):
            return clause[:start]
    return clause


def _tidy(clause: str) -> str:
    clause = " ".join(clause.split()).strip(_EDGE_JUNK)
    words = clause.split()
    while words and fold_aligned(words[-1]).strip(_EDGE_JUNK) in _DANGLING:
        words.pop()
    return " ".join(words).strip(_EDGE_JUNK)


def _clip(summary: str) -> str:
    if len(summary) <= MAX_CHARS:
        return summary
    cut = summary[: MAX_CHARS + 1]
    at = max(cut.rfind(", "), cut.rfind(". "))
    cut = cut[:at] if at >= MAX_CHARS // 2 else cut[: cut.rfind(" ")]
    return _tidy(cut)


def problem_summary(text: str, name: str | None = None) -> str | None:
    """The customer's problem in their own words (at most MAX_CHARS), or None when the text
    holds nothing about it."""
    text = text or ""
    name = name if name is not None else find_name(text)
    text = _FILLER_TOKENS.sub(" ", _strip_symbols(_blank_addresses(text)))
    folded_name = " ".join(fold_aligned(name).split()) if name else None
    kept: list[tuple[int, int, str]] = []  # (sentence, clause index, clause)
    sentence = 0
    last_end = 0
    dropped_last = False
    for index, (start, end) in enumerate(_clauses(text)):
        sentence += bool(_SENTENCE_BREAK.search(text, last_end, start))
        last_end = end
        clause = _tidy(_trim(text[start:end], name))
        folded = fold_aligned(clause)
        words = [w for tok in _TOKEN.findall(folded) for w in expand(tok).split()]
        proper = _PROPER_ONLY.match(clause)
        # a name after a sign-off ("saludos, Carlos"), or two or more capitalized words
        signature = proper and (dropped_last or " " in clause)
        dropped_last = not clause or folded == folded_name or signature or _is_empty(words)
        if dropped_last:
            continue
        kept.append((sentence, index, clause))
    if not kept:
        return None
    parts = [kept[0][2]]
    for (s0, i0, _), (s1, i1, clause) in pairwise(kept):
        joined_in_sentence = s0 == s1 and i1 == i0 + 1
        parts.append(
            (", " if joined_in_sentence else ". ")
            + (clause if joined_in_sentence else _cap(clause))
        )
    return _clip(_cap("".join(parts)))


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


_SENTENCE = re.compile(r"[^.!?\n]+")


def update_summary(text: str, is_greeting_only: Callable[[str], bool]) -> str | None:
    """Any other burst: its sentences minus those that are only a greeting."""
    parts = [p.strip(" ,;:-") for p in _SENTENCE.findall(text or "")]
    parts = [p for p in parts if p and not is_greeting_only(p)]
    if not parts:
        return None
    summary = re.sub(r"\s+", " ", ". ".join(parts))
    return summary if len(summary) <= 160 else summary[:157].rstrip() + "..."
