"""Intents by keyword families (regexes over folded, expanded text); services and urgency live in
their own modules and are re-exported here."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from nlu.extract.keywords import Family, literal_words, score
from nlu.extract.keywords import family as _family
from nlu.extract.services import SERVICES, classify_service
from nlu.extract.services import vocabulary as _service_vocabulary
from nlu.extract.urgency import classify_urgency, dangers_now
from nlu.extract.urgency import vocabulary as _urgency_vocabulary
from nlu.schema import intents_for

__all__ = ["SERVICES", "Family", "classify_intent", "classify_service", "classify_urgency", "score"]

_TRADE = (
    r"(?:tecnico|plomero|gasista|electricista|cerrajero|pintor|albanil|muchacho|chico|"
    r"senor|operario|especialista|instalador|el\s+de\s+la\s+\w+|el\s+del\s+\w+)"
)

# ---- intents -------------------------------------------------------------------------------
_PERSON = (
    r"(?:persona|humano|humana|operador\w*|asesor\w*|encargad\w*|duen[oa]|responsable|"
    r"alguien|soporte|administracion|ventas|gerente|supervisor\w*|jefe|representante)"
)
HUMAN = _family(
    [
        (rf"\bhablar\s+con\s+(?:un\s+|una\s+|el\s+|la\s+|algun\s+|alguna\s+)?{_PERSON}", 6),
        (
            (
                rf"\b(?:pasar|pasame|pasas|pasan|pasen|comunicar|comunicame|comunicarme|derivar|derivame)\s+"
                rf"(?:me\s+)?con\s+(?:un\s+|una\s+|el\s+|la\s+)?{_PERSON}"
            ),
            6,
        ),
        (r"\b(?:alguien|persona|humano)\s+real\b|\bhay\s+alguien\b", 5),
        (
            r"\b(?:no\s+(?:con\s+)?(?:un\s+|una\s+)?(?:bot|robot|maquina|contestador)|sos\s+(?:un\s+)?(?:bot|robot))\b",
            5,
        ),
        (r"\bbot\b|\brobot\b", 2),
        (
            (
                r"\b(?:me\s+(?:llamas|llaman|llamarias|llamarian|podes\s+llamar|pueden\s+llamar|llamen)"
                r"|llamame|llamenme|llamarme|me\s+llamen)\b"
            ),
            5,
        ),
        (r"\bpor\s+telefono\b|\bhablando\b|\bllamada\b", 1.5),
        (r"\batencion\s+al\s+cliente\b", 4),
        (r"\breclamo\b|\bqueja\b", 2),
    ]
)
CANCEL = _family(
    [
        (r"\bcancel\w*", 5),
        (r"\bsuspend\w*", 4),
        (r"\banul\w*", 4),
        (r"\bdar\s+de\s+baja\b", 4),
        (r"\bno\s+(?:vengan|venga|vengas|venir|hace\s+falta\s+que\s+vengan?)\b", 4),
        (
            r"\bya\s+no\s+(?:hace\s+falta|necesito|necesitamos|es\s+necesario|lo\s+necesito|preciso|precisamos)\b",
            4,
        ),
        (r"\bno\s+hace\s+falta\b", 2),
        (r"\bno\s+(?:lo\s+|la\s+)?(?:necesito|necesitamos|preciso|precisamos)\s+mas\b", 4),
        (r"\bal\s+final\s+no\b", 2),
        (r"\bsin\s+efecto\b", 4),
        (
            r"\bya\s+(?:lo\s+|la\s+)?(?:arregl|solucion|resolv)\w*|\bse\s+(?:destapo|arreglo|soluciono|resolvio)\s+sol[oa]\b",
            2,
        ),
        (r"\bdesist\w*|\bdejalo\b|\bdejemoslo\b|\bolvidate\b", 3),
        (r"\bya\s+anda\b", 1),
    ]
)
_MOVE = r"(?:pasar|mover|cambiar|correr|postergar|adelantar|reprogramar)"
_WHEN_WORD = r"(?:turno|visita|cita|horario|hora|dia|fecha)"
RESCHEDULE = _family(
    [
        (r"\b(?:reprogram|posterg|reagend|aplaz)\w*", 5),
        (
            rf"\b(?:lo|la|los)\s+(?:podemos|puedo|podriamos|pueden|podes|podrian|podran|quiero|quisiera)\s+{_MOVE}",
            5,
        ),
        (
            r"\b(?:lo|la|los)\s+(?:\w+\s+)?(?:pasamos|pasemos|pasas|pasan|movemos|movamos|corremos|corramos|cambiamos)\b",
            5,
        ),
        (
            (
                r"\b(?:pasarlo|pasarla|moverlo|moverla|cambiarlo|cambiarla|correrlo|correrla|pasalo|movelo|cambialo|"
                r"corranlo|pasemoslo|movamoslo)\b"
            ),
            5,
        ),
        (rf"\bse\s+(?:puede|podra|podria|podrian|pueden)\s+{_MOVE}\b", 5),
        (rf"\b{_MOVE}\s+(?:el|la|los|las)\s+(?:\w+\s+)?{_WHEN_WORD}s?\b", 5),
        (rf"\b(?:pas|mov|muev|cambi|corr|posterg)\w*\s+(?:el|la|los|las)\s+{_WHEN_WORD}s?\b", 5),
        (rf"\bcambio\s+de\s+{_WHEN_WORD}\b", 4),
        (r"\ben\s+(?:vez|lugar)\s+de\b", 2),
        (r"\botr[oa]\s+(?:dia|fecha|horario|hora|turno)\b", 2),
        (
            r"\bno\s+(?:voy|vamos)\s+a\s+(?:estar|poder)\b|\bno\s+(?:puedo|podemos)\s+(?:ese|el)\s+dia\b",
            2,
        ),
        (r"\bme\s+surgio\b|\bnos\s+surgio\b|\btengo\s+un\s+imprevisto\b", 1.5),
    ]
)
INVOICE = _family(
    [
        (r"\bfactur(?:a|as|ita|ar|en|arme|en|as)\b", 6),
        (r"\bcomprobante\s+fiscal\b", 5),
        (r"\brecibo\b", 2),
        (r"\bcuit\b|\bcuil\b", 2),
        (r"\brazon\s+social\b", 3),
        (r"\ba\s+nombre\s+de\b", 1),
    ]
)
PAYMENT = _family(
    [
        (r"\btransfer\w*", 4),
        (r"\b(?:te|les|le)\s+(?:pague|pase|deposite|mande|envie)\b", 3),
        (r"\b(?:ya\s+)?pague\b", 4),
        (r"\bsena\b", 4),
        (r"\blink\s+de\s+pago\b", 5),
        (r"\bcomo\s+(?:te\s+|les\s+|le\s+)?(?:pago|abono|puedo\s+pagar|les\s+pago)\b", 5),
        (r"\bmercado\s*pago\b", 3),
        (r"\balias\b|\bcbu\b|\bcvu\b", 3),
        (r"\befectivo\b", 1.5),
        (r"\babon\w*", 3),
        (r"\bcomprobante\b", 2),
        (r"\bpag(?:ar|o|amos|arte|arles)\b", 2),
        (r"\bdeposit\w*", 3),
        (r"\b(?:cuanto|que)\s+(?:te|les|le)\s+debo\b", 5),
        (r"\b(?:te|les|le)\s+debo\b", 3),
        (r"\bcuotas?\b|\btarjeta\b", 1),
    ]
)
JOB_STATUS = _family(
    [
        (
            r"\bcuando\s+(?:viene|vienen|llega|llegan|venia|vendria|vendrian|pasa|pasan|van\s+a\s+venir|va\s+a\s+venir)\b",
            4,
        ),
        (
            r"\ba\s+que\s+hora\s+(?:viene|vienen|venia|venian|llega|llegan|pasa|pasan|vendria|vendrian|era)\b",
            4,
        ),
        (
            r"\bya\s+(?:salio|salieron|esta\s+en\s+camino|viene|vienen|llego|consiguieron|tienen|esta\s+listo)\b",
            4,
        ),
        (r"\bcomo\s+(?:sigue|va|viene|anda|quedo)\s+(?:lo|el|la|mi)\b", 4),
        (r"\bnovedad\w*", 3),
        (
            r"\b(?:lo|la|los|las)\s+(?:estoy|estamos)\s+esperando\b|\bsigo\s+esperando\b|\bseguimos\s+esperando\b",
            4,
        ),
        (
            r"\btodavia\s+(?:nada|no\s+(?:llego|vino|vinieron|viene|vienen|me\s+llego|aparecio))\b|\baun\s+nada\b",
            3,
        ),
        (
            r"\bsigue\s+en\s+pie\b|\bsigue\s+firme\b|\bconfirmad\w*|\bconfirm\w+\s+(?:el|la)\s+(?:turno|visita)\b",
            3,
        ),
        (
            r"\b(?:me\s+)?(?:mandaron|enviaron|pasaron)\s+(?:el|la)\s+(?:presupuesto|cotizacion)\b",
            4,
        ),
        (r"\bno\s+me\s+llego\b", 2),
        (r"\bsi\s+(?:viene|vienen|van\s+a\s+venir|va\s+a\s+venir|llega|llegan|pasa|pasan)\b", 3),
        (r"\bquer\w+\s+saber\s+(?:si|cuando|a\s+que\s+hora|como|que\s+onda|en\s+que)\b", 2),
        (r"\b(?:iba|iban)\s+a\s+venir\b", 4),
        (r"\bvenia\b|\bvenian\b", 2),
        (r"\ben\s+que\s+(?:anda|esta|quedo)\b|\bque\s+paso\s+con\b", 3),
        (rf"\b(?:el|la)\s+{_TRADE}\s+(?:ya\s+)?(?:salio|viene|esta\s+en\s+camino|llega)\b", 3),
    ]
)
NEW_JOB = _family(
    [
        (r"\bnecesit\w*|\bquiero\b|\bqueria\b|\bquisiera\b|\bprecis\w*|\bbusco\b", 2),
        (
            r"\b(?:pueden|podrian|podes|podria|puede|podran)\s+(?:venir|pasar|ver|revisar|mandar\s+a\s+alguien)\b",
            2,
        ),
        (
            r"\bpresupuesto\b|\bcotiz\w*|\bturno\s+para\b|\btienen\s+turno\b|\btienen\s+lugar\b|\bhacen\b",
            2,
        ),
        (r"\bse\s+(?:me\s+|nos\s+)?(?:rompio|tapo|corto|quemo|rajo|cayo|fue|trabo|inund\w*)\b", 2),
        (
            r"\bno\s+(?:anda|funciona|enciende|prende|enfria|calienta|baja|centrifuga|arranca|sale)\b",
            2,
        ),
        (
            r"\bpierde\b|\bgotea\b|\bhay\s+olor\b|\bperdida\b|\bayuda\w*|\bsocorro\b|\burgente\b|\bruido\b",
            2,
        ),
        (
            r"\b(?:instalar|arreglar|reparar|revisar|cambiar|colocar|poner|hacer\s+el\s+service)\b",
            1.5,
        ),
    ]
)

TECH_ON_THE_WAY = _family(
    [
        (r"\bsalgo\b|\bsali\b|\bsaliendo\b|\bsalimos\b", 4),
        (r"\ben\s+camino\b|\bcamino\s+a\b|\brumbo\s+a\b", 4),
        (
            r"\bvoy\s+(?:para|a\s+lo\s+de|yendo|camino)\b|\bestoy\s+yendo\b|\bvamos\s+para\b|\bme\s+voy\s+para\b",
            4,
        ),
        (r"\barranco\s+(?:para|a)\b|\barrancando\s+para\b", 4),
        (r"\bllego\s+en\b|\bestoy\s+llegando\b", 4),
        (r"\bllegando\b|\bcalculo\b|\bya\s+voy\b", 2),
        (r"\ben\s+\w+\s+(?:minutos\s+|min\s+)?(?:estoy|llego)\b", 4),
    ]
)
TECH_ARRIVED = _family(
    [
        (r"\bllegue\b|\bllegamos\b|\bya\s+llego\b", 5),
        (r"\bya\s+estoy\s+(?!en\s+camino)(?:aca|aqui|ahi|en|abajo|afuera)\b", 4),
        (
            r"\bestoy\s+(?:aca|aqui|en\s+la\s+puerta|en\s+el\s+domicilio|abajo|afuera|en\s+la\s+direccion)\b",
            4,
        ),
        (r"\ben\s+la\s+puerta\b", 2),
        (r"\btoc\w*\s+(?:el\s+)?timbre\b", 3),
        (r"\bestacionando\b", 3),
        (r"\bestoy\s+en\s+(?!camino)\w+\s+\d+", 3),
        (r"\bsubo\b|\bentrando\b", 1),
    ]
)
TECH_DONE = _family(
    [
        (r"\btermin\w*", 5),
        (r"\bfinaliz\w*|\bfinalic\w*", 5),
        (r"\blisto\b", 2),
        (
            r"\bquedo\s+(?:funcionando|andando|joya|perfecto|impecable|listo|bien|ok|de\s+diez|10\s+puntos)\b",
            3,
        ),
        (
            r"\bcobre\b|\bcobrale\b|\bcobrarle\b|\bme\s+pago\b|\bel\s+cliente\s+pago\b|\bpago\s+en\s+efectivo\b",
            2,
        ),
        (
            r"\bya\s+(?:esta|quedo)\s+(?:listo|terminad\w*|hecho|funcionando|arreglad\w*|andando|instalad\w*|colocad\w*)\b",
            3,
        ),
        (r"\btrabajo\s+(?:hecho|terminado|finalizado|realizado)\b", 4),
        (
            r"\bpuesta\b|\bpuesto\b|\binstalad[oa]\b|\barregl(?:e|ado|ada)\b|\bcambie\b|\bcargue\b|\bdeje\b",
            1,
        ),
    ]
)
TECH_CANNOT = _family(
    [
        (
            (
                r"\bno\s+(?:lo\s+|la\s+)?(?:puedo|pude|pudimos|podemos|voy\s+a\s+poder)\s+(?:lo\s+)?(?:terminar|seguir|hacer|"
                r"arreglar|completar|laburar|trabajar|entrar|continuar|reparar|instalar|avanzar|cerrar|resolver)\b"
            ),
            6,
        ),
        (
            r"\bno\s+se\s+(?:puede|pudo)\s+(?:arreglar|reparar|terminar|hacer|seguir|completar|instalar)\b",
            6,
        ),
        (r"\bfalta\w*\s+(?:un|el|la|una|unos|unas)?\s*(?:repuesto|material|pieza)\w*", 3),
        (r"\b(?:hay\s+que\s+)?llevar\w*\s+al\s+taller\b", 3),
        (r"\bno\s+(?:hay|habia)\s+nadie\b", 3),
        (
            (
                r"\b(?:el\s+cliente|la\s+clienta|la\s+senora|el\s+senor|el\s+dueno|la\s+duena|nadie)\s+no\s+"
                r"(?:esta|estaba|atiende|atendio|abre|abrio|aparece|aparecio|contesta)\b|\bno\s+esta\s+el\s+cliente\b"
            ),
            3,
        ),
        (r"\bnadie\s+(?:abrio|abre|atiende|atendio|contesta|contesto)\b", 3),
        (r"\bvuelvo\s+(?:el|manana|otro|la\s+semana|pasado)\b", 2),
        (r"\bno\s+pude\b", 3),
        (r"\bno\s+puedo\b", 2),
        (r"\bno\s+(?:esta|estaba)\s+(?:aprobad|habilitad)\w*", 2),
        (r"\bhasta\s+que\b", 1.5),
        (r"\bsuspend\w*|\breprogram\w*", 2),
        (r"\bno\s+me\s+atiende\s+nadie\b", 1),
    ]
)
TECH_AGENDA = _family(
    [
        (
            r"\btengo\s+(?:trabajos?|turnos?|visitas?|laburos?)\b|\bque\s+(?:trabajos|turnos|visitas)\b",
            4,
        ),
        (
            r"\bque\s+tengo\b|\bagenda\b|\btengo\s+algo\b|\bque\s+me\s+toca\b|\bhoja\s+de\s+ruta\b",
            5,
        ),
        (r"\b(?:proximo|siguiente)\s+(?:trabajo|cliente|turno|servicio|visita|laburo)\b", 5),
        (r"\bmis\s+(?:trabajos|turnos|visitas)\b|\bcuantos\s+(?:trabajos|turnos)\s+tengo\b", 5),
        (r"\ba\s+donde\s+(?:voy|tengo\s+que\s+ir)\b|\bque\s+hay\s+(?:para|hoy|manana)\b", 4),
        (r"\bdonde\s+(?:es|queda)\s+el\s+(?:proximo|siguiente)\b", 4),
    ]
)
OWNER_SUMMARY = _family(
    [
        (r"\bresumen\w*", 5),
        (r"\bque\s+tal\s+(?:estuvo|fue|viene|va|vamos)\b|\bcomo\s+(?:estuvo|salio)\b", 4),
        (r"\bcomo\s+(?:venimos|vamos|estamos|cerro|cerramos|fue|nos\s+fue|va)\b", 4),
        (r"\bcuant[oa]s\s+(?:trabajos|servicios|visitas|turnos)\b", 4),
        (
            (
                r"\bcuanto\s+(?:facturamos|entro|cobramos|hicimos|se\s+cobro|se\s+facturo|ganamos|vendimos|"
                r"recaudamos|se\s+hizo)\b"
            ),
            5,
        ),
        (
            r"\bbalance\b|\bcaja\b|\bnumeros\b|\breporte\b|\binforme\b|\bestadistica\w*|\bfacturacion\b",
            3,
        ),
    ]
)
OWNER_UNPAID = _family(
    [
        (r"\b(?:me|nos|le)\s+deb\w*|\bdeben\b|\bdeuda\w*|\bdeudor\w*|\badeud\w*|\bmoros\w*", 5),
        (
            r"\bsin\s+(?:cobrar|pagar)\b|\bimpag\w*|\bpendientes?\s+de\s+(?:cobro|pago)\b|\bpor\s+cobrar\b",
            5,
        ),
        (
            r"\bno\s+(?:me\s+|nos\s+|le\s+)?(?:pagaron|pago|cobramos|cobre|abonaron|abono)\b|\bfalta\w*\s+cobrar\b",
            5,
        ),
    ]
)

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
    r"\b(?:hola|holis|holi|buenas|buen\s+dia|buenos\s+dias|buenas\s+(?:tardes|noches)|que\s+tal|"
    r"como\s+(?:estas|estan|andas|andan|va|le\s+va)|saludos|hey|ey|alo|buenass|che)\b"
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
chicos chicas muchachos equipo gente
"""
_ACK_WORDS = frozenset(_ACK_TEXT.split())


