"""Street addresses: "Av. Rivadavia 4500 3B, Caballito", "Gorriti al 3400", "calle 12 n° 345"."""

from __future__ import annotations

import re

from rapidfuzz import fuzz, process

from nlu.extract.names import FIRST_NAMES
from nlu.extract.numbers import NUMBER_WORDS, find_number_words
from nlu.extract.spoken import is_spanish, spanish_words
from nlu.extract.text import fold_aligned
from nlu.extract.text import words as _words
from nlu.schema import Address

# street-kind and title abbreviations that keep their dot ("Av.", "Gral.")
ABBREVIATIONS = {
    "av",
    "avda",
    "pje",
    "psje",
    "bv",
    "bvd",
    "blvd",
    "bvar",
    "gral",
    "dr",
    "pte",
    "cnel",
    "ing",
    "tte",
    "sta",
    "sto",
    "diag",
    "prof",
    "cap",
    "alte",
    "gob",
    "int",
    "cmte",
    "brig",
    "sgto",
    "pres",
    "mons",
    "pbro",
    "fray",
    "gdor",
    "avd",
    "cno",
}
KINDS = {
    "av",
    "avda",
    "avd",
    "avenida",
    "calle",
    "pje",
    "psje",
    "pasaje",
    "bv",
    "bvd",
    "blvd",
    "bvar",
    "boulevard",
    "bulevar",
    "diag",
    "diagonal",
    "ruta",
    "camino",
    "cno",
    "autopista",
}
NUMBERED_KINDS = {"calle", "diagonal", "diag", "ruta", "pasaje", "pje"}
CONNECTORS = {"de", "del", "la", "las", "los", "y", "el"}
_SEPARATORS = {"al", "n", "no", "n°", "nro", "numero", "num", "#", "altura", "nº"}
_MONTHS = {
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "setiembre",
    "octubre",
    "noviembre",
    "diciembre",
}
STOPWORDS = (
    _words("""
hola holaa buenas buenos buen buena dia dias tardes noches noche tarde gracias soy mi mis me
te se le lo les nos el la los las un una unos unas y o u de del al a en con por para que q
sin sobre hoy manana ayer pasado proximo proxima semana mes ano anos turno hora horas tipo
eran son es era esta estan estoy estamos estas vivo vive viven tengo tiene tienen tenemos
necesito necesitamos quiero queria queriamos podrian pueden puede podes podra seria sera hay
habia como cuando donde cuanto cuantos cuantas cual quien ya no si muy mas menos tambien
pero porque xq entonces cobre cobrale cobro pague pago pagamos transferi mande llego llegue
salgo voy vamos calculo otro otra otros todo toda todos todas cada entre hasta desde hacia
segun durante casa depto departamento piso local oficina edificio consorcio dormitorio
living cocina bano patio terraza frente fondo ambientes ambiente metros mts m2 lucas luca
mil pesos mangos palos k min minutos hs hrs frigorias kg cuotas split aire heladera caldera
lavarropas error modelo dentro fuera arriba abajo atras adelante cerca lejos aca alla ahi
aqui alli lunes martes miercoles jueves viernes sabado domingo feriado tel telefono cel
celular whatsapp cuit dni cbu alias factura presupuesto total esquina calle puerta timbre
camino trabajo laburo cliente senora senor
domicilio direccion dir vivienda propiedad inmueble obra taller negocio galpon quinta comercio
ubicacion ubicado ubicada queda quedo
eh ehh em emm este bueno mira viste tipo osea
""")
    | NUMBER_WORDS
    | _MONTHS - {"calle"}
)
STOPWORDS.discard("calle")
_UNIT_AFTER = re.compile(
    r"\s*(?:/|:|%|\.\d|,\d|°|º|x\b|m2|mts?\b|metros|frigorias|ambientes?|lucas?|mil\b|pesos|"
    r"mangos|k\b|hs\b|h\b|hrs?\b|horas?|min\b|mins|minutos|kg|kilos|litros|lts?\b|cuotas|anos|"
    r"dias|meses|personas|veces|de\s+la\b|y\s+media|am\b|pm\b|cm\b|pulgadas|watts|w\b|v\b)",
    re.IGNORECASE,
)
_CUE_BEFORE = re.compile(
    r"(?:\b(?:estoy|estamos|vivo|vivimos|vive|viven|queda|quedo|ubicad[oa]s?|esta|es|sito|voy|vamos|llegue|"
    r"llegamos|paso|direccion|domicilio|dir|en\s+la\s+puerta|puerta|frente|casa|depto|edificio|"
    r"altura)\s+(?:en|de|a|para|es|:)?\s*(?:la\s+calle\s+|calle\s+)?"
    r"|\b(?:direccion|domicilio|dir|calle)\s*:?\s*"
    # "en la casa del cliente en Mitre 455", "el laburo en Alsina 300"
    r"|\b(?:cliente|clienta|senora|senor|obra|trabajo|laburo)\s+en\s+(?:la\s+calle\s+|calle\s+)?)$"
)
_TOKEN = re.compile(r"n[°º]|[^\W\d_]+\.?|\d+[°º]?|#|[,;:!?()\n]|\.|[^\s\w]", re.UNICODE)
_UNIT = re.compile(
    # "7mo B", "3ero A", "1ro", "2do piso", "4to dto 3": a floor as an ordinal, then the door
    r"\s*,?\s*(?P<unit>(?:\d{1,2}\s*(?:ro|do|ero|er|to|mo|vo|no)\b\.?\s*(?:piso\b\s*)?"
    r"(?:(?:depto|dto|dpto|departamento)\.?\s*)?(?:[a-z]\b|\d{1,2}\b)?"
    r"|(?:piso|p\.?)\s*\d{1,2}\s*[°º]?\s*(?:(?:depto|dto|dpto|departamento)\.?\s*)?"
    r"[a-z]?\b|\d{1,2}\s*[°º]?\s*(?:piso\s*)?[a-z]\b|\d{1,2}\s*[°º]\s*(?:piso)?|(?:pb|planta\s+baja)(?:\s*(?:(?:depto|dto|dpto)\.?\s*)?[a-z0-9]\b)?"
    r"|(?:depto|dto|dpto|departamento|dep|casa|local|of|oficina|torre|lote)\.?\s*[a-z0-9]{1,4}\b)"
    r")"
    # "3 a 5 de la tarde", "2 a las 4": an hour span, no flat
    r"(?!\s*(?:\d|las?\b|y\s+media|hs\b|horas?\b))",
    re.IGNORECASE,
)
_AFTER_PLACE = re.compile(r"\)?(?:\s*\.(?!\d))?")  # the place's closing bracket or full stop
_LOCALITY = re.compile(
    r"\s*(?:,|-|\(|\ben\b)?\s*(?P<loc>[A-ZÁÉÍÓÚÑ][\wáéíóúñü]+(?:\s+(?:de\s+|del\s+|la\s+)?"
    r"[A-ZÁÉÍÓÚÑ][\wáéíóúñü]+){0,3})"
)
# A locality written in lowercase ("..., belgrano") is taken only when it is one of these: the
# barrios of Buenos Aires and the towns around it people name most.
_LOWER_LOCALITY = re.compile(
    r"\s*(?:,|-|\(|\ben\b)?\s*(?P<loc>[a-záéíóúñü]+(?:\s+[a-záéíóúñü]+){0,2})")
