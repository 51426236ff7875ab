"""Intent, service and urgency by keyword families (regexes over folded, expanded text)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from nlu.schema import intents_for

Family = list[tuple[re.Pattern[str], float]]


def _family(rows: Iterable[tuple[str, float]]) -> Family:
    return [(re.compile(p), w) for p, w in rows]


def score(family: Family, text: str) -> float:
    return sum(w for rx, w in family if rx.search(text))


_APPLIANCE = r"(?:lavarropas|heladera|microondas|lavavajillas|secarropas|freezer|horno|televisor)"
_TRADE = (
    r"(?:tecnico|plomero|gasista|electricista|cerrajero|pintor|albanil|muchacho|chico|"
    r"senor|operario|especialista|instalador|el\s+de\s+la\s+\w+|el\s+del\s+\w+)"
)

# ---- services ------------------------------------------------------------------------------
SERVICES: dict[str, Family] = {
    "plomeria": _family(
        [
            (r"\bplomer\w*", 5),
            (r"\binund\w*", 2),
            (r"\bperdida\s+de\s+agua\b", 3),
            (r"\bpierde\s+agua\b", 1.5),
            (r"\bcan(?:o|os|eria|erias)\b", 3),
            (r"\bcanillas?\b", 3),
            (r"\bgrif\w+", 3),
            (r"\bflexibles?\b", 3),
            (r"\binodoro\b", 2),
            (r"\bmochila\b", 3),
            (r"\bdeposito\s+del\s+inodoro\b", 2),
            (r"\bbacha\b", 1),
            (r"\bducha\b", 1),
            (r"\bbomba\s+(?:de\s+)?agua\b", 3),
            (r"\bbomba\b", 1),
            (r"\btanque\s+de\s+agua\b", 3),
            (r"\btermotanque\b", 2),
            (r"\bcalefon\b", 1),
            (r"\bsifon\b", 2),
            (r"\bllave\s+de\s+paso\b", 3),
            (r"\bcisterna\b", 3),
            (r"\bpresion\s+(?:de|del)\s+agua\b", 3),
            (r"\bpoca\s+presion\b", 2),
            (r"\bsale\s+agua\b", 1.5),
            (r"\bgotea\b", 1),
            (r"\bagua\b", 0.5),
            (r"\bpileta\b", 0.5),
            (r"\bbidet\b", 2),
            (r"\bcolector\w*", 1),
            (r"\bcodo\b", 1),
        ]
    ),
    "destapaciones": _family(
        [
            (r"\bdestap\w*", 6),
            (r"\btapad[oa]s?\b", 4),
            (r"\bse\s+(?:me\s+)?tap(?:o|aron)\b", 5),
            (r"\btapon\w*", 2),
            (r"\bcloacas?\b", 4),
            (r"\bcamara\s+(?:septica|de\s+inspeccion)\b", 3),
            (r"\bcamara\b", 0.5),
            (r"\brebals\w*", 2),
            (r"\bdesag[uo]\w*", 2),
            (r"\bno\s+(?:baja|traga|desagota|drena|corre)\b", 3),
            (r"\bpozo\s+(?:ciego|negro)\b", 3),
            (r"\bsopapa\b", 2),
            (r"\bolor\s+a\s+cloaca\b", 3),
            (r"\bobstru\w*", 3),
        ]
    ),
    "electricidad": _family(
        [
            (r"\belectric(?:ista|istas|idad|o|a|os|as)\b", 4),
            (r"\bluz\b", 2),
            (r"\bluces\b", 2),
            (r"\b(?:sin|no\s+(?:tengo|tenemos|hay))\s+luz\b|\bse\s+(?:corto|fue)\s+la\s+luz\b", 2),
            (r"\benchufes?\b", 3),
            (r"\btomacorrientes?\b", 3),
            (r"\b(?:un|dos|tres|los|el|unos|agregar\s+un|nuevo|nuevos)\s+tomas?\b", 2.5),
            (r"\btermicas?\b", 3),
            (r"\bdisyuntor\w*", 3),
            (r"\btablero\b", 2),
            (r"\bcables?\b", 2),
            (r"\bcableado\b", 3),
            (r"\bcorto\s*circuito\b", 3),
            (r"\bchispa\w*", 1),
            (r"\bolor\s+a\s+quemado\b", 1),
            (r"\b(?:lampara|foco|luminaria|aplique|plafon)\w*", 2),
            (r"\bventilador(?:es)?\s+de\s+techo\b", 3),
            (r"\bventilador\w*", 1.5),
            (r"\btension\b|\bvoltaje\b", 2),
            (r"\bpuesta\s+a\s+tierra\b", 3),
            (r"\bmedidor\s+de\s+luz\b", 3),
            (r"\bedesur\b|\bedenor\b", 3),
            (r"\bpatea\b|\bda\s+corriente\b", 2),
            (r"\binterruptor\w*", 2),
        ]
    ),
    "gas": _family(
        [
            (r"\bgasistas?\b", 6),
            (r"\bgas\b", 2),
            (
                r"\bolor\s+a\s+gas\b|\bhuele\w*(?:\s+\w+){0,3}\s+a\s+gas\b|\b(?:perdida|fuga|escape)\s+de\s+gas\b",
                5,
            ),
            (r"\bmedidor\s+de(?:l)?\s+gas\b|\bconexion\s+(?:de|del|a)\s+gas\b", 3),
            (r"\bhermeticidad\b", 4),
            (r"\b(?:cocina|horno|anafe|termotanque|calefon|estufa)\s+a\s+gas\b", 3),
            (r"\banafe\b", 1),
            (r"\bgas\s+natural\b|\bmetrogas\b|\bnaturgy\b|\bgarrafa\w*", 3),
            (r"\bmatriculad[oa]\b", 1),
            (r"\bcalefon\b", 2),
            (r"\bpiloto\b", 1.5),
            (r"\bllama\b", 1),
        ]
    ),
    "aire_acondicionado": _family(
        [
            (r"\baire\s+acondicionado\b", 5),
            (r"\baires?\b(?!\s+libre)", 3.5),
            (r"\bsplits?\b", 4),
            (r"\bfrigorias\b", 3),
            (r"\bno\s+enfria\b", 1),
            (r"\binverter\b", 2),
            (
                r"\b(?:carg\w*|recarg\w*)\s+(?:de\s+|el\s+|con\s+)?gas\b|\bgas\s+(?:del|al|para\s+el)\s+(?:aire|split|equipo)\b",
                4,
            ),
            (r"\bunidad\s+exterior\b|\bcondensadora\b|\bevaporadora\b", 3),
            (r"\bclimatiz\w*", 2),
            (r"\bequipo\s+de\s+aire\b", 2),
        ]
    ),
    "calefaccion": _family(
        [
            (r"\bcalefacc\w*", 5),
            (r"\bcaldera\w*", 5),
            (r"\bradiador\w*", 4),
            (r"\b(?:losa|piso)\s+radiante\b", 5),
            (r"\bcalefactor\w*", 4),
            (r"\bestufa\w*", 3),
            (r"\btiro\s+balanceado\b", 4),
            (r"\bagua\s+caliente\b", 1),
            (r"\bpurg\w*", 2),
            (r"\bno\s+calienta\b", 1),
            (r"\bsalamandra\b|\bhogar\s+a\s+lena\b", 3),
        ]
    ),
    "cerrajeria": _family(
        [
            (r"\bcerraj\w*", 6),
            (r"\bcerraduras?\b", 5),
            (r"\bllaves?\b(?!\s+(?:termica|de\s+paso|de\s+luz))", 2),
            (r"\bcombinado\b", 3),
            (r"\bcandado\w*", 3),
            (r"\bcerrojo\w*", 4),
            (r"\bpicaporte\w*", 2),
            (
                r"\bme\s+quede\s+(?:afuera|encerrad\w*)|\bquedamos\s+(?:afuera|encerrad\w*)|\bquede\s+encerrad\w*",
                5,
            ),
            (r"\bno\s+(?:puedo|podemos)\s+(?:entrar|abrir\s+la\s+puerta)\b", 4),
            (r"\bse\s+(?:trabo|rompio|atasco)\s+la\s+(?:puerta|cerradura)\b", 4),
            (r"\bpuertas?\b", 1),
            (r"\bcopias?\s+de\s+(?:la\s+|las\s+)?llaves?\b", 3),
            (r"\bblindad[oa]\b", 2),
            (r"\btraba\b", 1),
        ]
    ),
    "electrodomesticos": _family(
        [
            (r"\blavarropas\b|\blavadora\b", 5),
            (r"\bheladera\w*", 4),
            (r"\bmicroondas\b", 5),
            (r"\blavavajillas\b|\blavaplatos\b", 5),
            (r"\bsecarropas\b|\bsecadora\b", 5),
            (r"\bfreezer\b", 3),
            (r"\bhorno\s+electrico\b", 4),
            (r"\bvitroceramica\b", 3),
            (r"\bcentrifug\w*", 3),
            (r"\belectrodomestic\w*", 5),
            (r"\bdrean\b|\bwhirlpool\b|\bgafa\b|\bpatrick\b|\belectrolux\b", 1),
            (r"\btelevisor\b|\bcafetera\b|\baspiradora\b|\bdispenser\b", 2),
            (r"\bplaca\b", 0.5),
        ]
    ),
    "albanileria": _family(
        [
            (r"\balbanil\w*", 6),
            (r"\brevoque\w*", 4),
            (r"\bpared(?:es)?\b", 2),
            (r"\bladrillo\w*", 4),
            (r"\bcarpeta\b", 3),
            (r"\bceramic\w*", 3),
            (r"\bcontrapiso\w*", 4),
            (r"\bmamposteria\b", 4),
            (r"\brajad\w*|\bse\s+rajo\b|\bgrieta\w*|\bfisura\w*", 2),
            (r"\bhumedad\b", 1.5),
            (r"\brevestimiento\w*|\bporcelanato\w*|\bazulejo\w*|\bbaldosa\w*", 3),
            (r"\btecho\b", 1),
            (r"\bmembrana\b|\bimpermeabiliz\w*", 3),
            (r"\bobra\b|\breforma\w*|\brefaccion\w*", 2),
            (r"\bdurlock\b", 2),
            (r"\bhormigon\b|\bcemento\b|\bmezcla\b|\bdemol\w*", 3),
            (r"\bmedianera\b|\bcolumna\b|\bviga\b|\blosa\b(?!\s+radiante)", 2),
        ]
    ),
    "pintura": _family(
        [
            (r"\bpint(?:ar|ura|uras|or|ores|ado|ada|amos|en|emos|e|arlo|arla)\b", 6),
            (r"\blatex\b|\besmalte\b|\benduido\b|\bmanos\s+de\s+pintura\b|\bdos\s+manos\b", 3),
            (r"\bempapel\w*", 2),
        ]
    ),
}

# ---- urgency -------------------------------------------------------------------------------
_ROOM = (
    r"(?:cocina|bano|living|comedor|pieza|cuarto|dormitorio|habitacion|patio|garage|"
    r"garaje|lavadero|quincho|oficina|entrada|pasillo|escalera|terraza|un\s+\w+|una\s+\w+)"
)
EMERGENCY = _family(
    [
        (
            r"\bolor\s+a\s+gas\b|\bhuele\w*(?:\s+\w+){0,3}\s+a\s+gas\b|\b(?:perdida|fuga|escape)\s+de\s+gas\b",
            1,
        ),
        (r"\binund\w*", 1),
        (r"\bsale\s+agua\s+(?:por|de)\s+todos\s+lados\b", 1),
        (
            r"\b(?:se\s+(?:esta|me\s+esta|nos\s+esta)\s+)?llen(?:ando|o)\s+(?:\w+\s+){0,3}de\s+agua\b",
            1,
        ),
        (r"\brebals\w*", 1),
        (
            r"\bse\s+(?:rompio|partio|revento|pincho)\s+(?:un|el|la|una)\s+(?:cano|canos|caneria)\b",
            1,
        ),
        (r"\bcano\s+(?:roto|reventado|partido)\b|\brevent\w*", 1),
        (
            (
                rf"\b(?:se\s+(?:me\s+|nos\s+)?(?:corto|fue)\s+(?:toda\s+)?la\s+luz|sin\s+luz|no\s+(?:tengo|tenemos|hay)\s+luz)\b"
                rf"(?!\s+(?:en|del|de)\s+(?:el\s+|la\s+)?{_ROOM})"
            ),
            1,
        ),
        (r"\bluz\s+en\s+toda\b|\btoda\s+la\s+casa\s+sin\s+luz\b|\bno\s+vuelve\b", 1),
        (
            r"\bchispa\w*|\bolor\s+a\s+quemado\b|\bhumo\b|\bfuego\b|\bincendi\w*|\bprend\w+\s+fuego\b",
            1,
        ),
        (r"\bcorto\s*circuito\b|\belectrocut\w*|\bpatad\w*\s+electric\w*|\bda\s+corriente\b", 1),
        (
            (
                r"\bme\s+quede\s+(?:afuera|encerrad\w*)|\bquedamos\s+(?:afuera|encerrad\w*)|\bquede\s+encerrad\w*"
                r"|\bno\s+(?:puedo|podemos)\s+entrar\b|\b(?:nene|nena|bebe|chico|chica|hijo|hija|abuel\w+)\s+adentro\b"
                r"|\bllaves?\s+adentro\b"
            ),
            1,
        ),
        (r"\bemergencia\b|\bsocorro\b|🆘", 1),
    ]
)
NOT_URGENT = re.compile(
    r"\bno\s+(?:es\s+|son\s+|esta\s+)?(?:tan\s+|nada\s+)?urgente\b|\bnada\s+urgente\b|\bsin\s+(?:apuro|urgencia)\b"
    r"|\bno\s+(?:hay|tengo|tenemos)\s+(?:apuro|urgencia)\b|\bcuando\s+(?:puedan|pueda|tengan|tenga)\b"
    r"|\bno\s+corre\s+apuro\b|\bcon\s+tiempo\b|\bno\s+me\s+apura\b"
)
HIGH = re.compile(
    r"\burgen\w*|\blo\s+antes\s+posible\b|\bcuanto\s+antes\b|\basap\b|\bya\s+mismo\b|\bahora\s+mismo\b"
    r"|\bhoy\s+mismo\b|\blo\s+mas\s+rapido\b|\bapenas\s+puedan\b|\bpara\s+ya\b|\binmediat\w*"
    r"|\brapido\b|\bpara\s+hoy\b|\bhoy\b"
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


def classify_service(text: str, extra: dict[str, float] | None = None) -> str | None:
    """The trade the text is about, or None."""
    best, best_score = None, 0.0
    for name, family in SERVICES.items():
        s = score(family, text) + (extra or {}).get(name, 0.0)
        if s > best_score:
            best, best_score = name, s
    return best if best_score >= 2 else None


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
        if score(EMERGENCY, text) > 0:
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


def classify_urgency(text: str, intent: str, is_today: bool) -> str | None:
    """emergency / high / normal for new jobs (None for other intents unless there is danger)."""
    if score(EMERGENCY, text) > 0:
        return "emergency" if intent in ("new_job", "other", "greeting") else None
    if intent != "new_job":
        return None
    if NOT_URGENT.search(text):
        return "normal"
    if HIGH.search(text) or is_today:
        return "high"
    return "normal"


def vocabulary() -> set[str]:
    """Keyword words (six letters or more) the speller may correct toward."""
    words: set[str] = set()
    families = list(SERVICES.values()) + list(INTENT_FAMILIES.values()) + [EMERGENCY]
    for family in families:
        for rx, _ in family:
            words.update(re.findall(r"(?<![\\a-z])[a-z]{6,}(?![a-z(])", rx.pattern))
    return words
