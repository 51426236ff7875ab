"""The writer's own name: "soy Marta Gómez", "me llamo ...", "habla ...", a signature line."""

from __future__ import annotations

import re

from nlu.extract.text import fold_aligned
from nlu.extract.text import words as _words

_NAME_WORD = r"[A-ZÁÉÍÓÚÑÜ][a-záéíóúñü]+(?:-[A-ZÁÉÍÓÚÑ][a-záéíóúñü]+)?"
_LOWER_WORD = r"[a-záéíóúñü]+"
_CUE = re.compile(
    r"(?:^|(?<=[\s,.;:!¡¿(]))(?:soy|me\s+llamo|mi\s+nombre\s+es|habla|te\s+habla|les\s+habla|"
    r"le\s+habla|te\s+escribe|les\s+escribe|escribe|atte\.?|saludos,?|firma:?|"
    r"nombre\s*:|de\s+parte\s+de)\s+(?=\S)",
    re.IGNORECASE,
)
_NAME = re.compile(rf"(?P<n>{_NAME_WORD}(?:\s+(?:de\s+la\s+|de\s+los\s+|del\s+|de\s+)?{_NAME_WORD}){{0,3}})")
_LOWER_NAME = re.compile(rf"(?P<n>{_LOWER_WORD}(?:\s+{_LOWER_WORD})?)")
# where a name said in lower case ends: the message, a line, a comma or a stop, or "y"
_NAME_ENDS = re.compile(r"\s*(?:$|[\n,.;:!?]|y\b|e\b)")
# words that follow "soy"/"habla" without being a name
NOT_NAMES = _words("""
el la los las un una de del yo cliente clienta vecino vecina dueno duena inquilino inquilina
encargado encargada administrador administradora portero portera quien que nuevo nueva muy
bastante medio re super tan otro otra solo sola jubilado jubilada hola buenas buen buenos
gracias ahi aca aqui alla casa depto tecnico plomero gasista electricista cerrajero pintor
albanil mismo misma mama papa hijo hija esposo esposa marido senor senora sr sra don dona
lic ing dr dra arq
""")
# common first names: a lowercase "soy marta" is read as a name only for these
FIRST_NAMES = _words("""
marta maria ana laura silvia carla paula lucia sofia valeria gabriela claudia patricia
monica susana andrea romina florencia julieta camila agustina natalia veronica mariana
daniela lorena alejandra carolina cecilia graciela norma liliana beatriz rosa teresa elena
ines mercedes juan jose carlos jorge luis pablo diego martin sergio ramiro javier marcelo
gustavo ricardo roberto daniel fernando alejandro hernan gonzalo lucas matias nicolas
federico sebastian facundo santiago tomas ezequiel leandro mariano claudio raul oscar hector
miguel pedro ruben walter cristian cristina fabian franco emiliano maximiliano ignacio
andres julio eduardo amalia alicia adriana marcela estela irma elsa olga nelida delia hilda
noemi mirta stella silvina viviana vanesa jesica yamila micaela antonella milagros belen
guadalupe rocio soledad victoria emilia josefina catalina martina lourdes analia fernanda
carina marisa sandra lidia raquel ester esther celia horacio alberto osvaldo alfredo
enrique ernesto hugo mario rodolfo rafael jorgelina victor armando adrian esteban joaquin
agustin bruno gaston guillermo leonardo manuel marcos mauricio nestor norberto omar ramon
rolando salvador silvio ulises dario damian german
""")
# a closing, then a signature ending the text: "Atte. Ing. Roberto Funes", "Atentamente,\nDra.
# Paula Ríos", "Saludos, Arq. Medina", "Gracias. Roberto Funes"
_TITLE = r"(?:(?:ing|dr|dra|arq|lic|sra|sr|srta|prof|cdor|cdora|contador|ingeniero|doctora?|arquitecta?|licenciad[oa]|senora|senor)\.?\s+)"
# a closing line: "Roberto Funes", "— Marta", "Lic. Paula Medina - Administración" (a title
# before it, a role or a firm after a dash)
_SIGNATURE = re.compile(
    rf"^\s*[-–—~]*\s*(?P<title>(?i:{_TITLE}))?(?P<n>{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,2}})"
    r"(?:\s+[-–—|]\s*[\w .]{2,40}?)?\s*[.!]?\s*$")