def acknowledgement(text: str) -> str | None:
    """"thanks" or "ack" when the text only thanks or acknowledges (a first name or emoji
    around it too), else None: the words of no request, which deserve an answer, not a miss."""
    folded = "".join(ch for ch in unicodedata.normalize("NFKD", (text or "").lower())
                     if not unicodedata.combining(ch))
    words = re.findall(r"[a-zñ]+", folded)
    # a first name said to someone ("gracias Carlos"): capitalized, and not the message's first word
    names = {fold_name.lower() for m in re.finditer(r"\b[A-ZÁÉÍÓÚÑ][a-záéíóúñ]+", text or "") if m.start() > 0
             for fold_name in ["".join(ch for ch in unicodedata.normalize("NFKD", m.group())
                                       if not unicodedata.combining(ch))]}
    rest = [w for w in words if w not in _ACK_WORDS and w not in names]
    if rest or len(words) > 12 or re.search(r"\d", folded):
        return None
    if _THANKS.search(folded):
        return "thanks"
    if words or re.search(r"👍|👌|✅|🆗|💪", folded):
        return "ack"
    return None


# Keeping a booked visit as it is: "no lo muevas", "dejalo así", "el horario me queda perfecto",
# "no hace falta cambiarlo", "los espero" (what the model reads as `other` for a customer whose
# visit stands: answered with the visit, never a miss)
_KEEPS_BOOKING = re.compile(
    r"\bno\s+(?:me\s+)?(?:lo|la|los)\s+(?:muevas|muevan|cambies|cambien|toques|toquen|pases|pasen"
    r"|reprogrames|reprogramen|corras|corran)\b"
    r"|\b(?:dejal[oa]|dejenl[oa]|dejemosl[oa]|que\s+quede|queda)\s+(?:como\s+esta|asi|igual|como\s+estaba)\b"
    r"|\b(?:el\s+horario|la\s+hora|el\s+dia|el\s+turno|la\s+visita)\s+(?:me\s+)?(?:queda|viene|va)\s+"
    r"(?:perfect[oa]|bien|joya|barbaro|comodo|de\s+diez)\b"
    r"|\bno\s+(?:hace\s+falta|hay\s+que|es\s+necesario)\s+(?:cambiar|mover|reprogramar|correr)\w*\b"
    r"|\b(?:l[oa]s\s+espero|te\s+espero|l[oa]\s+espero)\b"
)


def keeps_booking(text: str) -> bool:
    """Whether a customer says their booked visit stays as it is."""
    folded = "".join(ch for ch in unicodedata.normalize("NFKD", (text or "").lower())
                     if not unicodedata.combining(ch))
    return bool(_KEEPS_BOOKING.search(folded))


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


def is_noise(text: str) -> bool:
    """True for keyboard mash: letters typed at random, not words (see `_MASH`). Reads the folded
    text, before repeated letters are squeezed; a WhatsApp abbreviation ("tmb") is a word."""
    from nlu.extract.spoken import is_spanish  # the word list loads once, on first use
    from nlu.extract.text import expand

    tokens = re.findall(r"[a-zñ]+", text)
    if not tokens or re.search(r"\d", text):
        return False
    for token in tokens:
        squeezed = re.sub(r"(.)\1+", r"\1", token)
        if len(token) < 3 or is_spanish(token) or token in _known_words() \
                or expand(token) not in (token, squeezed) \
                or (len(squeezed) > 1 and (is_spanish(squeezed) or squeezed in _known_words())):
            return False
        if not _MASH.search(_SPANISH_CLUSTERS.sub("", token)):
            return False
    return True


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
