"""Amounts in pesos, lunfardo included: "15 lucas", "15k", "$15.000", "un palo y medio"."""

from __future__ import annotations

import re
from itertools import pairwise

from nlu.extract.numbers import (
    NUMBER,
    NUMBER_PHRASE,
    NUMBER_WORDS,
    number_value,
    parse_digits,
    words_to_int,
)

_HALF = r"(?:\s+y\s+(?P<half>medi[oa]))?"
_UNIT = (
    r"(?P<unit>lucas?|luquitas?|k\b|mil\b|palos?|palitos?|millon(?:es)?|mangos?|pesos?|gambas?"
    r"|mangos|ars\b)"
)
# "15 lucas", "quince mil", "1,5 palos", "un palo y medio", "15k", "15 mil 500"
_WITH_UNIT = re.compile(
    rf"(?<![\w.,])(?P<num>{NUMBER})\s*{_UNIT}{_HALF}(?:\s+(?P<tail>\d{{1,3}})\b(?!\s*(?:mil|lucas)))?"
)
_BARE_UNIT = re.compile(
    rf"\b(?P<pre>media|medio)\s+(?P<unit>luca|palo|gamba)\b|\b(?P<unit2>luca|palo|gamba){_HALF}\b"
)
_DOLLAR = re.compile(rf"\$\s*(?P<num>{NUMBER})(?:\s*(?P<unit>k\b|mil\b|lucas?\b))?")
_VERB = re.compile(
    r"\b(?:cobr\w*|pag\w*|abon\w*|transf\w*|deposit\w*|sena|senia|adelanto|anticipo|son|eran|es|"
    r"sale|salio|saldria|costo|cuesta|total|monto|presupuesto|precio|debe|deben|faltan?)"
    r"(?:\s+(?:de|los|las|unos|unas|en|como|el|un|total|solo|nada\s+mas|al\s+tecnico|"
    r"por\s+todo|me|le|te|les|nos))*\s+"
    rf"(?P<num>{NUMBER})\b"
)
_NOT_MONEY_AFTER = re.compile(
    r"\s*(?:gracias|disculpas|perdon|veces|besos|anos|meses|dias|horas|minutos|metros|mts?\b|m2|"
    r"km|kg|frigorias|ambientes|cuotas|%|°|/|:|hs\b|de\s+la\s+(?:manana|tarde|noche)"
    # measures of the thing, not pesos: "un tanque de 1000 litros", "un split de 3000 watts"
    r"|litros|lts?\b|cm\b|mm\b|pulgadas|watts?\b|w\b|kw\b|amper\w*|volts?\b|btu\b|hp\b|kilos)"
)
_NUMBER_WORD_NEXT = re.compile(rf"\s+(?:y\s+)?(?:{'|'.join(sorted(NUMBER_WORDS))})\b")
_SCALE = {
    "luca": 1000,
    "lucas": 1000,
    "luquita": 1000,
    "luquitas": 1000,
    "k": 1000,
    "mil": 1000,
    "palo": 1_000_000,
    "palos": 1_000_000,
    "palito": 1_000_000,
    "palitos": 1_000_000,
    "millon": 1_000_000,
    "millones": 1_000_000,
    "gamba": 100,  # lunfardo: a hundred pesos ("una gamba y media" is 150)
    "gambas": 100,
}
# "85.000 por transferencia", "12.500 en efectivo": a number written with thousands, then how
# it was (or will be) paid
_PAID_HOW = re.compile(
    r"(?<![\w.,/-])(?P<num>\d{1,3}(?:\.\d{3})+|[1-9]\d{3,6})\s+(?:pesos\s+)?(?:por\s+(?:transferencia|transf|mp|"
    r"mercado\s*pago)|en\s+(?:efectivo|mano|cash)|de\s+contado|cash|con\s+(?:tarjeta|debito|credito)"
    # "42500 cobrados", "30.000 pagados"
    r"|cobrad[oa]s?|pagad[oa]s?|abonad[oa]s?)\b"
)