_CLOSING = re.compile(
    r"(?:^|(?<=[\s,.;:!¡¿(]))(?P<cue>(?i:atte|atentamente|cordialmente|saludos(?:\s+cordiales)?|"
    r"saludos\s+atentos|un\s+saludo|muchas\s+gracias|mil\s+gracias|gracias))"
    rf"\s*[.,:!]*\s*(?:\n\s*)?(?P<title>(?i:{_TITLE}))?"
    rf"(?P<n>{_NAME_WORD}(?:\s+(?:de\s+la\s+|de\s+los\s+|del\s+|de\s+)?{_NAME_WORD}){{0,3}})"
    # the signer's role after it: "Cordialmente, Beatriz Aranda, administradora."
    r"(?:\s*[,–—-]\s*(?:la\s+|el\s+)?[a-záéíóúñ]{4,}(?:\s+(?:de\s+la|del|de)\s+[\w ]{2,30})?)?\s*[.!]?\s*$"
)
# capitalized words a closing may be followed by that are no one's name: places, trades, firms
_NOT_SIGNED = _words("""
villa san santa santo parque barrio capital federal buenos aires zona norte sur oeste este gran
nueva nuevo puerto monte mar plata provincia ciudad caba centro microcentro palermo belgrano
caballito flores almagro recoleta boedo nunez colegiales chacarita villa devoto urquiza
quilmes lanus avellaneda moron tigre pilar lomas banfield adrogue olivos martinez vicente lopez
plomeria plomero electricidad electricista gas gasista cerrajeria cerrajero pintura pintor
albanileria albanil servicios servicio empresa consorcio administracion edificio familia equipo
dios mismo todo todos todas nada igual hasta manana luego pronto chau abrazo besos beso
crespo devoto saavedra coghlan lugano liniers mataderos floresta paternal agronomia barracas boca
constitucion retiro balvanera abasto pompeya soldati haedo ituzaingo castelar merlo berazategui
temperley bernal wilde sarandi ezeiza canning nordelta beccar acassuso munro carapachay ciudadela
hurlingham ramos mejia tandil rosario cordoba mendoza lunes martes miercoles jueves viernes sabado
domingo enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre
urgente urgencia emergencia ayuda consulta presupuesto factura pago gracias
""")
_STOP_SIGNATURE = _words("""
hola buenas gracias saludos perfecto dale listo buen dia genial ok okey joya barbaro bueno
si no
""")


# "soy Raquel de Av. Boedo", "soy Marta de Palermo": where the writer is from is no surname
_PLACE_AFTER_DE = _words("av avda avenida calle pasaje pje barrio")


def _clean(name: str) -> str | None:
    words = name.split()
    for i, word in enumerate(words[1:-1], start=1):
        after = fold_aligned(words[i + 1]).strip(".,")
        if fold_aligned(word) in ("de", "del") and (after in _PLACE_AFTER_DE or after in _NOT_SIGNED):
            words = words[:i]
            break
    while words and fold_aligned(words[-1]).strip(".,") in NOT_NAMES | {"de", "del", "la"}:
        words.pop()
    if not words or fold_aligned(words[0]) in NOT_NAMES:
        return None
    return " ".join(words)


def _signed(text: str) -> str | None:
    """The name signed after a closing that ends the text."""
    m = _CLOSING.search(text)
    if not m:
        return None
    words = [fold_aligned(w) for w in m.group("n").split()]
    if any(w in _NOT_SIGNED or w in NOT_NAMES or w in _STOP_SIGNATURE for w in words):
        return None  # "Gracias. Villa Urquiza", "Saludos, Plomería Gómez"
    if (m.group("cue").lower() == "gracias" and not m.group("title") and len(words) < 2
            and words[0] not in FIRST_NAMES):
        return None  # one capitalized word after a bare "gracias" is a name only when known
    return _clean(m.group("n"))


# The last sentence alone a name that begins with a first name people have: "Disculpen las
# molestias. Irma Sosa", "Que tengan felices fiestas. Raquel"
_LAST_SENTENCE = re.compile(r"[.!?]\s+(?P<s>[^.!?\n]+?)\s*[.!]?\s*$")
# A role, then the name: "Soy el encargado, Juan Carlos", "habla la administradora: Marta Ruiz"
_ROLE_THEN_NAME = re.compile(
    r"\b(?i:soy|habla|le\s+escribe|les\s+escribe|te\s+escribe)\s+(?i:el|la)\s+"
    r"(?i:encargad[oa]|porter[oa]|administrador(?:a)?|duen[oa]|dueñ[oa]|inquilin[oa]|propietari[oa]|"
    r"vecin[oa]|hij[oa]|sobrin[oa]|niet[oa]|secretari[oa]|gerente|director(?:a)?|coordinador(?:a)?|"
    r"responsable|jef[ea]|president[ea]|tesorer[oa]|maestr[oa]|espos[oa]|mam[aá]|pap[aá])"
    r"(?:\s+(?:del|de\s+la|de\s+los|de\s+las|de)\s+\w+(?:\s+\w+)?)?\s*[,:]\s*"
    rf"(?P<n>{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,2}})")


