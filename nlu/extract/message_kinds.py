"""Messages that are no request, or a narrow one, read apart from the intent keywords: keyboard
mash (`is_noise`), a message that only thanks or acknowledges (`acknowledgement`), a customer
keeping a booked visit as it is (`keeps_booking`), a question about when the business is
open (`asks_business_hours`), a payment said made (`says_paid`) or taken on site
(`paid_on_site`), how to get ready for a visit (`asks_to_get_ready`), and an owner's change to
the business's setup (`setup_change`). Each is a small regex test over the text, used by the
extraction and the flows to answer these without calling them a miss."""

from __future__ import annotations

import re
import unicodedata
from datetime import time
from functools import lru_cache

from nlu.extract.names import FIRST_NAMES
from nlu.extract.rules import vocabulary
from nlu.extract.text import fold_aligned
from nlu.extract.times import afternoon_hour

# Keyboard mash ("asdf qwerty", "zzzz", "jkjkjk"): no word of it is Spanish, and each has a run of
# consonants no Spanish word has, or one letter over and over. Said by anyone, it is no request.
_MASH = re.compile(r"([a-z])\1\1|[bcdfghjklmnpqrstvwxyz]{3,}|^[bcdfghjklmnpqrstvwxyz]+$")
# consonant clusters Spanish writes ("instrucción", "obstruido", "construir", "transplante")
_SPANISH_CLUSTERS = re.compile(r"[nb]s[tc][rl]|n[sc]tr|str|nstr|bstr|ntr|mpr|mbr|ncl|nfl|ngr|ldr|rtr")


# A message that only thanks or acknowledges: "gracias!!", "mil gracias genio 🙌", "dale, ok 👍"
_THANKS = re.compile(r"\bgraci\w*|\bmil\s+gracias\b|🙏|🙌|❤|♥|😘|🥰")
_ACK_TEXT = """
gracias graciass graciasss muchas muchisimas mil muy amable amables dale ok okey oka okis listo
perfecto perfecta genial genio genia geniales barbaro joya buenisimo excelente diez de un una
crack capo capa idolo todo bien re super bueno buena saludos abrazo besos beso chau nos vemos
igualmente a vos ustedes usted por la atencion el trabajo tal cual entendido recibido anotado
ya esta y jefe jefa che maestro amigo amiga loco hermano hno querido querida senor senora don dona
chicos chicas muchachos equipo gente si ah dios bendiga bendiciones bendigan esa ese eso buenas noches
tardes dias buen dia perdon disculpa disculpas disculpen lio molestia molestias el la lo las los
eh uh uy ay x por avisar avisarme avisarnos cordiales cordial atentamente atte slds saludo abrazos quedamos quedo atentos atenta atento
"""
_ACK_WORDS = frozenset(_ACK_TEXT.split())
# whole phrases that acknowledge ("ok gracias, no hay problema", "está bien, no pasa nada")
_ACK_PHRASES = re.compile(
    r"\b(?:no\s+hay\s+(?:ningun\s+)?problema|sin\s+problemas?|no\s+pasa\s+nada|esta\s+bien|"
    r"no\s+te\s+preocupes|no\s+se\s+preocupen|no\s+se\s+preocupe|de\s+nada|tranqui(?:lo|la)?|"
    r"(?:lo|la|los|las)\s+espero|quedo\s+atent[oa])\b")


_LAUGH = re.compile(r"\b(?:ja|je|ji|ka)(?:j?[aei])*\b|\bj[aj]+\b")


def acknowledgement(text: str) -> str | None:
    """"thanks" or "ack" when the text only thanks or acknowledges (a first name or emoji
    around it too), else None: the words of no request, which deserve an answer, not a miss."""
    folded = "".join(ch for ch in unicodedata.normalize("NFKD", (text or "").lower())
                     if not unicodedata.combining(ch))
    # "aaah", "siii", "graciaaas", "jajaja"
    folded = _LAUGH.sub(" ", re.sub(r"([aeiou])\1+", r"\1", re.sub(r"([a-z])\1{2,}", r"\1", folded)))
    words = re.findall(r"[a-zñ]+", _ACK_PHRASES.sub(" ok ", folded))
    # a first name said to someone ("gracias Carlos"): capitalized, and not the message's first word
    names = {fold_name.lower() for m in re.finditer(r"\b[A-ZÁÉÍÓÚÑ][a-záéíóúñ]+", text or "") if m.start() > 0
             for fold_name in ["".join(ch for ch in unicodedata.normalize("NFKD", m.group())
                                       if not unicodedata.combining(ch))]}
    # ... or typed in lowercase ("gracias diego un genio"): a common first name
    rest = [w for w in words if w not in _ACK_WORDS and w not in names and w not in FIRST_NAMES]
    if rest or len(words) > 12 or re.search(r"\d", folded) \
            or (words and not any(w in _ACK_WORDS for w in words)):
        return None  # (names alone, "Rosa Blanco", may be one asked for: not a thanks)
    if _THANKS.search(folded):
        return "thanks"
    if words or re.search(r"👍|👌|✅|🆗|💪", folded):
        return "ack"
    return None


# A cancel said not to be one: "no cancelen nada", "no quiero cancelar", "no era para cancelar",
# "no lo anulen" (a call-off word under a "no" that reaches it, no comma between them)
NEGATED_UNDO = re.compile(
    r"\bno\s+(?:(?:me\s+)?(?:lo|la|los)\s+|(?:quiero|queria|quise|voy\s+a|vamos\s+a|pienso"
    r"|era\s+para|es\s+para|hace\s+falta)\s+(?:(?:lo|la)\s+)?)?(?:cancel|anul|suspend)\w*")

# Keeping a booked visit as it is: "no lo muevas", "dejalo así", "el horario me queda perfecto",
# "no hace falta cambiarlo", "los espero", "no cancelen nada", "no toquen la visita", "que
# vengan igual", "mantenemos el día", "me quedo con el mío" (what the model reads as `other` for
# a customer whose visit stands: answered with the visit, never a miss)
_MOVE_VERBS = (r"(?:muevas|muevan|cambies|cambien|toques|toquen|pases|pasen|reprogrames|reprogramen"
               r"|corras|corran)")
_KEEPS_BOOKING = re.compile(
    r"\bno\s+(?:me\s+)?(?:lo|la|los)\s+" + _MOVE_VERBS + r"\b"
    r"|\bno\s+(?:me\s+)?" + _MOVE_VERBS + r"\s+(?:nada|la\s+visita|el\s+turno|el\s+dia|el\s+horario"
    r"|la\s+fecha)\b(?!\s+(?:para|al|a\s+la|a\s+las|por))"
    r"|" + NEGATED_UNDO.pattern +
    r"|\b(?:que\s+)?(?:vengan|venga|pasen|pase)\s+(?:igual|como\s+(?:quedamos|estaba))\b"
    r"|\b(?:mantenemos|mantengo|mantengamos|mantene|mantenga|mantengan)\s+(?:el|la)\s+(?:dia|turno|visita|horario|fecha)\b"
    r"|\bme\s+quedo\s+con\s+(?:el\s+mio|mi\s+turno|el\s+turno|la\s+visita|el\s+de[l]?\b)"
    r"|\b(?:sigue|queda|esta)\s+todo\s+(?:igual|como\s+estaba|como\s+quedamos)\b"
    r"|\b(?:dejal[oa]|dejenl[oa]|dejemosl[oa]|que\s+quede|queda)\s+(?:como\s+esta|asi|igual|como\s+estaba)\b"
    r"|\b(?:el\s+horario|la\s+hora|el\s+dia|el\s+turno|la\s+visita)\s+(?:me\s+)?(?:queda|viene|va)\s+"
    r"(?:perfect[oa]|bien|joya|barbaro|comodo|de\s+diez)\b"
    r"|\bno\s+(?:hace\s+falta|hay\s+que|es\s+necesario)\s+(?:cambiar|mover|reprogramar|correr)\w*\b"
    r"|\b(?:l[oa]s\s+espero|te\s+espero|l[oa]\s+espero)\b"
)


_FINE = (r"(?:perfect[oa]|bien|joya|barbaro|genial|de\s+diez|ok|okey|dale|sirve|me\s+sirve"
         r"|me\s+viene\s+bien|me\s+va\s+bien)")


def names_its_day_as_fine(folded: str, day_words: tuple[str, ...]) -> bool:
    """"el lunes está perfecto", "lunes me va bien": the booked visit's own day (one of
    `day_words`, folded: "lunes", "manana") said to be fine — the visit stands as it is."""
    words = "|".join(re.escape(w) for w in day_words if w)
    return bool(words) and bool(re.search(
        rf"\b(?:{words})\s+(?:(?:me\s+)?(?:esta|queda|va|viene)\s+)?(?:muy\s+)?{_FINE}\b", folded))


# Someone else will be there for the booked visit: "va a estar mi marido", "los recibe mi hija",
# "le abre el portero". Read at run time only (not one of the model's features).
_RELATIVE = (r"(?:marido|esposo|esposa|mujer|senora|senor|hijo|hija|hijos|hijas|mama|papa|vieja|"
             r"viejo|suegr[oa]|herman[oa]|novi[oa]|pareja|encargad[oa]|portero|porter[ao]|vecin[oa]|"
             r"empleada|chica|muchacha|abuel[oa]|cunad[oa]|nuera|yerno|tio|tia|inquilin[oa]|socio|"
             r"socia|hermanos|padres)")