# "pagué en efectivo al técnico 45.000", "le di 12.500 a Juan", "transferí 30.000": a figure
# with thousands points in a clause that pays or gives it (not a DNI, phone or street number)
_THOUSANDS = re.compile(r"(?<![\w.,/-])(?P<num>\d{1,3}(?:\.\d{3})+)(?![\w/-]|[.,]\d)")
_PAID_VERB = re.compile(
    r"\b(?:pague|pagamos|pago|pagaron|pagaste|pagado|abone|abonamos|abono|di|dimos|dio|dieron|"
    r"transferi|transferimos|transfirio|transfirieron|deposite|depositamos|mande|mandamos|"
    r"entregue|entregamos|cobre|cobro|cobraron|cobramos|deje|dejamos|pase|pasamos|gire|envie|"
    r"le\s+di|le\s+dimos)\b"
)
_NOT_AMOUNT_BEFORE = re.compile(
    r"\b(?:dni|documento|cuit|cuil|tel|telefono|celular|cel|whatsapp|numero|nro|n°|legajo|cliente|"
    r"factura|recibo|comprobante|operacion|pedido|orden|calle|av|avenida|al|altura|piso|km)\W*$"
)
_CLAUSE_CUT = re.compile(r"[;!?\n]|[,.](?!\d)")


def _paid_figures(folded: str):
    for m in _THOUSANDS.finditer(folded):
        if _NOT_MONEY_AFTER.match(folded, m.end()) or _NOT_AMOUNT_BEFORE.search(folded, 0, m.start()):
            continue
        start = max((c.end() for c in _CLAUSE_CUT.finditer(folded, 0, m.start())), default=0)
        cut = _CLAUSE_CUT.search(folded, m.end())
        clause = folded[start : cut.start() if cut else len(folded)]
        if _PAID_VERB.search(clause):
            yield m


def _value(num: str) -> float | None:
    num = num.strip()
    if num[:1].isdigit():
        return parse_digits(num)
    v = words_to_int(num)
    return float(v) if v is not None else None


def _clean(value: float) -> float:
    return float(round(value, 2))


# No field-service job is charged a billion pesos: a longer figure is a slip of the keyboard (or a
# phone number read as money), and an invoice of it would only be refused by AFIP.
MAX_AMOUNT = 1_000_000_000


# Parts of one charge joined into a total: "2 lucas de materiales más 35 la mano de obra",
# "15 lucas + 3 de viático", "20 mil, aparte 5 mil de repuestos" (what lies between two amounts)
_ADDS = re.compile(r"\bmas\b|\+|\bsumale\b|\bsumarle\b|\baparte\b|\bademas\b|\bcon\s+otr[oa]s?\b")
# ...unless the message states the total itself, or corrects one figure with another
_NOT_PARTS = re.compile(
    r"\b(?:total|en\s+total|todo\s+junto|o\s+sea|es\s+decir|serian|en\s+vez|antes|perdon|no\s+era|mejor|"
    r"menos|descuento|descontale|rebaja|de\s+los\s+cuales|ya\s+(?:pago|pagaron|me\s+dio|dejo|tiene))\b")
# A charge told with a bare figure of two digits, in thousands as the trade says it: "cobrale
# 25", "le cobré 30", "cobrá 18 nomás"
_CHARGE_IN_THOUSANDS = re.compile(
    r"\b(?:cobr(?:ale|arle|ales|arles|a|e|o|amos|aron|ame)|le\s+cobr[eo]|eran|fueron|serian)\s+(?:le\s+|solo\s+|nomas\s+)?\$?\s*"
    r"(?P<n>[1-9]\d)(?!\d|[.,:/]\d)(?!\s*(?:%|hs?\b|horas|min|minutos|dias|metros|m2|cuotas|pesos|\w*mil))")
# The total stated after its parts: "= 57.300", "total 35 mil", "en total son 40 lucas"
_STATED_TOTAL = re.compile(
    r"(?:=|\b(?:en\s+)?total(?:\s+(?:de|son|es|seria|serian|fue|fueron))?\s*:?)\s*(?=\$?\s*\d)")
_PART_GAP = 80  # characters from one part's start to the next one's, at most
# What a part of a charge pays for: "de materiales", "la mano de obra", "del flexible"
_COST = (r"(?:materiales|material|viaticos?|repuestos?|insumos|mano\s+de\s+obra|traslados?|flete"
         r"|visita|envio|caños?|canos?|cables?)\b")