_LOCALITY_NAMES = (
    "agronomía", "almagro", "balvanera", "barracas", "belgrano", "boedo", "caballito", "chacarita",
    "coghlan", "colegiales", "constitución", "flores", "floresta", "la boca", "la paternal",
    "liniers", "mataderos", "monte castro", "montserrat", "monserrat", "nueva pompeya", "núñez",
    "palermo", "parque avellaneda", "parque chacabuco", "parque chas", "parque patricios",
    "puerto madero", "recoleta", "retiro", "saavedra", "san cristóbal", "san nicolás", "san telmo",
    "vélez sarsfield", "versalles", "villa crespo", "villa del parque", "villa devoto",
    "villa general mitre", "villa lugano", "villa luro", "villa ortúzar", "villa pueyrredón",
    "villa real", "villa riachuelo", "villa santa rita", "villa soldati", "villa urquiza",
    "microcentro", "centro", "abasto", "once", "olivos", "martínez", "vicente lópez", "florida",
    "munro", "san isidro", "béccar", "tigre", "pilar", "san fernando", "quilmes", "bernal",
    "lanús", "avellaneda", "banfield", "lomas de zamora", "adrogué", "temperley", "morón", "haedo",
    "ramos mejía", "castelar", "ituzaingó", "merlo", "moreno", "san justo", "caseros",
    "san martín", "villa ballester", "berazategui", "la plata", "ezeiza", "canning", "CABA",
    "capital federal",
)


def _place_name(name: str) -> str:
    """"villa del parque" -> "Villa del Parque"; "CABA" stays."""
    if name.isupper():
        return name
    words = name.split()
    return " ".join(w if k and w in CONNECTORS else w.capitalize() for k, w in enumerate(words))


# folded ("nunez") -> as it is written ("Núñez")
LOCALITY_NAMES = {fold_aligned(name.lower()): _place_name(name) for name in _LOCALITY_NAMES}
LOCALITIES = frozenset(LOCALITY_NAMES)


class _Tok:
    __slots__ = ("end", "fold", "start", "text")

    def __init__(self, text: str, fold: str, start: int, end: int):
        self.text, self.fold, self.start, self.end = text, fold, start, end

    @property
    def word(self) -> str:
        return self.fold.rstrip(".")

    @property
    def is_word(self) -> bool:
        return self.fold[:1].isalpha()

    @property
    def is_number(self) -> bool:
        return self.fold.isdigit()

    @property
    def capitalized(self) -> bool:
        return self.text[:1].isupper()


_THOUSANDS = re.compile(r"\d{1,2}\.\d{3}(?!\d|[.,]\d)")  # "14.850, Martínez" too