_SOMEONE_ELSE_THERE = re.compile(
    r"\b(?:va\s+a\s+estar|van\s+a\s+estar|va\s+a\s+haber|estara|estaran|queda|se\s+queda|"
    r"l[oae]s?\s+(?:va\s+a\s+)?(?:recibe|recibir|atiende|atender|abre|abrir)|"
    r"(?:recibe|atiende|abre)|le\s+abre|les\s+abre)\s+(?:mi|mis|el|la|los|las|nuestr[oa])\s+"
    + _RELATIVE + r"\b"
)


def someone_else_receives(folded: str) -> bool:
    """"el lunes va a estar mi marido", "los recibe mi hija": someone else will be there for
    the booked visit, which stands as it is (`folded`: lowercase, no accents)."""
    return bool(_SOMEONE_ELSE_THERE.search(folded))


def keeps_booking(text: str) -> bool:
    """Whether a customer says their booked visit stays as it is."""
    folded = "".join(ch for ch in unicodedata.normalize("NFKD", (text or "").lower())
                     if not unicodedata.combining(ch))
    return bool(_KEEPS_BOOKING.search(folded))


# The customer's problem is gone, or never was, so nobody needs to come: a false alarm, a joke,
# a problem fixed by themselves or gone on its own ("falsa alarma, era la hornalla", "ya cerré la
# llave y no pierde más, no hace falta que venga nadie", "se arregló solo")
# A cut of the whole street or neighbourhood, the utility's and not the house's: "parece que es
# todo el barrio", "mi vecina tampoco tiene luz", "es Edesur", "corte programado de AySA"
_OUTAGE_SOURCE = (
    r"\b(?:es|era|fue|son)\s+(?:en\s+)?tod[oa]\s+(?:el|la)\s+(?:barrio|cuadra|zona|manzana)\b"
    r"|\b(?:vecin[oa]s?|cuadra|barrio|zona|manzana)\s+(?:\w+\s+){0,2}?tampoco\s+(?:tiene|tienen|hay|anda|andan)\b"
    r"|\b(?:corte|apagon|problema|falla)\s+(?:general|del\s+barrio|de\s+la\s+zona|programado|de\s+(?:edesur|edenor|aysa|metrogas|naturgy|edelap))\b"
    r"|\b(?:es|era|fue)\s+(?:un\s+corte\s+de\s+|cosa\s+de\s+|culpa\s+de\s+)?(?:edesur|edenor|aysa|metrogas|naturgy|edelap)\b"
)
_OUTAGE = re.compile(_OUTAGE_SOURCE)


def general_outage(folded: str) -> bool:
    """Whether the customer says the cut is the whole area's, the utility's (folded text)."""
    return bool(_OUTAGE.search(folded))


_WITHDRAWS = re.compile("(?:"
    r"\bfalsa\s+alarma\b|\bera\s+(?:una\s+)?(?:joda|jodita|broma|chiste|cargada)\b|\bno\s+era\s+nada\b"
    r"|\bse\s+(?:arreglo|soluciono|resolvio|compuso|destapo|fue\s+el\s+olor)\s+sol[oa]\b"
    r"|\bya\s+(?:l[oa]\s+|me\s+l[oa]\s+|nos\s+l[oa]\s+)?(?:arregle|arreglamos|solucione|solucionamos"
    r"|resolvi|resolvimos|destape|destapamos|arreglo\s+mi|lo\s+arreglo\s+mi)\b"
    r"|\bya\s+(?:esta\s+)?(?:solucionado|resuelto|arreglado)\b"
    r"|\b(?:ya\s+)?no\s+hace\s+(?:mas\s+)?falta\s+(?:que\s+)?(?:venga|vengan|venir|mandar|manden|mandes"
    r"|pasen|pase|nadie)\b"
    r"|\bya\s+no\s+(?:hace\s+falta|lo\s+necesito|los\s+necesito|hay\s+olor|huele|sale\s+agua|pierde"
    r"|gotea|hay\s+chispas)\b|\bno\s+(?:pierde|gotea|huele)\s+mas\b"
    # a decision not to go ahead: "decidimos no hacer la obra", "al final no lo vamos a hacer"
    r"|\b(?:decidimos|decidi|resolvimos|resolvi|preferimos|prefiero|optamos\s+por|opte\s+por|elegimos)\s+"
    r"no\s+(?:hacer|hacerlo|hacerla|encarar|arrancar|seguir|avanzar|realizar|continuar)\b"
    r"|\bal\s+final\s+no\s+(?:lo\s+|la\s+)?(?:vamos\s+a\s+|voy\s+a\s+)?(?:hacer|hacemos|hago|encarar|encaramos)\b"
    # the whole street or neighbourhood is out: the utility's cut, nothing in the house to fix
    r"|" + _OUTAGE_SOURCE +
    r")"
)


# ...unless they go on to ask for someone anyway ("ya lo arreglé, pero ahora gotea la ducha,
# mándenme a alguien") or for another time ("no hace falta que vengan hoy, mejor el jueves")
_STILL_WANTS = re.compile(
    r"\b(?:manden|mandame|mandenme|mandan|vengan|venga\s+(?:alguien|igual)|necesito|pueden\s+venir|podes\s+venir"
    r"|pero\s+ahora|ahora\s+(?:gotea|pierde|sale|hay|tengo|no\s+anda)|mejor\s+(?:el|la|otro|otra|manana|pasado)"
    r"|en\s+cambio|aparte)\b")


def withdraws_request(folded: str) -> bool:
    """Whether a customer says nobody needs to come after all (folded text)."""
    said = _WITHDRAWS.search(folded)
    return bool(said) and not _STILL_WANTS.search(folded, said.end())


# Putting a request off, to decide later: "lo pienso y te aviso", "lo hablo con mi marido y te
# confirmo", "por ahora lo dejo", "después les escribo". Not a no to the visit they have, nor a
# thanks: the booking under way waits, with no pressure and no miss.
_PUTS_OFF = re.compile(
    r"\blo\s+(?:pienso|voy\s+a\s+pensar|vamos\s+a\s+pensar|pensamos|consulto|charlo|hablo|evaluo)\b"
    r"|\b(?:lo\s+)?(?:tengo|tenemos)\s+que\s+(?:pensar|consultar|hablar|ver)(?:lo)?\b"
    r"|\b(?:despues|mas\s+tarde|manana|cualquier\s+cosa)\s+(?:te|les)\s+(?:aviso|confirmo|escribo|digo)\b"
    r"|\b(?:te|les)\s+(?:aviso|confirmo|escribo)\s+(?:despues|mas\s+tarde|cualquier\s+cosa|en\s+un\s+rato)\b"
    r"|\bpor\s+ahora\s+(?:lo\s+dejo|lo\s+dejamos|no|paso)\b|\bdejame\s+(?:pensarlo|ver|consultarlo)\b"
)


def puts_off(folded: str) -> bool:
    """Whether the writer puts a request off to decide later (folded text)."""
    return bool(_PUTS_OFF.search(folded))


# Calling a visit off in so many words, by the writer: "cancelamos el service de la heladera",
# "tengo que cancelar lo de la caldera", "no vengan el sábado, cancelado", "anulá el turno". Not
# someone else's ("mi vecino canceló"), a maybe ("¿qué pasa si cancelo?", "casi cancelo"), a debt
# paid off ("cancelar la deuda", "para cancelarlo, ¿el alias?") nor one said not to be (NEGATED_UNDO).
_CANCELS = re.compile(
    r"\b(?:cancel|anul)(?:o|amos|ar|arlo|arla|en|e|a|alo|ala|enlo|enla|emos|ame|enme)\b"
    r"(?=\s+(?:(?:todo\s+)?lo\s+de|el\s+(?:turno|service|servicio|trabajo|arreglo|pedido|presupuesto|tecnico"
    r"|plomero|gasista|electricista|cerrajero|pintor|albanil|visita)|la\s+(?:visita|instalacion|reparacion|cita"
    r"|orden|reserva)|todo\b|nomas\b|por\s+(?:favor|ahora|el\s+momento))|\s*(?:[,.!?]|$))"
    r"|\b(?:queda|esta|quedo|dalo\s+por|dejalo)\s+(?:todo\s+)?cancelad[oa]\b|[,.;!]\s*cancelad[oa]\s*(?:[,.!]|$)")
_NOT_OURS = re.compile(
    r"\b(?:mi|su|tu)\s+(?:amig[oa]|vecin[oa]|marido|mujer|esposa?|herman[oa]|viej[oa]|hij[oa]|suegr[oa]|jefe)\s+"
    r"(?:\w+\s+){0,2}$"
    r"|\b(?:que\s+pasa\s+si|casi|a\s+punto\s+de|a\s+nada\s+de)\s+(?:\w+\s+){0,1}$|\bsi\s+$")
_PAYS_OFF = re.compile(r"\b(?:deuda|saldo|cuota|factura|comprobante|sena|monto|alias|cbu|pago|pagar)\b")


