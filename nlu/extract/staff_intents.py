"""Keyword families for what staff say: a technician on the way, arrived, done, unable to finish
or asking for their agenda, and an owner asking for a summary of the numbers or for who still
owes money. Each family is a list of weighted regexes over folded, expanded text (see
`keywords.py`); `rules.py` scores them to classify the intent, and their words feed the
speller's vocabulary."""

from __future__ import annotations

from nlu.extract.keywords import family as _family

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