_FOR_WHAT = (rf"(?:(?:de|por)\s+(?:la\s+|el\s+|los\s+|las\s+)?{_COST}|(?:la|el|los)\s+{_COST}|del\s+[a-z]{{3,}}"
             # a part bought: "3500 de un sifón nuevo", "2 lucas por dos canillas"
             rf"|(?:de|por)\s+(?:un|una|dos|tres|cuatro)\s+[a-z]{{3,}}"
             # what the part pays for, named: "25 por el arreglo", "10 por la instalación"
             rf"|por\s+(?:el|la)\s+(?!tarde|manana|noche|mediodia|zona|semana)[a-z]{{4,}})")
# "y el repuesto salió 12 mil", "más el flexible que son 2500": a thing named, then its price
_PRICED_THING = (r"(?:el|la|los|las)\s+[a-z]{3,}(?:\s+(?:de\s+)?[a-z]{3,})?\s+(?:que\s+)?"
                 r"(?:salio|salieron|sale|salen|son|es|fue|fueron|cuesta|cuestan|costo|costaron|vale|valio)\s*")
# "15 lucas + 3 de viático", "20 mil, aparte 5 de repuestos", "15000 + 3000 de materiales",
# "quince lucas más tres de materiales": a part written without its unit, right after a joining
# word and right before what it pays for. Under a thousand it is in the unit of the part before
# it (nobody adds three pesos of travel to fifteen thousand); a thousand or more is pesos.
_BARE_PART = re.compile(
    rf"(?:\bmas\b|\+|\baparte\b|\bsumale\b|\by\b)\s*(?P<num>\d{{1,3}}(?:\.\d{{3}})+|\d{{1,7}}(?:[.,]5)?"
    rf"|{NUMBER_PHRASE})\s+{_FOR_WHAT}")
# "cobrale 15000 + 3000 de materiales": a plain figure right before a joining word is a part too
# (only ever added to another part, never an amount on its own)
_PLAIN_BEFORE_JOIN = re.compile(
    r"(?<![\w.,$/-])(?P<num>\d{1,3}(?:\.\d{3})+|\d{4,7})(?![\w.,/-])(?=\s*(?:\+|\bmas\b|\by\b))")
# "12 lucas de mano de obra y 3 de materiales", "35 lucas la mano de obra y 2 los repuestos":
# "y" joins two parts only right after the first part (and what it pays for)
_AND_JOIN = re.compile(rf"\s*(?:{_FOR_WHAT})?\s*,?\s*(?:y|mas|\+|aparte)\s*(?:{_PRICED_THING})?")
# "más el flexible que son 2500": a part without its unit after a thing named and priced
_PRICED_PART = re.compile(
    rf"(?:\bmas\b|\+|\baparte\b|\by\b)\s*{_PRICED_THING}(?P<num>\d{{1,3}}(?:\.\d{{3}})+|\d{{1,7}}(?:[.,]5)?"
    rf"|{NUMBER_PHRASE})\b")
# A charge listed by what it pays for, figures without a unit ("mano de obra 20000, materiales
# 8500", "flexible 3000, canilla 15000"): each item starts with a word of work or parts
_ITEM_WORDS = (r"mano\s+de\s+obra|materiales|material|repuestos?|insumos|visita|viaticos?|traslados?"
               r"|flexibles?|canillas?|sifon(?:es)?|valvulas?|llaves?|termicas?|disyuntor(?:es)?|cables?"
               r"|canos?|codos?|griferias?|mezcladoras?|flotantes?|bombas?|cerraduras?|cilindros?|arreglo"
               r"|instalacion|destape|service|diagnostico|revision|repuesto|pieza|piezas|gas|carga")
_LISTED_ITEM = re.compile(
    rf"(?:^|[,;:\n.]\s*|\by\s+|\bmas\s+|\+\s*)(?:(?:el|la|los|las)\s+)?(?P<label>(?:{_ITEM_WORDS})\b"
    rf"(?:\s+[a-z]+){{0,3}}?)\s*:?\s*\$?\s*(?P<num>\d{{1,3}}(?:\.\d{{3}})+|\d{{3,7}})(?![\w/-]|[.,]\d)")
# So much each: "2 termotanques, 60 lucas cada uno", "3 horas a 10 mil la hora"
_COUNT = re.compile(r"\b(?P<n>\d{1,2}|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez)\s+(?P<what>[a-z]{3,})\b")
_EACH_AFTER = re.compile(r"\s*(?:cada\s+un[oa]|c/?u\b|cada\s+[a-z]+|por\s+cabeza|(?P<hour>(?:la|por|x)\s+hora)|"
                         r"por\s+(?:unidad|equipo|cada\s+[a-z]+))")