def cancels_outright(folded: str) -> bool:
    """Whether the (folded) text calls a visit off in so many words, by the writer."""
    if _PAYS_OFF.search(folded):
        return False
    text = NEGATED_UNDO.sub(" ", folded)
    return any(not _NOT_OURS.search(text[max(0, m.start() - 40):m.start()])
               for m in _CANCELS.finditer(text))


# Calling one time off and naming another in the same breath: "no hace falta que vengan hoy, mejor
# el jueves", "hoy no, pásenlo para el viernes", "cancelen lo de hoy y vengan mañana" (a move, not a
# cancel: the words before the new time that say it is the one wanted)
_ANOTHER_TIME = re.compile(
    r"\b(?:mejor|en\s+cambio|prefiero|preferimos"
    r"|(?:(?:pas|mov|corr|cambi|dej)(?:a|e|en|emos|ame|enme)?|muev(?:a|e|an|en))l[oa]s?\s+(?:para|al|a\s+la|a\s+el)"
    r"|(?:y|pero)\s+(?:vengan?|pasen?)\b(?!\s+nadie)"
    r"|(?<!falta\s)(?<!necesario\s)\bque\s+(?:vengan?|pasen?)\b(?!\s+nadie))")


def moves_to_another_time(folded: str) -> bool:
    """Whether a customer calling a time off names another one they want instead (folded text;
    the caller checks that a day, a part of the day or an hour was found)."""
    return bool(_ANOTHER_TIME.search(folded))


# Asking when the business is open — not when the technician comes ("¿a qué hora vienen?")
_BUSINESS_HOURS = re.compile(
    r"\b(?:a|hasta|desde)\s+que\s+hora\s+(?:\w+\s+)?(?:atienden|atiende|abren|abre|cierran|cierra|trabajan"
    r"|estan|laburan)\b"
    r"|\bhorarios?\s+(?:de\s+)?(?:atencion|atienden|trabajo\s+de\s+ustedes|del\s+local|de\s+la\s+oficina)\b"
    r"|\b(?:que|cual\s+es\s+(?:el|su|tu))\s+horario\b(?!\s+(?:viene|llega|vienen|llegan|pasa|pasan))"
    r"|\b(?:estan|esta)\s+abiert[oa]s?\b|\b(?:atienden|trabajan|abren|laburan)\s+(?:los\s+|el\s+|en\s+)?"
    r"(?:sabados?|domingos?|feriados?|fines?\s+de\s+semana|finde|hoy|a\s+la\s+noche|de\s+noche|24\s*(?:hs|horas))\b"
    r"|\bcuando\s+(?:atienden|abren)\b|\bque\s+dias\s+(?:atienden|trabajan|abren|laburan)\b"
)


def asks_business_hours(text: str) -> bool:
    """"¿A qué hora atienden?", "¿trabajan los sábados?", "¿están abiertos?" (folded text)."""
    return bool(_BUSINESS_HOURS.search(text))


@lru_cache(maxsize=1)
def _known_words() -> frozenset[str]:
    return frozenset(vocabulary())


def _a_word(token: str) -> bool:
    """Whether a folded token is a word we know: Spanish, of the corpus, an abbreviation we
    expand, or short (too short to tell)."""
    from nlu.extract.spoken import is_spanish  # the word list loads once, on first use
    from nlu.extract.text import expand

    squeezed = re.sub(r"(.)\1+", r"\1", token)
    return len(token) < 3 or is_spanish(token) or token in _known_words() \
        or expand(token) not in (token, squeezed) \
        or (len(squeezed) > 1 and (is_spanish(squeezed) or squeezed in _known_words()))


def is_noise(text: str) -> bool:
    """True for keyboard mash: letters typed at random, not words (see `_MASH`), or mash beside
    a few tokens none of which is a word we know ("zzz qwe"). Reads the folded text, before repeated letters
    are squeezed; a WhatsApp abbreviation ("tmb") is a word. The model, given no word it knows,
    reads only the context's marker words, and with a visit booked that is a cancellation."""
    tokens = re.findall(r"[a-zñ]+", text)
    if not tokens or re.search(r"\d", text):
        return False
    if any(_a_word(token) for token in tokens):
        return False
    mashed = [bool(_MASH.search(_SPANISH_CLUSTERS.sub("", t))) for t in tokens]
    return all(mashed) or (any(mashed) and len(tokens) <= 3)


# An owner saying the bot's figures are wrong: a summary, a total or a count, with a word for
# wrong ("el resumen de ayer está mal, dice 8 y fueron 10", "ese total está inflado, contaste dos
# veces lo de Gómez", "en el informe faltan los trabajos del sábado")
_FIGURES = re.compile(
    r"\b(?:resumen(?:es)?|numeros?|totale?s?|informes?|reportes?|cuentas?|cifras?|facturacion|planilla"
    r"|lo\s+que\s+me\s+(?:pasaste|mandaste|dijiste)|(?:me\s+)?(?:pasaste|mandaste))\b")
_WRONG = re.compile(
    r"\b(?:mal|equivocad[oa]s?|erroneos?|incorrect[oa]s?|inflad[oa]s?|duplicad[oa]s?|no\s+(?:coincide|coinciden"
    r"|cierra|cierran|da|dan|figura|figuran|aparece|aparecen|esta\s+bien|estan\s+bien)\b"
    r"|nunca\s+(?:existi\w*|pas\w*|hubo)|dos\s+veces|2\s+veces"
    r"|contaste|pusiste|faltan?|faltaba|faltaban|sobran?|de\s+mas|error(?:es)?|cualquiera)\b")
_FIGURE_WRONG_NEAR = 60  # characters between what is wrong and the word for wrong


def disputes_figures(folded: str) -> bool:
    """Whether an owner says a summary or a figure the bot gave is wrong (folded text)."""
    for figure in _FIGURES.finditer(folded):
        window = folded[max(0, figure.start() - _FIGURE_WRONG_NEAR):figure.end() + _FIGURE_WRONG_NEAR]
        if _WRONG.search(window):
            return True
    return False


# The intents the model gives an owner's question about the team (or complaint about a figure) it
# cannot place ("quién está de guardia" looks like "quién me debe"); the rules decide only for
# these, so a real money question keeps its answer.
TEAM_MISREAD = frozenset({"other", "owner_unpaid", "owner_summary", "greeting"})

# Who is busiest or freest: "¿quién tiene más visitas hoy?", "¿y el que menos tiene?", "¿quién
# está más cargado?"
LOAD_ASKED = re.compile(
    r"|\bquien(?:es)?\s+(?:tiene|tienen)\s+(?:mas|menos)\s+(?:visitas|trabajos|laburos|cosas)\b"
    r"|\b(?:el|la)\s+(?:que|q)\s+(?:mas|menos)\s+(?:tiene|labura|trabaja|visitas)\b"
    r"|\bquien\s+(?:esta|anda)\s+mas\s+(?:cargado|libre|tranqui|tranquilo|complicado)\b")


# An owner asking about the team rather than the money: who is on call, where a technician is,
# who is working or free, how the day goes for them ("¿quién está de guardia?", "¿dónde anda
# Carlos?", "¿cómo vienen los chicos hoy?", "pasame el cel de Diego").
_TEAM = re.compile(
    r"\bguardia\b"
    # running late: "¿hay alguno atrasado?", "¿alguien viene demorado?", "¿quién llega tarde?"
    r"|\b(?:alguno|alguien|algun\s+tecnico|quien|quienes)\s+(?:\w+\s+)?(?:atrasad[oa]s?|demorad[oa]s?"
    r"|llegando\s+tarde|llega\s+tarde)\b|\b(?:visitas?|trabajos?)\s+(?:atrasad[oa]s|demorad[oa]s)\b"
    r"|\b(?:donde|por\s+donde)\s+(?:esta|anda|andan|estan|queda\s+el)\b(?!\s+(?:la\s+)?(?:plata|guita|factura|pago))"
    r"|\b(?:tecnicos?|chicos|muchachos|pibes|operarios|equipo)\s+(?:hoy|ahora|libres?|trabajando|en\s+la\s+calle|laburando)\b"
    r"|\b(?:como|que\s+tal)\s+(?:viene|vienen|va|van|andan)\s+(?:el\s+dia\s+de\s+)?(?:los\s+|el\s+)?(?:chicos|tecnicos|muchachos|pibes|equipo)\b"
    r"|\bquien(?:es)?\s+(?:esta|estan|anda|andan)\s+(?:libres?|trabajando|laburando|en\s+la\s+calle|ocupad[oa]s?)\b"
    r"|\b(?:hay\s+)?(?:algun|algunos?)\s+tecnicos?\s+(?:libres?|cerca|disponibles?)\b"
    r"|\bquien(?:es)?\s+(?:labura|laburan|trabaja|trabajan|sale|salen)\b(?!\s+(?:me\s+)?(?:debe|deben|pago|pagaron))"
    r"|\b(?:que|cuales|cuantos)\s+tecnicos?\s+(?:laburan|trabajan|tengo|hay|salen)\b"
    # "¿quiénes son los técnicos?", "¿quién es mi equipo?", "pasame la lista de técnicos"
    r"|\bquien(?:es)?\s+(?:son|es|integra|forma)\s+(?:los|mis|el|mi)\s+(?:tecnicos|chicos|muchachos"
    r"|equipo|empleados|operarios)\b"
    r"|\b(?:lista|listado|nombres?|telefonos|celulares|numeros)\s+de\s+(?:los\s+|mis\s+)?(?:tecnicos"
    r"|chicos|empleados|operarios)\b"
    # who has the most or the fewest visits: "¿quién tiene más visitas hoy?", "¿y el que menos tiene?"
    + LOAD_ASKED.pattern
)
_MONEY = re.compile(r"\b(?:debe|deben|debo|plata|guita|facturamos|facturado|cobramos|cobrado|saldos?|pagos?)\b")
_COUNTS = re.compile(
    r"\bcuant[oa]s\s+(?:trabajos|laburos|visitas|servicios|arreglos|instalaciones|clientes|urgencias)\b"
    r"|\bcuanto\s+(?:entro|se\s+hizo|se\s+facturo|se\s+cobro|hicimos|hicieron|sacamos|recaudamos|ganamos)\b")