def _tokens(text: str, folded: str) -> list[_Tok]:
    toks = []
    # "3.120" is one street number, written with a thousands point
    grouped = {m.start(): m.end() for m in _THOUSANDS.finditer(folded)}
    skip_to = 0
    for m in _TOKEN.finditer(folded):
        s, e = m.start(), m.end()
        if s < skip_to:
            continue
        if s in grouped:
            skip_to = grouped[s]
            toks.append(_Tok(text[s:skip_to], folded[s:skip_to].replace(".", ""), s, skip_to))
            continue
        f = m.group(0)
        if f.endswith(".") and len(f) > 1:
            word = f[:-1]
            # a middle initial ("Juan B. Justo", typed "juan b. justo" too) between two words
            keep = word in ABBREVIATIONS or (len(word) == 1 and (
                text[s].isupper() or (word.isalpha() and re.search(r"[a-z]{2,} $", folded[max(0, s - 12):s])
                                      is not None and re.match(r"\s+[a-z]{3,}", folded[e:]) is not None)))
            if not keep:
                toks.append(_Tok(text[s : e - 1], word, s, e - 1))
                toks.append(_Tok(".", ".", e - 1, e))
                continue
        toks.append(_Tok(text[s:e], f, s, e))
    return toks


def _street_tokens(toks: list[_Tok], end: int) -> list[_Tok]:
    """The street-name tokens that end just before index `end` (walking backward)."""
    out: list[_Tok] = []
    i = end - 1
    while i >= 0 and len(out) < 6:
        t = toks[i]
        w = t.word
        if t.is_number:
            # "calle 12", "25 de Mayo"
            if i > 0 and toks[i - 1].word in NUMBERED_KINDS and not out:
                out[:0] = [toks[i - 1], t]
                i -= 2
                continue
            if out and out[0].word == "de" and len(out) > 1 and out[1].word in _MONTHS:
                out.insert(0, t)
                i -= 1
                continue
            break
        if not t.is_word:
            break
        if w in KINDS or w in ABBREVIATIONS:
            out.insert(0, t)
            i -= 1
            if w in KINDS and any(o.word not in KINDS and o.word not in CONNECTORS for o in out):
                break  # a street's kind begins it: "la casa de la calle Mitre" is "calle Mitre"
            continue
        if w in CONNECTORS:
            if (
                out
                and out[0].word not in KINDS  # "Vanesa de calle 10": the kind begins the street
                and i > 0
                and (toks[i - 1].is_word or toks[i - 1].is_number)
                # the name word after the connectors ("Ciudad de la Paz": "Paz")
                and any(t.capitalized or t.is_number for t in out[:3] if t.word not in CONNECTORS)
            ):
                out.insert(0, t)
                i -= 1
                continue
            break
        if w in STOPWORDS and not (w in _MONTHS and t.capitalized):
            break
        out.insert(0, t)
        i -= 1
    while out and out[0].word in CONNECTORS:
        out.pop(0)
    # lowercase words before a capitalized name are the words that led to it ("domicilio
    # Rivadavia", "la obra de Mitre"), unless they are the street's kind
    first_cap = next((k for k, t in enumerate(out) if t.is_word and t.capitalized), None)
    if first_cap:
        lead = out[:first_cap]
        named = any(len(t.word) >= 3 and not t.text.isupper() for t in out[first_cap:] if t.is_word)
        if named and all(
            t.is_word and not t.capitalized and t.word not in KINDS and t.word not in ABBREVIATIONS
            for t in lead
        ):
            out = out[first_cap:]
    return out


def _bare(street: str) -> str:
    """Folded street name without its kind ("Av. Pueyrredón" -> "pueyrredon")."""
    words = re.findall(r"[a-z0-9]+", fold_aligned(street))
    while len(words) > 1 and words[0] in KINDS:
        words.pop(0)
    return " ".join(words)


def _canonical(street: str, known: tuple[str, ...]) -> str:
    """The organization's spelling of a street when it knows one close enough."""
    if not known:
        return street
    best = process.extractOne(
        _bare(street), [_bare(k) for k in known], scorer=fuzz.ratio, score_cutoff=85
    )
    return known[best[2]] if best else street


def _lower_locality(text: str, at: int) -> tuple[str | None, int]:
    """A known locality written in lowercase right after the address, capitalized ("villa
    urquiza" -> "Villa Urquiza"), the longest one that matches, and where it ends (`at` when
    there is none)."""
    lm = _LOWER_LOCALITY.match(text, at)
    if lm is None:
        return None, at
    words = lm.group("loc").split()
    for n in range(len(words), 0, -1):
        if (key := fold_aligned(" ".join(words[:n]))) in LOCALITIES:
            end = lm.start("loc")
            for word in words[:n]:
                end = text.index(word, end) + len(word)
            return LOCALITY_NAMES[key], end
    return None, at


def _unit_and_locality(text: str, at: int) -> tuple[str | None, str | None]:
    """The flat ("7mo B", "piso 2 depto A") and the place ("Belgrano", ", villa urquiza")
    written right after a street number that ends at `at`."""
    unit = loc = None
    um = _UNIT.match(text, at)
    if um:
        unit = um.group("unit").strip()
        at = um.end()
    lm = _LOCALITY.match(text, at)
    if lm and lm.group("loc").isupper():
        # a message in capitals: "PIERDE EL TERMOTANQUE" is no place; "PALERMO" is
        loc, end = _lower_locality(text.lower(), at)
    elif lm and fold_aligned(lm.group("loc")) not in STOPWORDS:
        loc, end = lm.group("loc"), lm.end()
    else:
        loc, end = _lower_locality(text, at)
    if unit is None and loc is not None:
        # the flat after the place: "Rivadavia 5400, Caballito, 3B", "(Caballito) piso 4 dto C",
        # "…, Caballito. 2do A"
        um = _UNIT.match(text, _AFTER_PLACE.match(text, end).end())
        if um and um.group("unit").strip():
            unit = um.group("unit").strip()
    return unit, loc