def _signed_sentence(text: str) -> str | None:
    m = _LAST_SENTENCE.search(text.strip())
    sig = _SIGNATURE.match(m.group("s")) if m else None
    if sig is None or sig.group("title"):
        return None
    words = [fold_aligned(w) for w in sig.group("n").split()]
    if words[0] not in FIRST_NAMES or any(w in _NOT_SIGNED or w in NOT_NAMES for w in words):
        return None
    return _clean(sig.group("n"))


def _after_role(text: str) -> str | None:
    m = _ROLE_THEN_NAME.search(text)
    if m is None or fold_aligned(m.group("n").split()[0]) not in FIRST_NAMES:
        return None
    return _clean(m.group("n"))


def find_name(text: str) -> str | None:
    """The writer's name when they give it, or None."""
    letters = [c for c in text if c.isalpha()]
    if len(letters) >= 12 and sum(c.isupper() for c in letters) >= 0.8 * len(letters):
        # Written in capitals ("SOY CARLOS BENITEZ"): read as names are written, and kept only
        # when it begins with a first name people have (capitals hide which words are names)
        name = _find_name(text.title())
        return name if name and fold_aligned(name.split()[0]) in FIRST_NAMES else None
    return _find_name(text)


def _find_name(text: str) -> str | None:
    for m in _CUE.finditer(text):
        rest = text[m.end() :]
        cue = fold_aligned(m.group(0)).strip()
        if cue.startswith(("atte", "saludos")):
            # a closing: its signature may carry a title ("Atte. Ing. Roberto Funes") and is
            # no place or firm ("Saludos, Plomería Gómez")
            rest = re.sub(rf"^(?i:{_TITLE})", "", rest)
            nm = _NAME.match(rest)
            if nm and not any(
                fold_aligned(w) in _NOT_SIGNED | NOT_NAMES | _STOP_SIGNATURE for w in nm.group("n").split()
            ) and _clean(nm.group("n")):
                return _clean(nm.group("n"))
            continue
        nm = _NAME.match(rest)
        if nm:
            name = _clean(nm.group("n"))
            if name:
                return name
            continue
        if cue.startswith(("soy", "me llamo", "mi nombre", "nombre")):
            lm = _LOWER_NAME.match(rest)
            if lm:
                words = lm.group("n").split()
                if fold_aligned(words[0]) in FIRST_NAMES:
                    if (
                        cue.startswith("soy")
                        and len(words) > 1
                        and fold_aligned(words[1]) in NOT_NAMES
                    ):
                        words = words[:1]
                    if len(words) > 1 and not cue.startswith(("me llamo", "mi nombre", "nombre")) \
                            and not _NAME_ENDS.match(rest, lm.end()):
                        # "soy laura quiroga" ends there: her surname; "soy marcelo vivo en…" goes on
                        words = words[:1]
                    return " ".join(w.capitalize() for w in words)
    name = _signed(text) or _signed_sentence(text) or _after_role(text)
    if name:
        return name
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    if len(lines) > 1:
        m = _SIGNATURE.match(lines[-1])
        words = [fold_aligned(w) for w in m.group("n").split()] if m else []
        if m and words[0] not in _STOP_SIGNATURE | NOT_NAMES and not any(w in _NOT_SIGNED for w in words):
            return m.group("n")
    return None


# "a nombre de Julia Ferreyra", "a nombre de mi mamá, Elena Ruiz": who a visit or an invoice is
# for, said outright (capitalized: "a nombre de la empresa" names nobody)
_FOR_NAME = re.compile(
    r"\ba\s+nombre\s+de\s+(?:(?:mi|mí)\s+\w+\s*[,:?]?\s+)?"
    r"(?P<n>[A-ZÁÉÍÓÚÑ][a-záéíóúñü']+(?:\s+(?:de\s+)?[A-ZÁÉÍÓÚÑ][a-záéíóúñü']+){0,3})")


def for_name(text: str) -> str | None:
    """The name a visit or an invoice is asked to be under ("a nombre de Julia Ferreyra")."""
    said = _FOR_NAME.search(text or "")
    return said.group("n") if said else None