# About one person named: where they are, their number, whether they got there or finished
_ABOUT_SOMEONE = re.compile(
    r"\b(?:donde|por\s+donde|cel|celular|telefono|numero|contacto|llego|termino|salio|fue|anda|esta"
    # what is left of their day: "¿qué le queda a Juan hoy?", "¿cuánto le falta a Diego?"
    r"|le\s+queda|le\s+quedan|le\s+falta|le\s+faltan)\b"
)


def asks_about_team(text: str, names: tuple[str, ...] = ()) -> bool:
    """Whether an owner asks about the technicians (folded text): on call, where, busy or free;
    or about one of them by first name (`names`, folded) with a word of where or how they are."""
    if _MONEY.search(text) or _COUNTS.search(text):
        # "¿quién me debe plata?", "¿dónde está la guita de lo de Marta?", "¿cuántos trabajos
        # hicieron los chicos hoy?": the figures, whoever they are about
        return False
    if _TEAM.search(text):
        return True
    words = set(re.findall(r"[a-zñ]+", text))
    return bool(words & set(names)) and bool(_ABOUT_SOMEONE.search(text))


# An owner's greeting that goes on to ask how a stretch of time goes ("buenas, ¿cómo viene la
# semana?", "hola! ¿cómo pinta mañana?", "buen día, ¿mucho laburo hoy?"): the agenda or the
# figures, not small talk. "¿cómo viene todo?", "¿cómo andás?" name no stretch and stay greetings.
_STRETCH = (r"(?:la\s+semana|el\s+dia|el\s+mes|el\s+ano|la\s+agenda|la\s+jornada|el\s+finde|"
            r"el\s+fin\s+de\s+semana|la\s+quincena|hoy|manana|"
            r"(?:el\s+)?(?:lunes|martes|miercoles|jueves|viernes|sabado|domingo)|"
            r"(?:este\s+)?(?:enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|"
            r"octubre|noviembre|diciembre))")
_HOW_STRETCH_GOES = re.compile(
    r"\b(?:como|que\s+tal|q\s+tal)\s+(?:(?:nos\s+)?(?:viene|vienen|pinta|va|anda|arranca|arrancamos|"
    r"empieza|cerro|cerramos|termino|terminamos|esta|viene\s+la\s+cosa)\s+)?(?:\w+\s+){0,2}?"
    + _STRETCH + r"\b"
    r"|\b(?:mucho|poco)\s+(?:laburo|trabajo)\s+(?:para\s+)?(?:esta\s+semana|" + _STRETCH + r")\b"
    r"|\bviene\s+(?:cargad[ao]|tranqui\w*|movid[ao])\s+" + _STRETCH + r"\b"
    r"|\b" + _STRETCH + r"\s+viene\s+(?:cargad[ao]|tranqui\w*|movid[ao])\b")


# ...of the owner's own day, not the business's: small talk
_YOURS = re.compile(r"\b(?:para\s+(?:vos|ti|usted)|tu\s+(?:dia|semana|finde|fin)|te\s+(?:va|fue|trata))\b")


def asks_how_a_stretch_goes(text: str) -> bool:
    """Whether an owner's words (folded) ask how a day, week or month goes for the business."""
    return bool(_HOW_STRETCH_GOES.search(text)) and not _YOURS.search(text)


# A customer saying they already paid, not asking how to ("ya te transferí", "le pagué al técnico
# en efectivo", "listo, está pagado", "te mandé la plata por mercado pago"): the `payment` intent
# holds both, and sending the ways to pay to someone who just paid reads as a dun.
_PAID_VERBS = (r"(?:transferi|transferimos|deposite|depositamos|pague|pagamos|abone|abonamos|"
               r"cancele\s+(?:la\s+)?(?:factura|deuda|saldo)|gire|"
               r"(?:mande|pase|envie|hice|hicimos)\s+(?:la\s+|el\s+)?(?:plata|guita|transferencia|"
               r"transfe|pago|deposito|comprobante|giro))")
_PAID = re.compile(
    rf"\b{_PAID_VERBS}\b"
    r"|\b(?:esta|estaria|quedo|quedaria|ya)\s+(?:todo\s+)?(?:pagad[oa]|pago|abonad[oa]|saldad[oa]|"
    r"transferid[oa]|cancelad[oa]\s+(?:la\s+deuda|el\s+saldo))\b"
    r"|\b(?:listo|hecho|hecha)\s+(?:el\s+|la\s+)?(?:pago|transferencia|transfe|deposito)\b"
    r"|\b(?:pago|transferencia|transfe|deposito)\s+(?:hech[oa]|realizad[oa]|enviad[oa])\b"
    r"|\b(?:ahi\s+(?:va|van|te\s+va|les\s+va|tenes|tienen)|te\s+paso|les\s+paso|adjunto|mando)\s+"
    r"(?:el\s+|los\s+)?comprobantes?\b"
)
# "todavía no pagué", "no pude transferir", "¿cómo les pago?", "¿ya les pagué?" (unsure)
_NOT_PAID = re.compile(
    r"\b(?:no|todavia\s+no|aun\s+no|nunca|sin)\s+(?:\w+\s+){0,2}?"
    r"(?:transferi|pague|pagamos|deposite|abone|pude|puedo|me\s+deja|me\s+dejo|anda|funciona|llego)\b"
    r"|\bcomo\s+(?:\w+\s+)?(?:pago|transfiero|abono)\b|\bsi\s+ya\s+(?:les?\s+|te\s+)?pague\b"
)


def says_paid(text: str) -> bool:
    """Whether a customer's message says they already paid (asked as a question, "¿ya les
    pagué?", it is no word that they did)."""
    folded = fold_aligned(text or "")
    if re.search(r"\bpag(?:ue|amos)\s*\?", folded):
        return False
    return bool(_PAID.search(folded)) and not _NOT_PAID.search(folded)


# A technician telling that the customer already paid them ("me pagó 50 lucas en efectivo",
# "cobré en efectivo", "ya me transfirió"): the invoice that follows is settled, not dunned.
# A part of it (a deposit, half, the rest owed) or a "no" is left to the office.
_PAID_CASH = re.compile(
    r"\b(?:(?:me|nos|ya)\s+(?:lo\s+|la\s+)?(?:pago|pagaron|abono|abonaron|dio|dieron)|cobre|cobramos|"
    r"cobrado|pagado|abonado)\b(?:\s+\S+){0,4}?\s+(?:en\s+|de\s+|con\s+)?(?:efectivo|cash|mano|billetes?|"
    r"contado)\b"
    r"|\b(?:en\s+)?(?:efectivo|cash)\s*,?\s+(?:me\s+|ya\s+)?(?:lo\s+)?(?:pago|pagaron|abono|cobre|dio)\b"
)
# "quince mil en efectivo", "15 lucas cash": an amount told with how it came in; unless it says
# how to charge it ("cobrale 15 lucas en efectivo" is still to be collected)
_AMOUNT_IN_CASH = re.compile(r"(?:\d\s*k\b|\b(?:lucas?|mil|pesos|mangos)\b|\d)\s*,?\s+(?:en\s+)?(?:efectivo|cash)\b")
_CHARGE_IT = re.compile(r"\bcobr(?:ale|arle|ales|arles|a|ar|ame|en|ale)\b|\bque\s+(?:te\s+|le\s+)?pague\b")
_PAID_TRANSFER = re.compile(
    r"\b(?:me|nos|ya|le|les)\s+(?:lo\s+)?(?:transfirio|transfirieron|"
    r"(?:hizo|hicieron|mando|mandaron)\s+(?:la\s+)?(?:transferencia|transfe|plata)|"
    r"(?:pago|pagaron|abono)\s+(?:\S+\s+){0,3}?(?:con|por|x)\s+(?:transferencia|transfe|mp|mercado\s*pago))\b"
    r"|\b(?:cobre|cobrado|pagado|(?<!el )(?<!un )pago)\s+(?:\S+\s+){0,3}?(?:con|por|x)\s+(?:transferencia|transfe|mp|"
    r"mercado\s*pago)\b"
)
_PAID_IN_PART = re.compile(
    r"\b(?:no|todavia|aun|nunca)\s+(?:me\s+|nos\s+|lo\s+)?(?:pago|pagaron|abono|transfirio|dio|tenia|tiene|cobre)\b"
    r"|\b(?:sena|adelanto|anticipo|parte|mitad|resto|falta|faltan|debe|deben|queda\s+debiendo)\b"
)