def _cued(folded: str, at: int, answering: bool) -> bool:
    """A cue ends at `at` ("vivo en", "la dirección es"), or, when the text answers a question
    for the address, nothing but fillers comes before it ("es en", "eh")."""
    before = folded[max(0, at - 40) : at]
    if _CUE_BEFORE.search(before):
        return True
    return answering and not _LEAD_IN.sub("", folded[:at]).strip()


# a place people name, then a comma or a stop, right before the street: "villa crespo, padilla
# 850", "estoy en palermo. gorriti 4500"
_PLACE_THEN = re.compile(r"(?P<place>[a-z][a-z ]{2,40}?)\s*[,.;:-]\s*$")


# "llamame", "escribime", "avisale": an order with its pronoun is no street ("soy de caballito,
# llamame al 4555")
_IMPERATIVE = re.compile(r"[a-z]{3,}[aei](?:me|nos|le|les|lo|la)$")


def _locality_before(folded: str, at: int) -> str | None:
    """The locality said right before the street at `at`, as people write it, or None."""
    m = _PLACE_THEN.search(folded, max(0, at - 45), at)
    if m is None:
        return None
    words = m.group("place").split()
    for size in range(min(4, len(words)), 0, -1):
        place = " ".join(words[-size:])
        if place in LOCALITIES:
            return LOCALITY_NAMES[place]
    return None


# What may come before an address that answers the question for it ("eh, es en ...")
_LEAD_IN = re.compile(r"\b(?:eh+|em+|bueno|si|dale|ok|es|en|la|calle|mi|direccion|es\s+en)\b|[\W_]+")


def _back_to_cue(toks: list[_Tok], street: list[_Tok], folded: str,
                 answering: bool = False) -> list[_Tok] | None:
    """The street grown backward, to eight words and connectors in all ("juan de", "pje.
    el") when a cue ("vivo en", "la dirección es") comes right before them (or, `answering`,
    the start of the message); None otherwise."""
    if street[0].word in KINDS or street[0].word in ABBREVIATIONS:
        return None  # a street's kind begins it ("domicilio fiscal Av. Belgrano")
    i = toks.index(street[0]) - 1
    grown = list(street)
    while i >= 0 and len(grown) < 8:  # "fray justo santa maria de oro": a long name
        t = toks[i]
        if not t.is_word or (t.word in STOPWORDS and t.word not in CONNECTORS):
            return None
        grown.insert(0, t)
        i -= 1
        if t.word in CONNECTORS:
            continue
        if _cued(folded, t.start, answering):
            return grown
        if t.word in KINDS or t.word in ABBREVIATIONS:
            # the street's kind begins it: a cue may end with it ("queda en la calle ...")
            return grown if _cued(folded, grown[1].start, answering) else None
    return None


def written_case(street: str) -> str:
    """A street written all in lowercase (or all in capitals) as streets are written: "av
    cabildo" -> "Av. Cabildo", "juan de garay" -> "Juan de Garay"; otherwise as written."""
    letters = [c for c in street if c.isalpha()]
    if not letters or not (street == street.lower() or street == street.upper()):
        return street
    words = []
    for k, word in enumerate(street.lower().split()):
        bare = word.rstrip(".")
        if k and bare in CONNECTORS:
            words.append(bare)
        elif bare in ABBREVIATIONS and bare != "fray" and (
                bare not in KINDS - {"av", "avda", "pje", "psje", "bv", "diag"}):
            words.append(bare.capitalize() + ".")
        else:
            words.append(word[:1].upper() + word[1:])
    return " ".join(words)


def find_address(text: str, known_streets: tuple[str, ...] = (), *,
                 answering: bool = False) -> Address | None:
    """The first street address in text, or None. `answering`: the text answers a question
    for the address, which leads to whatever begins it as a cue would ("juan de garay 345")."""
    found = address_put_right(text, known_streets, answering=answering)
    return found[0] if found else None


def address_put_right(text: str, known_streets: tuple[str, ...] = (), *, answering: bool = False
                      ) -> tuple[Address, str | None] | None:
    """`find_address`'s address with its number as the writer last put it (`corrected_number`),
    and the number first said when it was put right (else None); None when there is none."""
    found = locate_address(text, known_streets, answering=answering)
    if not found:
        return None
    address, _, end = found
    number = corrected_number(text, address.number, end)
    if number is None:
        return address, None
    return address.model_copy(update={"number": number}), address.number


