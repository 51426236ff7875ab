"""The trade a request is about: keyword families per service, and the gas water heater rule."""

from __future__ import annotations

import re
from dataclasses import dataclass

from nlu.extract.keywords import Family, family, literal_words, score

SERVICES: dict[str, Family] = {
    "plomeria": family(
        [
            (r"\bplomer\w*", 5),
            (r"\binund\w*", 2),
            (r"\b(?:perdida|fuga|escape)s?\s+de\s+agua\b", 3),
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
            (r"\bsifon\b", 2),
            (r"\bllave\s+de\s+paso\b", 3),
            # a valve by its kind or size: "llave esférica", "llave de 3/4"
            (r"\bllaves?\s+(?:esferica|de\s+(?:\d\s+)?[1-7]/(?:2|4|8)\b)", 3),
            # the tap of a shower or a basin: "la llave de la ducha no cierra"
            ((r"\bllaves?\s+(?:de\s+(?:la\s+|el\s+|del\s+)?)?(?:ducha|bacha|lavatorio|pileta|bidet|banadera|agua"
             r"|cocina|bano|lavadero)\b|\bmezcladora\b|\bmonocomando\b|\bgriferia\w*"), 3),
            (r"\bcisterna\b", 3),
            (r"\bpresion\s+(?:de|del)\s+agua\b", 3),
            (r"\bpoca\s+presion\b", 2),
            (r"\bsale\s+agua\b", 1.5),
            (r"\bgotea\b", 1),
            # water coming from the flat above ("viene del depto de arriba"): a pipe's, not the
            # roof's or the wall's
            (r"\b(?:depto|dpto|departamento|piso|vecin[oa]s?|unidad|bano)\s+de\s+arriba\b", 2.5),
            (r"\bagua\b", 0.5),
            # no water at all (not hot water: that is the heater's)
            (r"\b(?:sin|no\s+(?:hay|tengo|tenemos|tienen|sale|llega))\s+(?:nada\s+de\s+)?agua\b(?!\s+caliente)", 2),
            (r"\bpileta\b", 0.5),
            # a leak at a water fixture, whichever way round: "pérdida abajo de la pileta", "pierde
            # el inodoro", "la bacha gotea" (a kitchen or a bathroom alone may be the gas's)
            ((r"\b(?:perdida|pierde\w*|gote\w+|filtr\w+)\b(?:\s+\w+){0,4}\s+(?:pileta|bacha|lavatorio|inodoro"
              r"|ducha|banadera|bidet|mochila)\b|\b(?:pileta|bacha|lavatorio|inodoro|ducha|banadera|bidet)\b"
              r"(?:\s+\w+){0,3}\s+(?:pierde\w*|gote\w+|filtr\w+)\b"), 2),
            (r"\bbidet\b", 2),
            (r"\bcolector\w*", 1),
            (r"\bcodo\b", 1),
        ]
    ),
    "destapaciones": family(
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
    "electricidad": family(
        [
            (r"\belectric(?:ista|istas|idad|o|a|os|as)\b", 4),
            (r"\bluz\b", 2),
            (r"\bluces\b", 2),
            (r"\b(?:sin|no\s+(?:tengo|tenemos|hay))\s+luz\b|\bse\s+(?:corto|fue)\s+la\s+luz\b", 2),
            (r"\benchufes?\b", 3),
            (r"\btomacorrientes?\b", 3),
            ((r"\b(?:\d+|un|dos|tres|cuatro|cinco|los|el|unos|agregar\s+un|nuevo|nuevos)\s+tomas?\b"
             r"|\btomas?\s+(?:nuev|corrient|electric)\w*"), 2.5),
            (r"\btermicas?\b", 3),
            (r"\bdisyuntor\w*", 3),
            (r"\btablero\b", 2),
            (r"\bcables?\b", 2),
            (r"\bcableado\b", 3),
            (r"\bcorto\s*circuito\b", 3),
            (r"\bchisp(?:a|e|ea|ean|eo|eaba|eando|orrot)\w*", 1),
            (r"\bolor\s+a\s+quemado\b", 1),
            (r"\b(?:lampara|foco|luminaria|aplique|plafon)\w*", 2),
            (r"\bventilador(?:es)?\s+de\s+techo\b", 3),
            (r"\bventilador\w*", 1.5),
            (r"\btension\b|\bvoltaje\b", 2),
            (r"\bpuesta\s+a\s+tierra\b", 3),
            (r"\bmedidor\s+de\s+luz\b", 3),
            (r"\bedesur\b|\bedenor\b", 3),
            # a shock from a tap, a shower or an appliance is a current leak: the electrician's,
            # whatever fixture gives it ("me da corriente la canilla", "la ducha patea")
            ((r"\b(?:da|dan|daba|dio|tira|tiraba|pega|pegaba|tiene|hay)\s+(?:\w+\s+)?(?:corriente|patada|patadas"
              r"|descargas?)\b|\bpate(?:a|an|aba|o)\b|\belectrocut\w*|\bdescargas?\s+electric\w*"
              r"|\bshock\b|\bcosquilleo\b"), 6),
            (r"\binterruptor\w*", 2),
            (r"\bresistencias?\b", 2),
        ]
    ),
    "gas": family(
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
            (r"\bllama\b", 1),
        ]
    ),
    "aire_acondicionado": family(
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
    "calefaccion": family(
        [
            (r"\bcalefacc\w*", 5),
            (r"\bcaldera\w*", 5),
            (r"\bradiador\w*", 4),
            (r"\b(?:losa|piso)\s+radiante\b", 5),
            (r"\bcalefactor\w*", 4),
            (r"\bestufa\w*", 3),
            (r"\btiro\s+balanceado\b", 4),
            (r"\bpurg\w*", 2),
            (r"\bno\s+calienta\b", 1),
            (r"\bsalamandra\b|\bhogar\s+a\s+lena\b", 3),
        ]
    ),
    "cerrajeria": family(
        [
            (r"\bcerraj\w*", 6),
            (r"\bcerraduras?\b", 5),
            # not the valve shut or the main switch: "cerré la llave", "la llave general"
            ((r"(?<!cerre\sla\s)(?<!corte\sla\s)(?<!cerro\sla\s)(?<!corto\sla\s)(?<!cerramos\sla\s)"
              r"(?<!cortamos\sla\s)(?<!baje\sla\s)(?<!bajo\sla\s)"
              r"\bllaves?\b(?!\s+(?:general|termica|de\s+paso|de\s+luz|mezcladora|monocomando|esferica"
              r"|de\s+(?:\d\s+)?[1-7]/(?:2|4|8)\b"
             r"|(?:de\s+(?:la\s+|el\s+|del\s+)?)?(?:ducha|bacha|lavatorio|pileta|bidet|banadera|agua|cocina"
             r"|bano|lavadero)\b))"), 2),
            (r"\bcombinado\b", 3),
            (r"\bcandado\w*", 3),
            (r"\bcerrojo\w*", 4),
            (r"\bpicaporte\w*", 2),
            (
                r"\bme\s+quede\s+(?:afuera|encerrad\w*)|\bquedamos\s+(?:afuera|encerrad\w*)|\bquede\s+encerrad\w*",
                5,
            ),
            (r"\bno\s+(?:puedo|podemos)\s+(?:entrar|abrir\s+la\s+puerta)\b", 4),
            (
                (
                    r"\b(?:quedo|quedaron|esta|estan)\s+encerrad\w*"
                    r"|\bse\s+(?:quedo|quedaron)\s+(?:\w+\s+){0,2}encerrad\w*|\bse\s+encerr\w+"
                ),
                5,
            ),
            (r"\bse\s+(?:trabo|rompio|atasco)\s+la\s+(?:puerta|cerradura)\b", 4),
            ((r"\bno\s+(?:se\s+)?(?:abre|puedo\s+abrir|podemos\s+abrir|hay\s+forma\s+de\s+abrir)\s+(?:\w+\s+){0,2}puerta\b"
             r"|\bpuerta\s+(?:\w+\s+){0,2}(?:no\s+(?:se\s+)?abre|trabad[oa]|atascad[oa])\b"), 4),
            (r"\bpuertas?\b", 1),
            (r"\bcopias?\s+de\s+(?:la\s+|las\s+)?llaves?\b", 3),
            (r"\bblindad[oa]\b", 2),
            (r"\btraba\b", 1),
        ]
    ),
    "electrodomesticos": family(
        [
            (r"\blavarropas\b|\blavadora\b", 5),
            (r"\bheladera\w*", 4),
            (r"\bmicroondas\b", 5),
            (r"\blavavajillas\b|\blavaplatos\b", 5),
            (r"\bsecarropas\b|\bsecadora\b", 5),
            (r"\bfreezer\b", 3),
            (r"\bhorno\s+electrico\b", 4),
            (r"\bhorno\b", 2),
            ((r"\bresistencia\s+(?:de(?:l)?\s+(?:la\s+)?)?(?:horno|heladera|lavarropas|secarropas|lavavajillas"
             r"|microondas|freezer)\b"), 3),
            (r"\bvitroceramica\b", 3),
            (r"\bcentrifug\w*", 3),
            (r"\belectrodomestic\w*", 5),
            (r"\bdrean\b|\bwhirlpool\b|\bgafa\b|\bpatrick\b|\belectrolux\b", 1),
            (r"\btelevisor\b|\bcafetera\b|\baspiradora\b|\bdispenser\b", 2),
            # a kitchen hood and its motor: "la campana de la cocina no tira"
            ((r"\bcampanas?\s+(?:de\s+(?:la\s+)?cocina|extractora)\b|\bextractor(?:a|es|as)?\s+de\s+(?:cocina|aire)\b"
             r"|\bpurificador\w*"), 4),
            (r"\bcampanas?\b", 1.5),
            (r"\bspar\b|\bephca\b|\btecnolux\b|\bsamsung\b|\blg\b|\bphilco\b|\bbgh\b", 0.5),
            (r"\bplaca\b", 0.5),
        ]
    ),
    "albanileria": family(
        [
            (r"\balbanil\w*", 6),
            (r"\brevoque\w*|\brevoc(?:ar|arla|arlo|ado|ada|an|amos)\b", 4),
            (r"\bpared(?:es)?\b", 2),
            (r"\bladrillo\w*", 4),
            (r"\bcarpeta\b", 3),
            (r"\bceramic\w*", 3),
            (r"\bcontrapiso\w*", 4),
            (r"\bmamposteria\b", 4),
            (r"\brajad\w*|\bse\s+rajo\b|\bgrieta\w*|\bfisura\w*", 2),
            (r"\bhumedad\b", 2),
            (r"\brevestimiento\w*|\bporcelanato\w*|\bazulejo\w*|\bbaldosa\w*", 3),
            (r"\btecho\b", 1),
            (r"\bmembrana\b|\bimpermeabili[zc]\w*", 3),
            (r"\bobra\b|\breforma\w*|\brefaccion\w*", 2),
            (r"\bdurlock\b", 2),
            (r"\bhormigon\b|\bcemento\b|\bmezcla\b|\bdemol\w*", 3),
            (r"\bmedianera\b|\bcolumna\b|\bviga\b|\blosa\b(?!\s+radiante)", 2),
        ]
    ),
    "pintura": family(
        [
            (r"\bpint(?:ar|ura|uras|or|ores|ado|ada|amos|en|emos|e|arlo|arla)\b", 6),
            (r"\blatex\b|\besmalte\b|\benduido\b|\bmanos\s+de\s+pintura\b|\bdos\s+manos\b", 3),
            (r"\bempapel\w*", 2),
        ]
    ),
}

# ---- the gas water heater ---------------------------------------------------------------------
# A calefón or termotanque is the gas fitter's appliance whatever the symptom: a leak in it, no
# hot water, a pilot light that goes out. Its symptoms also match plumbing words ("pierde agua",
# "sale agua"), so when the heater is the subject those words count for gas.
WATER_HEATER = re.compile(
    r"\b[ck]al[ae]f[oa]n(?:t|es|cito)?\b|\bcalefom\b"
    r"|\btermo[\s-]*ta[nm]?[qk]\w*"
    r"|\b(?:el|del|al|mi|un|ese|este|nuestro|tu|su)\s+termo\b(?!\s+(?:de|del|para)\s+(?:mate|cafe|te)\b)"
    r"|\bcalentador(?:es)?\s+(?:de|del|para\s+el)\s+agua\b"
)
# what a heater without a name shows: no hot water, a pilot flame
HOT_WATER_SYMPTOM = re.compile(
    r"\b(?:no\s+(?:me\s+|nos\s+)?(?:sale|salia|hay|habia|tengo|tenemos|tiene|tenes|sale\s+mas)|sin|nada\s+de|falta)"
    r"\s+agua\s+caliente\b"
    r"|\bagua\s+caliente\s+no\s+(?:sale|hay|anda|funciona|llega)\b"
    r"|\b(?:sale|sala)\s+(?:el\s+|solo\s+)?agua\s+fria\b|\bel\s+agua\s+(?:sale\s+fria|no\s+(?:se\s+)?calienta)\b"
    r"|\bno\s+calienta\s+el\s+agua\b"
    r"|\bpiloto\b"
)
# a heater that is clearly electric belongs to the electrician
ELECTRIC_HEATER = re.compile(
    rf"(?:{WATER_HEATER.pattern})\W+(?:\w+\W+){{0,3}}?electric(?:o|a|os|as)\b"
    r"|\belectric(?:o|a|os|as)\b|\bresistencia\b"
)
# space heating: a pilot or a caldera in these messages is the heating system's
SPACE_HEATING = re.compile(
    r"\bcalefacc\w*|\bradiador\w*|\b(?:losa|piso)\s+radiante\b|\bcalefactor\w*|\bestufa\w*"
    r"|\btiro\s+balanceado\b|\bsalamandra\b|\bhogar\s+a\s+lena\b"
)
HEATER_WEIGHT = 4.0


def gas_water_heater(text: str) -> bool:
    """True when the request is about a gas water heater (named, or known by its symptoms)."""
    named = WATER_HEATER.search(text)
    if named and ELECTRIC_HEATER.search(text):
        return False
    if named:
        return True
    # unnamed: no hot water or a pilot light, unless the message is about space heating
    return bool(HOT_WATER_SYMPTOM.search(text)) and not SPACE_HEATING.search(text)


# ---- what else decides ------------------------------------------------------------------------
# The trade's person asked for by name: "necesito un plomero" is the plumber's, whatever the
# symptom suggests (a customer who says plumber for no hot water wants a plumber); only a
# water heater named outright stays the gas fitter's (see `gas_water_heater`).
TRADE_PEOPLE = {
    "plomeria": re.compile(r"\bplomer[oa]s?\b"),
    "gas": re.compile(r"\bgasistas?\b"),
    "electricidad": re.compile(r"\belectricistas?\b"),
    "cerrajeria": re.compile(r"\bcerrajer[oa]s?\b"),
    "albanileria": re.compile(r"\balbanil(?:es)?\b"),
    "pintura": re.compile(r"\bpintor(?:es|a|as)?\b"),
    "aire_acondicionado": re.compile(r"\bfrigorist\w*|\btecnicos?\s+(?:de|en)\s+(?:aires?|splits?)\b"),
    "electrodomesticos": re.compile(r"\btecnicos?\s+(?:de|en)\s+(?:heladeras?|lavarropas|electrodomesticos)\b"),
}
# A washing machine that does not drain is the appliance's fault, not the drain's.
APPLIANCE = re.compile(r"\blavarropas\b|\blavadora\b|\blavavajillas\b|\blavaplatos\b|\bsecarropas\b")
DRAIN_ITSELF = re.compile(r"\bdestap\w*|\btapad[oa]s?\b|\bse\s+(?:me\s+)?tap(?:o|aron)\b|\bcloacas?\b|\bpozo\b"
                          r"|\bcamara\b|\binodoro\b|\brejilla\b")
# What the work is for is not the work: "pasar un cable para el aire" is the electrician's,
# "un enchufe para el lavarropas" too, and "revocar la pared para dejarla lista para pintar"
# the mason's. Evidence outside such phrases decides when there is any.
PURPOSE = re.compile(
    r"\bpara\s+(?:el|la|los|las|un|una|mi|mis|su|sus|conectar\s+(?:el|la)|enchufar\s+(?:el|la))\s+\w+"
    r"(?:\s+(?:de|del)\s+\w+)?"
    r"|\b(?:para|antes\s+de)\s+(?:despues\s+|luego\s+|poder\s+|que\s+se\s+pueda\s+)?pintar\w*"
    r"|\blist[oa]s?\s+para\s+(?:la\s+)?pintura\b"
)


# A breaker that trips when something is plugged in or turned on ("me salta el disyuntor cada vez
# que enchufo el lavarropas", "se baja la térmica cuando prendo el aire") is the electrician's: the
# appliance only sets it off.
_TRIPS = re.compile(r"\b(?:termicas?|disyuntor\w*|diferencial|tapon\w*|fusibles?|llave\s+(?:de\s+luz|general)"
                    r"|salta\s+la\s+luz|se\s+(?:me\s+)?corta\s+la\s+luz)\b")
_TRIGGER = re.compile(
    r"\b(?:cuando|cada\s+vez\s+(?:que|q)|apenas|si|ni\s+bien)\s+(?:lo\s+|la\s+)?(?:enchuf\w+|prend\w+|pong\w+"
    r"|conect\w+|encend\w+|enciend\w+|us\w+|arranc\w+|se\s+prende|anda|funciona|lav\w+)"
    r"(?:\s+(?:el|la|los|las|mi|un|una))?(?:\s+\w+){1,2}")


def classify_service(text: str, extra: dict[str, float] | None = None) -> str | None:
    """The trade the text is about, or None."""
    named = [name for name, rx in TRADE_PEOPLE.items() if rx.search(text)]
    # a water heater named outright stays the gas fitter's, whoever is asked for
    if len(named) == 1 and not (named[0] == "plomeria" and WATER_HEATER.search(text)):
        return named[0]
    if _TRIPS.search(text):
        text = _TRIGGER.sub(" ", text)
    work = PURPOSE.sub(" ", text)
    return (work != text and _best(work, extra)) or _best(text, extra)


def _best(text: str, extra: dict[str, float] | None, floor: float = 2.0) -> str | None:
    scores = _scores(text, extra)
    best, best_score = None, 0.0
    for name, s in scores.items():
        if s > best_score:
            best, best_score = name, s
    return best if best_score >= floor else None


def _scores(text: str, extra: dict[str, float] | None = None) -> dict[str, float]:
    scores = {
        name: score(fam, text) + (extra or {}).get(name, 0.0) for name, fam in SERVICES.items()
    }
    if gas_water_heater(text):
        # the leak or the caldera named here is the heater itself: their evidence is gas evidence
        absorbed = ["plomeria"] + ([] if SPACE_HEATING.search(text) else ["calefaccion"])
        scores["gas"] += HEATER_WEIGHT + sum(scores.pop(name) for name in absorbed)
    if APPLIANCE.search(text) and not DRAIN_ITSELF.search(text):
        scores["electrodomesticos"] += scores.pop("destapaciones")
    return scores


# ---- asking which trade -------------------------------------------------------------------------
# A leak or a smell that says not of what ("tengo una pérdida en el baño", "hay un olor feo en la
# cocina") is water or gas, gas or a drain: the two are asked about by name, since one of them is
# a danger now. Anything else with some evidence offers its likeliest trades first.
_LEAK = re.compile(r"\b(?:perdidas?|pierde\w*|perdiendo|fugas?|escapes?|se\s+escapa)\b")
_SMELL = re.compile(r"\bolor\w*|\bhuele\w*|\btufo\b|\bchanfle\b|\bbaranda\b")
_OF_WHAT = re.compile(r"\bagua\b|\bgas\b|\bcloaca\w*|\bhumedad\b|\bquemado\b|\baceite\b|\baire\b"
                      r"|\bnafta\b|\bcorriente\b|\bluz\b")


@dataclass(frozen=True)
class Choices:
    kind: str  # "leak" (water or gas), "smell" (gas or a drain), "likely" (the likeliest trades)
    services: tuple[str, ...]


def choices(text: str) -> Choices | None:
    """The trades to offer first when `classify_service` found none in `text` (folded and
    normalized): a leak or a smell of nothing named, or up to two trades with some evidence."""
    if not _OF_WHAT.search(text):
        if _LEAK.search(text):
            return Choices("leak", ("plomeria", "gas"))
        if _SMELL.search(text):
            return Choices("smell", ("gas", "destapaciones"))
    ranked = sorted(((s, name) for name, s in _scores(text).items() if s > 0), reverse=True)
    return Choices("likely", tuple(name for _, name in ranked[:2])) if ranked else None


def answered_service(text: str) -> str | None:
    """The trade an answer to "¿qué tipo de trabajo necesitás?" names: the same evidence as
    `classify_service`, any of it ("es de agua", "a cloaca", "de luz"), since the question says
    it is a trade."""
    return classify_service(text) or _best(text, None, floor=0.5)


def vocabulary() -> set[str]:
    """Service words the speller may correct toward."""
    heater = [WATER_HEATER.pattern, HOT_WATER_SYMPTOM.pattern, SPACE_HEATING.pattern]
    return (
        literal_words(rx.pattern for fam in SERVICES.values() for rx, _ in fam)
        | literal_words(heater)
        | {"termotanque", "calefon", "calentador"}
    )


# Trades one visit covers together: a plumber unclogs, a gas fitter services the heating, a
# mason paints. A second request of another group is another job.
_VISIT_GROUP = {
    "plomeria": "water", "destapaciones": "water", "gas": "gas", "calefaccion": "gas",
    "electricidad": "power", "aire_acondicionado": "air", "cerrajeria": "locks",
    "electrodomesticos": "appliances", "albanileria": "building", "pintura": "building",
}
# "y además…", "también…", "aparte…", "de paso…", "y otra cosa:": what follows asks for more
_ALSO = re.compile(
    r"(?:^|[\s,.;:!?])(?P<also>(?:y\s+)?(?:ademas|tambien|aparte|de\s+paso|otra\s+cosa|ah\s+y|y\s+despues))\b"
    r"(?!\s+(?:de\s+(?:eso|esto)|del\s+arreglo))")
_SENTENCE_END = re.compile(r"[.!?\n]")
def one_visit(first: str | None, second: str | None) -> bool:
    """Whether one visit covers work of both trades (a clog and the flood it makes)."""
    return first == second or (first in _VISIT_GROUP and _VISIT_GROUP[first] == _VISIT_GROUP.get(second))


_OUTRIGHT = 3.0  # "gotea la canilla", "pintar el living", "un enchufe quemado"; not "pierde agua"


def named_outright(service: str, said: str) -> bool:
    """Whether `said` names work of `service` by its own thing, not by a symptom the first
    request's appliance may have ("se rompió el termotanque, también pierde agua por abajo")."""
    return score(SERVICES[service], said) >= _OUTRIGHT or (service == "gas" and gas_water_heater(said))


def second_request(folded: str, service: str | None) -> tuple[int, int, str] | None:
    """Where, in the folded text of a request for `service`, a second request of a trade one
    visit does not cover begins and ends, and its trade, or None. Usually it follows the words
    that add it ("se me tapó el inodoro y además quería presupuesto para pintar el living":
    "quería presupuesto para pintar el living", pintura); when the request being booked is the
    one added ("se me rompió el termotanque y además hay un enchufe que hace chispas": the sparks
    are the emergency booked), the other is the sentence before those words."""
    if not service or service not in _VISIT_GROUP:
        return None
    for m in _ALSO.finditer(folded):
        end = _SENTENCE_END.search(folded, m.end())
        stop = end.start() if end else len(folded)
        said = folded[m.end():stop]
        added = classify_service(said)
        if classify_service(folded[:m.start()]) == service:
            other, span = added, (m.end("also"), stop)
        elif added == service and named_outright(service, said):
            # the sentence before the marker, even when the marker begins a sentence of its own
            before_end = len(folded[:m.start()].rstrip(" ,.;:!?\n"))
            before_start = max((e.end() for e in _SENTENCE_END.finditer(folded, 0, before_end)),
                               default=0)
            said = folded[before_start:m.start()]
            other, span = classify_service(said), (before_start, m.start())
        else:
            continue
        if other and _VISIT_GROUP.get(other) != _VISIT_GROUP[service] and named_outright(other, said):
            start, stop = span
            while start < stop and not folded[start].isalnum():
                start += 1
            while stop > start and not folded[stop - 1].isalnum():
                stop -= 1
            return start, stop, other
    return None