def paid_on_site(text: str) -> str | None:
    """"cash" or "transfer" when a technician says the customer paid them in full, else None."""
    folded = fold_aligned(text or "")
    if _PAID_IN_PART.search(folded):
        return None
    if _PAID_CASH.search(folded):
        return "cash"
    if _AMOUNT_IN_CASH.search(folded) and not _CHARGE_IT.search(folded):
        return "cash"  # "terminé, cambié el cuerito, quince mil en efectivo": told, so received
    if _PAID_TRANSFER.search(folded):
        return "transfer"
    return None


# A customer asking how to get ready for the visit, not when it is ("¿necesito comprar algo o
# el técnico lleva todo?", "¿tengo que mover los muebles?", "¿hace falta que corte la luz?"): the
# office answers it (the model reads a question about the visit as its status).
_GET_READY = re.compile(
    r"\b(?:necesito|necesitamos|tengo\s+que|tenemos\s+que|hay\s+que|debo|deberia|hace\s+falta\s+que|"
    r"conviene)\s+(?:\w+\s+){0,2}?(?:comprar|conseguir|tener|preparar|mover|sacar|dejar|cortar|"
    r"apagar|vaciar|despejar|correr|llevar|estar|compre|consiga|tenga|prepare|mueva|saque|deje|"
    r"corte|apague|vacie|despeje|corra|lleve|este)\b"
    r"|\b(?:lleva|llevan|trae|traen|tiene|tienen)\s+(?:el\s+|los\s+|la\s+|las\s+|sus\s+|su\s+)?"
    r"(?:todo|materiales|repuestos?|herramientas?|escalera|canos|cables?|la\s+pieza|el\s+repuesto)\b"
    r"|\b(?:compro|consigo|preparo|muevo|saco|corto|apago|vacio|dejo)\s+(?:\w+\s+){0,3}?antes\b"
)


def asks_to_get_ready(folded: str) -> bool:
    """Whether a customer asks what to do or have ready for the visit (folded text)."""
    return bool(_GET_READY.search(folded))


# An owner asking the bot to change the business's setup, which the back office does: the team
# ("agregá a Pedro como técnico", "dá de baja a Diego"), the prices ("subí la visita a 40 lucas"),
# the hours ("cambiá el horario del sábado")
_SETUP_CHANGES = (
    ("team", re.compile(
        r"\b(?:agreg\w*|sum\w*|anot\w*|carg\w*|dale?\s+de\s+(?:alta|baja)|dar\s+de\s+(?:alta|baja)|sac\w*"
        r"|borr\w*|elimin\w*|incorpor\w*|registr\w*)\b(?:\s+\S+){0,6}?\s+(?:como\s+|de\s+|un\s+|una\s+|al\s+|el\s+|nuevo\s+)*"
        r"(?:tecnicos?|empleados?|plomeros?|electricistas?|gasistas?|ayudantes?|administrativ[oa]s?"
        r"|secretari[oa]s?|usuarios?|equipo)\b"
        # a person signed on or off by name ("dá de baja a Diego", not "a la visita de Marta"),
        # or who no longer works here
        r"|\b(?:da|dale|dar|den|dame|doy|demos)\s+de\s+(?:alta|baja)\s+a\s+(?!(?:la|el|los|las|lo)\b)[a-z]+"
        r"|\bya\s+no\s+(?:trabaja|labura|esta)\w*\s+(?:mas\s+)?(?:con\s+nosotros|aca|para\s+nosotros"
        r"|en\s+la\s+empresa|conmigo|en\s+el\s+equipo)\b")),
    ("price-book", re.compile(
        r"\b(?:cambi\w*|sub\w*|baj\w*|actualiz\w*|modific\w*|pon\w*|aument\w*)\b(?:\s+\S+){0,4}?\s+"
        r"(?:el\s+|la\s+|los\s+|las\s+)?(?:precios?|tarifas?|lista\s+de\s+precios|valor\s+de\s+la\s+visita)\b"
        r"|\b(?:sub\w*|baj\w*|cambi\w*|pon\w*|aument\w*)\s+(?:el\s+precio\s+de\s+)?la\s+visita\s+a\b")),
    ("settings", re.compile(
        r"\b(?:cambi\w*|modific\w*|actualiz\w*|pon\w*)\b(?:\s+\S+){0,3}?\s+(?:el\s+|los\s+)?"
        r"(?:horarios?|alias|cbu|cuit|razon\s+social|direccion\s+del\s+negocio)\b"
        # connecting the outside services, or asking how: "¿cómo hago para que me lleguen los
        # pagos de Mercado Pago?", "conectá la AFIP", "¿dónde cargo el certificado?"
        r"|\b(?:conect\w*|vincul\w*|configur\w*|integr\w*|activ\w*|habilit\w*|dar\s+de\s+alta|sub\w*|carg\w*"
        r"|asoci\w*|enganch\w*)\b(?:\s+\S+){0,4}?\s+(?:el\s+|la\s+|mi\s+|con\s+|a\s+)?"
        r"(?:mercado\s*pago|mp|afip|arca|certificado|factura\s+electronica|whatsapp|numero\s+de\s+whatsapp)\b"
        r"|\b(?:como|donde)\s+(?:hago|hacemos|se\s+hace|se|puedo|pongo|cargo|conecto|configuro|veo|cambio|activo)"
        r"\b(?:\s+\S+){0,8}?\s+(?:(?:el|la|los|las|mi|de|con)\s+)?(?:mercado\s*pago|afip|arca|certificado"
        r"|factura\s+electronica|horarios?|alias|cbu|numero\s+de\s+whatsapp|logo)\b")),
)


def setup_change(folded: str) -> str | None:
    """The back-office page ("team", "price-book", "settings") an owner's request to change the
    business's setup belongs to (folded text), or None."""
    return next((page for page, rx in _SETUP_CHANGES if rx.search(folded)), None)


# What a customer in an emergency says they already did, by the safety advice it answers: the gas
# or water shut off at the valve ("ya cerré la llave", "cerramos el gas"), the power cut at the
# board ("bajé la térmica", "ya corté la luz"). The advice then says so instead of asking for it.
_SHUT_OFF = (
    ("valve", re.compile(
        r"\b(?<!\bse\s)(?<!\bnos\s)(?<!\bme\s)(?:ya\s+)?(?:cerre|cerramos|cerro|corte|cortamos|corto)\s+(?:\w+\s+){0,2}?"
        r"(?:la\s+llave|el\s+gas|el\s+agua|la\s+valvula|el\s+paso)\b"
        r"|\b(?:la\s+llave|el\s+gas|el\s+agua)\s+(?:ya\s+)?(?:la\s+|lo\s+)?(?:cerre|cerramos|corte|cortamos)\b"
        # "la encontré, ya corté": the valve just talked about
        r"|\bya\s+(?:la\s+|lo\s+)?(?:cerre|corte|cerramos|cortamos)\b(?!\s+(?:\w+\s+){0,2}?(?:la\s+luz|la\s+termica|el\s+tablero))")),
    ("power", re.compile(
        r"\b(?<!\bse\s)(?<!\bnos\s)(?<!\bme\s)(?:ya\s+)?(?:baje|bajamos|bajo|corte|cortamos|corto|apague|apagamos)\s+(?:\w+\s+){0,2}?"
        r"(?:la\s+termica|las\s+termicas|el\s+disyuntor|la\s+luz|la\s+llave\s+general|el\s+tablero|"
        r"la\s+electricidad|la\s+corriente)\b")),
)


def already_shut_off(folded: str) -> frozenset[str]:
    """What the customer says they already shut off (folded text): "valve", "power"."""
    if re.search(r"\bno\s+(?:\w+\s+){0,2}?(?:cerre|corte|baje|apague|pude|puedo|encuentro)\b", folded):
        return frozenset()  # "no encuentro la llave", "no pude cerrar el agua"
    return frozenset(kind for kind, rx in _SHUT_OFF if rx.search(folded))


# A customer saying they were charged wrong: twice, more than agreed, an amount not theirs ("me
# cobraron dos veces", "me debitaron doble", "la factura dice 50 mil y habíamos quedado en 30").
# Money gone wrong is a person's to sort out, at once: not a payment link, not "no te entendí".
_CHARGE_DISPUTE = re.compile(
    r"\b(?:cobraron|cobraste|cobro|debitaron|debito|descontaron|desconto|facturaron"
    r"|facturaste|cargaron|cargo|pague|pagamos)\s+(?:\w+\s+){0,4}?"
    r"(?:dos\s+veces|2\s+veces|doble|el\s+doble|de\s+mas|demas|mal|repetido|duplicado)\b"
    r"|\b(?:cobro|pago|debito|cargo|cobros|pagos|debitos|cargos)\s+(?:\w+\s+)?(?:duplicados?|dobles?|repetidos?)\b"
    r"|\b(?:factura|recibo|link|monto|cobro)\s+(?:\w+\s+){0,3}?(?:esta|vino|salio|llego)\s+mal\b"
    r"|\b(?:habiamos|habian|habia|habias)\s+(?:quedado|arreglado|dicho|acordado)\s+en\s+(?:\$\s*)?\d"

    r"|\b(?:no\s+es|no\s+era)\s+(?:ese|el)\s+(?:monto|precio|importe)\b"
)