# A writer putting their own street number right a little later ("Paraguay 2345 4°B" / "perdón le
# erré, es 2435!! no 2345"; "Corrientes 1500, no perdón 1550"): an apology or a "no <the number
# said>" near a number of about the same length. Times, amounts and units are no street number.
_CORRECTS = re.compile(r"\b(?:perdon|perdona|perdone|disculpa|disculpe|me\s+equivoque|me\s+confundi"
                       r"|le\s+erre|erre|le\s+pifie|pifie|corrijo|correccion|mejor\s+dicho|quise\s+decir"
                       r"|error|mal\s+el\s+numero|no\s+es\s+(?:el\s+)?\d+)\b")
_NUMBER_AFTER = re.compile(r"(?<![\d.,:/])(?P<n>\d{1,5})(?![\d.,:/]\d)(?!\s*(?:hs|h\b|horas?|min|mil|lucas|pesos|k\b"
                           r"|°|º|piso|dto|depto|de\s+la\s+(?:manana|tarde|noche)|anos|dias|meses|semanas|amb|personas"
                           r"|veces|metros|mts|m2|litros|lts|cuotas|er\b|ro\b|do\b|to\b|mo\b|vo\b))")
_NOT_A_NUMBER_BEFORE = re.compile(r"(?:\ba\s+las|\blas|\bpiso|\bdepto|\bdto|\bdpto|\bunidad|\buf|\bhasta\s+las"
                                  r"|\$|\bnro\s+de\s+(?:orden|trabajo))\s*$")
CORRECTION_REACH = 120  # characters after the address in which a correction is looked for


def corrected_number(text: str, number: str | None, end: int) -> str | None:
    """The street number the writer put right after giving `number` (the address's number,
    ending at `end`), or None when nothing corrects it."""
    if not number or not number.isdigit():
        return None
    folded = fold_aligned(text)
    after = folded[end:end + CORRECTION_REACH]
    cue = _CORRECTS.search(after)
    denied = re.search(rf"\bno\s+(?:es\s+(?:el\s+)?|era\s+(?:el\s+)?)?{number}\b", after)
    if cue is None and denied is None:
        return None
    for match in _NUMBER_AFTER.finditer(after):
        value = match.group("n")
        if value == number or abs(len(value) - len(number)) > 1 or value.startswith("0"):
            continue
        if _NOT_A_NUMBER_BEFORE.search(after[:match.start()]):
            continue
        if denied is not None and denied.start() <= match.start() < denied.end():
            continue
        return value
    return None


def locate_address(text: str, known_streets: tuple[str, ...] = (), *, answering: bool = False
                   ) -> tuple[Address, int, int] | None:
    """`find_address`'s address, where its street begins in text and where its number ends (the
    street as returned may be spelled otherwise: "av cabildo" comes back "Av. Cabildo").

    A number said in words, as a voice note or a careful writer gives it ("en la calle alsina
    mil doscientos treinta", "thames ochocientos cuarenta, palermo"), is read as its digits
    when no address is found otherwise."""
    found = _locate(text, known_streets, answering)
    if found is not None:
        return _with_later_place(text, found)
    spoken = [(start, end, value) for start, end, value in find_number_words(fold_aligned(text))
              if 10 <= value <= 99999]
    if not spoken:
        return None
    pieces, cursor = [], 0
    for start, end, value in spoken:
        pieces += [text[cursor:start], str(value)]
        cursor = end
    said = "".join(pieces) + text[cursor:]
    found = _locate(said, known_streets, answering)
    if found is None:
        return None
    address, start, end = found
    return address, _back_in(start, spoken, said_start=True), _back_in(end, spoken)


# The place written a little after the address, past cross streets or a note ("calle 7 n° 1234
# e/ 56 y 57, La Plata"): after a comma, within a few words
_LATER_PLACE = re.compile(r"[^.\n?!]{0,40}?,\s*(?P<loc>[^\W\d_]+(?:\s+[^\W\d_]+){0,2})")


def _with_later_place(text: str, found: tuple[Address, int, int]) -> tuple[Address, int, int]:
    """`found`, its locality taken from a known barrio or town written a little later when the
    address had none (a technician sent to CABA for a La Plata address otherwise)."""
    address, start, end = found
    if address.locality is not None:
        return found
    for later in _LATER_PLACE.finditer(text, end):
        words = fold_aligned(later.group("loc")).lower().split()
        for n in range(len(words), 0, -1):
            if (key := " ".join(words[:n])) in LOCALITIES:
                return address.model_copy(update={"locality": LOCALITY_NAMES[key]}), start, end
        break  # only the first comma's words
    return found


def _back_in(at: int, spoken: list[tuple[int, int, int]], *, said_start: bool = False) -> int:
    """A position in the text with numbers as digits, back in the text as written."""
    shift = 0
    for start, end, value in spoken:
        digits_end = start - shift + len(str(value))
        if at < start - shift:
            break
        if at <= digits_end:
            return start if said_start and at < digits_end else end
        shift += (end - start) - len(str(value))
    return at + shift


_INTRODUCES = re.compile(r"\b(?:soy|habla|le\s+habla|te\s+habla|me\s+llamo|mi\s+nombre\s+es)\s+$",
                         re.IGNORECASE)


def _introduces(folded: str, at: int) -> bool:
    """Whether the words before `at` introduce the writer ("soy", "habla", "me llamo")."""
    return bool(_INTRODUCES.search(folded, max(0, at - 20), at))