# A figure taken back in the same message: "cobrale 20 lucas, no perdón 25", "18 mil... digo
# 19", "son 15, no, 16 lucas", "eran 30 mejor dicho 32": the figure after the slip is the one meant
_SELF_CORRECTION = re.compile(
    r"(?:\bno\s*,?\s*(?:perdon|perdona|mentira|me\s+equivoque)|\bperdon\b|\bdigo\b|\bmejor\s+dicho"
    r"|\bme\s+equivoque\b|\bno\s*,\s*no\b|(?:[.,]|\.\.\.)\s*no\s*,?"
    # a price let down after the list one: "serían 31 pero cobrale 28", "son 20, dejalo en 18",
    # "eran 40 pero le cobré 35"
    r"|\bpero\s+(?:cobrale|cobrales|cobra|cobrele|le\s+cobre|le\s+cobramos|le\s+deje|dejalo\s+en|dejale\s+en"
    r"|ponele|hacele|son)|\b(?:dejalo|dejale|dejaselo|dejamelo)\s+en)\s*,?\s*"
    r"(?:(?:eran|son|es|fueron|cobrale|cobra|en)\s+)?(?=\$?\s*\d)")


# "Catorce quinientos", "18 quinientos", "veinte trescientos" after a charge: thousands then
# hundreds, the way a price is said aloud (14.500, 18.500, 20.300)
_HUNDREDS = ("cien|ciento|doscientos|trescientos|cuatrocientos|quinientos|seiscientos|setecientos"
             "|ochocientos|novecientos")
_SAID_THOUSANDS = re.compile(
    r"\b(?P<verb>cobr\w*|pag\w*|son|eran|sale|salio|cuesta|costo|total|precio|presupuesto|debe|transf\w*)"
    r"(?P<between>(?:\s+(?:le|les|me|te|nos|de|los|unos|en|como|el|un|total|solo))*\s+)"
    rf"(?P<n>\d{{1,2}}|[a-z]+(?:\s+y\s+[a-z]+)?)\s+(?P<h>{_HUNDREDS})\b(?!\s+(?:mil|lucas?|pesos\s+mil))")


def _thousands_said(folded: str) -> str:
    def spoken(m: re.Match) -> str:
        n = int(m.group("n")) if m.group("n").isdigit() else words_to_int(m.group("n"))
        h = words_to_int(m.group("h"))
        if n is None or h is None or not 1 <= n <= 99 or h % 100:
            return m.group(0)
        return f"{m.group('verb')}{m.group('between')}{n * 1000 + h}"
    folded = _SAID_THOUSANDS.sub(spoken, folded)

    def charged(m: re.Match) -> str:  # "cobrale veinticinco": as "cobrale 25", in thousands
        n = words_to_int(m.group("n"))
        return m.group(0) if n is None or not 10 <= n <= 99 else f"{m.group('lead')}{n}"
    return _CHARGE_WORDS.sub(charged, folded)


_CHARGE_WORDS = re.compile(
    r"(?P<lead>\b(?:cobr(?:ale|arle|ales|arles|a|e|o|amos|aron|ame)|le\s+cobr[eo])\s+(?:le\s+|solo\s+|nomas\s+)?)"
    r"(?P<n>[a-z]+(?:\s+y\s+[a-z]+)?)\b(?=\s*(?:$|[,.;!?\n]|nomas\b|y\s+(?:listo|chau)|que\b|q\b|porque\b|xq\b))")


def find_amount(folded: str) -> float | None:
    """The amount of money named in folded text, or None. Parts of one charge joined by "más"
    or "+" ("2 lucas de materiales más 35 de mano de obra") are added up, and a figure taken
    back in the same message gives way to the one after it."""
    folded = _thousands_said(folded)
    first = _find_amount(folded)
    if first is None:
        return None
    for slip in _SELF_CORRECTION.finditer(folded):
        said_before = _find_amount(folded[:slip.start()])
        if said_before is None:
            continue  # "no, perdón, eran 25" opens the message: nothing taken back
        after = folded[slip.end():]
        meant = _find_amount(after)
        if meant is None and (bare := re.match(r"\$?\s*(?P<n>\d{1,3}(?:\.\d{3})+|\d{1,7})\s*(?:$|[.!?,;]\s*(?!\d)"
                                            r"|(?=(?:q|que|nomas|nada\s+mas|solo|porque|xq|pq|y|asi|en\s+total)\b))",
                                            after)):
            # "20 lucas, no perdón 25": a bare figure in the unit of the one taken back
            n = int(bare.group("n").replace(".", ""))
            meant = n * 1000 if said_before >= 1000 and n < 1000 else n
        if meant:
            first = meant
    return first