# "¿28 mil?? me habían dicho 12", "me cotizaron 15 lucas y me cobraron 20": another price was
# given before (a dispute when the message also names what is charged now)
_QUOTED_BEFORE = re.compile(
    r"\b(?:me|nos)\s+(?:habian\s+|habia\s+)?(?:dicho|dijeron|dijo|cotizaron|cotizo|presupuestaron)\s+"
    r"(?:(?:que|q)\s+(?:\w+\s+){0,5}?(?:era|eran|salia|costaba|cobraban|iba\s+a\s+salir)\s+)?(?:\$\s*)?"
    r"\d+(?:[.,]\d+)?\s*(?:mil|lucas|k\b|pesos|por\b|\W*$|(?=\W*(?:y|pero|no|nomas|eh)\b))")
# Paying refused, as it stands: "yo así no pago", "no pienso pagar otra visita"
_REFUSES_TO_PAY = re.compile(
    r"\b(?:asi\s+no\s+(?:le\s+|les\s+|te\s+)?pago|no\s+(?:pienso|voy\s+a)\s+pagar"
    r"(?!\s+(?:con|por|en|x|al|de|ahora|hoy|todo\s+junto|hasta\s+el))|no\s+(?:le\s+|les\s+|te\s+)?pago\s+nada)\b")
_CHARGED_NOW = re.compile(r"\bcobr\w*|\bfactur\w*|\brecibo\b|\blink\b")


def disputes_charge(folded: str) -> bool:
    """Whether a customer says they were charged wrong (folded text)."""
    if _CHARGE_DISPUTE.search(folded) or _REFUSES_TO_PAY.search(folded):
        return True
    quoted = _QUOTED_BEFORE.search(folded)
    return quoted is not None and (
        re.search(r"\d", folded[:quoted.start()] + folded[quoted.end():]) is not None
        or _CHARGED_NOW.search(folded) is not None)


# A customer saying work already done did not hold: the problem is back ("otra vez se tapó la
# pileta", "el calefón se volvió a apagar"), still there ("la pérdida sigue igual", "sigue sin
# calentar"), the work did not help ("no sirvió de nada lo que hizo", "no lo arreglaron"), the
# thing fixed fails ("la canilla que cambiaron pierde") or the warranty is asked about. With a
# job of theirs finished lately, it is that job's call-back, not a new request.
_FAULT = (r"(?:(?:se\s+|me\s+|nos\s+)?(?:tap\w*|pierde\w*|perd\w*|gote\w*|apag\w*|salt\w*|cort\w*"
          r"|romp\w*|rompi\w*|fall\w*|fug\w*|moj\w*|filtr\w*|chispe\w*|trab\w*|desenganch\w*)"
          r"|no\s+(?:anda|funciona|prende|enciende|calienta|enfria|tira|cierra|abre|arranca|traga|baja)"
          r"|anda\s+mal|hay\s+(?:olor|perdida|humedad|agua|un\s+olor)|sale\s+(?:agua|fria|tibia|olor))")
_DID_NOT_HOLD = re.compile(
    r"\b(?:otra\s+vez|de\s+nuevo|nuevamente)\s+(?:\w+\s+){0,2}?" + _FAULT
    + r"|\b" + _FAULT + r"\w*\s+(?:\w+\s+){0,3}?(?:otra\s+vez|de\s+nuevo|nuevamente)\b"
    r"|\bvolvi(?:o|eron)\s+a\s+(?:perder|gotear|tapa\w*|apaga\w*|salta\w*|corta\w*|falla\w*|romp\w*"
    r"|pasar|salir|andar\s+mal|hacer|aparecer|largar|tirar)"
    r"|\bsigue(?:n)?\s+(?:igual|perdiendo|goteando|tapad[oa]s?|saltando|fallando|mal|andando\s+mal"
    r"|sin\s+(?:andar|funcionar|calentar|enfriar|prender|agua|luz|gas|presion)"
    r"|con\s+(?:el\s+mismo|la\s+misma|la\s+perdida|olor|perdida|humedad|problemas?))\b"
    r"|\bno\s+(?:sirvio|funciono|anduvo|resolvio|soluciono|quedo\s+bien"
    r"|(?:me\s+)?(?:lo|la|los|las)\s+(?:arreglo|arreglaron|soluciono|solucionaron|resolvio|resolvieron|dejo\s+bien"
    r"|dejaron\s+bien))\b"
    r"|\bgarantia\b"
    r"|\bque\s+(?:me\s+|nos\s+)?(?:arreglaron|arreglo|cambiaron|cambio|instalaron|instalo|destaparon|destapo"
    r"|repararon|reparo|pusieron|puso|colocaron|coloco)\b.{0,60}?\b" + _FAULT
)


def work_did_not_hold(folded: str) -> bool:
    """Whether a customer says work done did not hold (folded text)."""
    return bool(_DID_NOT_HOLD.search(folded))


# A customer telling the technician how to get in, or asking to hear before they arrive ("avisame
# antes de llegar así bajo a abrir, no anda el portero", "llamame cuando estés en la puerta"):
# with a visit coming, a word for its technician, not a new job for the intercom
_ACCESS = re.compile(
    r"\b(?:avis\w*|llam\w*|escrib\w*|mand\w*(?:\s+un)?\s+(?:mensaje|whatsapp|wsp|msj))\s+(?:\w+\s+){0,3}?"
    r"(?:antes\s+de\s+(?:llegar|venir|salir|subir|tocar)|cuando\s+(?:llegue|lleguen|llegues|este|esten"
    r"|estes|salga|salgan|salgas|venga|vengan|vengas|sale|salen|sales|llega|llegan|viene|vienen"
    r"|este\s+(?:llegando|saliendo|en\s+camino)|esta\s+(?:llegando|saliendo|en\s+camino))|al\s+(?:llegar|salir))\b"
    # the bell nobody hears: "estoy en el fondo y no escucho el timbre" (a bell that does not work
    # is a job of its own: "el timbre no anda, ¿lo pueden arreglar?")
    r"|\bno\s+(?:se\s+)?(?:escucho|escuchamos|escucha|oigo|oimos)\s+(?:el\s+)?(?:timbre|portero)\b"
    r"|\b(?:bajo|bajamos|salgo|salimos)\s+(?:yo\s+|nosotros\s+)?a\s+abrir\w*|\b(?:les?|te)\s+(?:bajo\s+a\s+)?abr(?:o|imos)\b"
    # which bell, who has the key, which door, who to ask at the building, the dog
    r"|\btimbre\s+(?:es\s+(?:el|la)|del?\b|de\s+la\b|que\s+dice|con\s+el|n(?:umero|ro)?\b|\d)"
    r"|\bto(?:ca|que)\w*\s+(?:el\s+|la\s+)?(?:timbre|portero|bocina|puerta)\b"
    r"|\b(?:la\s+)?llaves?\s+(?:la\s+|las\s+)?(?:tiene|tienen|queda|quedan|(?:esta|estan)\s+(?:con|en\s+lo\s+de"
    r"|en\s+la\s+porteria|en\s+la\s+guardia|abajo))\b"
    r"|\bdej\w*\s+(?:\w+\s+)?(?:la|las)\s+llaves?\b"
    r"|\b(?:entra|entren|entras|entrar|pasa|pasen|pasar)\s+por\s+(?:la|el)\s+(?:cochera|garage|garaje"
    r"|costado|fondo|puerta|porton|lateral|entrada|pasillo)\b"
    r"|\b(?:la\s+)?(?:puerta|casa|porton|reja)\s+(?:es\s+)?(?:la|el)?\s*(?:de\s+(?:rejas?|madera|chapa)"
    r"|verde|negr[oa]|blanc[oa]|marron|roj[oa]|azul|gris|amarill[oa])\b"
    r"|\bperr[oa]s?\s+(?:\w+\s+){0,3}?(?:no\s+muerde|no\s+hace\s+nada|suelt[oa]s?|brav[oa]s?|atad[oa]s?"
    r"|encerrad[oa]s?)\b"
    r"|\b(?:decile|decirle|avisale|avisarle|preguntale|preguntenle|pregunta|pregunten)\s+al\s+"
    r"(?:portero|encargado|vigilador|de\s+seguridad|guardia|conserje)\b"
    r"|\b(?:se\s+anuncia|anunciarse|anunciate|anuncien|dejar\s+el\s+dni|dejen\s+el\s+dni)\b"
    # what the technician should bring or see: "decile q traiga una canilla", "que venga con escalera"
    r"|\b(?:decile|decirle|avisale|pedile|pedirle|deciles)\s+(?:\w+\s+){0,2}?(?:que|q)\s+(?:traiga|traigan|lleve"
    r"|venga\s+con|vengan\s+con|se\s+fije|mire|revise|vea)\b"
    r"|\b(?:que|q)\s+(?:traiga|traigan|venga\s+con|vengan\s+con)\s+(?:una?|el|la|los|las|unos|unas|escalera|herramientas?)\b"
)


# Who is coming asked ("¿cómo se llama el muchacho que viene?", "¿quién viene?", "¿el técnico
# cómo se llama?"): the technician's name, not a word for him
_WHO_COMES = re.compile(
    r"\b(?:como\s+se\s+llama|el\s+nombre\s+del?|quien\s+(?:viene|va\s+a\s+venir|vendria|es\s+el\s+que\s+viene"
    r"|me\s+mandan|va)|que\s+tecnico\s+(?:viene|va|mandan))\b")