# the rest of a phone after its area code: "11 5566 7788", "11 15-5566-7788", "351 456-7890"
_PHONE_REST = re.compile(r"[\s-]+(?:15[\s-]?)?\d{3,4}[\s-]?\d{4}\b")


def _locate(text: str, known_streets: tuple[str, ...], answering: bool
            ) -> tuple[Address, int, int] | None:
    folded = fold_aligned(text)
    toks = _tokens(text, folded)
    candidates: list[tuple[int, Address, int, int]] = []
    known_bare = {_bare(k) for k in known_streets}
    for idx, tok in enumerate(toks):
        if not tok.is_number or len(tok.fold) > 5 or tok.fold.startswith("0"):
            continue
        if _UNIT_AFTER.match(folded, tok.end):
            continue
        if tok.end < len(folded) and (folded[tok.end : tok.end + 1].isalnum()):
            continue
        if _PHONE_REST.match(folded, tok.end):
            continue  # "Marta Suárez 11 5566 7788": an area code, a phone's start
        j = idx
        if j > 0 and toks[j - 1].word in _SEPARATORS:
            j -= 1
        street = _street_tokens(toks, j)
        if len(street) > 2 and street[1].word == "de" and street[0].fold.lower() in FIRST_NAMES \
                and _introduces(folded, street[0].start):
            street = street[2:]  # "soy Ramón de Córdoba 1650": the writer, then their street
        if not street:
            continue
        cue = _cued(folded, street[0].start, answering)
        # "villa crespo, padilla 850": a place, then a street and its number (two digits or more)
        before = _locality_before(folded, street[0].start) \
            if len(tok.fold) >= 2 and not _IMPERATIVE.match(street[0].fold) else None
        cue = cue or before is not None
        if not cue and (longer := _back_to_cue(toks, street, folded, answering)):
            # "vivo en juan de garay 345", "la dirección es pje. el lazo 123": lowercase names
            # with connectors, which the backward walk stops at, led to by a cue
            street, cue = longer, True
        kinds = [t for t in street if t.word in KINDS or t.word in ABBREVIATIONS]
        caps = [t for t in street if t.is_word and t.capitalized and t.word not in CONNECTORS]
        name_tokens = [t for t in street if t.word not in KINDS and t.word not in CONNECTORS]
        if not name_tokens:
            continue
        street_text = text[street[0].start : street[-1].end]
        known = bool(known_bare) and _bare(street_text) in known_bare
        lower_words = [t for t in name_tokens if t.is_word and not t.capitalized]
        unit, loc = _unit_and_locality(text, tok.end)
        loc = loc or before
        # "hipolito yrigoyen 4500, lanus": a street number followed by a place people name is an
        # address however it is written (a number of two digits or more: "somos 4, en flores"
        # is no address)
        placed = loc is not None and fold_aligned(loc) in LOCALITIES and len(tok.fold) >= 2
        if not known:
            if lower_words and not (cue or kinds or placed):
                continue
            if not (caps or cue or kinds or placed):
                continue
        if street[0].word in NUMBERED_KINDS and all(t.is_number for t in name_tokens):
            pass
        elif all(t.is_number for t in name_tokens):
            continue
        score = (2 * bool(kinds) + 2 * cue + 3 * known + placed
                 + (toks[idx - 1].word in _SEPARATORS))
        addr = Address(
            street=_canonical(written_case(street_text.strip(" ,")), known_streets),
            number=tok.fold,
            unit=unit,
            locality=loc,
        )
        candidates.append((score, addr, street[0].start, tok.end))
    if not candidates:
        return _number_first(text, folded, toks, known_streets, answering)
    _, addr, start, end = max(candidates, key=lambda c: c[0])
    return addr, start, end


def _number_first(text: str, folded: str, toks: list[_Tok], known_streets: tuple[str, ...],
                  answering: bool) -> tuple[Address, int, int] | None:
    """"Vive en el 1200 de juan b justo", "es en el 300 de la calle Gorriti": the block first,
    as people give it, then the street, led to by a cue or answering the bot's question."""
    for idx in range(1, len(toks) - 2):
        tok = toks[idx]
        if not (tok.is_number and 2 <= len(tok.fold) <= 5 and not tok.fold.startswith("0")
                and toks[idx - 1].word in ("el", "al") and toks[idx + 1].word == "de"):
            continue
        lead = toks[idx - 2] if idx >= 2 and toks[idx - 2].word == "en" else toks[idx - 1]
        if not _cued(folded, lead.start, answering):
            continue
        street: list[_Tok] = []
        for t in toks[idx + 2 : idx + 10]:
            if not street and t.word in ("la", "calle"):
                continue  # "el 300 de la calle Gorriti"
            if not t.is_word or len(street) == 6 or (
                    t.word in STOPWORDS and t.word not in CONNECTORS and t.word not in KINDS):
                break
            street.append(t)
        while street and street[-1].word in CONNECTORS:
            street.pop()
        if not any(len(t.word) >= 3 and t.word not in KINDS for t in street):
            continue
        street_text = text[street[0].start : street[-1].end]
        unit, loc = _unit_and_locality(text, street[-1].end)
        addr = Address(street=_canonical(written_case(street_text.strip(" ,")), known_streets),
                       number=tok.fold, unit=unit, locality=loc)
        return addr, toks[idx - 1].start, street[-1].end
    return None


