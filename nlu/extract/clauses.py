"""The clause around a date or a window, and whether it tells of the past. A clause ends at
punctuation or at a word that starts another one ("pero", "mejor", "porque", "pasalo"); a weekday
whose clause holds a past verb and no cue of what comes ("el martes vino el técnico", "¿cómo nos
fue el lunes?"), or that follows a report asked for ("resumen del viernes"), is the last one,
not the next. Shared by the date, window and resolution modules; text is folded and expanded."""

from __future__ import annotations

import re

# a clause told in the past ("el martes vino el técnico", "el lunes pagué", "¿cómo nos fue el
# lunes?") or a report asked for ("resumen del viernes"): the weekday is the last one
_PAST_VERB = re.compile(
    r"\b(?:vino|vinieron|vine|vinimos|fue|fueron|fui|fuimos|estuvo|estuvieron|estuve|hizo|hicieron|"
    r"hice|hicimos|pague|pagaste|abone|transferi|deposite|cobraste|cobre|llame|llamaste|mande|"
    r"tuve|tuvo|tuvimos|salio|salieron|anduvo|anduvimos|rompio|trajo|trajeron|atendio|vio|vi)\b"
    # "-aron/-ieron", but not the verbs of an agenda ("¿el sábado me pusieron algo?")
    r"|\b(?!(?:pusieron|asignaron|agendaron|anotaron|cargaron|programaron|dieron|confirmaron|"
    r"avisaron|cambiaron|pasaron|movieron|dijeron|quedaron|reprogramaron)\b)\w{3,}(?:aron|ieron)\b"
)
# a clause about what comes ("¿cómo viene el lunes?", "el lunes pueden venir?")
_FUTURE_CUE = re.compile(
    r"\b(?:va\s+a|van\s+a|vamos\s+a|vas\s+a|voy\s+a|viene|vienen|vengan|venga|vengas|venir|pasen|"
    r"pueden|puede|podes|podrian|proximo|que\s+viene|para\s+el|agendado|agendame|agendar)\b"
)
_REPORT_BEFORE = re.compile(
    r"\b(?:resumen|reporte|balance|cierre|informe|numeros|recaudacion|caja|facturacion)\s+(?:de\s+|del\s+|de\s+el\s+)(?:dia\s+)?$"
    # "¿cuánto facturamos el martes?": what a day already brought in
    r"|\bcuant[oa]s?\s+(?:(?:plata|guita|mangos|pesos|dinero)\s+)?(?:se\s+)?(?:facturo|facturamos|cobramos|cobro|hicimos|entro|ganamos|vendimos|"
    r"recaudamos|juntamos|junto|juntaron|sacamos|saco|levantamos|embolsamos|hizo|facturaron|"
    r"cobraron|hicieron|entraron)\s+(?:(?:en\s+)?(?:plata|guita|mangos|pesos)\s+)?(?:el\s+|del\s+|de\s+)?$"
)


# where a clause ends: punctuation, or a word that starts another one ("el martes no puedo pasalo
# para el jueves", "mejor el jueves porque el martes no estoy")
_CLAUSE_END = re.compile(
    r"[.,;:!?\n]|\s(?=(?:pero|mejor|porque|asi\s+que|entonces|sino|aunque|puede\s+ser|podria\s+ser|"
    r"pasal[oa]|pasamel[oa]|cambial[oa]|movel[oa]|dejal[oa]|que\s+sea|preferiria|prefiero|"
    r"y\s+(?:el|la|los|mejor)|si\s+(?:pueden|podes|puede|podrian|podria|se\s+puede))\b)"
)


def clause(text: str, start: int, end: int) -> tuple[int, int]:
    """The bounds of the clause around text[start:end]."""
    before = max((m.end() for m in _CLAUSE_END.finditer(text, 0, start)), default=0)
    after = _CLAUSE_END.search(text, end)
    return before, after.start() if after else len(text)


def told_in_past(text: str, start: int, end: int) -> bool:
    """Whether the clause of a weekday tells of the past ("el martes vino el técnico", "¿cómo nos
    fue el lunes?") or asks for its report ("resumen del viernes")."""
    if _REPORT_BEFORE.search(text, max(0, start - 40), start):
        return True
    s, e = clause(text, start, end)
    near = text[max(s, start - 35) : min(e, end + 30)]  # the verb near the day, in its clause
    return bool(_PAST_VERB.search(near)) and not _FUTURE_CUE.search(text[s:e])