_WHO_OF = re.compile(r"\b(?:muchacho|tecnico|tecnica|plomero|gasista|electricista|cerrajero|pibe|chico|senor"
                     r"|hombre|persona|que\s+viene|que\s+va|viene|va|mandan)\b")


def asks_who_comes(folded: str) -> bool:
    """Whether a customer asks who is coming (folded text)."""
    found = _WHO_COMES.search(folded)
    return found is not None and bool(_WHO_OF.search(folded))


def access_note(folded: str) -> bool:
    """Whether a customer tells how to get in or asks to hear before the arrival (folded text)."""
    return bool(_ACCESS.search(folded)) or someone_else_opens(folded)


# Whether someone else may be there for the visit: "¿hay que estar yo o puede abrir el encargado?",
# "¿puede recibirlo mi hijo?", "¿tengo que estar yo?", "si no estoy, le abre la vecina"
_SOMEONE_ELSE_OPENS = re.compile(
    r"\b(?:hay\s+(?:que|q)|tengo\s+(?:que|q)|tenemos\s+(?:que|q)|debo|necesitan\s+(?:que|q))\s+estar"
    r"(?:\s+(?:yo|nosotros|alguien|presente|en\s+casa|en\s+la\s+casa)\b|\s*$|\s+o\s+)"
    r"|\b(?:puede|podria|le\s+puede|lo\s+puede|la\s+puede)\s+(?:abrir|abrirle|recibir|recibirlo|recibirla|estar)\s+"
    r"(?:\w+\s+){0,2}?(?:el|la|mi|mis|un|una|alguien|otr[oa])\b"
    r"|\b(?:le|lo|la)\s+(?:abre|recibe|atiende)\s+(?:el|la|mi)\s+\w+"
    r"|\bsi\s+no\s+estoy\b"
    r"|\b(?:es\s+necesario|hace\s+falta|tiene\s+(?:que|q)\s+haber)\s+(?:que\s+|q\s+)?(?:este|estemos|haya|estar)"
    r"\s+(?:yo|alguien|nosotros|presente|una\s+persona)\b")


def someone_else_opens(folded: str) -> bool:
    """Whether a customer asks or says that someone else lets the technician in (folded text)."""
    return bool(_SOMEONE_ELSE_OPENS.search(folded))


# "cuánto sale/cuesta/cobran", "qué precio tiene", "el precio de", "precios?", "presupuesto?":
# the question, on folded text (no accents, lower case)
PRICE_QUESTION = re.compile(
    r"\bcuant[oa]s?\s+(?:me\s+|te\s+|nos\s+|les\s+|le\s+)?(?:(?:va|van|iria|irian)\s+a\s+(?:salir|costar|cobrar)"
    r"|sale|salen|saldria|saldrian|cuesta|cuestan"
    r"|costaria|cobran|cobras|cobrarian|cobraria|cobrarias|vale|valen|esta|estan|seria|serian"
    r"|es\s+(?:el|la)\s+(?:precio|tarifa|visita))\b"
    r"|\bque\s+precio(?:\s+(?:tiene|tienen|tendria|tendrian|sale|es))?\b"
    r"|\bque\s+(?:valor|tarifa|costo)\s+(?:tiene|tienen|tendria|tendrian)\b"
    r"|\b(?:el\s+|los\s+|un\s+)?(?:precio|valor|costo|tarifa)s?\s+(?:de|del|por|para|aprox\w*)\b"
    r"|\b(?:precio|precios|presupuesto|tarifa|costo)\s*\?"
    r"|\b(?:pasame|pasen|pasas|pasarme|me\s+pasan|me\s+pasas|me\s+dan|me\s+das)\s+(?:un\s+|el\s+|los\s+)?"
    r"(?:precio|precios|presupuesto|valor|costo)s?\b"
    # whether the quote or the visit costs anything: "¿hacen presupuestos sin cargo?", "¿cobran
    # la visita?", "¿el presupuesto es gratis?", "¿la visita tiene costo?"
    r"|\b(?:presupuestos?|visitas?|diagnosticos?)\s+(?:sin\s+(?:cargo|costo)|gratis|gratuit[oa]s?)\b"
    r"|\b(?:cobran|cobras|cobrarian|se\s+cobra|se\s+paga|tiene\s+(?:costo|cargo)|es\s+gratis)\s+"
    r"(?:la\s+|el\s+|por\s+(?:la\s+|el\s+)?)?(?:visita|presupuesto|diagnostico|revision|ir\s+a\s+ver)\b"
    r"|\b(?:la\s+visita|el\s+presupuesto|el\s+diagnostico)(?:\s+(?:del?|para\s+el)\s+(?:presupuesto|diagnostico))?"
    r"\s+(?:es\s+)?(?:gratis|sin\s+(?:cargo|costo)|"
    r"tiene\s+(?:costo|cargo)|se\s+(?:cobra|paga)|la\s+cobran|lo\s+cobran)\b"
)


def asks_price(folded: str) -> bool:
    """Whether a message asks what something costs (folded text): "¿cuánto sale la instalación?",
    "¿qué precio tiene?", "¿cobran la visita?"."""
    return PRICE_QUESTION.search(folded) is not None


# A customer asking to pay in parts or later than asked ("¿puedo pagar la mitad ahora y la mitad
# el mes que viene?", "¿te lo pago en dos veces?", "¿puedo pagarte el viernes cuando cobro?"):
# an arrangement only the business can agree to, not the ways to pay again. Card instalments
# ("¿en cuotas?") are the card's, answered with the ways to pay.
_PAYMENT_PLAN = re.compile(
    r"\b(?:pag(?:ar\w*|o|amos|as|an|uemos)|abon(?:ar\w*|o|amos)|transfer(?:ir\w*|iria\w*|imos|iero)|transfier[oae]"
    r"|deposit(?:ar\w*|o|amos))\s+(?:\w+\s+){0,3}?"
    r"(?:la\s+mitad|una\s+parte|un\s+poco|parte\s+ahora|(?:en\s+)?(?:dos|2|tres|3)\s+(?:veces|partes|pagos)"
    r"|de\s+a\s+poco|a\s+fin\s+de\s+mes|(?:a\s+)?principio\s+de\s+mes|el\s+mes\s+que\s+viene"
    r"|la\s+semana\s+que\s+viene|mas\s+adelante|despues\s+de\s+cobrar|cuando\s+cobre|cuando\s+me\s+paguen"
    r"|cuando\s+pueda|el\s+(?:lunes|martes|miercoles|jueves|viernes|sabado|domingo|\d{1,2})\b"
    r"|(?:el|la)\s+(?:otra|otro|resto|saldo)\s+(?:mitad|parte|mes|semana)?)"
    r"|\b(?:la\s+mitad|una\s+parte)\s+(?:ahora|hoy)\s+y\s+(?:la\s+otra|el\s+resto)\b"
    r"|\b(?:me\s+)?(?:esperan|esperas|pueden\s+esperar|podes\s+esperar)\s+(?:\w+\s+){0,2}?"
    r"(?:para\s+)?(?:el\s+pago|pagar|que\s+cobre|unos\s+dias|a\s+fin\s+de\s+mes|hasta)\b"
    r"|\b(?:plan\s+de\s+pagos?|financiar|financiacion|financian)\b"
)


def asks_payment_plan(folded: str) -> bool:
    """Whether a customer asks to pay in parts or later (folded text)."""
    return bool(_PAYMENT_PLAN.search(folded))


# A customer asking whether the business does a kind of work ("¿hacen instalación de aires?",
# "¿ustedes arreglan termotanques?", "¿tienen gasista matriculado?"): a yes-or-no question,
# answered yes before the booking's first question (the trade is one the business takes)
_ASKS_IF_WE_DO = re.compile(
    r"^[^\w?]*(?:(?:hola|buenas(?:\s+tardes|\s+noches)?|buen\s+dia|buenos\s+dias|que\s+tal)[^\w?]+)?"
    r"(?:(?:igual|che|bueno|ah|y|otra\s+cosa|una\s+pregunta|pregunta)[^\w?]+)?"
    r"(?:(?:ya\s+(?:que|q)\s+estamos|de\s+paso)[^\w?]+)?"
    r"(?:(?:una\s+)?consulta[^\w?]+)?(?:ustedes\s+|uds\.?\s+|vos\s+)?"
    r"(?:hacen|haces|trabajan|trabajas|instalan|instalas|arreglan|arreglas|reparan|reparas|destapan"
    r"|destapas|cambian|cambias|colocan|colocas|atienden|atendes|tienen\s+(?:servicio|tecnicos?|gasistas?"
    r"|plomeros?|electricistas?|cerrajer[oa]s?|alguien))\b[^?]*\?"
)


def asks_if_we_do(folded: str) -> bool:
    """Whether a customer opens asking if the business does some work (`fold_aligned` text: the
    question mark is kept)."""
    return bool(_ASKS_IF_WE_DO.search(folded))