# A barrio or town said as where the customer is, without a street ("estoy en Villa Devoto",
# "es zona Belgrano", "barrio Flores"): a cue in front, so "once" (eleven) or "flores" (flowers)
# in other words are no place.
_PLACE_CUE = re.compile(r"\b(?:en|zona|barrio|de\s+la\s+zona\s+de|por)\s+"
                        r"(?P<place>[a-z]+(?:\s+[a-z]+){0,3})")


def named_locality(text: str) -> str | None:
    """The barrio or town a message places itself in ("Villa Devoto"), written as the address
    module writes it; None when no known one follows a cue."""
    folded = fold_aligned(text or "").lower()
    for cue in _PLACE_CUE.finditer(folded):
        words = cue.group("place").split()
        starts = (0, 1) if words[0] in ("el", "la") else (0,)  # "en la plata", "en el centro"
        for start in starts:
            for n in range(len(words), start, -1):
                if (key := " ".join(words[start:n])) in LOCALITIES:
                    return LOCALITY_NAMES[key]
    return None


# A corner instead of a number ("Corrientes y Pueyrredón", "Av Corrientes esquina Pueyrredon",
# "en la esquina de Rivadavia y Acoyte"): two street names in capitals joined by "y" after a cue
# of place, or by "esquina"/"esq." anywhere (so "Marta y Juan" is no corner)
_STREET_NAME = (r"(?:[Cc]alle\s+\d{1,3}\b|(?:(?:Av(?:enida)?\.?|Calle|Pje\.?|Pasaje)\s+)?[A-ZÁÉÍÓÚÑ][\wáéíóúñü.]+"
                r"(?:\s+(?:de\s+)?[A-ZÁÉÍÓÚÑ][\wáéíóúñü.]*){0,2})")
_CORNER = re.compile(
    rf"(?:\b(?:estoy|estamos|vivo|vivimos|es|queda|quedo|direccion|dirección)\s+(?:en\s+)?(?:la\s+esquina\s+de\s+)?"
    rf"|\ben\s+(?:la\s+esquina\s+de\s+)?|^\s*)(?P<a>{_STREET_NAME})\s+y\s+(?P<b>{_STREET_NAME})"
    rf"|(?P<c>{_STREET_NAME})\s+(?:esquina|esq\.?)\s+(?P<d>{_STREET_NAME})"
)


# The same corner written in lowercase, as most people write on WhatsApp ("estoy en gorriti y
# thames, palermo", "en la esquina de rivadavia y acoyte", "av cabildo esq juramento"): the two
# names end the clause (a comma, a full stop or the end follows), and are taken as streets only
# when something says so (see `_lower_corner`).
_LOWER_NAME = r"[a-záéíóúñü][\wáéíóúñü.]*(?:\s+[a-záéíóúñü][\wáéíóúñü.]*){0,2}?"
_CLAUSE_END = r"(?=\s*(?:[,.;:!?\n(]|$))"
_LOWER_CORNER = re.compile(
    rf"(?:\b(?:estoy|estamos|vivo|vivimos|es|queda|quedo|direccion|dirección)\s+en\s+"
    rf"(?:la\s+(?P<esq>esquina)\s+de\s+)?|\ben\s+la\s+(?P<esq2>esquina)\s+de\s+|^\s*)"
    rf"(?P<a>{_LOWER_NAME})\s+y\s+(?P<b>{_LOWER_NAME}){_CLAUSE_END}"
    rf"|\b(?P<c>{_LOWER_NAME})\s+(?:esquina|esq\.?)\s+(?P<d>{_LOWER_NAME}){_CLAUSE_END}",
    re.IGNORECASE)
_STREET_KIND = re.compile(r"(?:av|avda|avenida|calle|pje|pasaje|diag|diagonal|bv|boulevard)\.?\s")


def _lower_corner(text: str, answering: bool) -> Address | None:
    """A corner in lowercase. Words are no street by their case here, so the corner counts when
    the message says "esquina", when it answers the question for the address, or when one name
    has a word that is no common Spanish word ("gorriti y cabildo", not "estoy en casa y
    trabajo") and the other is one too, one word or a kind of street ("av cabildo"); without
    the word list, never. No word of either may be a stopword, nor either name a place."""
    for found in _LOWER_CORNER.finditer(text or ""):
        cornered = bool(found.group("c") or found.group("esq") or found.group("esq2"))
        if found.group("a") and found.start("a") == found.start() and not answering:
            continue  # a corner that begins the message only answers the question for it
        first, second = (found.group("a"), found.group("b")) if found.group("a") \
            else (found.group("c"), found.group("d"))
        second, place = _less_place(second)
        if not all(_in_lowercase(name) for name in (first, second)):
            continue  # "vino Carlos y Diego": names in capitals are the other reading's
        names = [fold_aligned(name).lower().split() for name in (first, second)]
        if any(not words or words[0] in STOPWORDS or words[-1] in STOPWORDS
               or any(w in STOPWORDS and w not in CONNECTORS for w in words)
               or " ".join(words) in LOCALITIES for words in names):
            continue
        proper = [any(not is_spanish(w) for w in words if w not in CONNECTORS) for words in names]
        street_like = bool(spanish_words()) and any(proper) and all(
            is_proper or len(words) == 1 or _STREET_KIND.match(" ".join(words) + " ")
            for is_proper, words in zip(proper, names, strict=True))
        if not (cornered or answering or street_like):
            continue
        unit, locality = _unit_and_locality(text, found.end())
        return Address(street=f"{written_case(first.strip().lower())} y "
                              f"{written_case(second.strip().lower())}",
                       number=None, unit=unit,
                       locality=place or locality or named_locality(text))
    return None


