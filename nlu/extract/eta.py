"""Minutes until a technician arrives, in Rioplatense Spanish: a duration ("en 20 minutos",
"media hora", "una hora y cuarto", "3/4 de hora") read as an ETA when it follows a cue ("en",
"calculo", "tardo") or a word of being on the way, or when a cause or an arrival follows it ("por
el tránsito", "y llego"); or a bare number said as one ("llego en 20", "15 y estoy", "ya salí,
en 10"). Time already spent waiting ("hace 20 minutos") is no ETA. Text is folded and expanded."""

from __future__ import annotations

import re

from nlu.extract.numbers import NUMBER_PHRASE, number_value

_NUM = rf"(?:\d{{1,3}}|{NUMBER_PHRASE})"
_DURATION = re.compile(
    r"(?P<q3>tres\s+cuartos\s+de\s+hora|3/4\s+(?:de\s+)?hora)"
    r"|(?P<q1>(?:(?:un|1)\s+)?cuarto\s+de\s+hora|1/4\s+(?:de\s+)?hora)"
    r"|(?P<half>media\s+hor(?:a|ita)(?:\s+y\s+(?:pico|algo))?|1/2\s+(?:de\s+)?hora)"
    r"|(?P<hy>(?<!\w)hora\s+y\s+(?P<hyfrac>media|cuarto))"
    rf"|(?P<hours>{_NUM})\s*(?:horas?|hs|hrs?|h)\b(?:\s+y\s+(?P<hfrac>media|cuarto)|(?:\s+y)?\s+"
    rf"(?P<hmin>{_NUM})\b(?!\s*(?:horas?|hs|de\b(?!\s+viaje)|/|:|cuadras?|km|kilometros?|metros?))"
    r"\s*(?:minutos|min)?)?"
    rf"|(?P<mins>{_NUM})\s*(?:minutos|minutitos|min|mins|')(?!\w)"
)
_BARE_ETA = re.compile(
    rf"\b(?:llego|llegamos|estoy|estamos|estare|caigo|paso|demoro|tardo|calculo)\s+(?:ahi\s+|alla\s+)?"
    rf"(?:en\s+|como\s+en\s+|tipo\s+(?=(?:2[5-9]|[3-9]\d|1\d\d)\b))(?P<n>{_NUM})\b"
    r"(?!\s*(?:minutos|min|horas?|hs|/|:|de\s+la))"
    rf"|\ben\s+(?P<n2>{_NUM})\s+(?:estoy|llego|estamos|llegamos)\b"
    rf"|\b(?:demoro|tardo|tardamos|demoramos)\s+tipo\s+(?P<n4>{_NUM})\b(?!\s*(?:minutos|min|horas?|hs|/|:))"
    # "calculo 20", "calculo que 15", "calculale unos 10": a bare number reckoned is minutes
    rf"|\b(?:calculo|calculale|calcula|calculamos)\s+(?:que\s+)?(?:unos\s+|como\s+|tipo\s+)?"
    rf"(?:en\s+)?(?P<n3>{_NUM})\b(?!\s*(?:minutos|min|horas?|hs|/|:|de\s+la|cuadras?|km|mil|lucas|"
    rf"pesos|\.\d|,\d))"
)
# "ahí voy, 15 y estoy": a bare number, then the arrival
_THEN_ARRIVE = re.compile(
    rf"(?<![\d/:.,])(?<!\blas )(?<!\bla )(?<!\bsalgo en )\b(?P<n>{_NUM})\s+y\s+(?:estoy|llego|estamos|llegamos)\b"
)
# "ya salí, en 15", "voy para allá, en 10 más o menos": "en" and a bare number ending the
# clause, after the writer said they are on the way
_BARE_EN = re.compile(
    rf"\ben\s+(?:unos\s+|como\s+)?(?P<n>{_NUM})\s*(?:mas\s+o\s+menos|aprox\w*|maso)?"
    r"\s*(?:$|[,.;!?\n]|y\s+(?:estoy|llego|estamos)\b|por\s+(?:el|la|los)\b)"
)
# a duration then its cause ("en media hora por el tránsito") or "y llego": it is the ETA
_ETA_AFTER = re.compile(
    r"\s*(?:mas\s+)?(?:por\s+(?:el\s+)?(?:transito|trafico|embotellamiento|lluvia|choque|piquete|"
    r"corte|obra|obras|accidente|quilombo)|de\s+(?:demora|atraso|retraso|viaje)|y\s+(?:llego|estoy|"
    r"estamos|llegamos)|tarde\b|mas\s+o\s+menos|aprox)"
)
_ETA_CUE = re.compile(
    r"(?:\ben|\bcalculo|\bcalculale|\bunos|\bunas|\bdemoro|\btardo|\bdentro\s+de|\bestoy\s+a|\bllego\s+a"
    r"|\bmas\s+o\s+menos|\bcomo|\btipo|\bmaso)\s*(?:unos\s+|unas\s+|como\s+|mas\s+o\s+menos\s+)?$"
)
# said on the way (the duration after it is how long until arrival): "voy en camino, hora y media"
_ON_THE_WAY = re.compile(
    r"\b(?:llego|estoy|calculo|salgo|sali|salimos|voy|vamos|arranco|arranque|arrancamos|yendo"
    r"|camino|rumbo|tardo|demoro|tardar|demorar|llegar|llegando|demorado|atrasado|retrasado|saliendo"
    r"|en\s+viaje|viajando)\b"
)
_NOT_ETA = re.compile(
    r"\b(?:hace|desde\s+hace|hace\s+mas\s+de|esperando)\s*(?:unos\s+|mas\s+de\s+)?$"
)


def _n(s: str) -> int | None:
    v = number_value(s)
    return int(v) if v is not None and float(v).is_integer() else None


def find_eta(text: str) -> int | None:
    """Minutes until arrival ("llego en 20", "en media hora", "una hora y cuarto"), or None."""
    for m in _DURATION.finditer(text):
        before = text[max(0, m.start() - 30) : m.start()]
        going = text[max(0, m.start() - 60) : m.start()]
        if _NOT_ETA.search(before):
            continue
        minutes = None
        if m.group("q3"):
            minutes = 45
        elif m.group("q1"):
            minutes = 15
        elif m.group("half"):
            minutes = 30
        elif m.group("hy"):
            minutes = 60 + {"media": 30, "cuarto": 15}[m.group("hyfrac")]
        elif m.group("hours"):
            h = _n(m.group("hours"))
            if h is None:
                continue
            extra = {"media": 30, "cuarto": 15}.get(m.group("hfrac") or "", 0)
            if m.group("hmin"):
                extra = _n(m.group("hmin")) or 0
            minutes = h * 60 + extra
        elif m.group("mins"):
            minutes = _n(m.group("mins"))
        if minutes is None or not 0 < minutes <= 600:
            continue
        if not (_ETA_CUE.search(before) or _ON_THE_WAY.search(going) or _ETA_AFTER.match(text, m.end())):
            continue
        return minutes
    m = _BARE_ETA.search(text)
    if m:
        n = _n(m.group("n") or m.group("n2") or m.group("n3") or m.group("n4"))
        if n is not None and 1 < n <= 180:
            return n
    m = _THEN_ARRIVE.search(text)
    if m and _n(m.group("n")) is not None and 1 < _n(m.group("n")) <= 120:
        return _n(m.group("n"))
    for m in _BARE_EN.finditer(text):
        if not _ON_THE_WAY.search(text[max(0, m.start() - 60) : m.start()]):
            continue
        n = _n(m.group("n"))
        if n is not None and 1 < n <= 120:
            return n
    return None
