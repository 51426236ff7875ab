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
_NAME = re.compile(rf"(?P<n>{_NAME_WORD}(?:\s+(?:de\s+la\s+|del\s+|de\s+)?{_NAME_WORD}){{0,3}})")
_LOWER_NAME = re.compile(rf"(?P<n>{_LOWER_WORD}(?:\s+{_LOWER_WORD})?)")
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
andres julio eduardo
""")
_SIGNATURE = re.compile(rf"^\s*[-–—~]*\s*(?P<n>{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,2}})\s*[.!]?\s*$")
_STOP_SIGNATURE = _words("""
hola buenas gracias saludos perfecto dale listo buen dia genial ok okey joya barbaro bueno
si no
""")


def _clean(name: str) -> str | None:
    words = name.split()
    while words and fold_aligned(words[-1]).strip(".,") in NOT_NAMES | {"de", "del", "la"}:
        words.pop()
    if not words or fold_aligned(words[0]) in NOT_NAMES:
        return None
    return " ".join(words)


def find_name(text: str) -> str | None:
    """The writer's name when they give it, or None."""
    for m in _CUE.finditer(text):
        rest = text[m.end() :]
        cue = fold_aligned(m.group(0)).strip()
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
                    if len(words) > 1 and not cue.startswith(("me llamo", "mi nombre", "nombre")):
                        words = words[:1]
                    return " ".join(w.capitalize() for w in words)
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    if len(lines) > 1:
        m = _SIGNATURE.match(lines[-1])
        if m and fold_aligned(m.group("n").split()[0]) not in _STOP_SIGNATURE | NOT_NAMES:
            return m.group("n")
    return None
