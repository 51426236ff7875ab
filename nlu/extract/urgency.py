"""How urgent a request is: danger or damage now (emergency), wanted soon (high), or normal.

A danger cue ("olor a gas", "se inunda", "sin luz", "me quedé afuera", "chispas") makes an
emergency only when the writer asserts it about now. Each match is read in its clause: a
negation just before it ("no hay olor a gas", "por suerte no pierde gas"), a hypothesis
("por si hay una pérdida", "a ver si", "tengo miedo de que se inunde"), a past or settled
event ("la semana pasada se inundó", "se cortó la luz pero ya volvió"), a lost power limited to
one room ("no tengo luz en la cocina") all cancel it. Words that only plead ("urgente",
"emergencia", "socorro") say how soon, not what is wrong: they make a request high, never an
emergency, however many of them a long message holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nlu.extract.keywords import literal_words

_ROOMS = (
    r"cocina|bano|banos|living|comedor|pieza|piezas|cuarto|cuartos|dormitorios?|habitacion(?:es)?|"
    r"patio|garage|garaje|cochera|lavadero|quincho|oficina|entrada|pasillo|escalera|terraza|balcon|"
    r"jardin|fondo|galeria|parrilla|altillo|sotano|entrepiso"
)


@dataclass(frozen=True)
class Cue:
    """One kind of danger, with the words that show it."""

    kind: str
    pattern: re.Pattern[str]
    # an exclusion read in the cue's clause: the same words in a harmless setting
    unless: re.Pattern[str] | None = None
    unless_in_sentence: bool = False  # read the exclusion in the whole sentence instead


def _cue(kind: str, pattern: str, unless: str | None = None, *, sentence: bool = False) -> Cue:
    return Cue(kind, re.compile(pattern), re.compile(unless) if unless else None, sentence)


CUES: list[Cue] = [
    _cue(
        "gas",
        r"\bolor(?:cito)?\s+(?:\w+\s+){0,2}a\s+gas\b|\bhuele\w*(?:\s+\w+){0,3}\s+a\s+gas\b"
        r"|\btufo\s+a\s+gas\b|\bchanfle\s+a\s+gas\b"
        # the smell and the gas apart: "creo que de gas, hay olor", "huele raro, creo que es gas"
        r"|\b(?:olor(?:cito)?|tufo|huele\w*)\b(?!\s+(?:a|de|del)\s+(?!gas\b))(?=(?:(?!\bno\s|\bni\s)[^.?!\n]){0,40}\bgas\b)"
        r"|\bgas\b(?:(?!\bno\s|\bni\s)[^.?!\n]){0,30}\b(?:hay|se\s+siente|siento|sentimos|con|tiene|larga|sale)\s+"
        r"(?:un\s+|mucho\s+|algo\s+de\s+|un\s+poco\s+de\s+|bastante\s+)?olor\b(?!\s+(?:a|de|del)\s+(?!gas\b))",
    ),
    # a leak of the refrigerant of an air conditioner or a fridge is no danger
    _cue(
        "gas",
        r"\b(?:perdidas?|fugas?|escapes?)\s+de\s+gas\b|\bpierde\s+(?:\w+\s+)?gas\b|\bperdiendo\s+gas\b"
        r"|\b(?:se\s+)?escapa\s+(?:el\s+)?gas\b|\bsale\s+gas\b",
        unless=r"\baires?\b|\bsplits?\b|\bheladera\w*|\bfreezer\b|\brefrigera\w*|\bequipo\b|\bcarg\w+",
    ),
    _cue(
        "fire",
        r"\bolor\s+a\s+quemado\b|\bincendi\w*|\b(?:salen|hay|en)\s+llamas\b|\bexplot\w*"
        r"|\b(?:prend\w*|agarr\w*|tom\w*|hay)\s+(?:\w+\s+)?fuego\b|\bfuego\s+en\s+(?:el|la|los|las|mi)\b"
        r"|\bse\s+esta\s+quemando\b|\bderriti\w*|\bse\s+derritio\b",
    ),
    _cue(
        "fire",
        r"\bhumo\b|\bhumareda\b",
        unless=r"\b(?:extractor|detector|campana|sensor|conducto|salida)\w*\s+de\s+humo|\bchimenea\b"
        r"|\btiro\b|\bparrilla\b|\basado\b",
    ),
    # the spark of a heater's or a stove's igniter is how it lights; an outlet's never is
    _cue(
        "sparks",
        r"\bchisp(?:a|e|ea|ean|eo|eaba|eando|orrot|it)\w*|\bcorto\s*circuito\b",  # "chispitas" too
        unless=r"^(?!.*\b(?:enchuf\w*|tomas?|tomacorrientes?|cables?|tablero|termicas?|llave\s+de\s+luz)\b).*?"
        r"(?:\bencend\w*|\bchispero\b|\bpiloto\b|\bhornalla\w*|\banafe\b|\bcalef[oa]n\w*|\btermo\w*"
        r"|\bcaldera\b|\bcocina\b|\bhorno\b|\bmagiclick\b|\bboton\b|\bestufa\w*|\bprend\w*)",
    ),
    _cue(
        "shock",
        r"\bda\s+corriente\b|\b(?:me|nos|le|te)\s+(?:dio|da|dan|daba)\s+(?:una\s+)?(?:corriente|patada)\b|\bpatea\b"
        r"|\bpatad\w*\s+electric\w*|\belectrocut\w*",
    ),
    _cue(
        "water",
        r"\binund\w*|\brebals\w*|\bagua\s+por\s+todos\s+lados\b"
        r"|\b(?:sale|sal[ie]o|hay|tira|cae|entra|gotea|chorrea)\s+(?:agua\s+)?(?:por|de|en)\s+todos\s+lados\b"
        r"|\b(?:sale|sal[ie]o|tira|cae|pierde)\s+(?:\w+\s+){0,2}agua\s+(?:a\s+lo\s+loco|sin\s+parar|a\s+full|a\s+mares)\b"
        r"|\b(?:se\s+(?:esta|me\s+esta|nos\s+esta)\s+)?llen(?:ando|o)\s+(?:\w+\s+){0,3}de\s+agua\b"
        r"|\ba\s+chorros?\b|\bchorro\s+de\s+agua\b|\b(?:sale|sal[ie]o|tira)\s+(?:mucha|muchisima)\s+agua\b"
        r"|\bno\s+para\s+de\s+(?:salir|tirar|perder|caer)\b|\bsigue\s+(?:saliendo|cayendo|tirando)\s+agua\b"
        r"|\bno\s+(?:puedo|podemos)\s+(?:cortar|cerrar)\s+(?:el\s+agua|la\s+llave)\b"
        # the house being spoilt by the water now: "se está mojando todo el parquet"
        r"|\bse\s+(?:me\s+|nos\s+)?(?:esta|estan)\s+(?:mojando|arruinando|empapando|pudriendo)\s+"
        r"(?:todo|todos|el\s+piso|el\s+parquet|los\s+muebles|la\s+alfombra)\b"
        r"|\bllueve\s+adentro\b|\bse\s+(?:me\s+|nos\s+)?llueve\b|\bcomo\s+si\s+llov\w+"
        # a room soaked now: "está todo el baño mojado", "quedó la cocina llena de agua"
        rf"|\b(?:esta|estan|quedo|quedaron|tengo)\s+(?:tod[oa]s?\s+)?(?:el|la|los|las|mi|mis)\s+(?:{_ROOMS}|piso|casa|depto)"
        r"\s+(?:(?:todo|toda|re|muy)\s+)?(?:mojad\w*|empapad\w*|inundad\w*|llen[oa]s?\s+de\s+agua)\b"
        # a toilet or a sink overflowing: "se está saliendo el agua del inodoro por arriba"
        r"|\bdesbord\w*|\b(?:sale|saliendo|salio|sube|subiendo|subio)\s+(?:el\s+)?agua\s+(?:\w+\s+){0,3}?por\s+arriba\b"
        # water coming through the ceiling: "está cayendo agua del techo del baño"
        r"|\b(?:cae|caen|cayendo|chorrea|chorreando|sale|saliendo|entra|entrando)\s+(?:mucha\s+)?agua\s+"
        r"(?:del|por\s+el|desde\s+el)\s+(?:techo|cielorraso|cielo\s+raso)\b"
        r"|\bse\s+(?:rompio|partio|revento|pincho|solto|salto)\s+(?:un|el|la|una)\s+"
        r"(?:cano|canos|caneria|flexible|manguera|tubo|conexion)\b"
        r"|\b(?:cano|canos|caneria|flexible|manguera)\s+(?:roto|rota|reventad[oa]|partid[oa])\b"
        r"|\brevent\w*\s+(?:un|el|la|una)\s+(?:cano|canos|caneria|flexible|manguera|tanque|tubo)\b",
    ),
    # water that keeps running: a flood, unless it runs inside a toilet's tank or from a tap
    # that won't close ("el depósito del inodoro no para de correr": a repair, not a danger)
    _cue(
        "water",
        r"\bno\s+para\s+de\s+correr\b|\bcorre\s+(?:el\s+)?agua\s+sin\s+parar\b",
        unless=r"\b(?:inodoros?|mochilas?|depositos?|cisternas?|flotantes?|canillas?|griferias?|bidets?)\b",
        sentence=True,
    ),
    _cue(
        "power",
        r"\bse\s+(?:me\s+|nos\s+)?(?:corto|fue)\s+(?:toda\s+)?la\s+luz\b|\bsin\s+(?:luz|electricidad|corriente)\b"
        r"|\bno\s+(?:tengo|tenemos|hay|anda|funciona)\s+(?:la\s+)?(?:luz|electricidad|corriente)\b"
        r"|\b(?:la\s+)?luz\s+no\s+vuelve\b|\bno\s+(?:vuelve|volvio)\s+la\s+luz\b"
        r"|\b(?:quedamos|estamos|quede|estoy|quedo\s+todo)\s+a\s+oscuras\b|\bno\s+anda\s+nada\s+de\s+luz\b",
    ),
    _cue(
        "lockout",
        r"\b(?:me|nos)\s+quede\w*\s+(?:afuera|encerrad\w*)|\bquedamos\s+(?:afuera|encerrad\w*)"
        r"|\bquede\s+(?:afuera|encerrad\w*)|\b(?:estoy|estamos)\s+encerrad\w*"
        r"|\bno\s+(?:puedo|podemos)\s+(?:entrar|salir)\b(?!\s+(?:a\s+ver|al\s+(?:techo|entretecho|altillo|tanque)))"
        r"|\bllaves?\s+(?:\w+\s+)?adentro\b|\bno\s+(?:tengo|tenemos)\s+como\s+entrar\b"
        r"|\bme\s+cerre\s+afuera\b"
        # lost keys and standing outside: "perdí las llaves y estoy en la vereda"
        r"|\bperd\w*\s+(?:\w+\s+){0,2}llaves?\b(?=.{0,80}\b(?:afuera|vereda|en\s+la\s+calle|palier|no\s+puedo\s+entrar)\b)"
        r"|\b(?:afuera|vereda|en\s+la\s+calle|palier)\b(?=.{0,80}\bperd\w*\s+(?:\w+\s+){0,2}llaves?\b)",
    ),
    # no water anywhere: whole-building or whole-house only (a tap without water is a repair)
    _cue(
        "no_water",
        r"\b(?:sin|no\s+(?:tengo|tenemos|tienen|hay|sale|llega|anda|tiene))\s+(?:nada\s+de\s+|(?:ni\s+)?una\s+gota\s+de\s+)?agua\b"
        r"(?!\s+(?:caliente|fria|tibia))",
    ),
    _cue(
        "trapped",
        r"\b(?:nene|nena|bebe|beba|chico|chica|chicos|hijo|hija|hijos|hijas|abuel\w+|nieto|nieta|mama|papa)"
        r"\s+(?:\w+\s+){0,2}(?:adentro|encerrad\w*)\b"
        r"|\bse\s+(?:quedo|quedaron)\s+(?:\w+\s+){0,2}encerrad\w*|\bse\s+encerr\w+"
        # someone inside behind a door that will not open
        r"|\b(?:nene|nena|bebe|beba|chico|chica|chicos|hijo|hija|hijos|hijas|abuel\w+|nieto|nieta|mama|papa"
        r"|alguien|una\s+persona|una\s+senora|un\s+senor)\s+(?:\w+\s+){0,6}?"
        r"(?:la\s+puerta\s+(?:\w+\s+){0,2}no\s+(?:se\s+)?(?:abre|puede\s+abrir)|no\s+(?:puede|pueden)\s+salir)\b",
    ),
]
# hazards to life whenever they happen: neither the writer's calm ("no es urgente") nor their
# happening now and then lowers them; sparks, shocks, water, power and lockouts it does
LIFE_SAFETY = {"gas", "fire", "trapped"}

_BREAKERS = {"y", "e", "pero", "aunque", "que", "porque", "cuando", "o", "mientras", "si"}
_NEGATORS = {"no", "ni", "nunca", "tampoco", "sin", "jamas", "ningun", "ninguna", "ninguno", "cero"}
# "no para de salir agua" is more water, not less
_NOT_NEGATING = {"para", "paro", "deja", "dejo", "termina", "pare", "deje"}
_NEGATION_WINDOW = 5
_WORD_OR_MARK = re.compile(r"[a-z0-9]+|[,.;:!?¡¿\n…()]")

# scopes: a sentence, and its segments between adversatives and connectors
_SENTENCE_END = re.compile(r"[.!?¡¿\n;]+")
_SEGMENT_END = re.compile(
    r"[.!?¡¿\n;,]+|\b(?:y|e|pero|aunque|asi\s+que|entonces|porque|ya\s+que|mientras)\b"
)
_WIDE_SCOPE_END = re.compile(r"[.!?¡¿\n;]+|\b(?:pero|aunque)\b")

HYPOTHETICAL = re.compile(
    r"\bpor\s+si\b|\bpor\s+las\s+dudas\b|\ben\s+caso\s+de\b|\bpara\s+(?:que\s+no|evitar|prevenir|descartar)\b"
    r"|\bevitar\b|\bprevenir\b|\bprevenci\w*|\bpreventiv\w*|\bdescartar\b|\bantes\s+de\s+que\b"
    r"|\bno\s+quiero\s+que\b|\bmiedo\s+(?:de|a)\s+(?:que|un|una)\b|\bme\s+preocupa\s+que\b|\ba\s+ver\s+si\b"
    r"|\bno\s+(?:creo|pienso|me\s+parece)\s+que\b|\bdudo\b|\bposibles?\b|\bojala\b|\bno\s+sea\s+que\b"
    r"|\bcapaz\b|\bquizas?\b|\btal\s+vez\b|\bpuede\s+(?:que|ser\s+que)\b|\bpodria\w*\b"
    r"|\bsupongo\b|\bimagin\w*\b|\bque\s+pasa\s+si\b|\bque\s+hago\s+si\b|\bcomo\s+(?:evito|prevengo)\b"
)
# weather-bound or intermittent water and power trouble is not happening now
RECURRING = re.compile(
    r"\bcuando\s+llueve\b|\bcada\s+vez\s+que\s+llueve\b|\bsiempre\s+que\s+llueve\b|\bsi\s+llueve\b"
    # "con la tormenta de anoche" is one storm, which may have left the water there now
    r"|\bcon\s+(?:la|las|cada)\s+(?:lluvia|lluvias|tormenta|tormentas)\b"
    r"(?!\s+(?:de\s+(?:anoche|ayer|hoy|esta\s+(?:manana|madrugada|tarde|noche)|recien)|que\s+(?:hubo|cayo|hay)))"
    r"|\bcuando\s+hay\s+tormenta\b"
    r"|\ba\s+veces\b|\bcada\s+tanto\b|\bde\s+vez\s+en\s+cuando\b|\bcada\s+dos\s+por\s+tres\b"
)
# still so since a moment: "se mojó el tablero con la lluvia y estoy sin luz desde anoche" is one
# storm's damage, lasting now, never weather-bound trouble
SINCE = re.compile(r"\bdesde\s+(?:anoche|ayer|hoy|esta\s+(?:manana|madrugada|tarde|noche)"
                   r"|hace\s+(?:\w+\s+)?(?:horas?|rato|minutos))\b")
PAST = re.compile(
    r"\b(?:la\s+semana|el\s+(?:mes|ano|invierno|verano|otono|finde|fin\s+de\s+semana|lunes|martes|"
    r"miercoles|jueves|viernes|sabado|domingo))\s+pasad[oa]\b"
    r"|(?<!desde\s)\bhace\s+(?:\w+\s+)?(?:dias|semanas?|mes|meses|anos?|tiempo)\b(?!\s+que)"
    r"|\bel\s+otro\s+dia\b|\bla\s+otra\s+vez\b|\buna\s+vez\b|\balguna\s+vez\b|\ben\s+su\s+momento\b"
    r"|\bhubo\b|\bhabia\b|\btuvimos\b|\btuve\b|\bme\s+paso\b|\bnos\s+paso\b"
)
# a mess someone left behind, told as a complaint: "me dejó el piso lleno de agua y barro"
LEFT_BEHIND = re.compile(r"\b(?:me|nos)\s+(?:dejo|dejaron)\b")
# what follows a cue and says it is over
SETTLED = re.compile(
    r"\bya\s+(?:volvio|vino|paso|paro|seco|sali|salimos|entre|entramos|abri\w*|pude|pudimos"
    r"|se\s+(?:arreglo|soluciono|resolvio|seco|fue|paso|corto|abrio)"
    r"|esta\s+(?:arreglad|solucionad|resuelt|reparad|sec)\w*|lo\s+(?:arregl|solucion|resolv)\w*)\b"
    r"|\b(?:ya\s+)?(?:se\s+)?(?:arreglo|soluciono|resolvio)\s+sol[oa]\b"
    r"|\bno\s+(?:volvio|paso)\s+(?:a\s+\w+|mas)\b|\bya\s+no\s+(?:sale|hay|huele|pasa|pierde|tira|cae)\b"
)
# what says it is happening again, or still
ONGOING = re.compile(
    r"\b(?:sigue|siguen|sigo|seguimos|todavia|aun|de\s+nuevo|otra\s+vez|volvio\s+a|vuelve\s+a|volvieron\s+a"
    r"|ahora|hoy|en\s+este\s+momento)\b"
)
POWER_PART = re.compile(
    rf"\b(?:{_ROOMS}|enchufes?|tomas?|tomacorrientes?|lamparas?|focos?|luces\s+de|sector\w*|parte|mitad"
    r"|planta\s+(?:alta|baja)|piso\s+de\s+(?:arriba|abajo)|ambientes?|heladera|aire|ventilador\w*)\b"
)
POWER_WHOLE = re.compile(
    r"\btod[oa]s?\b|\bentera\b|\bla\s+casa\b|\ben\s+casa\b|\b(?:el|mi)\s+(?:depto|departamento|local)\b"
    r"|\bel\s+edificio\b|\bel\s+barrio\b|\bla\s+cuadra\b|\bla\s+zona\b|\bnada\b|\bgeneral\b"
    r"|\bningun\s+lado\b|\bninguna\s+parte\b"
)

WATER_WHOLE = re.compile(
    r"\btod[oa]\s+(?:el|la)\s+(?:edificio|casa|depto|departamento|consorcio|barrio|cuadra|complejo)\b"
    r"|\ben\s+(?:ningun\s+lado|ninguna\s+(?:parte|canilla))\b|\bninguna\s+canilla\b"
    r"|\bel\s+edificio\b|\bel\s+consorcio\b|\bnada\s+de\s+agua\b|\buna\s+gota\b"
)

# "la mitad de la casa", "una parte del depto", "medio depto", "en parte", "algunos ambientes":
# a part, whatever whole it names
HALF_OF = re.compile(
    r"\b(?:la\s+)?(?:mitad|parte|un\s+sector)\s+(?:de|del)\b|\ben\s+parte\b"
    r"|\bmedi[oa]\s+(?:casa|depto|departamento|dpto|local|oficina|ph|piso|negocio|edificio)\b"
    r"|\balgun[oa]s\s+(?:ambientes|enchufes|tomas|luces|habitaciones|piezas|cuartos|partes|lados)\b"
)

CALM = re.compile(
    r"\bno\s+(?:es\s+|son\s+|esta\s+)?(?:tan\s+|nada\s+)?urgente\b|\bnada\s+urgente\b|\bsin\s+(?:apuro|urgencia)\b"
    r"|\bno\s+(?:hay|tengo|tenemos)\s+(?:apuro|urgencia)\b|\bcuando\s+(?:puedan|pueda|puedas|tengan|tenga|tengas)\b"
    r"|\bno\s+corre\s+apuro\b|\bcon\s+tiempo\b|\bno\s+me\s+apura\b|\bno\s+es\s+(?:una\s+)?emergencia\b"
    r"|\bno\s+(?:hay|tengo)\s+apuro\b|\bsin\s+prisa\b|\bno\s+(?:hay|tengo)\s+prisa\b"
)
# water still coming after the valve: "cerré la llave y sigue saliendo"
STILL_RUNNING = re.compile(
    r"\b(?:sigue|siguen|todavia|aun)\s+(?:\w+\s+){0,2}?(?:saliendo|cayendo|tirando|perdiendo|goteando|chorreando)\b"
    r"|\bno\s+(?:para|paro|corta|corto)\b|\bigual\s+(?:sale|pierde|tira|cae|gotea)\b")
# someone wanted now in the short word: "necesito alguien YA", "vengan ya"
NOW_PLEA = re.compile(r"\b(?:alguien|vengan|venga|venir|manden|mandame|mandar|necesito|necesitamos)"
                      r"\s+(?:\w+\s+)?ya\b(?!\s+(?:la|lo|las|los|el|cerre|corte|esta|se)\b)")
# asked for soon, or pleaded: high, never by themselves an emergency
HIGH = re.compile(
    r"\burgen\w*|\blo\s+antes\s+posible\b|\bcuanto\s+antes\b|\basap\b|\bya\s+mismo\b|\bahora\s+mismo\b"
    r"|\ba\s+la\s+(?:mayor\s+)?brevedad\b|\blo\s+(?:mas\s+)?(?:pronto|rapido)\s+(?:posible|que\s+puedan)\b"
    r"|\bhoy\s+mismo\b|\blo\s+mas\s+rapido\b|\bapenas\s+puedan\b|\bpara\s+ya\b|\binmediat\w*"
    r"|\brapido\b|\bpara\s+hoy\b|\bhoy\b|\bemergencia\w*|\bsocorro\b|\bauxilio\b|🆘"
)


def _scope(text: str, start: int, end: int, bounds: re.Pattern[str]) -> tuple[int, int]:
    """The span around text[start:end] between the nearest bounds on each side."""
    left = 0
    for m in bounds.finditer(text, 0, start):
        left = m.end()
    m = bounds.search(text, end)
    return left, (m.start() if m else len(text))


def _negated(text: str, start: int) -> bool:
    """A negation among the few words just before start, in the same clause."""
    tokens = _WORD_OR_MARK.findall(text[max(0, start - 80) : start])
    window: list[str] = []
    for i in range(len(tokens) - 1, -1, -1):
        tok = tokens[i]
        if tok == "que" and tokens[max(0, i - 2) : i] in (
            ["no", "es"],
            ["no", "era"],
            ["no", "digo"],
        ):
            return True  # "no es que se cortó la luz"
        if not tok[0].isalnum() or tok in _BREAKERS or len(window) == _NEGATION_WINDOW:
            break
        window.insert(0, tok)
    return any(
        w in _NEGATORS and (i + 1 >= len(window) or window[i + 1] not in _NOT_NEGATING)
        for i, w in enumerate(window)
    )


def _conditional(text: str, start: int) -> bool:
    """A "si" (if, whether) opening the clause the cue is in."""
    tokens = _WORD_OR_MARK.findall(text[max(0, start - 80) : start])
    for tok in reversed(tokens):
        if tok == "si":
            return True
        if not tok[0].isalnum() or tok in _BREAKERS:
            return False
    return False


def _asserted_now(cue: Cue, text: str, m: re.Match[str]) -> bool:
    """True when this match of a danger cue is said about now, as a fact."""
    seg_start, seg_end = _scope(text, m.start(), m.end(), _SEGMENT_END)
    segment = text[seg_start:seg_end]
    if cue.unless and cue.unless_in_sentence:
        if cue.unless.search(text, *_scope(text, m.start(), m.end(), _SENTENCE_END)):
            return False
    elif cue.unless and cue.unless.search(segment):
        return False
    if _negated(text, m.start()) or _conditional(text, m.start()):
        return False
    wide_start, _ = _scope(text, m.start(), m.end(), _WIDE_SCOPE_END)
    if HYPOTHETICAL.search(text, wide_start, m.start()):
        return False
    sent_start, sent_end = _scope(text, m.start(), m.end(), _SENTENCE_END)
    # a past told before the cue carries over "y" ("el mes pasado se cortó la luz y saltaron chispas")
    past = PAST.search(text, wide_start, seg_end)
    if (past or SETTLED.search(text, m.end(), sent_end)) and not ONGOING.search(segment):
        return False
    if LEFT_BEHIND.search(text, seg_start, m.start()) and not ONGOING.search(segment):
        return False
    if cue.kind not in LIFE_SAFETY and RECURRING.search(text, sent_start, sent_end) \
            and not SINCE.search(text, sent_start, sent_end):
        return False
    # power lost in one room or outlet is a repair, not an emergency
    partial = cue.kind == "power" and (
        HALF_OF.search(segment) or (POWER_PART.search(segment) and not POWER_WHOLE.search(segment)))
    if cue.kind == "no_water":
        # only no water at all is an emergency: the building, the house, nowhere
        sentence = text[sent_start:sent_end]
        return bool(WATER_WHOLE.search(sentence)) and not HALF_OF.search(sentence)
    return not partial


def dangers_now(text: str) -> set[str]:
    """The kinds of danger the (normalized) text asserts about now."""
    kinds: set[str] = set()
    for cue in CUES:
        if cue.kind in kinds:
            continue
        if any(_asserted_now(cue, text, m) for m in cue.pattern.finditer(text)):
            kinds.add(cue.kind)
    return kinds


def classify_urgency(text: str, intent: str, is_today: bool,
                     shut_off: frozenset[str] = frozenset()) -> str | None:
    """emergency / high / normal for new jobs (None for other intents unless there is danger).

    `shut_off`: what the writer says they already shut off (`message_kinds.already_shut_off`).
    Water already shut off at the valve, with nothing said still running and no hurry asked
    ("se rompió un caño pero ya cerré la llave de paso, ¿cuándo pueden venir?"), is a repair:
    the damage has stopped. With a hurry ("cerré la llave pero necesito alguien YA") the house
    is left without water, and it stays what the water made it."""
    dangers = dangers_now(text)
    calm = bool(CALM.search(text))
    if dangers == {"water"} and "valve" in shut_off and not HIGH.search(text) \
            and not NOW_PLEA.search(text) and not STILL_RUNNING.search(text):
        dangers = set()
    if dangers & LIFE_SAFETY or (dangers and not calm):
        return "emergency" if intent in ("new_job", "other", "greeting") else None
    if intent != "new_job":
        return None
    if calm:
        return "normal"
    if HIGH.search(text) or is_today:
        return "high"
    return "normal"


def vocabulary() -> set[str]:
    """Danger words the speller may correct toward."""
    patterns = [c.pattern.pattern for c in CUES] + [_ROOMS]
    return literal_words(patterns) | {"inundando", "reventado", "partido", "encerrado"}