def _find_amount(folded: str) -> float | None:
    reading = _reading(folded)
    if reading is None:
        values = [value for _, _, value in _listed(folded)]
        if not values and (labeled := _labeled_parts(folded)) is not None:
            return _clean(labeled[0])
        if not values and (bare := _CHARGE_IN_THOUSANDS.search(folded)):
            return _clean(int(bare.group("n")) * 1000)  # "cobrale 25": nobody charges 25 pesos
        return _clean(sum(values)) if values and sum(values) <= MAX_AMOUNT else None
    best, spans = reading
    if (stated := _STATED_TOTAL.search(folded)) is not None \
            and (total := _stated_total(folded[stated.end():stated.end() + 30])) is not None:
        return _clean(total)  # "45 mil + materiales 12.300 = 57.300": the total said
    added = _added_parts(folded, spans)
    if added is None and (labeled := _labeled_parts(folded)) is not None:
        return _clean(labeled[0])  # "mano de obra 20 lucas / materiales 8.500": 28.500
    return _clean(added or _times_count(folded, spans, best) or best)


# A part of the charge labelled on its own, on its line or clause: "mano de obra 20 lucas",
# "materiales: $8.500", "8500 de materiales"
_LABEL = r"(?P<label>mano\s+de\s+obra|materiales|material|repuestos?|insumos)"
_FIGURE = r"(?P<amount>\d[\d.,]*(?:\s*(?:mil|lucas?|k)\b)?)"
_LABELED_PART = re.compile(
    rf"\b{_LABEL}\s*:?\s*(?:son\s+|fueron\s+|de\s+)?\$?\s*{_FIGURE}"
    rf"|\$?\s*{_FIGURE.replace('amount', 'amount2')}\s+(?:de|en|por)\s+(?:la\s+|los\s+)?{_LABEL.replace('label', 'label2')}\b")


def _labeled_parts(folded: str) -> tuple[float, float] | None:
    """(the total, its materials part) of a charge told as labour and materials each with its
    own figure on its own line or clause ("mano de obra 20 lucas\nmateriales 8.500"), or None
    when it is not told so, or a total is stated or a figure corrected."""
    if _NOT_PARTS.search(folded):
        return None
    labor: list[float] = []
    materials: list[float] = []
    for m in _LABELED_PART.finditer(folded):
        label, figure = (m.group("label"), m.group("amount")) if m.group("label") \
            else (m.group("label2"), m.group("amount2"))
        value = _stated_total(figure)
        if value is None and (digits := parse_digits(figure.strip())) is not None and 0 < digits < 1000:
            value = digits * 1000  # "mano de obra 20": thousands, as the trade says it
        if value is None:
            continue
        (labor if label.startswith("mano") else materials).append(value)
    if len(labor) != 1 or not materials:
        return None
    total = labor[0] + sum(materials)
    return (total, sum(materials)) if total <= MAX_AMOUNT else None


def _stated_total(tail: str) -> float | None:
    """The money right after a total's cue: with its unit ("35 mil"), or a bare figure of
    thousands ("57.300", "40000")."""
    reading = _reading(tail)
    if reading is not None:
        return reading[0]
    bare = _BARE_THOUSANDS.match(tail)
    value = parse_digits(bare.group(1)) if bare else None
    return value if value is not None and 100 <= value <= MAX_AMOUNT else None


_BARE_THOUSANDS = re.compile(r"\$?\s*(\d{1,3}(?:[.,]\d{3})+|\d{4,})(?![\d.,]\d)")


def listed_items(folded: str) -> list[tuple[int, int, float]]:
    """A charge listed item by item with bare figures ("flexible 3000, canilla 15000, mano de
    obra 20000"): each item's (start, end) in `folded` (which is aligned with the text it was
    folded from) and its figure; [] unless two items at least, or when the text has money with
    a unit, which is read as a whole."""
    return [] if _reading(folded) is not None else _listed(folded)