# An owner closing a day the business would open ("mañana no trabajamos, es feriado", "el lunes
# no abrimos", "el 8 cerramos", "nos tomamos el viernes"), or opening it again ("al final el
# lunes sí trabajamos", "mañana abrimos normal"). Statements, not questions ("¿mañana
# trabajamos?"), and the whole day, not fewer hours ("mañana cerramos a las 13").
# the business as a whole ("trabajamos", "se trabaja"), not one of the team ("Carlos no trabaja")
_WE_WORK = (r"(?:vamos\s+a\s+(?:trabajar|abrir|atender|laburar|salir)|se\s+(?:trabaja|abre|atiende|labura)"
            r"|trabajamos|abrimos|atendemos|laburamos|salimos)")
_CLOSES_DAY = re.compile(
    rf"\b(?:no|tampoco|ni)\s+{_WE_WORK}\b|\b(?:no|tampoco|ni)\s+abrimos\b"
    r"|\bcerramos\b(?!\s+(?:la|las|los|lo|un|una|con|eso|esto|el\s+(?!local|negocio|taller|comercio)))"
    r"|\b(?:cerrado|cerrados)\b"
    r"|\b(?:es|sera|por\s+ser|por\s+el)\s+feriado\b"
    r"|\b(?:nos|me)\s+(?:tomamos|tomo)\s+(?:el\s+dia|el\s+\w+|franco|vacaciones)"
    r"|\bdia\s+libre\b|\b(?:de\s+)?franco\b|\bno\s+hay\s+(?:atencion|trabajo|turnos)\b"
    r"|\b(?:nos\s+vamos\s+de|nos\s+tomamos|estamos\s+de|cerramos\s+por|por)\s+vacaciones\b")
_OPENS_DAY = re.compile(
    rf"\b(?:si|igual)\s+{_WE_WORK}\b"
    rf"|\b{_WE_WORK}\s+(?:igual|normal|normalmente|como\s+siempre)"
    r"|\bno\s+(?:cerramos|cerramos\s+nada)\b"
    r"|(?<!\bno\s)(?<!\btampoco\s)(?<!\bni\s)\b(?:volvemos\s+a\s+)?abrimos\b(?!\s+a\s+las)")
_PARTIAL = re.compile(r"\b(?:a\s+las|hasta\s+las|desde\s+las|al\s+mediodia|temprano|"
                      r"mas\s+temprano|medio\s+dia|(?:a|por|de)\s+la\s+(?:manana|tarde))\b")
_ASKING = re.compile(r"[?¿]|^\s*(?:se\s+trabaja|trabajamos|abrimos|cerramos)\s*$")


def closes_day(folded: str) -> bool:
    """An owner's message saying the business does not open some day (`_CLOSES_DAY`)."""
    if _ASKING.search(folded) or _PARTIAL.search(folded) or opens_day(folded):
        return False
    return _CLOSES_DAY.search(folded) is not None


def opens_day(folded: str) -> bool:
    """An owner's message saying the business opens after all on a day (`_OPENS_DAY`)."""
    if _ASKING.search(folded) or _PARTIAL.search(folded):
        return False
    return _OPENS_DAY.search(folded) is not None


# An owner changing one day's hours: closing early ("mañana cerramos a las 13", "hoy cierro
# temprano, a las 16", "el viernes trabajamos hasta el mediodía"), opening late ("el sábado
# abrimos recién a las 10", "mañana arrancamos a las 11") or both ("el 24 trabajamos de 8 a 12").
_HOUR = r"(?P<{0}>\d{{1,2}}(?:[:.][0-5]\d)?|mediodia)"
_DAY_HOURS_CLOSE = re.compile(
    r"\b(?:cerramos|cierro|cierra|cerrar|cerrare|vamos\s+a\s+cerrar|cortamos|corto|bajamos\s+la\s+persiana)\s+"
    r"(?:(?:el|la)\s+(?:local|negocio|taller|oficina|comercio|persiana)\s+)?(?:(?:hoy|manana|el\s+"
    r"(?:lunes|martes|miercoles|jueves|viernes|sabado|domingo|\d{1,2}))\s+)?(?:(?:mas\s+)?temprano,?\s+"
    r"|antes,?\s+)?(?:a\s+las?|al|tipo|a\s+eso\s+de\s+las?)\s+" + _HOUR.format("close")
    + r"|\b(?:trabajamos|laburamos|atendemos|abrimos|estamos|trabajo|laburo|atiendo|abro)\s+"
    r"(?:solo\s+|nomas\s+|solamente\s+)?hasta\s+(?:las?\s+|el\s+)?" + _HOUR.format("until"))
_DAY_HOURS_OPEN = re.compile(
    r"\b(?:abrimos|abro|arrancamos|arranco|empezamos|empiezo|entramos|trabajamos|atendemos|laburamos)\s+"
    r"(?:recien\s+|mas\s+tarde,?\s+|tarde,?\s+)?(?:a\s+partir\s+de\s+|desde\s+)?(?:a\s+)?las?\s+"
    + _HOUR.format("open"))
_DAY_HOURS_SPAN = re.compile(
    r"\b(?:trabajamos|laburamos|atendemos|abrimos|estamos|trabajo|laburo|atiendo|abro)\s+"
    r"(?:solo\s+|nomas\s+|solamente\s+)?(?:de|desde\s+las?)\s+" + _HOUR.format("start")
    + r"\s*(?:a|hasta)\s+(?:las?\s+|el\s+)?" + _HOUR.format("end"))


_DAY_HALF = re.compile(
    r"\b(?:trabajamos|laburamos|atendemos|abrimos|estamos|trabajo|laburo|atiendo|abro)\s+"
    r"(?:solo|nomas|solamente)\s+(?:a|por|de)\s+la\s+(?P<half>manana|tarde)\b")
# the plan of a job, not the business's hours: "mañana arrancamos a las 7 con la obra de Quilmes"
_ABOUT_A_JOB = re.compile(r"\bcon\s+(?:lo|la|el|los|las)\b|\blo\s+de\b|\bla\s+obra\b|\bvisitas?\b"
                          r"|\bclientes?\b|\btrabajo\s+de\b|\bel\s+trabajo\b")


def _clock(said: str, *, closing: bool) -> time | None:
    if said == "mediodia":
        return time(12)
    hour, _, minute = said.replace(".", ":").partition(":")
    h, m = int(hour), int(minute or 0)
    # "cerramos a las 4": the afternoon's; an opening from 6 or 7 may be the morning's
    h = afternoon_hour(h) if closing or h <= 5 else h
    return time(h, m) if h <= 23 else None


def day_hours_said(folded: str) -> tuple[time | None, time | None] | None:
    """(opens, closes) when an owner's (folded) message changes one day's hours, either None
    when not said; None when it changes none (a question, a whole day closed or opened)."""
    if _ASKING.search(folded) or _ABOUT_A_JOB.search(folded):
        return None
    if span := _DAY_HOURS_SPAN.search(folded):
        opens, closes = _clock(span["start"], closing=False), _clock(span["end"], closing=True)
        return (opens, closes) if opens and closes and opens < closes else None
    if half := _DAY_HALF.search(folded):  # "mañana atendemos solo a la mañana": until 13
        return (None, time(13)) if half["half"] == "manana" else (time(13), None)
    close = _DAY_HOURS_CLOSE.search(folded)
    opened = _DAY_HOURS_OPEN.search(folded)
    closes = _clock(close["close"] or close["until"], closing=True) if close else None
    opens = _clock(opened["open"], closing=False) if opened else None
    if opens is None and closes is None:
        return None
    return opens, closes


# Someone who wrote to the wrong number and says so: "ay perdón, número equivocado", "me equivoqué
# de chat", "no era para ustedes jaja"
_WRONG_NUMBER = re.compile(
    r"\b(?:numero|nro|chat|contacto|persona)\s+equivocad[oa]\b|\bme\s+equivoque\s+de\s+(?:numero|chat|contacto|persona)\b"
    r"|\bno\s+era\s+(?:para\s+)?(?:ustedes|vos|usted|aca|este\s+numero)\b|\bera\s+para\s+otr[oa]\b")


def wrong_number(folded: str) -> bool:
    """Whether the (folded) text says it was sent to the wrong number."""
    return bool(_WRONG_NUMBER.search(folded))


# A customer asking what the business has on file for their visit: its number ("¿me pasás el
# nro de orden?") or the address ("¿qué dirección tienen cargada?", "¿qué dirección les pasé?")
_BOOKING_DETAILS = re.compile(
    r"\b(?:numero|nro|num|n)\s+(?:de\s+)?(?:orden|trabajo|pedido|reclamo|visita|turno|ticket|caso|seguimiento)\b"
    r"|\b(?:que|q|cual)\s+(?:es\s+la\s+)?direccion\s+(?:tienen|tenes|tienes|les\s+pase|te\s+pase|les\s+di|te\s+di"
    r"|figura|quedo|anotaron|anotaste|cargaron|cargaste|agendaron|tienen\s+anotada|tienen\s+cargada)\b"
    r"|\bdireccion\s+(?:tienen|tenes|quedo|figura)\s+(?:cargada|anotada|agendada)\b")
ADDRESS_ON_FILE = re.compile(r"\bdireccion\b")


def asks_booking_details(text: str) -> bool:
    """Whether a customer's (folded) words ask for their visit's number or the address on file."""
    return bool(_BOOKING_DETAILS.search(text))
