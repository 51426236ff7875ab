"""Keyword families for what a customer asks: a person instead of the bot, a cancellation, a new
day or time for a visit, an invoice, a payment, news about a job, or a new job. Each family is a
list of weighted regexes over folded, expanded text (see `keywords.py`); `rules.py` scores them
to classify the intent, and their words feed the speller's vocabulary."""

from __future__ import annotations

from nlu.extract.keywords import family as _family

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
        # the wait for the visit: "¿cuánto falta?", "¿falta mucho?", "¿cuánto les falta para llegar?"
        ((r"\bcuanto\s+(?:mas\s+)?(?:tiempo\s+)?(?:mas\s+)?(?:les?\s+|te\s+)?falta\b(?!\s+(?:pagar|de\s+pago|abonar|para\s+pagar))"
         r"|\bfalta\s+mucho\b|\bles\s+falta\s+mucho\b"), 4),
        # work under way: "¿para cuándo estaría terminado?", "¿cuándo terminan?"
        ((r"\b(?:para\s+)?cuando\s+(?:estaria|estaran|quedaria|quedaran|queda|esta)\s+(?:terminad[oa]|list[oa])\b"
         r"|\bcuando\s+(?:terminan|terminarian|terminarian|la\s+terminan|lo\s+terminan)\b"), 4),
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