def _listed(folded: str) -> list[tuple[int, int, float]]:
    """`listed_items` for a text already known to have no other reading of money."""
    items = [(m.start("label"), m.end("label"), parse_digits(m.group("num")))
             for m in _LISTED_ITEM.finditer(folded)]
    items = [(start, end, value) for start, end, value in items if value and value >= 100]
    return items if len(items) >= 2 else []


def _times_count(folded: str, spans, best: float) -> float | None:
    """One price said per item or per hour, with how many ("2 termotanques instalados, 60
    lucas cada uno": 120000; "3 horas a 10 mil la hora": 30000); None otherwise."""
    readings = _one_reading_each(spans)
    if len(readings) != 1 or readings[0][2] != best:
        return None
    start, end, value = readings[0]
    each = _EACH_AFTER.match(folded, end)
    if each is None:
        return None
    counts = [m for m in _COUNT.finditer(folded, 0, start) if start - m.end() <= 60
              and (not each.group("hour") or m.group("what").startswith("hora"))]
    if not counts:
        return None
    times = int(number_value(counts[-1].group("n")) or 0)
    total = value * times
    return total if 1 < times <= 20 and total <= MAX_AMOUNT else None


_MATERIALS_AFTER = re.compile(
    r"\s*(?:(?:de|en|por|para)\s+(?:los\s+|el\s+|las\s+)?)?(?:materiales|material|repuestos?|insumos)\b")
_MATERIALS_BEFORE = re.compile(r"\b(?:materiales|material|repuestos?|insumos)\s*:?\s*(?:\$\s*)?$")


def materials_part(folded: str) -> float | None:
    """Of a charge told in parts ("25 lucas de mano de obra más 8 de materiales"), the part
    for materials or spare parts (8000), or None when the charge is not told in parts or no
    part is for materials."""
    reading = _reading(folded)
    if reading is None:
        return None
    parts = _parts(folded, reading[1])
    if not parts:
        labeled = _labeled_parts(folded)
        return _clean(labeled[1]) if labeled is not None and labeled[1] else None
    found = [value for start, end, value in parts
             if _MATERIALS_AFTER.match(folded, end) or _MATERIALS_BEFORE.search(folded, 0, start)]
    return _clean(sum(found)) if found else None