def _in_lowercase(name: str) -> bool:
    """Written in lowercase, but for the kind of street it may begin with ("Av cabildo")."""
    kind = _STREET_KIND.match(name.lower() + " ")
    rest = name[kind.end():] if kind else name
    return rest == rest.lower()


def _less_place(name: str) -> tuple[str, str | None]:
    """A corner's second name without a place written after it with no comma ("cabildo
    belgrano" -> "cabildo", Belgrano)."""
    words = name.split()
    for n in range(1, len(words)):
        if (key := fold_aligned(" ".join(words[n:])).lower()) in LOCALITIES:
            return " ".join(words[:n]), LOCALITY_NAMES[key]
    return name, None


# A street alone, the answer to "¿En qué dirección es?" that leaves the height for the next
# message ("Gorriti", "en la calle gorriti", "av cabildo"), and the height sent after it ("3400",
# "al 3400", "altura 3400 2°B").
_STREET_ALONE = re.compile(
    r"^\s*(?:(?:perd[oó]n|eh+|bueno|s[ií]|dale|ok|no)\s*[,.]?\s+)?"
    r"(?:(?:es\s+|estoy\s+|estamos\s+|vivo\s+|vivimos\s+|queda\s+)?(?:en\s+)?(?:la\s+)?(?:calle\s+(?=\S+)|sobre\s+)?)?"
    r"(?P<name>(?:(?:av|avda|avenida|pje|pasaje|diag|diagonal|bv|boulevard)\.?\s+)?"
    r"[^\W\d_][\w.'áéíóúñü]*(?:\s+[^\W\d_][\w.'áéíóúñü]*){0,3})\s*[.!]*\s*$",
    re.IGNORECASE)
HEIGHT = re.compile(r"^\s*(?:(?:es\s+)?(?:al|a\s+la\s+altura|altura|el|n[°º]|nro\.?|numero|número)\s*)?"
                    r"(?=\d{1,5}\b)", re.IGNORECASE)


def locality_alone(text: str) -> str | None:
    """A barrio or town that is the whole message ("palermo", "en Villa Urquiza."), as the
    address module writes it; None otherwise."""
    words = fold_aligned(text or "").lower().strip(" .!,").split()
    while words and words[0] in ("en", "es", "zona", "barrio", "de"):
        words = words[1:]
    return LOCALITY_NAMES.get(" ".join(words))


def street_alone(text: str) -> str | None:
    """The street of an answer that gives it without its height, written as streets are
    written; None for anything else. Words say a street when written with capitals
    after a kind of street ("av cabildo", "calle cabildo"), or when no common Spanish word
    ("gorriti"): not "perdón", "no sé" or a barrio, which are no street."""
    found = _STREET_ALONE.match(text or "")
    if found is None:
        return None
    name = found.group("name").strip().rstrip(".")
    words = fold_aligned(name).lower().split()
    if (words[0] in STOPWORDS or words[-1] in STOPWORDS or " ".join(words) in LOCALITIES
            or any(w in STOPWORDS and w not in CONNECTORS for w in words)):
        return None
    if len("".join(words)) < 3:
        return None  # "ok", "sí"
    if len(words) == 1 and words[0] in FIRST_NAMES:
        return None  # "Marta": who it is for, answered out of turn
    kind = _STREET_KIND.match(" ".join(words) + " ") or re.search(r"\bcalle\s", text or "", re.IGNORECASE)
    # a capital past the first word ("Juan de Garay"): phones capitalize the first on their own
    capitals = any(w[:1].isupper() for w in name.split()[1:]) and name != name.upper()
    proper = bool(spanish_words()) and any(not is_spanish(w) for w in words if w not in CONNECTORS)
    if not (kind or capitals or proper):
        return None
    return written_case(name.lower()) if name == name.lower() or name == name.upper() else name


def find_corner(text: str, *, answering: bool = False) -> Address | None:
    """A corner given for the address, with the flat and the place written after it, or None.
    `answering`: the text answers "¿en qué dirección es?", so a corner may begin it uncued."""
    found = _CORNER.search(text or "")
    if found is None or (found.group("a") and found.start("a") == found.start()
                         and not answering):
        return _lower_corner(text, answering)
    first, second = (found.group("a"), found.group("b")) if found.group("a") \
        else (found.group("c"), found.group("d"))
    if fold_aligned(first).lower() in STOPWORDS or fold_aligned(second).lower() in STOPWORDS:
        return None
    unit, locality = _unit_and_locality(text, found.end())
    return Address(street=f"{first.strip()} y {second.strip()}", number=None, unit=unit,
                   locality=locality or named_locality(text))