def _reading(folded: str) -> tuple[float, list[tuple[int, int, int, float, int]]] | None:
    """The best single reading's value, and every stretch read as money (the parts a charge
    may be told in), or None when nothing is money."""
    best: tuple[int, int, float] | None = None  # (tier, -position, value)
    # (start, end, tier, value, scale of its unit): amounts with a unit
    spans: list[tuple[int, int, int, float, int]] = []

    def offer(tier: int, pos: int, value: float | None, end: int | None = None,
              scale: int = 1) -> None:
        nonlocal best
        if value is None or value <= 0 or value > MAX_AMOUNT:
            return
        if tier >= 2 and end is not None:
            spans.append((pos, end, tier, value, scale))
        key = (tier, -pos, value)
        if best is None or key[:2] > best[:2]:
            best = key

    for m in _WITH_UNIT.finditer(folded):
        after = _NOT_MONEY_AFTER.match(folded, m.end())
        if after and not (after.group().strip() == ":" and m.group("unit") != "mil"):
            continue  # "15 lucas: 10 de mano de obra..." is money; "a las 15 mil:" hardly
        value = _value(m.group("num"))
        if value is None:
            continue
        unit = m.group("unit")
        if not m.group("num")[:1].isdigit() and _NUMBER_WORD_NEXT.match(folded, m.end()):
            continue  # "dos mil quinientos": the whole phrase is read below
        scale = _SCALE.get(unit, 1)
        if unit in ("mango", "mangos") and value < 1000:
            scale = 1000  # "15 mangos": nobody quotes a job in single pesos any more
        if unit == "mil" and value >= 1000 and not m.group("num")[:1].isdigit():
            scale = 1  # "quince mil" already counted the thousand in the phrase
        amount = value * scale
        if m.group("half"):
            amount += scale / 2
        if m.group("tail") and unit == "mil":
            amount += int(m.group("tail"))
        tier = 3 if unit not in ("mil",) else 2
        if unit in ("peso", "pesos", "mango", "mangos", "ars") and amount < 10:
            continue
        offer(tier, m.start(), amount, m.end(), scale)
    for m in _BARE_UNIT.finditer(folded):
        unit = m.group("unit") or m.group("unit2")
        scale = _SCALE[unit]
        amount = scale / 2 if m.group("pre") else scale * (1.5 if m.group("half") else 1)
        offer(3, m.start(), amount, m.end())
    for m in _PAID_HOW.finditer(folded):
        if not _NOT_AMOUNT_BEFORE.search(folded, 0, m.start()):
            offer(2, m.start(), parse_digits(m.group("num")), m.end())
    for m in _paid_figures(folded):
        offer(2, m.start(), parse_digits(m.group("num")), m.end())
    for m in _DOLLAR.finditer(folded):
        value = _value(m.group("num"))
        if value is None:
            continue
        scale = _SCALE.get(m.group("unit") or "", 1)
        offer(4, m.start(), value * scale, m.end(), scale)
    for m in _VERB.finditer(folded):
        if _NOT_MONEY_AFTER.match(folded, m.end()):
            continue
        num = m.group("num")
        value = _value(num)
        if value is None:
            continue
        if value >= 1000 or (value >= 100 and num[:1].isdigit()):
            offer(1, m.start("num"), value)
    # a word phrase with "mil" in it ("dos mil quinientos") is money when nothing says otherwise
    for m in re.finditer(rf"(?<![\w.,])(?P<num>{NUMBER})", folded):
        num = m.group("num")
        if num[:1].isdigit() or " mil" not in f" {num}" or _NOT_MONEY_AFTER.match(folded, m.end()):
            continue
        value = number_value(num)
        if value is not None and value >= 1000:
            offer(0, m.start(), value)
    if best is None:
        return None
    for m in _PLAIN_BEFORE_JOIN.finditer(folded):
        if not _NOT_AMOUNT_BEFORE.search(folded, 0, m.start()):
            spans.append((m.start(), m.end(), 1, parse_digits(m.group("num")), 1))
    for m in [*_BARE_PART.finditer(folded), *_PRICED_PART.finditer(folded)]:
        if _WITH_UNIT.match(folded, m.start("num")) or any(
                span[0] <= m.start("num") < span[1] for span in spans):
            continue  # "y el repuesto salió 12 mil": read with its unit already
        before = [span for span in spans if span[1] <= m.start("num")]
        last = max(before, key=lambda span: span[1]) if before else None
        value = _value(m.group("num"))
        if last is None or value is None or value <= 0:
            continue
        if value >= 1000:
            scale = 1
        elif last[4] >= 1000:
            scale = last[4]
        else:  # "$15.000 + 3 de viático": three thousand; "$15.000 + 500 de viático": pesos
            scale = 1000 if value < 100 and last[3] >= 1000 else 1
        spans.append((m.start("num"), m.end("num"), 2, value * scale, scale))
    return best[2], spans


def _added_parts(folded: str, spans: list[tuple[int, int, int, float, int]]) -> float | None:
    """The sum when every amount with a unit is a part joined to the next by "más" or "+", close
    by, and nothing in the message states a total or corrects a figure; else None."""
    parts = _parts(folded, spans)
    total = sum(value for _, _, value in parts)
    return total if parts and total <= MAX_AMOUNT else None


def _parts(folded: str, spans: list[tuple[int, int, int, float, int]]) -> list[tuple[int, int, float]]:
    """(start, end, value) of each part of a charge told in parts (see `_added_parts`), or []."""
    parts = _one_reading_each(spans)
    if len(parts) < 2 or _NOT_PARTS.search(folded):
        return []
    for (here, end, _), (after, _, _) in pairwise(parts):
        between = folded[end:after]
        if after - here > _PART_GAP or not (_ADDS.search(between) or _AND_JOIN.fullmatch(between)):
            return []
    return parts


def _one_reading_each(spans: list[tuple[int, int, int, float, int]]) -> list[tuple[int, int, float]]:
    """(start, end, value) of each stretch of text read as money, in order: several grammars
    reading overlapping text ("$15 mil" as a dollar figure and "15 mil" as thousands, "le pagué
    $15.000" as a payment and as a figure) are one amount, the most precise reading's."""
    merged: list[tuple[int, int, int, float]] = []  # (start, end, tier, value)
    for start, end, tier, value, _ in sorted(spans):
        if merged and start < merged[-1][1]:
            first, last, best_tier, best_value = merged[-1]
            if tier > best_tier:
                best_tier, best_value = tier, value
            merged[-1] = (first, max(last, end), best_tier, best_value)
        else:
            merged.append((start, end, tier, value))
    return [(start, end, value) for start, end, _, value in merged]
